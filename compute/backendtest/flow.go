package backendtest

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// coef holds the path coefficients x_t = a x0 + b x1, u_t = da x0 + db x1
// at one time, in float64, with their error scales ma, mb, mda, mdb: values
// such that a float32 evaluation of the coefficient errs by a few eps times
// its scale.
type coef struct{ a, b, da, db, ma, mb, mda, mdb float64 }

// pathCoef evaluates the path of compute.Path at time t.
//
// OT: a = 1 - (1-s) t has terms 1 and (1-s) t.
// VP: exp(-Tb/2) and beta carry relative errors ~ (1 + Tb + beta) eps; 1 - a^2
// loses digits as t -> 1 (relative error a^2 k / sigma^2), and sigma' inherits
// them. So at t = 1 - 2^-24 the scales are so large that only a finite result
// is really checked.
func pathCoef(p compute.PathParams, t float64) coef {
	switch p.Path {
	case compute.PathOT:
		s := float64(p.SigmaMin)
		return coef{a: 1 - (1-s)*t, b: t, da: -(1 - s), db: 1, ma: 1 + (1-s)*t, mb: t, mda: 1, mdb: 1}
	case compute.PathVP:
		bmin, bmax := float64(p.BetaMin), float64(p.BetaMax)
		r := 1 - t
		beta := bmin + r*(bmax-bmin)
		tb := r*bmin + r*r*(bmax-bmin)/2
		al := exp(-tb / 2)
		sg2 := -math.Expm1(-tb) // 1 - al^2
		sg := sqrt(sg2)
		dal := al * beta / 2
		dsg := -al * dal / sg
		k := 1 + tb + beta // relative error scale of al, beta, dal
		ksg := al * al * k / sg2
		return coef{a: sg, b: al, da: dsg, db: dal,
			ma: sg * (1 + ksg), mb: al * k, mda: abs(dsg) * (k + ksg), mdb: dal * k}
	}
	panic("backendtest: unknown path")
}

// paths are the probability paths tested: OT with the default and a large
// sigma_min, VP with the default and other betas.
var paths = []struct {
	name string
	p    compute.PathParams
}{
	{"OT/s=1e-4", compute.PathParams{Path: compute.PathOT, SigmaMin: 1e-4}},
	{"OT/s=0.05", compute.PathParams{Path: compute.PathOT, SigmaMin: 0.05}},
	{"VP/0.1-20", compute.PathParams{Path: compute.PathVP, BetaMin: 0.1, BetaMax: 20}},
	{"VP/0.5-10", compute.PathParams{Path: compute.PathVP, BetaMin: 0.5, BetaMax: 10}},
}

// maxUniform is the largest Philox uniform, 1 - 2^-24: the VP field is
// finite there (sigma ~ 8e-5) but a float32 evaluation of 1 - a^2 gives 0.
const maxUniform = 1 - 1.0/(1<<24)

// cfmCase describes one CFM test: B samples of X values at times t.
type cfmCase struct {
	name string
	B, X int
	tmax bool // every t = maxUniform
}

var cfmCases = []cfmCase{
	{"B=1,X=1", 1, 1, false}, {"B=6,X=3", 6, 3, false}, {"B=5,X=16", 5, 16, false}, {"B=3,X=4,t=1-2^-24", 3, 4, true},
}

// times returns B times in (0, 0.999) starting with the smallest uniform
// 2^-24, or all maxUniform.
func (s *suite) times(B int, tmax bool) []float32 {
	if tmax {
		return filled(B, maxUniform)
	}
	t := s.uniform(B, 0, 0.999)
	t[0] = 1.0 / (1 << 24)
	return t
}

// TestCFMInterp checks CFMInterp (error scale ma |x0| + mb |x1|, see pathCoef).
func TestCFMInterp(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, p := range paths {
		for _, c := range cfmCases {
			s.run(t, p.name+"/"+c.name, func(t *testing.T) {
				n := c.B * c.X
				x0 := s.region("x0", s.normal(n, 1)).rows(c.X)
				x1 := s.region("x1", s.normal(n, 1)).rows(c.X)
				tt := s.region("t", s.times(c.B, c.tmax))
				xt := s.out("xt", n).rows(c.X)
				e := xt.expect()
				refCFMInterp(e.v, e.mag, x0.f64(), x1.f64(), tt.f64(), p.p)
				b.CFMInterp(xt.buf, x0.buf, x1.buf, tt.buf, p.p)
				xt.check(t, e, s.o.ElemTol)
				for _, r := range []*region{x0, x1, tt} {
					r.unchanged(t)
				}
			})
		}
	}
}

// TestCFMLoss checks CFMLoss: dpred overwritten (error scale 2 (|pred| + |u|)/n
// with |u| the scale of the target), and the mean added to a loss cell holding
// a random value (error scale |loss| + mean((pred-u)^2 + 2 |pred-u| scale)).
func TestCFMLoss(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, p := range paths {
		for _, c := range cfmCases {
			s.run(t, p.name+"/"+c.name, func(t *testing.T) {
				n := c.B * c.X
				x0 := s.region("x0", s.normal(n, 1)).rows(c.X)
				x1 := s.region("x1", s.normal(n, 1)).rows(c.X)
				pred := s.region("pred", s.normal(n, 1)).rows(c.X)
				tt := s.region("t", s.times(c.B, c.tmax))
				dpred := s.out("dpred", n).rows(c.X)
				loss := s.region("loss", s.normal(1, 1))
				ed, el := dpred.expect(), loss.expect()
				l, lm := refCFMLoss(ed.v, ed.mag, pred.f64(), x0.f64(), x1.f64(), tt.f64(), p.p)
				el.v[0], el.mag[0] = el.v[0]+l, abs(el.v[0])+lm
				b.CFMLoss(loss.buf, dpred.buf, pred.buf, x0.buf, x1.buf, tt.buf, p.p)
				dpred.check(t, ed, s.o.ElemTol)
				loss.check(t, el, s.o.ReduceTol)
				for _, r := range []*region{x0, x1, pred, tt} {
					r.unchanged(t)
				}
			})
		}
	}
}

// refCFMInterp is x_t = a(t) x0 + b(t) x1 for x0, x1 [B, X], t [B].
func refCFMInterp(xt, xtmag, x0, x1, t []float64, p compute.PathParams) {
	X := len(x0) / len(t)
	for i := range x0 {
		c := pathCoef(p, t[i/X])
		xt[i] = c.a*x0[i] + c.b*x1[i]
		xtmag[i] = c.ma*abs(x0[i]) + c.mb*abs(x1[i])
	}
}

// refCFMLoss sets dpred = 2 (pred - u) / n and returns mean((pred - u)^2)
// and its error scale.
func refCFMLoss(dpred, dmag, pred, x0, x1, t []float64, p compute.PathParams) (loss, lossmag float64) {
	n := float64(len(pred))
	X := len(pred) / len(t)
	for i := range pred {
		c := pathCoef(p, t[i/X])
		u := c.da*x0[i] + c.db*x1[i]
		um := c.mda*abs(x0[i]) + c.mdb*abs(x1[i])
		d, dm := pred[i]-u, abs(pred[i])+um
		dpred[i], dmag[i] = 2*d/n, 2*dm/n
		loss += d * d
		lossmag += d*d + 2*abs(d)*dm
	}
	return loss / n, lossmag / n
}
