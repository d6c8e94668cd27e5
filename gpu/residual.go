//go:build cuda || cudaemu

package gpu

import "github.com/latentflow/latentflow/compute"

// Launch wrappers of kernels/residual.cu.

// GatedResidual sets x[r, j] += gate[b, j] y[r, j] (kernel gated_residual).
// Matches cpu Backend.GatedResidual.
func (be *Backend) GatedResidual(x, gate, y compute.Buffer, ld, B, T, D int) {
	xb, gb, yb := be.buf(x), be.buf(gate), be.buf(y)
	need(xb.n == B*T*D && yb.n == B*T*D && gb.n >= (B-1)*ld+D, "GatedResidual shapes")
	be.enter()
	defer be.leave()
	g, t := elem(xb.n)
	be.launch("gated_residual", g, t, 0, xb.p, gb.p, yb.p, xb.n, ld, T, D)
}

// BiasGatedResidual sets y += bias and out = x + gate y (kernel
// bias_gated_residual: one launch for add_bias, copy and gated_residual).
// Matches cpu Backend.BiasGatedResidual.
func (be *Backend) BiasGatedResidual(out, x, y, bias, gate compute.Buffer, ld, B, T, D int) {
	ob, xb, yb, bb, gb := be.buf(out), be.buf(x), be.buf(y), be.buf(bias), be.buf(gate)
	need(ob.n == B*T*D && xb.n == B*T*D && yb.n == B*T*D && bb.n == D && gb.n >= (B-1)*ld+D, "BiasGatedResidual shapes")
	be.enter()
	defer be.leave()
	g, t := elem(ob.n)
	be.launch("bias_gated_residual", g, t, 0, ob.p, xb.p, yb.p, bb.p, gb.p, ob.n, ld, T, D)
}

// GatedResidualBackward sets dy = gate dx and dgate[b] = sum_t dx y, both
// overwritten (kernel gated_residual_bwd, deterministic). Matches cpu
// Backend.GatedResidualBackward.
func (be *Backend) GatedResidualBackward(dy, dgate, dx, gate, y compute.Buffer, ld, B, T, D int) {
	dyb, dgb, dxb, gb, yb := be.buf(dy), be.buf(dgate), be.buf(dx), be.buf(gate), be.buf(y)
	need(dxb.n == B*T*D && yb.n == B*T*D && dyb.n == B*T*D && gb.n >= (B-1)*ld+D && dgb.n >= (B-1)*ld+D, "GatedResidualBackward shapes")
	be.enter()
	defer be.leave()
	g, t := colGrid(D, B)
	be.launch("gated_residual_bwd", g, t, 0, dyb.p, dgb.p, dxb.p, gb.p, yb.p, ld, T, D)
}
