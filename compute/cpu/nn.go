package cpu

import (
	"math"

	"github.com/latentflow/latentflow/compute"
)

// AddBias sets x[r,j] += bias[j]; x (N, X), bias (X).
func (be *Backend) AddBias(x, bias compute.Buffer) {
	xs, bs := Data(x), Data(bias)
	X := len(bs)
	need(X > 0 && len(xs)%X == 0, "AddBias: %d not a multiple of %d", len(xs), X)
	be.parallel(len(xs)/X, X, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			addTo(xs[r*X:(r+1)*X], bs)
		}
	})
}

// BiasGrad sets dbias[j] += sum_r dy[r,j]; dy (N, X).
func (be *Backend) BiasGrad(dbias, dy compute.Buffer) {
	db, d := Data(dbias), Data(dy)
	X := len(db)
	need(X > 0 && len(d)%X == 0, "BiasGrad: %d not a multiple of %d", len(d), X)
	N := len(d) / X
	be.parallel(X, N, func(lo, hi int) {
		acc := make([]float64, hi-lo)
		colSums64(acc, d, X, lo, N)
		for j, a := range acc {
			db[lo+j] += float32(a)
		}
	})
}

// AddBiases sets x[k, r, j] += bias[k stride + j]: AddBias of each of the
// K stacked [N, W] blocks of x with its bias.
func (be *Backend) AddBiases(x, bias compute.Buffer, K, W, stride int) {
	xs, bs := Data(x), Data(bias)
	need(K > 0 && W > 0 && stride >= W && len(xs)%(K*W) == 0 && len(bs) >= (K-1)*stride+W, "AddBiases shapes")
	n := len(xs) / K
	for k := range K {
		be.AddBias(&Buf{D: xs[k*n : (k+1)*n]}, &Buf{D: bs[k*stride : k*stride+W]})
	}
}

// BiasGrads sets dbias[k stride + j] += sum_r dy[k, r, j]: BiasGrad of each
// of the K stacked [N, W] blocks of dy.
func (be *Backend) BiasGrads(dbias, dy compute.Buffer, K, W, stride int) {
	db, d := Data(dbias), Data(dy)
	need(K > 0 && W > 0 && stride >= W && len(d)%(K*W) == 0 && len(db) >= (K-1)*stride+W, "BiasGrads shapes")
	n := len(d) / K
	for k := range K {
		be.BiasGrad(&Buf{D: db[k*stride : k*stride+W]}, &Buf{D: d[k*n : (k+1)*n]})
	}
}

// MultiBiasGrad runs the jobs' BiasGrads in order.
func (be *Backend) MultiBiasGrad(jobs []compute.BiasGradJob) {
	for _, j := range jobs {
		be.BiasGrads(j.DBias, j.DY, j.K, j.W, j.Stride)
	}
}

// AddRows sets x[r,j] += p[r mod P, j]; x (N, X), p (P, X).
func (be *Backend) AddRows(x, p compute.Buffer, P int) {
	xs, ps := Data(x), Data(p)
	need(P > 0 && len(ps)%P == 0, "AddRows: p has %d elements, not a multiple of P=%d", len(ps), P)
	X := len(ps) / P
	need(len(xs)%X == 0, "AddRows: x has %d elements, not a multiple of the row width %d", len(xs), X)
	be.parallel(len(xs)/X, X, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			addTo(xs[r*X:(r+1)*X], ps[(r%P)*X:(r%P+1)*X])
		}
	})
}

// AddRowsGrad sets dp[r mod P, j] += dx[r,j].
func (be *Backend) AddRowsGrad(dp, dx compute.Buffer, P int) {
	ps, xs := Data(dp), Data(dx)
	need(P > 0 && len(ps)%P == 0, "AddRowsGrad shapes: dp %d, P %d", len(ps), P)
	X := len(ps) / P
	need(len(xs)%X == 0, "AddRowsGrad: dx has %d elements, not a multiple of the row width %d", len(xs), X)
	N := len(xs) / X
	be.parallel(P, (N/P+1)*X, func(lo, hi int) {
		for q := lo; q < hi; q++ {
			acc := make([]float64, X)
			for r := q; r < N; r += P {
				for j, v := range xs[r*X : (r+1)*X] {
					acc[j] += float64(v)
				}
			}
			for j, a := range acc {
				ps[q*X+j] += float32(a)
			}
		}
	})
}

