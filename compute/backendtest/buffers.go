package backendtest

import (
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// TestBuffers checks Alloc (zeroed, also after a Free), Len, Slice (nested
// views, views out of range panic), Upload and Download (partial copies into
// and out of views) and Sync.
func TestBuffers(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	s.run(t, "Alloc", func(t *testing.T) {
		for _, n := range []int{1, 7, 1000, 4099} {
			for round := range 2 {
				x := b.Alloc(n)
				if x.Len() != n {
					t.Errorf("Alloc(%d).Len() = %d", n, x.Len())
				}
				got := filled(n, nan)
				b.Download(got, x)
				for i, v := range got {
					if v != 0 {
						t.Errorf("Alloc(%d) (round %d): cell %d = %v, want 0", n, round, i, v)
						break
					}
				}
				// Dirty it before freeing: a pooling allocator must zero the next one.
				b.Fill(x, 3)
				if err := b.Sync(); err != nil {
					t.Fatalf("Sync: %v", err)
				}
				b.Free(x)
			}
		}
	})
	s.run(t, "Slice", func(t *testing.T) {
		p := s.region("p", s.normal(40, 1))
		v1 := p.sub(5, 20)
		v2 := b.Slice(v1, 3, 10) // cells 8..17 of p's view
		if v1.Len() != 20 || v2.Len() != 10 {
			t.Errorf("view lengths %d, %d, want 20, 10", v1.Len(), v2.Len())
		}
		got := make([]float32, 10)
		b.Download(got, v2)
		for i, v := range got {
			if v != p.data()[8+i] {
				t.Errorf("Download of a view of a view: cell %d = %v, want %v", i, v, p.data()[8+i])
			}
		}
		// A prefix of a view.
		got = got[:4]
		b.Download(got, v1)
		for i, v := range got {
			if v != p.data()[5+i] {
				t.Errorf("Download of 4 cells of a view: cell %d = %v, want %v", i, v, p.data()[5+i])
			}
		}
		// Upload into a view of a view, and a short upload into a view.
		e := p.expect()
		src := s.normal(10, 1)
		b.Upload(v2, src)
		for i, v := range src {
			e.v[8+i], e.mag[8+i] = float64(v), 0
		}
		short := s.normal(4, 1)
		b.Upload(v1, short)
		for i, v := range short {
			e.v[5+i], e.mag[5+i] = float64(v), 0
		}
		p.check(t, e, 0)
		// Views out of range.
		mustPanic(t, "Slice(off=18, n=3) of 20 cells", func() { b.Slice(v1, 18, 3) })
		mustPanic(t, "Slice(off=-1, n=3)", func() { b.Slice(v1, -1, 3) })
		mustPanic(t, "Slice(off=0, n=-1)", func() { b.Slice(v1, 0, -1) })
		mustPanic(t, "Slice(off=0, n=11) of a 10-cell view", func() { b.Slice(v2, 0, 11) })
		if w := b.Slice(v1, 20, 0); w.Len() != 0 {
			t.Errorf("empty view at the end has Len %d", w.Len())
		}
	})
	s.run(t, "Sync", func(t *testing.T) {
		if err := b.Sync(); err != nil {
			t.Errorf("Sync after correct work: %v", err)
		}
	})
}

// vecSizes are the lengths of the vector tests: tiny, odd, around 4 (float4
// kernels), larger than a GPU block, and large enough for a parallel CPU loop.
var vecSizes = []int{1, 3, 4, 5, 7, 64, 1000, 4099, 40003}

// TestFill checks Fill (exact).
func TestFill(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range vecSizes {
		for _, v := range []float32{0, -1.5, 3.25e-3} {
			s.run(t, shape("n=%d,v=%g", n, v), func(t *testing.T) {
				x := s.out("x", n)
				b.Fill(x.buf, v)
				e := x.expect()
				for i := range e.v {
					e.v[i], e.mag[i] = float64(v), 0
				}
				x.check(t, e, 0)
			})
		}
	}
}

// TestCopy checks Copy (exact).
func TestCopy(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range vecSizes {
		s.run(t, shape("n=%d", n), func(t *testing.T) {
			src := s.region("src", s.normal(n, 1))
			dst := s.out("dst", n)
			b.Copy(dst.buf, src.buf)
			e := dst.expect()
			for i, v := range src.data() {
				e.v[i], e.mag[i] = float64(v), 0
			}
			dst.check(t, e, 0)
			src.unchanged(t)
		})
	}
}

// TestScale checks Scale.
func TestScale(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range vecSizes {
		for _, a := range []float32{0, -1, 0.37, 3} {
			s.run(t, shape("n=%d,a=%g", n, a), func(t *testing.T) {
				x := s.region("x", s.normal(n, 1))
				e := x.expect()
				for i, v := range e.v {
					e.v[i] = float64(a) * v
					e.mag[i] = abs(e.v[i])
				}
				b.Scale(x.buf, a)
				x.check(t, e, s.o.ElemTol)
			})
		}
	}
}

// TestAxpy checks Axpy.
func TestAxpy(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range vecSizes {
		for _, a := range []float32{0, -1, 0.37} {
			s.run(t, shape("n=%d,a=%g", n, a), func(t *testing.T) {
				x := s.region("x", s.normal(n, 1))
				y := s.region("y", s.normal(n, 1))
				e := y.expect()
				for i, xv := range x.f64() {
					ax := float64(a) * xv
					e.mag[i] = abs(e.v[i]) + abs(ax)
					e.v[i] += ax
				}
				b.Axpy(a, x.buf, y.buf)
				y.check(t, e, s.o.ElemTol)
				x.unchanged(t)
			})
		}
	}
}

// TestLinComb checks LinComb with 0 to 12 stages (12: 10 nonzero terms, more
// than one CUDA launch takes: chained), zero coefficients with nil
// buffers and with NaN-filled buffers (which must be skipped, not multiplied
// by 0), and dst aliasing x.
func TestLinComb(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range []int{1, 7, 1000, 40003} {
		for _, nk := range []int{0, 1, 3, 7, 12} {
			for _, alias := range []bool{false, true} {
				s.run(t, shape("n=%d,stages=%d,alias=%t", n, nk, alias), func(t *testing.T) {
					x := s.region("x", s.normal(n, 1))
					coef := make([]float32, nk)
					ks := make([]compute.Buffer, nk)
					kr := make([]*region, nk)
					for i := range nk {
						coef[i] = float32(s.rng.NormFloat64())
						switch {
						case i == 1:
							coef[i] = 0 // nil buffer
							continue
						case i == 2:
							coef[i] = 0 // NaN buffer: must be skipped
							kr[i] = s.out(shape("ks[%d]", i), n)
						default:
							kr[i] = s.region(shape("ks[%d]", i), s.normal(n, 1))
						}
						ks[i] = kr[i].buf
					}
					dst := x
					if !alias {
						dst = s.out("dst", n)
					}
					e := dst.expect()
					xs := x.f64()
					for j := range n {
						v, m := xs[j], abs(xs[j])
						for i, c := range coef {
							if c != 0 {
								term := float64(c) * float64(kr[i].data()[j])
								v += term
								m += abs(term)
							}
						}
						e.v[j], e.mag[j] = v, m
					}
					b.LinComb(dst.buf, x.buf, coef, ks)
					dst.check(t, e, s.o.ElemTol)
					if !alias {
						x.unchanged(t)
					}
					for _, r := range kr {
						if r != nil {
							r.unchanged(t)
						}
					}
				})
			}
		}
	}
}

// redSizes are the lengths of the reduction tests. Over 2^20+1 elements a
// float32 running sum errs by ~4e-4 of the scale: a backend must sum
// pairwise, in blocks or in float64 (compute/cpu).
var redSizes = []int{1, 7, 1000, 65537, 1<<20 + 1}

// TestErrNorm checks ErrNorm (error scale: the result; every term is positive).
func TestErrNorm(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range redSizes {
		for _, tols := range [][2]float32{{1e-3, 1e-6}, {1e-5, 1e-3}} {
			rtol, atol := tols[0], tols[1]
			s.run(t, shape("n=%d,rtol=%g,atol=%g", n, rtol, atol), func(t *testing.T) {
				e := s.region("e", s.normal(n, 1e-4))
				y0 := s.region("y0", s.normal(n, 1))
				y1 := s.region("y1", s.normal(n, 1))
				want := refErrNorm(e.f64(), y0.f64(), y1.f64(), float64(rtol), float64(atol))
				got := b.ErrNorm(e.buf, y0.buf, y1.buf, rtol, atol)
				s.checkScalar(t, "ErrNorm", got, want, want, s.o.ReduceTol)
				e.unchanged(t)
				y0.unchanged(t)
				y1.unchanged(t)
			})
		}
	}
}

// TestSumSquares checks SumSquares (error scale: the result).
func TestSumSquares(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range redSizes {
		s.run(t, shape("n=%d", n), func(t *testing.T) {
			x := s.region("x", s.normal(n, 1))
			var want float64
			for _, v := range x.f64() {
				want += v * v
			}
			s.checkScalar(t, "SumSquares", b.SumSquares(x.buf), want, want, s.o.ReduceTol)
			x.unchanged(t)
		})
	}
}

// TestSum checks Sum (error scale: sum |x_i|).
func TestSum(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range redSizes {
		s.run(t, shape("n=%d", n), func(t *testing.T) {
			x := s.region("x", s.normal(n, 1))
			var want, mag float64
			for i, v := range x.f64() {
				v += 0.25 // a mean, so the sum is not near zero
				x.data()[i] = float32(v)
				want += float64(float32(v))
				mag += abs(v)
			}
			x.upload(x.data())
			s.checkScalar(t, "Sum", b.Sum(x.buf), want, mag, s.o.ReduceTol)
			x.unchanged(t)
		})
	}
}

// refErrNorm is sqrt(mean_i (e_i / (atol + rtol max(|y0_i|, |y1_i|)))^2).
func refErrNorm(e, y0, y1 []float64, rtol, atol float64) float64 {
	var s float64
	for i := range e {
		r := e[i] / (atol + rtol*max(abs(y0[i]), abs(y1[i])))
		s += r * r
	}
	return sqrt(s / float64(len(e)))
}
