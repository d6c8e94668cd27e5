package backendtest

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// actInputs returns n draws of N(0, 2^2) that start with the edge values 0,
// +-1e-3, +-5, +-10, +-20 (as many as fit).
func (s *suite) actInputs(n int) []float32 {
	x := s.normal(n, 2)
	copy(x, []float32{0, -1e-3, 1e-3, 5, -5, 10, -10, 20, -20})
	return x
}

var actSizes = []int{1, 7, 1000, 4099}

// GELU (tanh form) constants.
const (
	geluC = 0.7978845608028654 // sqrt(2/pi)
	geluA = 0.044715
)

// refGelu returns gelu_tanh(x) and its error scale
// |x|/2 (1 + |tanh u| + (1 - tanh^2 u) |u|), u = sqrt(2/pi) (x + 0.044715 x^3):
// the terms of x/2 (1 + tanh u) and the float32 error of u carried through tanh.
func refGelu(x float64) (y, mag float64) {
	u := geluC * (x + geluA*x*x*x)
	th := math.Tanh(u)
	ua := geluC * (abs(x) + geluA*abs(x*x*x))
	return 0.5 * x * (1 + th), 0.5 * abs(x) * (1 + abs(th) + (1-th*th)*ua)
}

// refGeluGrad returns gelu_tanh'(x) and its error scale (sum of |terms|, and
// the error of u through tanh).
func refGeluGrad(x float64) (g, mag float64) {
	u := geluC * (x + geluA*x*x*x)
	th := math.Tanh(u)
	ua := geluC * (abs(x) + geluA*abs(x*x*x))
	du := geluC * (1 + 3*geluA*x*x)
	g = 0.5*(1+th) + 0.5*x*(1-th*th)*du
	mag = 0.5*(1+abs(th)) + 0.5*abs(x)*(1+th*th)*du + (1-th*th)*ua*(0.5+abs(x*th)*du)
	return g, mag
}

// refSiLU returns x sigmoid(x) and its error scale |x| s (1 + |x| (1 - s)).
func refSiLU(x float64) (y, mag float64) {
	s := 1 / (1 + exp(-x))
	return x * s, abs(x) * s * (1 + abs(x)*(1-s))
}

// refSiLUGrad returns silu'(x) = s (1 + x (1 - s)) and its error scale
// s (1 + |x| (1 + |x|)) (1 - s is computed with cancellation; the argument
// error moves s by s (1 - s) |x| eps).
func refSiLUGrad(x float64) (g, mag float64) {
	s := 1 / (1 + exp(-x))
	return s * (1 + x*(1-s)), s * (1 + abs(x)*(1+abs(x)))
}

// testAct checks a forward activation y = f(x), y overwritten.
func testAct(t *testing.T, b compute.Backend, o Options, op func(y, x compute.Buffer), ref func(float64) (float64, float64)) {
	s := newSuite(t, b, o)
	for _, n := range actSizes {
		s.run(t, shape("n=%d", n), func(t *testing.T) {
			x := s.region("x", s.actInputs(n))
			y := s.out("y", n)
			e := y.expect()
			for i, v := range x.f64() {
				e.v[i], e.mag[i] = ref(v)
			}
			op(y.buf, x.buf)
			y.check(t, e, s.o.ElemTol)
			x.unchanged(t)
		})
	}
}

// testActBackward checks dx = dy f'(x), dx overwritten, also with dx aliasing dy.
func testActBackward(t *testing.T, b compute.Backend, o Options, op func(dx, dy, x compute.Buffer), ref func(float64) (float64, float64)) {
	s := newSuite(t, b, o)
	for _, n := range actSizes {
		for _, alias := range []bool{false, true} {
			s.run(t, shape("n=%d,alias=%t", n, alias), func(t *testing.T) {
				x := s.region("x", s.actInputs(n))
				dy := s.region("dy", s.normal(n, 1))
				dx := dy
				if !alias {
					dx = s.out("dx", n)
				}
				e := dx.expect()
				for i, v := range x.f64() {
					g, m := ref(v)
					dyv := float64(dy.data()[i])
					e.v[i], e.mag[i] = dyv*g, abs(dyv)*m
				}
				op(dx.buf, dy.buf, x.buf)
				dx.check(t, e, s.o.ElemTol)
				x.unchanged(t)
				if !alias {
					dy.unchanged(t)
				}
			})
		}
	}
}

// TestGelu checks Gelu (error scale: see refGelu).
func TestGelu(t *testing.T, b compute.Backend, o Options) { testAct(t, b, o, b.Gelu, refGelu) }

// TestGeluBackward checks GeluBackward, also in place (error scale: see refGeluGrad).
func TestGeluBackward(t *testing.T, b compute.Backend, o Options) {
	testActBackward(t, b, o, b.GeluBackward, refGeluGrad)
}

// TestSiLU checks SiLU (error scale: see refSiLU).
func TestSiLU(t *testing.T, b compute.Backend, o Options) { testAct(t, b, o, b.SiLU, refSiLU) }

// TestSiLUBackward checks SiLUBackward, also in place (error scale: see refSiLUGrad).
func TestSiLUBackward(t *testing.T, b compute.Backend, o Options) {
	testActBackward(t, b, o, b.SiLUBackward, refSiLUGrad)
}

// TestBiasGelu checks BiasGelu: x += bias (error scale |x| + |bias|) and
// y = gelu_tanh(x) of the new x (error scale: refGelu's, plus |gelu'| times
// the rounding of x + bias).
func TestBiasGelu(t *testing.T, b compute.Backend, o Options) {
	testBiasAct(t, b, o, b.BiasGelu, refGelu, refGeluGrad)
}

// TestBiasSiLU checks BiasSiLU as TestBiasGelu checks BiasGelu (refSiLU,
// refSiLUGrad).
func TestBiasSiLU(t *testing.T, b compute.Backend, o Options) {
	testBiasAct(t, b, o, b.BiasSiLU, refSiLU, refSiLUGrad)
}

// testBiasAct checks op(y, x, bias): x += bias (error scale |x| + |bias|)
// and y = f(x) of the new x (error scale: ref's, plus |f'| times the
// rounding of x + bias).
func testBiasAct(t *testing.T, b compute.Backend, o Options, op func(y, x, bias compute.Buffer), ref, refGrad func(float64) (float64, float64)) {
	s := newSuite(t, b, o)
	for _, sh := range []struct{ N, X int }{{1, 1}, {1, 7}, {5, 3}, {9, 64}, {300, 129}} {
		s.run(t, shape("N=%d,X=%d", sh.N, sh.X), func(t *testing.T) {
			n := sh.N * sh.X
			x := s.region("x", s.actInputs(n)).rows(sh.X)
			bias := s.region("bias", s.normal(sh.X, 1))
			y := s.out("y", n).rows(sh.X)
			ex, ey := x.expect(), y.expect()
			refAddRows(ex.v, ex.mag, bias.f64(), 1)
			for i, v := range ex.v {
				g, m := ref(v)
				d, _ := refGrad(v)
				ey.v[i], ey.mag[i] = g, m+abs(d)*ex.mag[i]
			}
			op(y.buf, x.buf, bias.buf)
			x.check(t, ex, s.o.ElemTol)
			y.check(t, ey, s.o.ElemTol)
			bias.unchanged(t)
		})
	}
}