// LayerNormMod: y = (x - mean) rstd (1 + scale[b]) + shift[b]; x, y (B*T, D);
// shift, scale (B, D) with row stride ld; mean, rstd (B*T).
func (be *Backend) LayerNormMod(y, mean, rstd, x, shift, scale compute.Buffer, ld, B, T, D int, eps float32) {
	ys, ms, rs, xs, sh, sc := Data(y), Data(mean), Data(rstd), Data(x), Data(shift), Data(scale)
	N := B * T
	need(len(xs) == N*D && len(ys) == N*D && len(ms) == N && len(rs) == N, "LayerNormMod shapes (B=%d T=%d D=%d)", B, T, D)
	need(len(sh) >= (B-1)*ld+D && len(sc) >= (B-1)*ld+D, "LayerNormMod: shift/scale too small for B=%d ld=%d D=%d", B, ld, D)
	be.parallel(N, 8*D, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			b := r / T
			ms[r], rs[r] = lnModRow(ys[r*D:(r+1)*D], xs[r*D:(r+1)*D], sh[b*ld:b*ld+D], sc[b*ld:b*ld+D], eps)
		}
	})
}

// lnModRow is LayerNormMod of one row: y = (x - mean) rstd (1 + scale) + shift;
// it returns the row's mean and rstd.
func lnModRow(y, x, shift, scale []float32, eps float32) (float32, float32) {
	D := float64(len(x))
	mu := sumF64(x) / D
	rstd := 1 / math.Sqrt(sumSqDevF64(x, mu)/D+float64(eps))
	modRow(y, x, shift, scale, float32(mu), float32(rstd))
	return float32(mu), float32(rstd)
}

// LayerNormModBackward: with xhat = (x-mean) rstd and g = dy (1+scale),
//
//	dx += rstd (g - mean_j g - xhat mean_j(g xhat)),
//	dshift[b] = sum_t dy, dscale[b] = sum_t dy xhat.
func (be *Backend) LayerNormModBackward(dx, dshift, dscale, dy, x, mean, rstd, scale compute.Buffer, ld, B, T, D int) {
	dxs, dsh, dsc, dys, xs, ms, rs, sc := Data(dx), Data(dshift), Data(dscale), Data(dy), Data(x), Data(mean), Data(rstd), Data(scale)
	N := B * T
	need(len(xs) == N*D && len(dys) == N*D && len(dxs) == N*D && len(ms) == N && len(rs) == N, "LayerNormModBackward shapes (B=%d T=%d D=%d)", B, T, D)
	need(len(dsh) >= (B-1)*ld+D && len(dsc) >= (B-1)*ld+D && len(sc) >= (B-1)*ld+D, "LayerNormModBackward: modulation views too small")
	be.parallel(B, 12*T*D, func(lo, hi int) {
		g := make([]float32, D)
		for b := lo; b < hi; b++ {
			lnBackSample(b, g, dxs, dsh, dsc, dys, xs, ms, rs, sc, ld, T, D)
		}
	})
}

// lnBackSample is LayerNormModBackward of sample b (its T rows); g is scratch
// of D elements.
func lnBackSample(b int, g, dxs, dsh, dsc, dys, xs, ms, rs, sc []float32, ld, T, D int) {
	scr := sc[b*ld : b*ld+D]
	dshr, dscr := dsh[b*ld:b*ld+D], dsc[b*ld:b*ld+D]
	clear(dshr)
	clear(dscr)
	for r := b * T; r < (b+1)*T; r++ {
		xr, dyr, dxr := xs[r*D:(r+1)*D], dys[r*D:(r+1)*D], dxs[r*D:(r+1)*D]
		mu, rstdr := ms[r], rs[r]
		sg, sgx := lnBackRow(dshr, dscr, g, dyr, xr, scr, mu, rstdr)
		lnBackDx(dxr, g, xr, mu, rstdr, float32(sg/float64(D)), float32(sgx/float64(D)))
	}
}

// GatedResidual sets x[r,j] += gate[b,j] y[r,j].
func (be *Backend) GatedResidual(x, gate, y compute.Buffer, ld, B, T, D int) {
	xs, gs, ys := Data(x), Data(gate), Data(y)
	need(len(xs) == B*T*D && len(ys) == B*T*D && len(gs) >= (B-1)*ld+D, "GatedResidual shapes")
	be.parallel(B*T, 2*D, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			g := gs[(r/T)*ld : (r/T)*ld+D]
			gatedAdd(xs[r*D:(r+1)*D], g, ys[r*D:(r+1)*D])
		}
	})
}

