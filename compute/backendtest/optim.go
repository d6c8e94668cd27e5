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

// clipCases are GradClipScale thresholds relative to the norm of the
// gradient: no clipping (0), a threshold above the norm, one below it.
var clipCases = []float64{0, 2, 0.25}

// TestGradClipScale checks GradClipScale against a float64 reference: the
// norm (error scale: the norm; a float32 running sum over 2^20+1 cells errs by
// more than the tolerance), the factor (error scale: the factor), the sticky
// flag (exact), non-finite gradients, and squares that overflow float32.
func TestGradClipScale(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range redSizes {
		for _, rel := range clipCases {
			s.run(t, shape("n=%d,maxnorm=%gx", n, rel), func(t *testing.T) {
				g := s.region("g", s.normal(n, 0.1))
				want := refNorm(g.f64())
				maxNorm := float32(rel * want)
				sc := s.region("scale", []float32{nan, nan, 0})
				b.GradClipScale(sc.buf, g.buf, maxNorm)
				e := sc.expect()
				e.v[0], e.mag[0] = refClip(want, maxNorm), refClip(want, maxNorm)
				e.v[1], e.mag[1] = want, want
				e.mag[2] = -1 // the flag stays 0
				sc.check(t, e, s.o.ReduceTol)
				g.unchanged(t)
			})
		}
	}
	// Squares of 1e30 overflow float32 (the norm does not): the sum must be float64.
	s.run(t, "n=1000,overflow", func(t *testing.T) {
		big := s.normal(1000, 1)
		for i := range big {
			big[i] *= 1e30
		}
		g := s.region("g", big)
		want := refNorm(g.f64())
		sc := s.region("scale", []float32{nan, nan, 0})
		b.GradClipScale(sc.buf, g.buf, 1)
		e := sc.expect()
		e.v[0], e.mag[0] = refClip(want, 1), refClip(want, 1)
		e.v[1], e.mag[1] = want, want
		sc.check(t, e, s.o.ReduceTol)
	})
	// Non-finite gradients: the norm is NaN or Inf, the flag is set and stays
	// set through a later finite call; the factor is NaN (NaN norm) or 0 (Inf).
	for _, c := range []struct {
		name   string
		bad    float32
		inf    bool
		factor float32
	}{{"nan", nan, false, nan}, {"inf", float32(math.Inf(-1)), true, 0}} {
		s.run(t, "n=65537,"+c.name, func(t *testing.T) {
			gd := s.normal(65537, 1)
			gd[40000] = c.bad
			g := s.region("g", gd)
			sc := s.region("scale", []float32{nan, nan, 0})
			b.GradClipScale(sc.buf, g.buf, 1)
			if err := b.Sync(); err != nil {
				t.Fatal(err)
			}
			got := sc.download()
			okNorm := math.IsNaN(float64(got[1]))
			if c.inf {
				okNorm = math.IsInf(float64(got[1]), 1)
			}
			okFactor := (math.IsNaN(float64(c.factor)) && math.IsNaN(float64(got[0]))) || got[0] == c.factor
			if !okNorm || !okFactor || got[2] != 1 {
				t.Errorf("GradClipScale with a %s gradient: scale = %v, want [%v, %s, 1]", c.name, got, c.factor, map[bool]string{false: "NaN", true: "+Inf"}[c.inf])
			}
			fine := s.region("fine", s.normal(7, 1))
			b.GradClipScale(sc.buf, fine.buf, 0)
			if err := b.Sync(); err != nil {
				t.Fatal(err)
			}
			if got := sc.download(); got[0] != 1 || got[2] != 1 {
				t.Errorf("after a finite gradient: scale = %v, want [1, %v, 1] (the flag is sticky)", got, refNorm(fine.f64()))
			}
			g.unchanged(t)
		})
	}
	s.run(t, "bad-scale-length", func(t *testing.T) {
		g := s.region("g", s.normal(7, 1))
		sc := s.region("scale", []float32{0, 0})
		mustPanic(t, "GradClipScale with a scale of 2", func() { b.GradClipScale(sc.buf, g.buf, 1) })
	})
}

// refNorm is sqrt(sum_i x_i^2) in float64.
func refNorm(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return sqrt(s)
}

// refClip is scale[0] of GradClipScale for the norm n.
func refClip(n float64, maxNorm float32) float64 {
	if maxNorm <= 0 || n <= float64(maxNorm) {
		return 1
	}
	return float64(maxNorm) / n
}

// TestAdamWStepDev checks AdamWStepDev: AdamWStep's reference with the
// gradient scaled by GradScale * scale[0], scale read from the device
// (error scales: see refAdamW); scale is left alone.
func TestAdamWStepDev(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range []int{1, 7, 1000, 4099} {
		for _, c := range adamCases {
			for _, f := range []float32{1, 0.37, 0} {
				s.run(t, shape("n=%d,step=%d,wd=%g,gradscale=%g,scale=%g", n, c.Step, c.WeightDecay, c.GradScale, f), func(t *testing.T) {
					p := s.region("params", s.normal(n, 1))
					g := s.region("grad", s.normal(n, 0.1))
					m0, v0 := s.normal(n, 0.01), make([]float32, n)
					for i, z := range s.normal(n, 0.03) {
						v0[i] = z * z
					}
					m := s.region("m", m0)
					v := s.region("v", v0)
					sc := s.region("scale", []float32{f, 123, 0})
					ep, em, ev := p.expect(), m.expect(), v.expect()
					rc := c
					rc.GradScale = c.GradScale * f
					refAdamW(ep.v, ep.mag, g.f64(), em.v, em.mag, ev.v, ev.mag, rc)
					b.AdamWStepDev(p.buf, g.buf, m.buf, v.buf, sc.buf, c)
					p.check(t, ep, s.o.ElemTol)
					m.check(t, em, s.o.ElemTol)
					v.check(t, ev, s.o.ElemTol)
					g.unchanged(t)
					sc.unchanged(t)
				})
			}
		}
	}
}
