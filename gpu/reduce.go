//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/latentflow/latentflow/compute"
)

// Launch wrappers of kernels/reduce.cu: two deterministic passes, float64
// accumulation. Each waits for the result (the host needs it).

// Sum returns sum_i x_i. Matches cpu Backend.Sum.
func (be *Backend) Sum(x compute.Buffer) float32 { return be.sum(x, 0) }

// SumSquares returns sum_i x_i^2. Matches cpu Backend.SumSquares.
func (be *Backend) SumSquares(x compute.Buffer) float32 { return be.sum(x, 1) }

func (be *Backend) sum(x compute.Buffer, sq int) float32 {
	b := be.buf(x)
	be.enter()
	defer be.leave()
	g, t := red(b.n)
	be.reduce("reduce_sum", g, t, be.scalar, 1, 1, 0, b.p, b.n, sq)
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
	be.reduce("reduce_errnorm", g, t, be.scalar, float64(max(eb.n, 1)), 1, 1, eb.p, a.p, b.p, eb.n, rtol, atol)
	return be.readScalar()
}

// GradClipScale writes the clipping factor, the norm and the sticky
// divergence flag of g into scale[0:3] without a host read, in one launch:
// reduce_sum of the squares, finished in mode 3 (red_value). Matches cpu
// Backend.GradClipScale (same formula; the partials are summed in another
// fixed order, so the norm may differ from the CPU's in the last bits).
func (be *Backend) GradClipScale(scale, g compute.Buffer, maxNorm float32) {
	sc, gb := be.buf(scale), be.buf(g)
	need(sc.n == 3, "GradClipScale: scale has %d elements, want 3", sc.n)
	be.enter()
	defer be.leave()
	gr, t := red(gb.n)
	be.reduce("reduce_sum", gr, t, sc.p, 1, float64(maxNorm), 3, gb.p, gb.n, 1)
}

// Column sums over row blocks (kernel colsum).
const (
	colTargetBlocks = 1024 // colsum blocks aimed at (enough to fill a GPU)
	colMinRows      = 64   // rows per block at least (R)
)

// colRows returns R, the rows per block of colsum for x (N, X): about
// colTargetBlocks blocks in all, at least colMinRows rows each, a multiple of
// colGroups. It depends on N and X only, so the summation order does too.
func colRows(N, X int) int {
	strips := (X + 31) / 32
	nb := max(1, colTargetBlocks/strips)
	R := max(colMinRows, (N+nb-1)/nb)
	return (R + colGroups - 1) / colGroups * colGroups
}

// colSum sets y[j] += sum_r x[r, j] for x (N, X) with colsum: float64
// partials per row block and column (scratch be.colPart), added in order by
// the last block of each 32-column strip (tickets in be.colTicket, zeroed
// when allocated and reset by the kernel). One launch. The caller holds enter.
func (be *Backend) colSum(y, x *Buf, N, X int) { be.colSumRows(y, x, N, X, colRows(N, X), 1, 0) }

// colSumRows is colSum with R rows per block over the K matrices of a stack
// x (K, N, X), matrix k summed into y[k ys:] (grid z = K).
func (be *Backend) colSumRows(y, x *Buf, N, X, R, K, ys int) {
	if N == 0 {
		return
	}
	nb, strips := (N+R-1)/R, (X+31)/32
	part, ticket := devptr(0), devptr(0)
	if nb > 1 {
		part, ticket = be.colScratch(K*nb*X, K*strips, "colsum")
	}
	be.launch("colsum", dim{strips, nb, K}, dim{32, colGroups, 1}, 0, y.p, part, ticket, x.p, N, X, R, ys)
}

// colScratch returns the column sums' scratch: room for n float64 partials
// (be.colPart) and m tickets (uint32, be.colTicket), zeroed when allocated;
// every kernel that takes a ticket resets it to 0 before it ends, so the
// kernels that sum over row blocks (colsum, colsum_multi, ln_bwd) share them,
// one at a time on the stream. The caller holds enter.
func (be *Backend) colScratch(n, m int, op string) (part, ticket devptr) {
	part = be.scratch(&be.colPart, 2*n).p
	old := be.colTicket
	tk := be.scratch(&be.colTicket, m)
	if tk != old {
		check(be.drv.memsetD32(tk.p, 0, int64(tk.n)), "%s: zeroing the tickets", op)
		be.calls.Memops++
		be.named("fill")
	}
	return part, tk.p
}

