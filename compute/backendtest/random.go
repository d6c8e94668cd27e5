package backendtest

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/philox"
)

// randSizes are the lengths of the Philox fills: every remainder mod 4 and
// more than one GPU block.
var randSizes = []int{1, 2, 3, 4, 5, 8, 9, 1001, 4099}

// keys returns three Philox keys: zero, a fresh random one, and one with
// words past 32 bits in Seed and Step.
func (s *suite) keys() []philox.Key {
	return []philox.Key{
		{},
		{Seed: s.rng.Uint64(), Step: s.rng.Uint64(), Stream: s.rng.Uint32()},
		{Seed: 1<<40 + 3, Step: 1<<33 + 5, Stream: 7},
	}
}

// testFill checks a Philox fill against the philox package, bit for bit.
func testFill(t *testing.T, b compute.Backend, o Options, op func(compute.Buffer, philox.Key), ref func(philox.Key, []float32, int)) {
	s := newSuite(t, b, o)
	for _, n := range randSizes {
		for ki := range 3 {
			s.run(t, shape("n=%d,key=%d", n, ki), func(t *testing.T) {
				k := s.keys()[ki]
				x := s.out("x", n)
				want := make([]float32, n)
				ref(k, want, 0)
				e := x.expect()
				for i, v := range want {
					e.v[i], e.mag[i] = float64(v), 0
				}
				op(x.buf, k)
				x.check(t, e, 0)
				if t.Failed() {
					t.Logf("key %+v", k)
				}
			})
		}
	}
}

// TestFillUniform checks FillUniform: bit-identical to philox.Key.FillUniform.
func TestFillUniform(t *testing.T, b compute.Backend, o Options) {
	testFill(t, b, o, b.FillUniform, philox.Key.FillUniform)
}

// TestFillNormal checks FillNormal: bit-identical to philox.Key.FillNormal.
func TestFillNormal(t *testing.T, b compute.Backend, o Options) {
	testFill(t, b, o, b.FillNormal, philox.Key.FillNormal)
}

// TestUniformIndex checks UniformIndex: exactly min(floor(u n), n-1) with the
// product taken in float64 (exact: 24-bit u times n <= 2^24).
func TestUniformIndex(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range []int{1, 2, 7, 1000003, 1<<24 - 1, 1 << 24} {
		for _, size := range []int{1, 5, 333} {
			s.run(t, shape("rows=%d,len=%d", n, size), func(t *testing.T) {
				k := philox.Key{Seed: s.rng.Uint64(), Step: s.rng.Uint64N(1000), Stream: 3}
				idx := s.out("idx", size)
				u := make([]float32, size)
				k.FillUniform(u, 0)
				e := idx.expect()
				for i, v := range u {
					e.v[i] = float64(min(int(math.Floor(float64(v)*float64(n))), n-1))
					e.mag[i] = 0
				}
				b.UniformIndex(idx.buf, n, k)
				idx.check(t, e, 0)
			})
		}
	}
}

// TestLogitNormal checks LogitNormal: t = sigmoid(mean + std z), z the Philox
// normal stream (exact), with error scale t (1 + (1 - t) (|mean| + |std z|)):
// the float32 error of the argument carried through the sigmoid.
func TestLogitNormal(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range []int{1, 5, 1001} {
		for _, p := range [][2]float32{{0, 1}, {-0.5, 0.3}, {1.5, 2}} {
			mean, std := p[0], p[1]
			s.run(t, shape("n=%d,mean=%g,std=%g", n, mean, std), func(t *testing.T) {
				k := philox.Key{Seed: s.rng.Uint64(), Step: s.rng.Uint64N(1000), Stream: 2}
				x := s.out("t", n)
				z := make([]float32, n)
				k.FillNormal(z, 0)
				e := x.expect()
				for i, zv := range z {
					a := float64(mean) + float64(std)*float64(zv)
					v := 1 / (1 + exp(-a))
					e.v[i], e.mag[i] = v, v*(1+(1-v)*(abs(float64(mean))+abs(float64(std)*float64(zv))))
				}
				b.LogitNormal(x.buf, k, mean, std)
				x.check(t, e, s.o.ElemTol)
			})
		}
	}
}

// TestDropLabels checks DropLabels exactly: y[i] = null where u_i < p, u_i
// element i of philox.Key.FillUniform, for p = 0 (nothing changes), 0.1, 0.5,
// 1 (every label dropped) and p equal to one of the uniforms (that label is
// kept: the comparison is strict), with null = K (an extra class) and -1;
// and, in "fraction", that the share of dropped labels over 2^18 is within
// 5 standard deviations of p.
func TestDropLabels(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	const K = 10
	for _, n := range randSizes {
		for ki := range 3 {
			for _, p := range []float32{0, 0.1, 0.5, 1, -1} { // -1: p = u_{n/2}
				name := shape("n=%d,key=%d,p=%g", n, ki, p)
				if p < 0 {
					name = shape("n=%d,key=%d,p=u[%d]", n, ki, n/2)
				}
				s.run(t, name, func(t *testing.T) {
					k := s.keys()[ki]
					u := make([]float32, n)
					k.FillUniform(u, 0)
					if p < 0 {
						p = u[n/2]
					}
					null := float32(K)
					if ki == 1 {
						null = -1
					}
					y := s.region("y", s.labelsOf(n, K))
					e := y.expect()
					for i := range e.v {
						if u[i] < p {
							e.v[i] = float64(null)
						}
						e.mag[i] = 0
					}
					b.DropLabels(y.buf, k, p, null)
					y.check(t, e, 0)
					if t.Failed() {
						t.Logf("key %+v, p %v", k, p)
					}
				})
			}
		}
	}
	for _, p := range []float32{0.1, 0.5} {
		s.run(t, shape("fraction,p=%g", p), func(t *testing.T) {
			const n = 1 << 18
			k := philox.Key{Seed: s.rng.Uint64(), Step: s.rng.Uint64N(1000), Stream: 5}
			y := s.region("y", s.labelsOf(n, K))
			b.DropLabels(y.buf, k, p, K)
			var nulls int
			for _, v := range y.download() {
				if v == K {
					nulls++
				}
			}
			frac, sd := float64(nulls)/n, sqrt(float64(p)*(1-float64(p))/n)
			if abs(frac-float64(p)) > 5*sd {
				t.Errorf("DropLabels(p=%g) dropped %d of %d labels (%.5f, want %g +- %.5f)", p, nulls, n, frac, p, 5*sd)
			}
		})
	}
}
