//go:build cuda || cudaemu

package gpu

import (
	"math"

	"github.com/latentflow/latentflow/compute"
)

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

// LayerNormModBackwardGated: LayerNormModBackward and the backward of the
// gated residual branch before the layer norm, whose output gradient is dx
// (gdy = gate dx overwritten, gdgate = the per-sample sums of dx gy), in one
// launch (kernel ln_bwd, gated). Matches cpu Backend.LayerNormModBackwardGated.
func (be *Backend) LayerNormModBackwardGated(dx, dshift, dscale, dy, x, mean, rstd, scale compute.Buffer, ld int,
	gdy, gdgate, gate, gy compute.Buffer, ldg, B, T, D int) {
	g := &lnGated{be.buf(gdy), be.buf(gdgate), be.buf(gate), be.buf(gy), ldg}
	be.lnBackward("LayerNormModBackwardGated", 0, dx, dshift, dscale, dy, x, mean, rstd, scale, ld, g, B, T, D)
}

// LayerNormModBackwardGatedRows is LayerNormModBackwardGated with R rows of
// a sample per ln_bwd block (1 <= R; LayerNormModBackwardGated picks R with
// lnRows): the kernel bench times the row-block size with it.
func (be *Backend) LayerNormModBackwardGatedRows(R int, dx, dshift, dscale, dy, x, mean, rstd, scale compute.Buffer, ld int,
	gdy, gdgate, gate, gy compute.Buffer, ldg, B, T, D int) {
	need(R >= 1, "LayerNormModBackwardGatedRows: R = %d, want >= 1", R)
	g := &lnGated{be.buf(gdy), be.buf(gdgate), be.buf(gate), be.buf(gy), ldg}
	be.lnBackward("LayerNormModBackwardGatedRows", R, dx, dshift, dscale, dy, x, mean, rstd, scale, ld, g, B, T, D)
}

// LayerNormModBackward: dx += the gradient through the normalisation,
// dshift and dscale overwritten with the per-sample sums (kernel ln_bwd,
// one launch, deterministic). Matches cpu Backend.LayerNormModBackward.
func (be *Backend) LayerNormModBackward(dx, dshift, dscale, dy, x, mean, rstd, scale compute.Buffer, ld, B, T, D int) {
	be.lnBackward("LayerNormModBackward", 0, dx, dshift, dscale, dy, x, mean, rstd, scale, ld, nil, B, T, D)
}

// lnGated are the gated residual branch's buffers of LayerNormModBackwardGated.
type lnGated struct {
	gdy, gdgate, gate, gy *Buf
	ldg                   int
}

// Row blocks of ln_bwd: about lnTargetBlocks blocks in all (B of them at
// least), at most ceil(T / lnMinRows) per sample, rows split evenly (the
// sums' order depends on B and T only).
const (
	lnTargetBlocks = 512
	lnMinRows      = 16
)

// lnRows returns R, the rows of a sample per ln_bwd block.
func lnRows(B, T int) int {
	nb := min(max(1, (lnTargetBlocks+B-1)/B), max(1, (T+lnMinRows-1)/lnMinRows))
	return (T + nb - 1) / nb
}

// lnBackward launches ln_bwd (g nil: not gated) with R rows per block (0:
// lnRows' choice), its float64 partials and tickets in the column sums'
// scratch (colScratch).
func (be *Backend) lnBackward(op string, R int, dx, dshift, dscale, dy, x, mean, rstd, scale compute.Buffer, ld int, g *lnGated, B, T, D int) {
	dxb, dsh, dsc, dyb, xb, mb, rb, sc := be.buf(dx), be.buf(dshift), be.buf(dscale), be.buf(dy), be.buf(x), be.buf(mean), be.buf(rstd), be.buf(scale)
	N := B * T
	need(xb.n == N*D && dyb.n == N*D && dxb.n == N*D && mb.n == N && rb.n == N, "%s shapes (B=%d T=%d D=%d)", op, B, T, D)
	need(dsh.n >= (B-1)*ld+D && dsc.n >= (B-1)*ld+D && sc.n >= (B-1)*ld+D, "%s: modulation views too small", op)
	need(g == nil || g.gdy.n == N*D && g.gy.n == N*D && g.gate.n >= (B-1)*g.ldg+D && g.gdgate.n >= (B-1)*g.ldg+D,
		"%s: gated residual shapes", op)
	if N == 0 {
		return
	}
	if R == 0 {
		R = lnRows(B, T)
	}
	nb := (T + R - 1) / R
	need(nb <= math.MaxUint16, "%s: %d row blocks per sample exceed the CUDA grid's y limit", op, nb)
	gated, nk := 0, 2
	var gdy, gdg, gate, gy devptr
	ldg := 0
	if g != nil {
		gated, nk = 1, 3
		gdy, gdg, gate, gy, ldg = g.gdy.p, g.gdgate.p, g.gate.p, g.gy.p, g.ldg
	}
	be.enter()
	defer be.leave()
	part, ticket := devptr(0), devptr(0)
	if nb > 1 {
		part, ticket = be.colScratch(B*nb*nk*D, B, op)
	}
	be.launch("ln_bwd", dim{B, nb, 1}, d1(32*lnWarps), 0, dxb.p, dsh.p, dsc.p, dyb.p, xb.p, mb.p, rb.p, sc.p, ld,
		gdy, gdg, gate, gy, ldg, gated, part, ticket, T, D, R)
}