// ResidualLayerNormMod is BiasGatedResidual then LayerNormMod of its output.
// The spec is those two ops in turn; this is one pass over the rows, each row
// computed as they compute it.
func (be *Backend) ResidualLayerNormMod(out, x, res, bias, gate compute.Buffer, ldg int, y, mean, rstd, shift, scale compute.Buffer, ld, B, T, D int, eps float32) {
	os, xs, rs, bs, gs := Data(out), Data(x), Data(res), Data(bias), Data(gate)
	ys, ms, ss, sh, sc := Data(y), Data(mean), Data(rstd), Data(shift), Data(scale)
	N := B * T
	need(len(bs) == D && len(os) == N*D && len(xs) == N*D && len(rs) == N*D && len(gs) >= (B-1)*ldg+D, "ResidualLayerNormMod: residual shapes (B=%d T=%d D=%d)", B, T, D)
	need(len(ys) == N*D && len(ms) == N && len(ss) == N && len(sh) >= (B-1)*ld+D && len(sc) >= (B-1)*ld+D, "ResidualLayerNormMod: layer norm shapes (B=%d T=%d D=%d)", B, T, D)
	be.parallel(N, 10*D, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			b := r / T
			or := os[r*D : (r+1)*D]
			biasGatedRow(or, xs[r*D:(r+1)*D], rs[r*D:(r+1)*D], bs, gs[b*ldg:b*ldg+D])
			ms[r], ss[r] = lnModRow(ys[r*D:(r+1)*D], or, sh[b*ld:b*ld+D], sc[b*ld:b*ld+D], eps)
		}
	})
}

// biasGatedRow is BiasGatedResidual of one row: y += bias, out = x + gate y.
func biasGatedRow(out, x, y, bias, gate []float32) {
	addTo(y, bias)
	if &out[0] != &x[0] {
		copy(out, x)
	}
	gatedAdd(out, gate, y)
}

// LayerNormModBackwardGated is LayerNormModBackward then GatedResidualBackward
// of the branch before the layer norm, which reads dx.
func (be *Backend) LayerNormModBackwardGated(dx, dshift, dscale, dy, x, mean, rstd, scale compute.Buffer, ld int,
	gdy, gdgate, gate, gy compute.Buffer, ldg, B, T, D int) {
	dxs, dsh, dsc, dys, xs, ms, rs, sc := Data(dx), Data(dshift), Data(dscale), Data(dy), Data(x), Data(mean), Data(rstd), Data(scale)
	gdys, gdgs, gs, gys := Data(gdy), Data(gdgate), Data(gate), Data(gy)
	N := B * T
	need(len(xs) == N*D && len(dys) == N*D && len(dxs) == N*D && len(ms) == N && len(rs) == N, "LayerNormModBackwardGated shapes (B=%d T=%d D=%d)", B, T, D)
	need(len(dsh) >= (B-1)*ld+D && len(dsc) >= (B-1)*ld+D && len(sc) >= (B-1)*ld+D, "LayerNormModBackwardGated: modulation views too small")
	need(len(gys) == N*D && len(gdys) == N*D && len(gs) >= (B-1)*ldg+D && len(gdgs) >= (B-1)*ldg+D, "LayerNormModBackwardGated: gated residual shapes")
	// One pass over the samples: each sample's dx is complete when its
	// gated residual backward reads it.
	be.parallel(B, 16*T*D, func(lo, hi int) {
		g := make([]float32, D)
		for b := lo; b < hi; b++ {
			lnBackSample(b, g, dxs, dsh, dsc, dys, xs, ms, rs, sc, ld, T, D)
			gatedBackSample(b, gdys, gdgs, dxs, gs, gys, ldg, T, D)
		}
	})
}

// BiasGatedResidual sets y += bias, then out = x + gate y: the spec is
// AddBias, Copy and GatedResidual in turn.
// This is one pass over the rows, each computed as those ops compute it.
func (be *Backend) BiasGatedResidual(out, x, y, bias, gate compute.Buffer, ld, B, T, D int) {
	os, xs, ys, bs, gs := Data(out), Data(x), Data(y), Data(bias), Data(gate)
	need(len(bs) == D && len(os) == B*T*D && len(xs) == B*T*D && len(ys) == B*T*D && len(gs) >= (B-1)*ld+D, "BiasGatedResidual shapes")
	be.parallel(B*T, 3*D, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			b := r / T
			biasGatedRow(os[r*D:(r+1)*D], xs[r*D:(r+1)*D], ys[r*D:(r+1)*D], bs, gs[b*ld:b*ld+D])
		}
	})
}

