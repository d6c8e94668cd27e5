//go:build cuda || cudaemu

package gpu

import "github.com/latentflow/latentflow/compute"

// Launch wrappers of kernels/reduce.cu: two deterministic passes, float64
// accumulation. Each waits for the result (the host needs it).

// Sum returns sum_i x_i. Matches cpu Backend.Sum.
func (be *Backend) Sum(x compute.Buffer) float32 { return be.sum(x, 0) }

// SumSquares returns sum_i x_i^2. Matches cpu Backend.SumSquares.
func (be *Backend) SumSquares(x compute.Buffer) float32 { return be.sum(x, 1) }

func (be *Backend) sum(x compute.Buffer, mode int) float32 {
	b := be.buf(x)
	be.enter()
	defer be.leave()
	g, t := red(b.n)
	be.launch("reduce_sum", g, t, 0, be.part, b.p, b.n, mode)
	be.finish(g, be.scalar, 1, 1, 0)
	return be.readScalar()
}

// ErrNorm returns sqrt(mean_i (e_i / (atol + rtol max(|y0_i|, |y1_i|)))^2).
// Matches cpu Backend.ErrNorm.
func (be *Backend) ErrNorm(e, y0, y1 compute.Buffer, rtol, atol float32) float32 {
	eb, a, b := be.buf(e), be.buf(y0), be.buf(y1)
	need(eb.n == a.n && a.n == b.n, "ErrNorm lengths")
	be.enter()
	defer be.leave()
	g, t := red(eb.n)
	be.launch("reduce_errnorm", g, t, 0, be.part, eb.p, a.p, b.p, eb.n, rtol, atol)
	be.finish(g, be.scalar, float64(max(eb.n, 1)), 1, 1)
	return be.readScalar()
}

// GradClipScale writes the clipping factor, the norm and the sticky
// divergence flag of g into scale[0:3] without a host read: reduce_sum
// (mode 1, float64 partials) then clip_scale on one thread. Matches cpu
// Backend.GradClipScale (same formula; the partials are summed in another
// fixed order, so the norm may differ from the CPU's in the last bits).
func (be *Backend) GradClipScale(scale, g compute.Buffer, maxNorm float32) {
	sc, gb := be.buf(scale), be.buf(g)
	need(sc.n == 3, "GradClipScale: scale has %d elements, want 3", sc.n)
	be.enter()
	defer be.leave()
	gr, t := red(gb.n)
	be.launch("reduce_sum", gr, t, 0, be.part, gb.p, gb.n, 1)
	be.launch("clip_scale", d1(1), d1(32), 0, be.part, gr.x, sc.p, maxNorm)
}
