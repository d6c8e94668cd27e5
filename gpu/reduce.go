//go:build cuda

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
