package sample

import (
	"math"
	"strings"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

func TestParseMethod(t *testing.T) {
	for _, m := range Methods {
		got, err := ParseMethod(string(m))
		if err != nil || got != m {
			t.Errorf("ParseMethod(%q) = %q, %v", m, got, err)
		}
	}
	if got, err := ParseMethod(" RK4 "); err != nil || got != RK4 {
		t.Errorf("ParseMethod(\" RK4 \") = %q, %v; want rk4", got, err)
	}
	for _, bad := range []string{"", "rk5", "euler2", "dopri"} {
		_, err := ParseMethod(bad)
		if err == nil {
			t.Errorf("ParseMethod(%q): no error", bad)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "sample: ") || !strings.Contains(msg, `"`+bad+`"`) ||
			!strings.Contains(msg, "euler, midpoint, heun, rk4, dopri5") {
			t.Errorf("ParseMethod(%q): error %q should name the value and list the valid ones", bad, msg)
		}
	}
}

func TestValidate(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	good := []Options{
		{Method: Euler, Steps: 1},
		{Method: RK4, Steps: 100, T0: 1, T1: 0},
		{Method: Heun, Steps: 4, T0: 0.5, T1: 0},
		{Method: Dopri5, Rtol: 1e-5, Atol: 1e-5},
		{Method: Dopri5, Rtol: 1e-3, Atol: 1e-6, MaxSteps: 10, H0: -0.1},
		{Method: Dopri5, Steps: -3, Rtol: 1e-3, Atol: 1e-3}, // Steps is ignored
		{Method: Midpoint, Steps: 2, Rtol: -1},              // Rtol is ignored
	}
	for _, o := range good {
		if err := o.Validate(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	bad := []struct {
		o    Options
		want string // a substring of the error
	}{
		{Options{Steps: 10}, `unknown solver ""`},
		{Options{Method: "rk45", Steps: 10}, `unknown solver "rk45" (valid: euler, midpoint, heun, rk4, dopri5)`},
		{Options{Method: Euler}, "steps > 0, got 0"},
		{Options{Method: RK4, Steps: -1}, "steps > 0, got -1"},
		{Options{Method: Dopri5, Atol: 1e-5}, "rtol > 0, got 0"},
		{Options{Method: Dopri5, Rtol: -1e-5, Atol: 1e-5}, "rtol > 0, got -1e-05"},
		{Options{Method: Dopri5, Rtol: nan, Atol: 1e-5}, "rtol > 0, got NaN"},
		{Options{Method: Dopri5, Rtol: 1e-9, Atol: 1e-5}, "below float32 resolution"},
		{Options{Method: Dopri5, Rtol: 1e-5}, "atol > 0"},
		{Options{Method: Dopri5, Rtol: 1e-5, Atol: -1}, "atol > 0"},
		{Options{Method: Dopri5, Rtol: inf, Atol: 1e-5}, "finite rtol"},
		{Options{Method: Dopri5, Rtol: 1e-5, Atol: 1e-5, MaxSteps: -1}, "max steps"},
		{Options{Method: Dopri5, Rtol: 1e-5, Atol: 1e-5, H0: nan}, "first step"},
		{Options{Method: Euler, Steps: 1, T0: 0.5, T1: 0.5}, "empty time range"},
		{Options{Method: Euler, Steps: 1, T0: 0, T1: inf}, "not finite"},
	}
	for _, c := range bad {
		err := c.o.Validate()
		if err == nil {
			t.Errorf("%+v: no error, want %q", c.o, c.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), "sample: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %q, want it to contain %q", c.o, err, c.want)
		}
	}
}

// TestSolveInvalid: invalid options are returned before any evaluation or allocation.
func TestSolveInvalid(t *testing.T) {
	be := &countingBackend{Backend: newCPU()}
	x := be.Backend.Alloc(4)
	called := false
	f := func(t float32, x, v compute.Buffer) { called = true }
	for _, o := range []Options{{Method: "rk3", Steps: 4}, {Method: Euler}, {Method: Dopri5, Atol: 1}} {
		if _, err := Solve(be, f, x, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	if called || be.allocs != 0 {
		t.Errorf("invalid options: field called %v, %d allocations", called, be.allocs)
	}
}

func TestDefaultSpan(t *testing.T) {
	for _, c := range []struct {
		o      Options
		t0, t1 float64
	}{
		{Options{}, 0, 1},
		{Options{T0: 0, T1: 0.5}, 0, 0.5},
		{Options{T0: 1, T1: 0}, 1, 0},
		{Options{T0: 0.25, T1: 0}, 0.25, 0},
	} {
		if t0, t1 := c.o.span(); t0 != c.t0 || t1 != c.t1 {
			t.Errorf("T0=%v T1=%v: span %v..%v, want %v..%v", c.o.T0, c.o.T1, t0, t1, c.t0, c.t1)
		}
	}
}
