package flow

import (
	"github.com/latentflow/latentflow/config"
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/cpu"
)

// The path endpoints: x_0 is the noise, x_1 is the data (up to sigma_min for
// OT, up to alpha(0) for VP), and u is the time derivative of x_t (checked by
// central differences of Coef).
func TestPathEndpointsAndVelocity(t *testing.T) {
	for _, p := range []compute.PathParams{
		{Path: compute.PathOT, SigmaMin: 1e-4},
		{Path: compute.PathOT, SigmaMin: 0.1},
		{Path: compute.PathVP, BetaMin: 0.1, BetaMax: 20},
	} {
		a0, b0, _, _ := p.Coef(0)
		a1, b1, _, _ := p.Coef(1)
		switch p.Path {
		case compute.PathOT:
			if a0 != 1 || b0 != 0 || math.Abs(float64(a1-p.SigmaMin)) > 1e-7 || b1 != 1 {
				t.Errorf("OT s=%g: a(0)=%g b(0)=%g a(1)=%g b(1)=%g", p.SigmaMin, a0, b0, a1, b1)
			}
		case compute.PathVP:
			// alpha(0) = exp(-T(1)/2) with T(1) = 0.1 + 19.9/2 = 10.05: about 0.0066.
			if math.Abs(float64(b0)-math.Exp(-10.05/2)) > 1e-6 || a1 != 0 || b1 != 1 {
				t.Errorf("VP: a(0)=%g b(0)=%g a(1)=%g b(1)=%g", a0, b0, a1, b1)
			}
		}
		for _, tv := range []float32{0.1, 0.37, 0.5, 0.9} {
			const h = 1e-3
			ap, bp, _, _ := p.Coef(tv + h)
			am, bm, _, _ := p.Coef(tv - h)
			_, _, da, db := p.Coef(tv)
			fa, fb := float64(ap-am)/(2*h), float64(bp-bm)/(2*h)
			if math.Abs(fa-float64(da)) > 2e-2*math.Max(1, math.Abs(fa)) || math.Abs(fb-float64(db)) > 2e-2*math.Max(1, math.Abs(fb)) {
				t.Errorf("path %d t=%g: (da, db) = (%g, %g), finite differences (%g, %g)", p.Path, tv, da, db, fa, fb)
			}
		}
	}
}

// Prepare draws x0 ~ N(0, I), t in (0,1) and interpolates; with the OT path the
// loss of the exact target is zero and its gradient vanishes.
func TestPrepareAndLoss(t *testing.T) {
	be := cpu.New(0)
	for _, ts := range []string{"uniform", "logit-normal"} {
		o, err := NewObjective(config.Flow{Path: "ot", SigmaMin: 1e-4, BetaMin: 0.1, BetaMax: 20, TimeSampling: ts, LogitStd: 1, Coupling: "independent"})
		if err != nil {
			t.Fatal(err)
		}
		B, X := 4096, 3
		b := NewBatch(be, B, X)
		x1 := cpu.Data(b.X1)
		for i := range x1 {
			x1[i] = float32(i%7) - 3
		}
		o.Prepare(be, b, 7, 3)
		tt, x0, xt := cpu.Data(b.T), cpu.Data(b.X0), cpu.Data(b.Xt)
		var mean float64
		for i, v := range tt {
			if v <= 0 || v >= 1 {
				t.Fatalf("%s: t[%d] = %g not in (0,1)", ts, i, v)
			}
			mean += float64(v)
		}
		if mean /= float64(B); math.Abs(mean-0.5) > 0.02 {
			t.Errorf("%s: mean t = %g, want 0.5", ts, mean)
		}
		for i := range xt {
			tv := tt[i/X]
			want := (1-(1-1e-4)*tv)*x0[i] + tv*x1[i]
			if math.Abs(float64(xt[i]-want)) > 1e-6 {
				t.Fatalf("xt[%d] = %g, want %g", i, xt[i], want)
			}
		}
		pred := be.Alloc(B * X)
		pd := cpu.Data(pred)
		for i := range pd {
			pd[i] = x1[i] - (1-1e-4)*x0[i]
		}
		loss, dpred := be.Alloc(1), be.Alloc(B*X)
		o.Loss(be, loss, dpred, pred, b)
		if l := cpu.Data(loss)[0]; l > 1e-10 {
			t.Errorf("loss of the exact target = %g", l)
		}
		pd[0] += 1 // error of 1 in one element: loss 1/len, grad 2/len
		o.Loss(be, loss, dpred, pred, b)
		n := float64(B * X)
		if l := float64(cpu.Data(loss)[0]); math.Abs(l-1/n) > 1e-9 {
			t.Errorf("loss = %g, want %g", l, 1/n)
		}
		if g := float64(cpu.Data(dpred)[0]); math.Abs(g-2/n) > 1e-9 {
			t.Errorf("dpred[0] = %g, want %g", g, 2/n)
		}
	}
}

