package backendtest

import (
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// lnShapes are (B, T, D) for the layernorm and gated-residual tests, the
// last large enough for a parallel CPU loop; the last two have several row
// blocks per sample in the CUDA backward (4 of 16 rows; 3 of 13, 13 and 11).
var lnShapes = []struct{ B, T, D int }{{1, 1, 1}, {1, 1, 4}, {2, 7, 5}, {3, 4, 64}, {2, 3, 130}, {2, 37, 40}, {4, 64, 72}}

// lnRows returns x [N, D] whose rows have means in [-3, 3] and standard
// deviations in [0.1, 3] (so a one-pass variance loses digits), and one
// constant row (variance 0: only eps keeps rstd finite).
func (s *suite) lnRows(N, D int) []float32 {
	x := make([]float32, N*D)
	for r := range N {
		mu := -3 + 6*s.rng.Float64()
		sd := 0.1 * pow(30, s.rng.Float64())
		if r == 1 {
			sd = 0
		}
		for j := range D {
			x[r*D+j] = float32(mu + sd*s.rng.NormFloat64())
		}
	}
	return x
}

// TestLayerNormMod checks LayerNormMod with shift and scale as chunks 0 and 1
// of a modulation tensor [B, ld], ld = 2D (adjacent) or 2D+3 (padded).
// Error scales: y: (|x| + |mean|) rstd (1 + |scale|) + |shift| (the size of
// the terms of x - mean and of the modulation); mean: mean |x|; rstd: rstd
// (a stable variance is relative-accurate; a one-pass E[x^2] - mean^2 is not
// and fails the rows with a large mean).
func TestLayerNormMod(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	const eps = 1e-5
	for _, sh := range lnShapes {
		for _, pad := range []int{0, 3} {
			B, T, D := sh.B, sh.T, sh.D
			N, ld := B*T, 2*D+pad
			s.run(t, shape("B=%d,T=%d,D=%d,ld=%d", B, T, D, ld), func(t *testing.T) {
				x := s.region("x", s.lnRows(N, D)).rows(D)
				mod := s.strided("mod", B, D, ld, 2, func(n int) []float32 { return s.normal(n, 0.5) })
				y := s.out("y", N*D).rows(D)
				mean := s.out("mean", N)
				rstd := s.out("rstd", N)
				ey, em, er := y.expect(), mean.expect(), rstd.expect()
				m := mod.f64()
				refLayerNormMod(ey.v, ey.mag, em.v, em.mag, er.v, er.mag, x.f64(), m[mod.off(0):], m[mod.off(1):], ld, B, T, D, float64(float32(eps)))
				b.LayerNormMod(y.buf, mean.buf, rstd.buf, x.buf, mod.view(0), mod.view(1), ld, B, T, D, eps)
				y.check(t, ey, s.o.ReduceTol)
				mean.check(t, em, s.o.ReduceTol)
				rstd.check(t, er, s.o.ReduceTol)
				x.unchanged(t)
				mod.unchanged(t)
			})
		}
	}
}

// TestLayerNormModBackward checks LayerNormModBackward on the statistics of
// the reference forward pass, with dx accumulated onto random values and
// dshift, dscale overwritten as chunks 0 and 1 of a [B, ld] gradient whose
// other cells must stay. Error scales: the sums of |terms| of each formula,
// with |xhat| taken as (|x| + |mean|) rstd.
func TestLayerNormModBackward(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	const eps = 1e-5
	for _, sh := range lnShapes {
		for _, pad := range []int{0, 3} {
			B, T, D := sh.B, sh.T, sh.D
			N, ld := B*T, 2*D+pad
			s.run(t, shape("B=%d,T=%d,D=%d,ld=%d", B, T, D, ld), func(t *testing.T) {
				x := s.region("x", s.lnRows(N, D)).rows(D)
				mod := s.strided("mod", B, D, ld, 2, func(n int) []float32 { return s.normal(n, 0.5) })
				m := mod.f64()
				// Statistics of the reference forward, rounded as a backend stores them.
				y, ym := make([]float64, N*D), make([]float64, N*D)
				mv, mm, rv, rm := make([]float64, N), make([]float64, N), make([]float64, N), make([]float64, N)
				refLayerNormMod(y, ym, mv, mm, rv, rm, x.f64(), m[mod.off(0):], m[mod.off(1):], ld, B, T, D, float64(float32(eps)))
				mean := s.region("mean", round32(mv))
				rstd := s.region("rstd", round32(rv))
				dy := s.region("dy", s.normal(N*D, 1)).rows(D)
				dx := s.region("dx", s.normal(N*D, 1)).rows(D)
				// dmod: chunks 0 and 1 are overwritten (NaN before), the padding must stay.
				dmod := s.strided("dmod", B, D, ld, 2, func(n int) []float32 { return filled(n, nan) })
				pads := dmod.data()
				for i := range pads {
					pads[i] = float32(i) + 0.5
				}
				for _, c := range append(dmod.cells(0), dmod.cells(1)...) {
					pads[c] = nan
				}
				dmod.upload(pads)
				edx, edm := dx.expect(), dmod.expect()
				refLayerNormModBackward(edx.v, edx.mag, edm.v[dmod.off(0):], edm.mag[dmod.off(0):], edm.v[dmod.off(1):], edm.mag[dmod.off(1):],
					dy.f64(), x.f64(), mean.f64(), rstd.f64(), m[mod.off(1):], ld, B, T, D)
				b.LayerNormModBackward(dx.buf, dmod.view(0), dmod.view(1), dy.buf, x.buf, mean.buf, rstd.buf, mod.view(1), ld, B, T, D)
				dx.check(t, edx, s.o.ReduceTol)
				dmod.check(t, edm, s.o.ReduceTol)
				for _, r := range []*region{x, mod.region, mean, rstd, dy} {
					r.unchanged(t)
				}
			})
		}
	}
}

// refLayerNormMod is LayerNormMod in float64 (two-pass variance), with the
// error scales of y, mean and rstd.
func refLayerNormMod(y, ymag, mean, meanmag, rstd, rstdmag, x, shift, scale []float64, ld, B, T, D int, eps float64) {
	for r := range B * T {
		b := r / T
		xr := x[r*D : (r+1)*D]
		var mu, mua float64
		for _, v := range xr {
			mu += v
			mua += abs(v)
		}
		mu /= float64(D)
		mua /= float64(D)
		var vr float64
		for _, v := range xr {
			vr += (v - mu) * (v - mu)
		}
		rs := 1 / sqrt(vr/float64(D)+eps)
		mean[r], meanmag[r], rstd[r], rstdmag[r] = mu, mua, rs, rs
		for j, v := range xr {
			sh, sc := shift[b*ld+j], scale[b*ld+j]
			y[r*D+j] = (v-mu)*rs*(1+sc) + sh
			ymag[r*D+j] = (abs(v)+abs(mu))*rs*(1+abs(sc)) + abs(sh)
		}
	}
}

// refLayerNormModBackward is LayerNormModBackward in float64: with
// g = dy (1 + scale) and xhat = (x - mean) rstd,
//
//	dx += rstd (g - mean_j g - xhat mean_j(g xhat)),
//	dshift[b] = sum_{r in b} dy,  dscale[b] = sum_{r in b} dy xhat.
func refLayerNormModBackward(dx, dxmag, dshift, dshiftmag, dscale, dscalemag, dy, x, mean, rstd, scale []float64, ld, B, T, D int) {
	for b := range B {
		for j := range D {
			dshift[b*ld+j], dshiftmag[b*ld+j], dscale[b*ld+j], dscalemag[b*ld+j] = 0, 0, 0, 0
		}
	}
	xh, xha := make([]float64, D), make([]float64, D)
	g, ga := make([]float64, D), make([]float64, D)
	for r := range B * T {
		b := r / T
		mu, rs := mean[r], rstd[r]
		var mg, mgx, mga, mgxa float64
		for j := range D {
			i := r*D + j
			sc := scale[b*ld+j]
			xh[j], xha[j] = (x[i]-mu)*rs, (abs(x[i])+abs(mu))*rs
			g[j], ga[j] = dy[i]*(1+sc), abs(dy[i])*(1+abs(sc))
			mg += g[j]
			mgx += g[j] * xh[j]
			mga += ga[j]
			mgxa += ga[j] * xha[j]
		}
		n := float64(D)
		mg, mgx, mga, mgxa = mg/n, mgx/n, mga/n, mgxa/n
		for j := range D {
			i := r*D + j
			dxmag[i] = abs(dx[i]) + rs*(ga[j]+mga+xha[j]*mgxa)
			dx[i] += rs * (g[j] - mg - xh[j]*mgx)
			dshift[b*ld+j] += dy[i]
			dshiftmag[b*ld+j] += abs(dy[i])
			dscale[b*ld+j] += dy[i] * xh[j]
			dscalemag[b*ld+j] += abs(dy[i]) * xha[j]
		}
	}
}

// TestResidualLayerNormMod checks ResidualLayerNormMod against
// BiasGatedResidual's and LayerNormMod's references: res += bias and out =
// x + gate res (error scales as in TestBiasGatedResidual), then the layer
// norm of out (gate: chunk 2 of a [B, 3D+1] tensor; shift and scale: chunks
// 0 and 1 of a [B, 2D+pad] one). The layer norm's reference reads out in
// float64; its error scales (TestLayerNormMod's) add the effect of out's own
// rounding error: rstd (1 + |scale|) (|dout_j| + mean |dout| + |xhat_j| max
// |xhat| mean |dout|) for y, mean |dout| for mean, rstd^2 mean(|xhat| |dout|)
// for rstd, dout being out's error scale.
func TestResidualLayerNormMod(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	const eps = 1e-5
	for _, sh := range lnShapes {
		for _, pad := range []int{0, 3} {
			B, T, D := sh.B, sh.T, sh.D
			N, ld, ldg := B*T, 2*D+pad, 3*D+1
			s.run(t, shape("B=%d,T=%d,D=%d,ld=%d", B, T, D, ld), func(t *testing.T) {
				x := s.region("x", s.lnRows(N, D)).rows(D)
				res := s.region("res", s.normal(N*D, 0.3)).rows(D)
				bias := s.region("bias", s.normal(D, 0.3))
				gm := s.strided("gate", B, D, ldg, 3, func(n int) []float32 { return s.normal(n, 1) })
				mod := s.strided("mod", B, D, ld, 2, func(n int) []float32 { return s.normal(n, 0.5) })
				out := s.out("out", N*D).rows(D)
				y := s.out("y", N*D).rows(D)
				mean := s.out("mean", N)
				rstd := s.out("rstd", N)
				er, eo := res.expect(), out.expect()
				refAddRows(er.v, er.mag, bias.f64(), 1)
				g, xv := gm.f64()[gm.off(2):], x.f64()
				for r := range N {
					for j := range D {
						i, gr := r*D+j, g[(r/T)*ldg+j]
						eo.v[i] = xv[i] + gr*er.v[i]
						eo.mag[i] = abs(xv[i]) + abs(gr)*er.mag[i]
					}
				}
				ey, em, es := y.expect(), mean.expect(), rstd.expect()
				m := mod.f64()
				refLayerNormMod(ey.v, ey.mag, em.v, em.mag, es.v, es.mag, eo.v, m[mod.off(0):], m[mod.off(1):], ld, B, T, D, float64(float32(eps)))
				for r := range N {
					dout := eo.mag[r*D : (r+1)*D]
					var md, mxd, xmax float64
					xh := make([]float64, D)
					for j := range D {
						xh[j] = abs(eo.v[r*D+j]-em.v[r]) * es.v[r]
						md += dout[j] / float64(D)
						mxd += xh[j] * dout[j] / float64(D)
						xmax = max(xmax, xh[j])
					}
					rs := es.v[r]
					em.mag[r] += md
					es.mag[r] += rs * rs * mxd
					for j := range D {
						sc := m[mod.off(1)+(r/T)*ld+j]
						ey.mag[r*D+j] += rs * (1 + abs(sc)) * (dout[j] + md + xh[j]*xmax*md)
					}
				}
				b.ResidualLayerNormMod(out.buf, x.buf, res.buf, bias.buf, gm.view(2), ldg,
					y.buf, mean.buf, rstd.buf, mod.view(0), mod.view(1), ld, B, T, D, eps)
				res.check(t, er, s.o.ElemTol)
				out.check(t, eo, s.o.ElemTol)
				y.check(t, ey, s.o.ReduceTol)
				mean.check(t, em, s.o.ReduceTol)
				rstd.check(t, es, s.o.ReduceTol)
				for _, r := range []*region{x, bias, gm.region, mod.region} {
					r.unchanged(t)
				}
			})
		}
	}
}

// TestLayerNormModBackwardGated checks LayerNormModBackwardGated against
// LayerNormModBackward's and GatedResidualBackward's references, the second
// reading the first's dx (its error scale carried: |gate| dx's for gdy,
// sum |gy| dx's for gdgate), with gdy a separate buffer and gdy = gy (in
// place, as the model calls it). The gate is chunk 2 of a [B, 3D+1]
// modulation gradient whose other cells must stay.
func TestLayerNormModBackwardGated(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	const eps = 1e-5
	for _, sh := range lnShapes {
		for _, inPlace := range []bool{false, true} {
			B, T, D := sh.B, sh.T, sh.D
			N, ld, ldg := B*T, 2*D+3, 3*D+1
			s.run(t, shape("B=%d,T=%d,D=%d,inplace=%t", B, T, D, inPlace), func(t *testing.T) {
				x := s.region("x", s.lnRows(N, D)).rows(D)
				mod := s.strided("mod", B, D, ld, 2, func(n int) []float32 { return s.normal(n, 0.5) })
				m := mod.f64()
				y, ym := make([]float64, N*D), make([]float64, N*D)
				mv, mm, rv, rm := make([]float64, N), make([]float64, N), make([]float64, N), make([]float64, N)
				refLayerNormMod(y, ym, mv, mm, rv, rm, x.f64(), m[mod.off(0):], m[mod.off(1):], ld, B, T, D, float64(float32(eps)))
				mean := s.region("mean", round32(mv))
				rstd := s.region("rstd", round32(rv))
				dy := s.region("dy", s.normal(N*D, 1)).rows(D)
				dx := s.region("dx", s.normal(N*D, 1)).rows(D)
				dmod := s.strided("dmod", B, D, ld, 2, func(n int) []float32 { return filled(n, nan) })
				gm := s.strided("gate", B, D, ldg, 3, func(n int) []float32 { return s.normal(n, 1) })
				dgm := s.strided("dgate", B, D, ldg, 3, func(n int) []float32 { return s.normal(n, 1) })
				gy := s.region("gy", s.normal(N*D, 1)).rows(D)
				gdy := gy
				if !inPlace {
					gdy = s.out("gdy", N*D).rows(D)
				}
				d := dgm.data()
				for _, c := range dgm.cells(2) {
					d[c] = nan
				}
				dgm.upload(d)
				edx, edm, egy, egd := dx.expect(), dmod.expect(), gdy.expect(), dgm.expect()
				refLayerNormModBackward(edx.v, edx.mag, edm.v[dmod.off(0):], edm.mag[dmod.off(0):], edm.v[dmod.off(1):], edm.mag[dmod.off(1):],
					dy.f64(), x.f64(), mean.f64(), rstd.f64(), m[mod.off(1):], ld, B, T, D)
				gv, yv := gm.f64()[gm.off(2):], gy.f64()
				refGatedResidualBackward(egy.v, egy.mag, egd.v[dgm.off(2):], egd.mag[dgm.off(2):], edx.v, gv, yv, ldg, B, T, D)
				for r := range N {
					bb := r / T
					for j := range D {
						i, k := r*D+j, dgm.off(2)+bb*ldg+j
						egy.mag[i] += abs(gv[bb*ldg+j]) * edx.mag[i]
						egd.mag[k] += abs(yv[i]) * edx.mag[i]
					}
				}
				b.LayerNormModBackwardGated(dx.buf, dmod.view(0), dmod.view(1), dy.buf, x.buf, mean.buf, rstd.buf, mod.view(1), ld,
					gdy.buf, dgm.view(2), gm.view(2), gy.buf, ldg, B, T, D)
				dx.check(t, edx, s.o.ReduceTol)
				dmod.check(t, edm, s.o.ReduceTol)
				gdy.check(t, egy, s.o.ReduceTol)
				dgm.check(t, egd, s.o.ReduceTol)
				for _, r := range []*region{x, mod.region, mean, rstd, dy, gm.region} {
					r.unchanged(t)
				}
				if !inPlace {
					gy.unchanged(t)
				}
			})
		}
	}
}