// ColSumRows sets y[j] += sum_r x[r, j] for x (N, X), X = len(y), with R
// rows per colsum_part block (a positive multiple of 8; BiasGrad picks R
// with colRows): the kernel bench times the row-block size with it.
func (be *Backend) ColSumRows(y, x compute.Buffer, R int) {
	yb, xb := be.buf(y), be.buf(x)
	X := yb.n
	need(X > 0 && xb.n%X == 0, "ColSumRows: %d not a multiple of %d", xb.n, X)
	need(R > 0 && R%colGroups == 0, "ColSumRows: R = %d, want a positive multiple of %d", R, colGroups)
	N := xb.n / X
	need((N+R-1)/R <= 65535, "ColSumRows: %d row blocks exceed the CUDA grid's y limit", (N+R-1)/R)
	be.enter()
	defer be.leave()
	be.colSumRows(yb, xb, N, X, R, 1, 0)
}

// MultiBiasGrad runs every job's BiasGrads in one launch (kernel
// colsum_multi: each job summed as colsum sums it, with colRows' R). The job
// table (device pointers and sizes) is uploaded the first time a list of
// jobs is seen and kept: run a captured step once before Capture. Matches
// cpu Backend.MultiBiasGrad.
func (be *Backend) MultiBiasGrad(jobs []compute.BiasGradJob) {
	type job struct {
		y, x                  *Buf
		N, X, R, nb, K, ys, S int
	}
	var js []job
	for _, j := range jobs {
		db, d := be.buf(j.DBias), be.buf(j.DY)
		K, W := j.K, j.W
		need(K > 0 && W > 0 && j.Stride >= W && d.n%(K*W) == 0 && db.n >= (K-1)*j.Stride+W, "MultiBiasGrad shapes")
		if N := d.n / (K * W); N > 0 {
			R := colRows(N, W)
			js = append(js, job{db, d, N, W, R, (N + R - 1) / R, K, j.Stride, (W + 31) / 32})
		}
	}
	if len(js) == 0 {
		return
	}
	be.enter()
	defer be.leave()
	table := make([]uint64, 0, 12*len(js))
	vb, parts, tickets, maxNb := 0, 0, 0, 1
	for _, j := range js {
		table = append(table, uint64(j.y.p), uint64(j.x.p), uint64(j.N), uint64(j.X), uint64(j.R), uint64(j.nb),
			uint64(j.K), uint64(j.ys), uint64(vb), uint64(parts), uint64(tickets), uint64(j.S))
		vb += j.K * j.S
		if j.nb > 1 {
			parts += j.K * j.nb * j.X
			tickets += j.K * j.S
		}
		maxNb = max(maxNb, j.nb)
	}
	need(vb <= math.MaxInt32 && maxNb <= math.MaxUint16, "MultiBiasGrad: %d column blocks and %d row blocks exceed the grid", vb, maxNb)
	key := fmt.Sprint(table)
	tb, ok := be.colTables[key]
	if !ok {
		be.noCapture("uploading a MultiBiasGrad job table (run the captured function once before Capture)")
		p, err := be.drv.malloc(int64(8 * len(table)))
		check(err, "MultiBiasGrad: the job table")
		check(be.drv.copyHtoD(p, unsafe.Pointer(&table[0]), int64(8*len(table))), "MultiBiasGrad: uploading the job table")
		be.calls.Uploads++
		tb = &Buf{p: p, n: 2 * len(table), be: be}
		if be.colTables == nil {
			be.colTables = map[string]*Buf{}
		}
		be.colTables[key] = tb
	}
	part, ticket := devptr(0), devptr(0)
	if parts > 0 {
		part, ticket = be.colScratch(parts, tickets, "MultiBiasGrad")
	}
	be.launch("colsum_multi", dim{vb, maxNb, 1}, dim{32, colGroups, 1}, 0, tb.p, len(js), part, ticket)
}