func TestObjectiveErrors(t *testing.T) {
	if _, err := NewObjective(config.Flow{Path: "rectified", TimeSampling: "uniform", LogitStd: 1}); err == nil {
		t.Error("unknown path accepted")
	}
	if _, err := NewObjective(config.Flow{Path: "ot", TimeSampling: "beta", LogitStd: 1, Coupling: "independent"}); err == nil {
		t.Error("unknown time sampling accepted")
	}
	if _, err := NewObjective(config.Flow{Path: "ot", TimeSampling: "uniform", LogitStd: 1, Coupling: "sinkhorn"}); err == nil {
		t.Error("unknown coupling accepted")
	}
}

// With flow.coupling = "ot" Prepare draws the same noise rows as without,
// reordered so that the total squared distance to the data is minimal (the
// brute-force minimum over all 8! pairings), and Xt is built from them; the
// direct and the block-reading Prepare agree.
func TestPrepareOTCoupling(t *testing.T) {
	be := cpu.New(0)
	fc := config.Default().Flow
	indep, err := NewObjective(fc)
	if err != nil {
		t.Fatal(err)
	}
	fc.Coupling = "ot"
	ot, err := NewObjective(fc)
	if err != nil || !ot.OTCoupling {
		t.Fatalf("NewObjective(coupling ot) = %+v, %v", ot, err)
	}
	const B, X = 8, 2
	a, c := NewBatch(be, B, X), NewBatch(be, B, X)
	for i, x1 := 0, cpu.Data(a.X1); i < len(x1); i++ {
		x1[i] = float32(i%5) - 2
	}
	copy(cpu.Data(c.X1), cpu.Data(a.X1))
	indep.Prepare(be, a, 3, 9)
	ot.Prepare(be, c, 3, 9)
	x1, x0, y0 := cpu.Data(a.X1), cpu.Data(a.X0), cpu.Data(c.X0)
	cost := func(z []float32) float64 {
		var s float64
		for i := range z {
			d := float64(x1[i]) - float64(z[i])
			s += d * d
		}
		return s
	}
	// y0 is x0 with its rows permuted.
	used := make([]bool, B)
	for i := 0; i < B; i++ {
		found := false
		for j := 0; j < B && !found; j++ {
			if !used[j] && y0[2*i] == x0[2*j] && y0[2*i+1] == x0[2*j+1] {
				used[j], found = true, true
			}
		}
		if !found {
			t.Fatalf("coupled noise row %d is not a row of the independent noise", i)
		}
	}
	best := math.Inf(1)
	perm := []int{0, 1, 2, 3, 4, 5, 6, 7}
	var rec func(k int)
	rec = func(k int) {
		if k == B {
			z := make([]float32, B*X)
			for i, j := range perm {
				copy(z[i*X:], x0[j*X:j*X+X])
			}
			best = math.Min(best, cost(z))
			return
		}
		for i := k; i < B; i++ {
			perm[k], perm[i] = perm[i], perm[k]
			rec(k + 1)
			perm[k], perm[i] = perm[i], perm[k]
		}
	}
	rec(0)
	if got := cost(y0); math.Abs(got-best) > 1e-9 || got > cost(x0) {
		t.Errorf("coupled cost %v, brute-force minimum %v (independent %v)", got, best, cost(x0))
	}
	tt, xt := cpu.Data(c.T), cpu.Data(c.Xt)
	for i := range xt {
		tv := tt[i/X]
		if want := (1-(1-1e-4)*tv)*y0[i] + tv*x1[i]; math.Abs(float64(xt[i]-want)) > 1e-6 {
			t.Fatalf("xt[%d] = %g, want %g (from the coupled noise)", i, xt[i], want)
		}
	}
	// PrepareAt with a block of step 9 gives the same batch.
	d := NewBatch(be, B, X)
	copy(cpu.Data(d.X1), x1)
	block := be.Alloc(compute.StepBlockLen)
	cpu.Data(block)[0] = compute.StepBits(9)
	ot.PrepareAt(be, d, 3, block)
	for i, v := range cpu.Data(d.Xt) {
		if v != xt[i] {
			t.Fatalf("PrepareAt: xt[%d] = %v, Prepare %v", i, v, xt[i])
		}
	}
}
