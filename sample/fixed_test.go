package sample

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// TestFixedStepOrder measures the global error at T1 for N and 2N steps on ODEs
// with time-dependent fields and closed-form solutions, and checks the observed
// order log2(err_N / err_2N) against the method's order. The step counts keep
// err_2N well above the float32 rounding floor of about 1e-6 (below it the
// observed order is noise).
func TestFixedStepOrder(t *testing.T) {
	be := newCPU()
	cases := []struct {
		m     Method
		order float64
		p     problem
		ns    []int
	}{
		{Euler, 1, growth(1, 1), []int{8, 16, 32, 64, 128}},
		{Euler, 1, rotation(3), []int{64, 128, 256, 512}},
		{Midpoint, 2, growth(1, 2), []int{8, 16, 32, 64, 128}},
		{Midpoint, 2, rotation(3), []int{16, 32, 64, 128, 256}},
		{Heun, 2, growth(1, 1), []int{4, 8, 16, 32, 64, 128}},
		{Heun, 2, rotation(3), []int{16, 32, 64, 128, 256}},
		{RK4, 4, growth(2, 2), []int{2, 4, 8}},
		{RK4, 4, rotation(3), []int{8, 16, 32}},
		{RK4, 4, rotation(6), []int{16, 32, 64}},
	}
	for _, tc := range cases {
		errs := make([]float64, len(tc.ns))
		for i, n := range tc.ns {
			e, st, calls := solveProblem(t, be, tc.p, Options{Method: tc.m, Steps: n})
			errs[i] = e
			if calls != st.NFE {
				t.Errorf("%s N=%d: %d field calls, Stats.NFE = %d", tc.m, n, calls, st.NFE)
			}
		}
		for i := 1; i < len(errs); i++ {
			got := math.Log2(errs[i-1] / errs[i])
			t.Logf("%-8s %-8s N=%3d->%3d  err %.3e -> %.3e  order %.3f", tc.m, tc.p.name, tc.ns[i-1], tc.ns[i], errs[i-1], errs[i], got)
			if math.Abs(got-tc.order) > 0.3 {
				t.Errorf("%s on %s, N=%d->%d: observed order %.3f, want %v +- 0.3", tc.m, tc.p.name, tc.ns[i-1], tc.ns[i], got, tc.order)
			}
		}
	}
}

func TestFixedStepNFEAndObserve(t *testing.T) {
	be := newCPU()
	p := rotation(1)
	stages := map[Method]int{Euler: 1, Midpoint: 2, Heun: 2, RK4: 4}
	for _, span := range [][2]float32{{0, 0}, {0.25, 0.75}, {1, 0}} {
		for m, s := range stages {
			for _, steps := range []int{1, 3, 10} {
				var times []float32
				var steps0 []int
				o := Options{Method: m, Steps: steps, T0: span[0], T1: span[1],
					Observe: func(step int, t float32, x compute.Buffer) {
						steps0 = append(steps0, step)
						times = append(times, t)
						if x.Len() != len(p.x0) {
							panic("observe: wrong buffer")
						}
					}}
				_, st, calls := solveProblem(t, be, p, o)
				want := Stats{NFE: s * steps, Accepted: steps}
				if st != want || calls != want.NFE {
					t.Errorf("%s steps=%d: stats %+v, %d calls; want %+v", m, steps, st, calls, want)
				}
				if len(times) != steps+1 {
					t.Fatalf("%s steps=%d: Observe called %d times, want %d", m, steps, len(times), steps+1)
				}
				t0, t1 := o.span()
				for i := range times {
					wantT := float32(t0 + float64(i)*(t1-t0)/float64(steps))
					if steps0[i] != i || math.Abs(float64(times[i]-wantT)) > 1e-7 {
						t.Errorf("%s steps=%d: Observe #%d got (step %d, t %v), want (%d, %v)", m, steps, i, steps0[i], times[i], i, wantT)
					}
				}
				if times[0] != float32(t0) || times[steps] != float32(t1) {
					t.Errorf("%s: Observe times run %v..%v, want exactly %v..%v", m, times[0], times[steps], t0, t1)
				}
			}
		}
	}
}

// TestFixedStepHand checks one step of each method against the formulas written
// out by hand, on dx/dt = t + x from x = 1 at t = 0 with h = 1/2.
func TestFixedStepHand(t *testing.T) {
	be := newCPU()
	v := func(t, x float64) float64 { return t + x }
	const h = 0.5
	k1 := v(0, 1)
	want := map[Method]float64{
		Euler:    1 + h*k1,
		Midpoint: 1 + h*v(h/2, 1+h/2*k1),
		Heun:     1 + h/2*(k1+v(h, 1+h*k1)),
	}
	{
		k2 := v(h/2, 1+h/2*k1)
		k3 := v(h/2, 1+h/2*k2)
		k4 := v(h, 1+h*k3)
		want[RK4] = 1 + h/6*(k1+2*k2+2*k3+k4)
	}
	for m, w := range want {
		x := upload(be, []float64{1})
		f := hostField(be, func(t float64, x, dx []float64) { dx[0] = v(t, x[0]) }, nil)
		if _, err := Solve(be, f, x, Options{Method: m, Steps: 1, T0: 0, T1: h}); err != nil {
			t.Fatal(err)
		}
		if got := download(be, x)[0]; math.Abs(got-w) > 1e-6 {
			t.Errorf("%s: one step gives %v, want %v", m, got, w)
		}
	}
}

// TestFixedStepBackward integrates 0 -> 1 and back 1 -> 0 with RK4: the result
// returns to x0 up to the method's error.
func TestFixedStepBackward(t *testing.T) {
	be := newCPU()
	p := rotation(3)
	x := upload(be, p.x0)
	f := hostField(be, p.field, nil)
	for _, o := range []Options{{Method: RK4, Steps: 64}, {Method: RK4, Steps: 64, T0: 1, T1: 0}} {
		if _, err := Solve(be, f, x, o); err != nil {
			t.Fatal(err)
		}
	}
	for i, got := range download(be, x) {
		if math.Abs(got-p.x0[i]) > 1e-4 {
			t.Errorf("x[%d]: %v after a round trip, want %v", i, got, p.x0[i])
		}
	}
}