// GatedResidualBackward sets dy = gate dx and dgate[b] = sum_t dx y.
func (be *Backend) GatedResidualBackward(dy, dgate, dx, gate, y compute.Buffer, ld, B, T, D int) {
	dys, dgs, dxs, gs, ys := Data(dy), Data(dgate), Data(dx), Data(gate), Data(y)
	need(len(dxs) == B*T*D && len(ys) == B*T*D && len(dys) == B*T*D && len(gs) >= (B-1)*ld+D && len(dgs) >= (B-1)*ld+D, "GatedResidualBackward shapes")
	be.parallel(B, 4*T*D, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			gatedBackSample(b, dys, dgs, dxs, gs, ys, ld, T, D)
		}
	})
}

// gatedBackSample is GatedResidualBackward of sample b (its T rows).
func gatedBackSample(b int, dys, dgs, dxs, gs, ys []float32, ld, T, D int) {
	g, dg := gs[b*ld:b*ld+D], dgs[b*ld:b*ld+D]
	clear(dg)
	for r := b * T; r < (b+1)*T; r++ {
		gatedBack(dg, dys[r*D:(r+1)*D], g, dxs[r*D:(r+1)*D], ys[r*D:(r+1)*D])
	}
}

const geluC = 0.7978845608028654 // sqrt(2/pi)

// Gelu sets y = x/2 (1 + tanh(u)), u = sqrt(2/pi)(x + 0.044715 x^3), computed as
// x sigmoid(2u) (the same function: 1 + tanh(u) = 2 sigmoid(2u), without the
// cancellation of 1 + tanh for negative u).
func (be *Backend) Gelu(y, x compute.Buffer) {
	ys, xs := Data(y), Data(x)
	need(len(ys) == len(xs), "Gelu lengths %d, %d", len(ys), len(xs))
	be.parallel(len(xs), 30, func(lo, hi int) {
		geluSlice(ys[lo:hi], xs[lo:hi])
	})
}

// BiasGelu sets x += bias and y = gelu(x): the spec is AddBias then Gelu.
// With rows a multiple of 8 wide this is one pass over the rows (each element
// gets the bits of the two passes: the vector loops cover whole rows).
func (be *Backend) BiasGelu(y, x, bias compute.Buffer) {
	ys, xs, bs := Data(y), Data(x), Data(bias)
	W := len(bs)
	need(W > 0 && len(xs)%W == 0 && len(ys) == len(xs), "BiasGelu shapes: x %d, y %d, bias %d", len(xs), len(ys), W)
	if W%8 != 0 {
		be.AddBias(x, bias)
		be.Gelu(y, x)
		return
	}
	be.parallel(len(xs)/W, 32*W, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr := xs[r*W : (r+1)*W]
			addTo(xr, bs)
			geluSlice(ys[r*W:(r+1)*W], xr)
		}
	})
}

// GeluBackward sets dx = dy gelu'(x); with s = sigmoid(2u) = (1 + tanh u)/2,
// gelu'(x) = s + 2 x s (1 - s) sqrt(2/pi) (1 + 3*0.044715 x^2).
func (be *Backend) GeluBackward(dx, dy, x compute.Buffer) {
	dxs, dys, xs := Data(dx), Data(dy), Data(x)
	need(len(dxs) == len(xs) && len(dys) == len(xs), "GeluBackward lengths")
	be.parallel(len(xs), 40, func(lo, hi int) {
		geluBackwardSlice(dxs[lo:hi], dys[lo:hi], xs[lo:hi])
	})
}

// SiLU sets y = x sigmoid(x).
func (be *Backend) SiLU(y, x compute.Buffer) {
	ys, xs := Data(y), Data(x)
	need(len(ys) == len(xs), "SiLU lengths %d, %d", len(ys), len(xs))
	be.parallel(len(xs), 20, func(lo, hi int) {
		siluSlice(ys[lo:hi], xs[lo:hi])
	})
}

// BiasSiLU sets x += bias and y = silu(x): AddBias then SiLU (the
// conditioning's (B, D) rows: the composition itself).
func (be *Backend) BiasSiLU(y, x, bias compute.Buffer) {
	xs, bs, ys := Data(x), Data(bias), Data(y)
	W := len(bs)
	need(W > 0 && len(xs)%W == 0 && len(ys) == len(xs), "BiasSiLU shapes: x %d, y %d, bias %d", len(xs), len(ys), W)
	be.AddBias(x, bias)
	be.SiLU(y, x)
}

