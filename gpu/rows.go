//go:build cuda || cudaemu

package gpu

import (
	"math"

	"github.com/latentflow/latentflow/compute"
)

// Launch wrappers of kernels/rows.cu.

// colGrid is the launch shape of a column-sum kernel over X columns and
// `rows` row sets (grid.y, at most 65535).
func colGrid(X, rows int) (dim, dim) {
	need(rows <= math.MaxUint16, "%d row sets exceed the CUDA grid's y limit", rows)
	return dim{(X + 31) / 32, rows, 1}, dim{32, colGroups, 1}
}

// AddBias sets x[r, j] += bias[j] (kernel add_bias). Matches cpu Backend.AddBias.
func (be *Backend) AddBias(x, bias compute.Buffer) {
	xb, bb := be.buf(x), be.buf(bias)
	X := bb.n
	need(X > 0 && xb.n%X == 0, "AddBias: %d not a multiple of %d", xb.n, X)
	be.enter()
	defer be.leave()
	g, t := elem(xb.n)
	be.launch("add_bias", g, t, 0, xb.p, bb.p, xb.n, X, xb.n, 0)
}

// AddBiases sets x[k, r, j] += bias[k stride + j] (kernel add_bias, one
// launch for the K biases). Matches cpu Backend.AddBiases.
func (be *Backend) AddBiases(x, bias compute.Buffer, K, W, stride int) {
	xb, bb := be.buf(x), be.buf(bias)
	need(K > 0 && W > 0 && stride >= W && xb.n%(K*W) == 0 && bb.n >= (K-1)*stride+W, "AddBiases shapes")
	be.enter()
	defer be.leave()
	g, t := elem(xb.n)
	be.launch("add_bias", g, t, 0, xb.p, bb.p, xb.n, W, xb.n/K, stride)
}

// BiasGrads sets dbias[k stride + j] += sum_r dy[k, r, j] (colsum with a
// grid z of K, one launch: two deterministic passes, float64 sums, each
// matrix summed as BiasGrad sums it). Matches cpu Backend.BiasGrads.
func (be *Backend) BiasGrads(dbias, dy compute.Buffer, K, W, stride int) {
	db, d := be.buf(dbias), be.buf(dy)
	need(K > 0 && W > 0 && stride >= W && d.n%(K*W) == 0 && db.n >= (K-1)*stride+W, "BiasGrads shapes")
	N := d.n / (K * W)
	be.enter()
	defer be.leave()
	be.colSumRows(db, d, N, W, colRows(N, W), K, stride)
}

// BiasGrad sets dbias[j] += sum_r dy[r, j] (colSum: two deterministic
// passes over row blocks, float64 sums). Matches cpu Backend.BiasGrad.
func (be *Backend) BiasGrad(dbias, dy compute.Buffer) {
	db, d := be.buf(dbias), be.buf(dy)
	X := db.n
	need(X > 0 && d.n%X == 0, "BiasGrad: %d not a multiple of %d", d.n, X)
	be.enter()
	defer be.leave()
	be.colSum(db, d, d.n/X, X)
}

// AddRows sets x[r, j] += p[r mod P, j] (kernel add_rows). Matches cpu Backend.AddRows.
func (be *Backend) AddRows(x, p compute.Buffer, P int) {
	xb, pb := be.buf(x), be.buf(p)
	need(P > 0 && pb.n%P == 0, "AddRows: p has %d elements, not a multiple of P=%d", pb.n, P)
	X := pb.n / P
	need(X > 0 && xb.n%X == 0, "AddRows: x has %d elements, not a multiple of the row width %d", xb.n, X)
	be.enter()
	defer be.leave()
	g, t := elem(xb.n)
	be.launch("add_rows", g, t, 0, xb.p, pb.p, xb.n, X, P)
}

// AddRowsGrad sets dp[r mod P, j] += dx[r, j] (kernel add_rows_grad,
// deterministic). Matches cpu Backend.AddRowsGrad.
func (be *Backend) AddRowsGrad(dp, dx compute.Buffer, P int) {
	pb, xb := be.buf(dp), be.buf(dx)
	need(P > 0 && pb.n%P == 0, "AddRowsGrad shapes: dp %d, P %d", pb.n, P)
	X := pb.n / P
	need(X > 0 && xb.n%X == 0, "AddRowsGrad: dx has %d elements, not a multiple of the row width %d", xb.n, X)
	be.enter()
	defer be.leave()
	g, t := colGrid(X, P)
	be.launch("add_rows_grad", g, t, 0, pb.p, xb.p, xb.n/X, X, P)
}

// GatherRows sets dst[i, :] = src[idx[i], :] (kernel gather_rows). An index
// out of range cannot panic on the device: Sync reports it. Matches cpu Backend.GatherRows.
func (be *Backend) GatherRows(dst, src, idx compute.Buffer, w int) {
	d, s, ix := be.buf(dst), be.buf(src), be.buf(idx)
	need(w > 0 && d.n == ix.n*w, "GatherRows: dst %d != %d rows x %d", d.n, ix.n, w)
	be.enter()
	defer be.leave()
	g, t := elem(d.n)
	be.launch("gather_rows", g, t, 0, d.p, s.p, ix.p, d.n, w, s.n/w, be.errw)
}

// ScatterAddRows sets dst[idx[i], :] += src[i, :] (kernel scatter_add_rows:
// one thread per column adds the rows in order, no atomics, so repeated
// indices accumulate in the CPU's order). Matches cpu Backend.ScatterAddRows
// bit for bit.
func (be *Backend) ScatterAddRows(dst, src, idx compute.Buffer, w int) {
	d, s, ix := be.buf(dst), be.buf(src), be.buf(idx)
	need(w > 0 && s.n == ix.n*w, "ScatterAddRows: src %d != %d rows x %d", s.n, ix.n, w)
	be.enter()
	defer be.leave()
	gridCells(s.n)
	g, t := elem(w)
	be.launch("scatter_add_rows", g, t, 0, d.p, s.p, ix.p, ix.n, w, d.n/w, be.errw)
}

// TimestepEmbedding sets emb [B, dim] from t [B] (kernel timestep_embedding,
// float64 as on the CPU). Matches cpu Backend.TimestepEmbedding.
func (be *Backend) TimestepEmbedding(emb, t compute.Buffer, dim int, scale float32) {
	e, tb := be.buf(emb), be.buf(t)
	need(dim > 0 && dim%2 == 0 && e.n == tb.n*dim, "TimestepEmbedding: emb %d != B %d x dim %d (dim even)", e.n, tb.n, dim)
	be.enter()
	defer be.leave()
	g, th := elem(tb.n * dim / 2)
	be.launch("timestep_embedding", g, th, 0, e.p, tb.p, tb.n, dim/2, scale)
}
