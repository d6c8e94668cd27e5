package backendtest

import (
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// gateLayouts place the gate [B, D] as chunk `chunk` of `nchunk` in rows of
// stride ld = nchunk*D + pad: a tight [B, D] tensor, and the third of three
// chunks of a padded modulation tensor.
var gateLayouts = []struct{ nchunk, chunk, pad int }{{1, 0, 0}, {3, 2, 1}}

// TestGatedResidual checks GatedResidual (x += gate y; error scale |x| + |gate y|).
func TestGatedResidual(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range lnShapes {
		for _, l := range gateLayouts {
			B, T, D := sh.B, sh.T, sh.D
			N, ld := B*T, l.nchunk*D+l.pad
			s.run(t, shape("B=%d,T=%d,D=%d,ld=%d", B, T, D, ld), func(t *testing.T) {
				x := s.region("x", s.normal(N*D, 1)).rows(D)
				y := s.region("y", s.normal(N*D, 1)).rows(D)
				mod := s.strided("mod", B, D, ld, l.nchunk, func(n int) []float32 { return s.normal(n, 1) })
				e := x.expect()
				refGatedResidual(e.v, e.mag, mod.f64()[mod.off(l.chunk):], y.f64(), ld, B, T, D)
				b.GatedResidual(x.buf, mod.view(l.chunk), y.buf, ld, B, T, D)
				x.check(t, e, s.o.ElemTol)
				y.unchanged(t)
				mod.unchanged(t)
			})
		}
	}
}

// TestGatedResidualBackward checks GatedResidualBackward: dy = gate dx
// (overwritten; error scale |gate dx|) and dgate = sum_{r in b} dx y
// (overwritten in its chunk of a [B, ld] gradient whose other cells must
// stay; error scale sum |dx y|).
func TestGatedResidualBackward(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range lnShapes {
		for _, l := range gateLayouts {
			B, T, D := sh.B, sh.T, sh.D
			N, ld := B*T, l.nchunk*D+l.pad
			s.run(t, shape("B=%d,T=%d,D=%d,ld=%d", B, T, D, ld), func(t *testing.T) {
				dx := s.region("dx", s.normal(N*D, 1)).rows(D)
				y := s.region("y", s.normal(N*D, 1)).rows(D)
				mod := s.strided("mod", B, D, ld, l.nchunk, func(n int) []float32 { return s.normal(n, 1) })
				dmod := s.strided("dmod", B, D, ld, l.nchunk, func(n int) []float32 { return s.normal(n, 1) })
				d := dmod.data()
				for _, c := range dmod.cells(l.chunk) {
					d[c] = nan
				}
				dmod.upload(d)
				dy := s.out("dy", N*D).rows(D)
				ey, eg := dy.expect(), dmod.expect()
				refGatedResidualBackward(ey.v, ey.mag, eg.v[dmod.off(l.chunk):], eg.mag[dmod.off(l.chunk):],
					dx.f64(), mod.f64()[mod.off(l.chunk):], y.f64(), ld, B, T, D)
				b.GatedResidualBackward(dy.buf, dmod.view(l.chunk), dx.buf, mod.view(l.chunk), y.buf, ld, B, T, D)
				dy.check(t, ey, s.o.ElemTol)
				dmod.check(t, eg, s.o.ReduceTol)
				dx.unchanged(t)
				y.unchanged(t)
				mod.unchanged(t)
			})
		}
	}
}

// refGatedResidual is x[r,j] += gate[r/T, j] y[r,j].
func refGatedResidual(x, xmag, gate, y []float64, ld, B, T, D int) {
	for r := range B * T {
		for j := range D {
			i, gy := r*D+j, gate[(r/T)*ld+j]*y[r*D+j]
			x[i], xmag[i] = x[i]+gy, abs(x[i])+abs(gy)
		}
	}
}

// refGatedResidualBackward is dy = gate dx, dgate[b] = sum_{r in b} dx y.
func refGatedResidualBackward(dy, dymag, dgate, dgatemag, dx, gate, y []float64, ld, B, T, D int) {
	for b := range B {
		for j := range D {
			dgate[b*ld+j], dgatemag[b*ld+j] = 0, 0
		}
	}
	for r := range B * T {
		b := r / T
		for j := range D {
			i := r*D + j
			dy[i] = gate[b*ld+j] * dx[i]
			dymag[i] = abs(dy[i])
			dgate[b*ld+j] += dx[i] * y[i]
			dgatemag[b*ld+j] += abs(dx[i] * y[i])
		}
	}
}

// TestBiasGatedResidual checks BiasGatedResidual: y += bias (error scale
// |y| + |bias|) and out = x + gate y with the new y (error scale |x| +
// |gate| (|y| + |bias|)), into a separate out and in place (out = x).
func TestBiasGatedResidual(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range lnShapes {
		for _, l := range gateLayouts {
			for _, inPlace := range []bool{false, true} {
				B, T, D := sh.B, sh.T, sh.D
				N, ld := B*T, l.nchunk*D+l.pad
				s.run(t, shape("B=%d,T=%d,D=%d,ld=%d,inplace=%t", B, T, D, ld, inPlace), func(t *testing.T) {
					x := s.region("x", s.normal(N*D, 1)).rows(D)
					y := s.region("y", s.normal(N*D, 1)).rows(D)
					bias := s.region("bias", s.normal(D, 1))
					mod := s.strided("mod", B, D, ld, l.nchunk, func(n int) []float32 { return s.normal(n, 1) })
					out := x
					if !inPlace {
						out = s.out("out", N*D).rows(D)
					}
					ey, eo := y.expect(), out.expect()
					refAddRows(ey.v, ey.mag, bias.f64(), 1)
					g, xv := mod.f64()[mod.off(l.chunk):], x.f64()
					for r := range N {
						for j := range D {
							i, gr := r*D+j, g[(r/T)*ld+j]
							eo.v[i] = xv[i] + gr*ey.v[i]
							eo.mag[i] = abs(xv[i]) + abs(gr)*ey.mag[i]
						}
					}
					b.BiasGatedResidual(out.buf, x.buf, y.buf, bias.buf, mod.view(l.chunk), ld, B, T, D)
					y.check(t, ey, s.o.ElemTol)
					out.check(t, eo, s.o.ElemTol)
					if !inPlace {
						x.unchanged(t)
					}
					bias.unchanged(t)
					mod.unchanged(t)
				})
			}
		}
	}
}