// SiLUBackward sets dx = dy (s + x s (1 - s)), s = sigmoid(x).
func (be *Backend) SiLUBackward(dx, dy, x compute.Buffer) {
	dxs, dys, xs := Data(dx), Data(dy), Data(x)
	need(len(dxs) == len(xs) && len(dys) == len(xs), "SiLUBackward lengths")
	be.parallel(len(xs), 20, func(lo, hi int) {
		siluBackwardSlice(dxs[lo:hi], dys[lo:hi], xs[lo:hi])
	})
}

// TimestepEmbedding sets emb[b] = (cos(scale t_b f_i), sin(scale t_b f_i)), f_i = 10000^(-i/half).
func (be *Backend) TimestepEmbedding(emb, t compute.Buffer, dim int, scale float32) {
	es, ts := Data(emb), Data(t)
	need(dim > 0 && dim%2 == 0 && len(es) == len(ts)*dim, "TimestepEmbedding: emb %d != B %d x dim %d (dim even)", len(es), len(ts), dim)
	half := dim / 2
	f := make([]float64, half)
	for i := range f {
		f[i] = math.Exp(-math.Log(10000) * float64(i) / float64(half))
	}
	be.parallel(len(ts), 20*dim, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			row := es[b*dim : (b+1)*dim]
			for i, fi := range f {
				a := float64(scale) * float64(ts[b]) * fi
				row[i] = float32(math.Cos(a))
				row[half+i] = float32(math.Sin(a))
			}
		}
	})
}

// AdamWStep applies one AdamW update (see compute.Backend).
func (be *Backend) AdamWStep(params, grad, m, v compute.Buffer, o compute.AdamW) {
	ps, gs, ms, vs := Data(params), Data(grad), Data(m), Data(v)
	need(len(gs) == len(ps) && len(ms) == len(ps) && len(vs) == len(ps), "AdamWStep lengths")
	need(o.Step >= 1, "AdamWStep: step %d < 1", o.Step)
	bc1, bc2 := compute.BiasCorrections(o.Beta1, o.Beta2, o.Step)
	be.adamW(ps, gs, ms, vs, o, bc1, bc2)
}

// adamW is AdamWStep with the bias corrections given.
func (be *Backend) adamW(ps, gs, ms, vs []float32, o compute.AdamW, bc1, bc2 float32) {
	be.parallel(len(ps), 20, func(lo, hi int) {
		c := adamWConsts{b1: o.Beta1, b2: o.Beta2, lr: o.LR, wd: o.WeightDecay, eps: o.Eps, gscale: o.GradScale, bc1: bc1, bc2: bc2}
		adamWSlice(ps[lo:hi], gs[lo:hi], ms[lo:hi], vs[lo:hi], c)
	})
}

// clipBlock is the block of GradClipScale's sum of squares: partial sums of
// clipBlock cells in float64, added in block order (deterministic).
const clipBlock = 1 << 14

// GradClipScale writes the clipping factor, the norm and the divergence flag
// of g into scale[0:3] (see compute.Backend).
func (be *Backend) GradClipScale(scale, g compute.Buffer, maxNorm float32) {
	sc, gs := Data(scale), Data(g)
	need(len(sc) == 3, "GradClipScale: scale has %d elements, want 3", len(sc))
	ss := be.sumBlocks(len(gs), clipBlock, 2, func(lo, hi int) float64 {
		var s float64
		for _, v := range gs[lo:hi] {
			s += float64(v) * float64(v)
		}
		return s
	})
	n := math.Sqrt(ss)
	sc[0] = clipFactor(n, maxNorm)
	sc[1] = float32(n)
	if math.IsNaN(n) || math.IsInf(n, 0) {
		sc[2] = 1
	}
}

// clipFactor is scale[0] of GradClipScale for the norm n.
func clipFactor(n float64, maxNorm float32) float32 {
	if maxNorm <= 0 || n <= float64(maxNorm) {
		return 1
	}
	return float32(float64(maxNorm) / n)
}

// AdamWStepDev is AdamWStep with GradScale multiplied by scale[0].
func (be *Backend) AdamWStepDev(params, grad, m, v, scale compute.Buffer, o compute.AdamW) {
	sc := Data(scale)
	need(len(sc) >= 1, "AdamWStepDev: empty scale")
	o.GradScale *= sc[0]
	be.AdamWStep(params, grad, m, v, o)
}

// EMA sets ema = decay ema + (1-decay) params.
func (be *Backend) EMA(ema, params compute.Buffer, decay float32) {
	es, ps := Data(ema), Data(params)
	need(len(es) == len(ps), "EMA lengths")
	be.parallel(len(es), 3, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			es[i] = decay*es[i] + (1-decay)*ps[i]
		}
	})
}
