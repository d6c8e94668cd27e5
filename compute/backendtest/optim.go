package backendtest

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// adamCases are AdamW settings: the first step (zero moments), a clipped
// step with weight decay and beta2 = 0.95, and a late step with larger eps.
var adamCases = []compute.AdamW{
	{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0, Step: 1, GradScale: 1},
	{LR: 3e-4, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, Step: 10, GradScale: 0.37},
	{LR: 1e-2, Beta1: 0.8, Beta2: 0.999, Eps: 1e-6, WeightDecay: 0.01, Step: 10000, GradScale: 1},
}

// TestAdamWStep checks AdamWStep on params, m and v (error scales: see refAdamW).
func TestAdamWStep(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range []int{1, 7, 1000, 4099} {
		for _, c := range adamCases {
			s.run(t, shape("n=%d,step=%d,wd=%g,clip=%g", n, c.Step, c.WeightDecay, c.GradScale), func(t *testing.T) {
				p := s.region("params", s.normal(n, 1))
				g := s.region("grad", s.normal(n, 0.1))
				m0, v0 := filled(n, 0), filled(n, 0)
				if c.Step > 1 {
					m0 = s.normal(n, 0.01)
					for i, z := range s.normal(n, 0.03) {
						v0[i] = z * z
					}
				}
				gd := g.data()
				gd[0] = 0 // with zero moments on step 1: 0 / (0 + eps)
				g.upload(gd)
				m := s.region("m", m0)
				v := s.region("v", v0)
				ep, em, ev := p.expect(), m.expect(), v.expect()
				refAdamW(ep.v, ep.mag, g.f64(), em.v, em.mag, ev.v, ev.mag, c)
				b.AdamWStep(p.buf, g.buf, m.buf, v.buf, c)
				p.check(t, ep, s.o.ElemTol)
				m.check(t, em, s.o.ElemTol)
				v.check(t, ev, s.o.ElemTol)
				g.unchanged(t)
			})
		}
	}
}

// refAdamW is one AdamW step in float64:
//
//	g = GradScale grad; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
//	p -= LR (WD p + (m/(1-b1^step)) / (sqrt(v/(1-b2^step)) + eps)).
//
// The error scale of m and v is the sum of |terms|; that of the update
// carries the relative error of m (its scale over |m|), half that of v, and
// those of the bias corrections 1 - b^step (b^step / (1 - b^step)).
func refAdamW(p, pmag, grad, m, mmag, v, vmag []float64, o compute.AdamW) {
	b1, b2 := float64(o.Beta1), float64(o.Beta2)
	b1t, b2t := math.Pow(b1, float64(o.Step)), math.Pow(b2, float64(o.Step))
	c1, c2 := 1-b1t, 1-b2t
	lr, wd, eps, gs := float64(o.LR), float64(o.WeightDecay), float64(o.Eps), float64(o.GradScale)
	for i := range p {
		g := gs * grad[i]
		mi := b1*m[i] + (1-b1)*g
		mm := abs(b1*m[i]) + abs((1-b1)*g)
		vi := b2*v[i] + (1-b2)*g*g
		den := sqrt(vi/c2) + eps
		upd := (mi / c1) / den
		updm := (mm/c1)/den + abs(upd)*(1.5+b1t/c1+b2t/c2)
		p[i], pmag[i] = p[i]-lr*(wd*p[i]+upd), abs(p[i])*(1+lr*wd)+lr*updm
		m[i], mmag[i] = mi, mm
		v[i], vmag[i] = vi, vi
	}
}

// TestEMA checks EMA (error scale |decay ema| + |(1-decay) params|).
func TestEMA(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range []int{1, 7, 1000, 40003} {
		for _, decay := range []float32{0, 0.5, 0.999, 0.9999} {
			s.run(t, shape("n=%d,decay=%g", n, decay), func(t *testing.T) {
				ema := s.region("ema", s.normal(n, 1))
				p := s.region("params", s.normal(n, 1))
				e := ema.expect()
				d := float64(decay)
				for i, pv := range p.f64() {
					e.v[i], e.mag[i] = d*e.v[i]+(1-d)*pv, abs(d*e.v[i])+abs((1-d)*pv)
				}
				b.EMA(ema.buf, p.buf, decay)
				ema.check(t, e, s.o.ElemTol)
				p.unchanged(t)
			})
		}
	}
}
