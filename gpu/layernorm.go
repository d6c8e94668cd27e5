//go:build cuda || cudaemu

package gpu

import "github.com/latentflow/latentflow/compute"

// Launch wrappers of kernels/layernorm.cu.

const lnWarps = 4 // LN_WARPS

// LayerNormMod: y = (x - mean) rstd (1 + scale[b]) + shift[b], saving mean and
// rstd (kernel ln_fwd, one warp per row, float64 statistics). Matches cpu
// Backend.LayerNormMod.
func (be *Backend) LayerNormMod(y, mean, rstd, x, shift, scale compute.Buffer, ld, B, T, D int, eps float32) {
	yb, mb, rb, xb, sh, sc := be.buf(y), be.buf(mean), be.buf(rstd), be.buf(x), be.buf(shift), be.buf(scale)
	N := B * T
	need(xb.n == N*D && yb.n == N*D && mb.n == N && rb.n == N, "LayerNormMod shapes (B=%d T=%d D=%d)", B, T, D)
	need(sh.n >= (B-1)*ld+D && sc.n >= (B-1)*ld+D, "LayerNormMod: shift/scale too small for B=%d ld=%d D=%d", B, ld, D)
	be.enter()
	defer be.leave()
	be.launch("ln_fwd", d1((N+lnWarps-1)/lnWarps), d1(32*lnWarps), 0, yb.p, mb.p, rb.p, xb.p, sh.p, sc.p, ld, N, T, D, eps)
}

// ResidualLayerNormMod: BiasGatedResidual and LayerNormMod of its output in
// one launch (kernel residual_ln_fwd, one warp per row). Matches cpu
// Backend.ResidualLayerNormMod.
func (be *Backend) ResidualLayerNormMod(out, x, res, bias, gate compute.Buffer, ldg int, y, mean, rstd, shift, scale compute.Buffer, ld, B, T, D int, eps float32) {
	ob, xb, rsb, bb, gb := be.buf(out), be.buf(x), be.buf(res), be.buf(bias), be.buf(gate)
	yb, mb, rb, sh, sc := be.buf(y), be.buf(mean), be.buf(rstd), be.buf(shift), be.buf(scale)
	N := B * T
	need(ob.n == N*D && xb.n == N*D && rsb.n == N*D && bb.n == D && gb.n >= (B-1)*ldg+D, "ResidualLayerNormMod: residual shapes (B=%d T=%d D=%d)", B, T, D)
	need(yb.n == N*D && mb.n == N && rb.n == N && sh.n >= (B-1)*ld+D && sc.n >= (B-1)*ld+D, "ResidualLayerNormMod: layer norm shapes (B=%d T=%d D=%d)", B, T, D)
	be.enter()
	defer be.leave()
	be.launch("residual_ln_fwd", d1((N+lnWarps-1)/lnWarps), d1(32*lnWarps), 0, ob.p, xb.p, rsb.p, bb.p, gb.p, ldg,
		yb.p, mb.p, rb.p, sh.p, sc.p, ld, N, T, D, eps)
}

// LayerNormModBackwardGated: ln_bwd_dx, then the modulation sums and the
// gated residual's backward in one launch (kernel ln_bwd_mod_gated, the
// grid of ln_bwd_mod and gated_residual_bwd). Matches cpu
// Backend.LayerNormModBackwardGated.
func (be *Backend) LayerNormModBackwardGated(dx, dshift, dscale, dy, x, mean, rstd, scale compute.Buffer, ld int,
	gdy, gdgate, gate, gy compute.Buffer, ldg, B, T, D int) {
	dxb, dsh, dsc, dyb, xb, mb, rb, sc := be.buf(dx), be.buf(dshift), be.buf(dscale), be.buf(dy), be.buf(x), be.buf(mean), be.buf(rstd), be.buf(scale)
	gdyb, gdgb, gb, gyb := be.buf(gdy), be.buf(gdgate), be.buf(gate), be.buf(gy)
	N := B * T
	need(xb.n == N*D && dyb.n == N*D && dxb.n == N*D && mb.n == N && rb.n == N, "LayerNormModBackwardGated shapes (B=%d T=%d D=%d)", B, T, D)
	need(dsh.n >= (B-1)*ld+D && dsc.n >= (B-1)*ld+D && sc.n >= (B-1)*ld+D, "LayerNormModBackwardGated: modulation views too small")
	need(gdyb.n == N*D && gyb.n == N*D && gb.n >= (B-1)*ldg+D && gdgb.n >= (B-1)*ldg+D, "LayerNormModBackwardGated: gated residual shapes")
	be.enter()
	defer be.leave()
	be.launch("ln_bwd_dx", d1((N+lnWarps-1)/lnWarps), d1(32*lnWarps), 0, dxb.p, dyb.p, xb.p, mb.p, rb.p, sc.p, ld, N, T, D)
	g, t := colGrid(D, B)
	be.launch("ln_bwd_mod_gated", g, t, 0, dsh.p, dsc.p, dyb.p, xb.p, mb.p, rb.p, ld, gdyb.p, gdgb.p, dxb.p, gb.p, gyb.p, ldg, T, D)
}

// LayerNormModBackward: dx += the gradient through the normalisation (kernel
// ln_bwd_dx), dshift and dscale overwritten with the per-sample sums (kernel
// ln_bwd_mod, deterministic). Matches cpu Backend.LayerNormModBackward.
func (be *Backend) LayerNormModBackward(dx, dshift, dscale, dy, x, mean, rstd, scale compute.Buffer, ld, B, T, D int) {
	dxb, dsh, dsc, dyb, xb, mb, rb, sc := be.buf(dx), be.buf(dshift), be.buf(dscale), be.buf(dy), be.buf(x), be.buf(mean), be.buf(rstd), be.buf(scale)
	N := B * T
	need(xb.n == N*D && dyb.n == N*D && dxb.n == N*D && mb.n == N && rb.n == N, "LayerNormModBackward shapes (B=%d T=%d D=%d)", B, T, D)
	need(dsh.n >= (B-1)*ld+D && dsc.n >= (B-1)*ld+D && sc.n >= (B-1)*ld+D, "LayerNormModBackward: modulation views too small")
	be.enter()
	defer be.leave()
	be.launch("ln_bwd_dx", d1((N+lnWarps-1)/lnWarps), d1(32*lnWarps), 0, dxb.p, dyb.p, xb.p, mb.p, rb.p, sc.p, ld, N, T, D)
	g, t := colGrid(D, B)
	be.launch("ln_bwd_mod", g, t, 0, dsh.p, dsc.p, dyb.p, xb.p, mb.p, rb.p, ld, T, D)
}
