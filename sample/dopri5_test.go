package sample

import (
	"math"
	"strings"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// scaledErr returns max_i |x_i - exact_i| / (atol + rtol |exact_i|) at the end of a
// Dopri5 solve, its stats and the field's calls.
func scaledErr(t *testing.T, be compute.Backend, p problem, o Options) (float64, Stats, int) {
	t.Helper()
	x := upload(be, p.x0)
	defer be.Free(x)
	calls := 0
	st, err := Solve(be, hostField(be, p.field, &calls), x, o)
	if err != nil {
		t.Fatalf("%s rtol=%g: %v", p.name, o.Rtol, err)
	}
	t0, t1 := o.span()
	want := make([]float64, len(p.x0))
	p.exact(t0, t1, p.x0, want)
	var e float64
	for i, got := range download(be, x) {
		e = math.Max(e, math.Abs(got-want[i])/(float64(o.Atol)+float64(o.Rtol)*math.Abs(want[i])))
	}
	return e, st, calls
}

// TestDopri5Tolerance checks that the final global error stays within 10x the
// tolerance scale atol + rtol |x|, that work shrinks as the tolerance loosens,
// and the exact NFE count 2 + 6 (accepted + rejected).
func TestDopri5Tolerance(t *testing.T) {
	be := newCPU()
	for _, p := range []problem{growth(1, 1), growth(2, 3), rotation(3), rotation(6), riccati()} {
		prev := -1
		steps := map[float32]int{}
		for _, tol := range []float32{1e-6, 1e-5, 1e-4, 1e-3, 1e-2} {
			for _, span := range [][2]float32{{0, 1}, {1, 0}} {
				o := Options{Method: Dopri5, Rtol: tol, Atol: tol, T0: span[0], T1: span[1]}
				e, st, calls := scaledErr(t, be, p, o)
				if span[0] == 0 {
					t.Logf("%-18s tol %.0e: err/tol %.3f, %+v", p.name, tol, e, st)
				}
				if e > 10 {
					t.Errorf("%s tol %g, t %v -> %v: error is %.3g x the tolerance scale", p.name, tol, span[0], span[1], e)
				}
				if want := 2 + 6*(st.Accepted+st.Rejected); st.NFE != want || calls != want {
					t.Errorf("%s tol %g: NFE %d, %d calls; want 2 + 6 (%d + %d) = %d", p.name, tol, st.NFE, calls, st.Accepted, st.Rejected, want)
				}
				if span[0] == 0 {
					if prev >= 0 && st.Accepted > prev {
						t.Errorf("%s: %d steps at tol %g, more than the %d at the tighter tolerance", p.name, st.Accepted, tol, prev)
					}
					prev = st.Accepted
					steps[tol] = st.Accepted
				}
			}
		}
		if !(steps[1e-3] < steps[1e-5]) {
			t.Errorf("%s: %d steps at tol 1e-3, not fewer than the %d at 1e-5", p.name, steps[1e-3], steps[1e-5])
		}
	}
}

// TestDopri5WorkScaling checks that the work grows like tol^(-1/5) for a 5th-order
// method: from rtol = 1e-3 to 1e-6 the number of steps grows by about
// 1000^(1/5) ~ 4 (between 2.5 and 6.5 allowed; problems that need many steps,
// so that the counts are not dominated by the first and last step).
func TestDopri5WorkScaling(t *testing.T) {
	be := newCPU()
	for _, p := range []problem{rotation(3), rotation(6)} {
		_, loose, _ := scaledErr(t, be, p, Options{Method: Dopri5, Rtol: 1e-3, Atol: 1e-3})
		_, tight, _ := scaledErr(t, be, p, Options{Method: Dopri5, Rtol: 1e-6, Atol: 1e-6})
		r := float64(tight.Accepted) / float64(loose.Accepted)
		t.Logf("%s: %d steps at 1e-3, %d at 1e-6: ratio %.2f (1000^(1/5) = %.2f)", p.name, loose.Accepted, tight.Accepted, r, math.Pow(1000, 0.2))
		if r < 2.5 || r > 6.5 {
			t.Errorf("%s: step ratio %.2f between tol 1e-3 and 1e-6, want about 4", p.name, r)
		}
	}
}

func TestDopri5ObserveAndTimes(t *testing.T) {
	be := newCPU()
	p := rotation(3)
	for _, span := range [][2]float32{{0, 0}, {0.2, 0.9}, {1, 0}} {
		var times []float32
		var minT, maxT float32 = float32(math.Inf(1)), float32(math.Inf(-1))
		field := hostField(be, p.field, nil)
		f := func(t float32, x, v compute.Buffer) {
			minT, maxT = min(minT, t), max(maxT, t)
			field(t, x, v)
		}
		o := Options{Method: Dopri5, Rtol: 1e-5, Atol: 1e-5, T0: span[0], T1: span[1],
			Observe: func(step int, t float32, x compute.Buffer) {
				if step != len(times) {
					panic("observe: steps out of order")
				}
				times = append(times, t)
			}}
		x := upload(be, p.x0)
		st, err := Solve(be, f, x, o)
		if err != nil {
			t.Fatal(err)
		}
		t0, t1 := o.span()
		if len(times) != st.Accepted+1 {
			t.Fatalf("Observe called %d times for %d accepted steps", len(times), st.Accepted)
		}
		if times[0] != float32(t0) || times[len(times)-1] != float32(t1) {
			t.Errorf("Observe times run %v..%v, want exactly %v..%v", times[0], times[len(times)-1], t0, t1)
		}
		dir := float32(math.Copysign(1, t1-t0))
		for i := 1; i < len(times); i++ {
			if dir*(times[i]-times[i-1]) <= 0 {
				t.Errorf("Observe times not monotone: %v then %v", times[i-1], times[i])
			}
		}
		lo, hi := float32(math.Min(t0, t1)), float32(math.Max(t0, t1))
		if minT != lo || maxT != hi {
			t.Errorf("field evaluated on [%v, %v], want exactly [%v, %v]", minT, maxT, lo, hi)
		}
	}
}

// TestDopri5Rejections forces a first step far too large: the controller must
// reject, shrink, and still meet the tolerance; NFE is 1 + 6 (acc + rej) with H0.
func TestDopri5Rejections(t *testing.T) {
	be := newCPU()
	p := rotation(6)
	o := Options{Method: Dopri5, Rtol: 1e-6, Atol: 1e-6, H0: 1}
	e, st, calls := scaledErr(t, be, p, o)
	t.Logf("H0 = 1: err/tol %.3f, %+v", e, st)
	if st.Rejected == 0 {
		t.Errorf("no rejections with H0 = 1 at tol 1e-6: %+v", st)
	}
	if e > 10 {
		t.Errorf("error %.3g x the tolerance scale", e)
	}
	if want := 1 + 6*(st.Accepted+st.Rejected); st.NFE != want || calls != want {
		t.Errorf("NFE %d, %d calls; want 1 + 6 (acc + rej) = %d", st.NFE, calls, want)
	}
}

func TestDopri5MaxSteps(t *testing.T) {
	be := newCPU()
	p := rotation(6)
	x := upload(be, p.x0)
	calls := 0
	st, err := Solve(be, hostField(be, p.field, &calls), x, Options{Method: Dopri5, Rtol: 1e-6, Atol: 1e-6, MaxSteps: 3})
	if err == nil || !strings.Contains(err.Error(), "3 attempted steps") {
		t.Fatalf("MaxSteps 3: err = %v, want a 'gave up after 3 attempted steps' error", err)
	}
	if st.Accepted+st.Rejected != 3 || calls != st.NFE {
		t.Errorf("MaxSteps 3: %+v, %d calls", st, calls)
	}
	t.Logf("%v", err)
}

// TestDopri5NonFinite: a field that returns NaN must end the solve with an
// error after a bounded amount of work, never hang.
func TestDopri5NonFinite(t *testing.T) {
	be := newCPU()
	for _, c := range []struct{ from, h0 float32 }{{0, 0}, {0, 0.1}, {0.5, 0}, {0.5, 0.1}} {
		from := c.from
		calls := 0
		f := func(t float32, x, v compute.Buffer) {
			calls++
			if t >= from {
				be.Fill(v, float32(math.NaN()))
			} else {
				be.Fill(v, 1)
			}
		}
		x := upload(be, []float64{1, 2, 3})
		_, err := Solve(be, f, x, Options{Method: Dopri5, Rtol: 1e-4, Atol: 1e-4, H0: c.h0})
		if err == nil {
			t.Fatalf("NaN velocity from t = %v: no error", from)
		}
		if !strings.Contains(err.Error(), "not finite") {
			t.Errorf("NaN velocity from t = %v: error %q does not say what went wrong", from, err)
		}
		if calls > 1000 {
			t.Errorf("NaN velocity from t = %v: %d calls before giving up", from, calls)
		}
		t.Logf("NaN from t=%v, H0 %v: %d calls: %v", from, c.h0, calls, err)
	}
}

// TestDopri5ZeroField: v = 0 and x = 0 take the edge paths of the first-step
// rule (d0, d1 < 1e-5) and of the controller (err = 0, factor 10).
func TestDopri5ZeroField(t *testing.T) {
	be := newCPU()
	x := be.Alloc(5)
	st, err := Solve(be, func(t float32, x, v compute.Buffer) { be.Fill(v, 0) }, x, Options{Method: Dopri5, Rtol: 1e-5, Atol: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range download(be, x) {
		if v != 0 {
			t.Fatalf("x moved under a zero field: %v", v)
		}
	}
	if st.Rejected != 0 || st.Accepted > 10 {
		t.Errorf("zero field: %+v", st)
	}
	t.Logf("zero field: %+v", st)
}
