package sample

import (
	"fmt"
	"math"
	"strings"

	"github.com/latentflow/latentflow/compute"
)

// Field evaluates the velocity v(x, t) at time t for every row of x, writing it
// into v. x and v have equal lengths and never alias; the Field must not
// modify x.
type Field func(t float32, x, v compute.Buffer)

// Method names an ODE solver.
type Method string

// The solvers; see the package doc for their orders and costs.
const (
	Euler    Method = "euler"    // explicit Euler, order 1, 1 NFE per step
	Midpoint Method = "midpoint" // explicit midpoint, order 2, 2 NFE per step
	Heun     Method = "heun"     // Heun (explicit trapezoidal), order 2, 2 NFE per step
	RK4      Method = "rk4"      // classical Runge-Kutta, order 4, 4 NFE per step
	Dopri5   Method = "dopri5"   // adaptive Dormand-Prince 5(4), 6 NFE per step
)

// Methods lists the valid methods in order of cost per step.
var Methods = []Method{Euler, Midpoint, Heun, RK4, Dopri5}

func methodList() string {
	s := make([]string, len(Methods))
	for i, m := range Methods {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}

// ParseMethod returns the Method named s (case-insensitive, surrounding space ignored).
func ParseMethod(s string) (Method, error) {
	m := Method(strings.ToLower(strings.TrimSpace(s)))
	if m.valid() {
		return m, nil
	}
	return "", fmt.Errorf("sample: unknown solver %q (valid: %s)", s, methodList())
}

func (m Method) valid() bool {
	for _, v := range Methods {
		if m == v {
			return true
		}
	}
	return false
}

// Adaptive reports whether m chooses its own step sizes (Dopri5).
func (m Method) Adaptive() bool { return m == Dopri5 }

// DefaultMaxSteps is the Dopri5 step budget used when Options.MaxSteps is 0.
const DefaultMaxSteps = 10000

// float32Eps is the float32 machine epsilon 2^-23: no float32 state can be
// resolved to a relative tolerance below it.
const float32Eps = 1.0 / (1 << 23)

// Options configures a solve. For fixed-step methods only Method, Steps, T0,
// T1 and Observe are used; for Dopri5 Steps is ignored.
type Options struct {
	Method Method // solver: euler, midpoint, heun, rk4 or dopri5
	Steps  int    // fixed-step methods: number of equal steps (NFE = Steps * stages)

	Rtol     float32 // dopri5: relative tolerance (> 0, at least float32 epsilon 1.2e-7)
	Atol     float32 // dopri5: absolute tolerance (> 0; 0 would divide by zero where x = 0)
	MaxSteps int     // dopri5: attempted steps (accepted + rejected) before giving up with an error; 0 means DefaultMaxSteps
	H0       float32 // dopri5: size of the first step (its sign is ignored); 0 picks it automatically (Hairer et al. II.4)

	Batch int // Generate: samples solved at once (a chunk); 0 means DefaultBatch

	T0, T1 float32 // time range; both zero means 0 (noise) to 1 (data). T1 < T0 integrates backwards.

	// Observe, if not nil, is called with step 0 at T0 and then after every
	// accepted step with the step number (1, 2, ...), the time reached and the
	// solution buffer itself (download it to keep it; do not modify it).
	Observe func(step int, t float32, x compute.Buffer)
}

// batch returns the chunk size of Generate with the default applied.
func (o Options) batch() int {
	if o.Batch == 0 {
		return DefaultBatch
	}
	return o.Batch
}

// span returns the time range with the default applied.
func (o Options) span() (t0, t1 float64) {
	if o.T0 == 0 && o.T1 == 0 {
		return 0, 1
	}
	return float64(o.T0), float64(o.T1)
}

func finite32(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

// Validate reports the first problem with o, or nil.
func (o Options) Validate() error {
	if !o.Method.valid() {
		return fmt.Errorf("sample: unknown solver %q (valid: %s)", string(o.Method), methodList())
	}
	if !finite32(o.T0) || !finite32(o.T1) {
		return fmt.Errorf("sample: time range [%g, %g] is not finite", o.T0, o.T1)
	}
	if t0, t1 := o.span(); t0 == t1 {
		return fmt.Errorf("sample: empty time range: T0 = T1 = %g", o.T0)
	}
	if o.Batch < 0 {
		return fmt.Errorf("sample: batch must be >= 0 (0: %d), got %d", DefaultBatch, o.Batch)
	}
	if !o.Method.Adaptive() {
		if o.Steps <= 0 {
			return fmt.Errorf("sample: %s needs steps > 0, got %d", o.Method, o.Steps)
		}
		return nil
	}
	switch {
	case !(o.Rtol > 0):
		return fmt.Errorf("sample: dopri5 needs rtol > 0, got %g", o.Rtol)
	case o.Rtol < float32Eps:
		return fmt.Errorf("sample: dopri5 rtol %g is below float32 resolution (%g)", o.Rtol, float32(float32Eps))
	case !(o.Atol > 0) || !finite32(o.Atol) || !finite32(o.Rtol):
		return fmt.Errorf("sample: dopri5 needs finite rtol and atol > 0, got rtol %g, atol %g", o.Rtol, o.Atol)
	case o.MaxSteps < 0:
		return fmt.Errorf("sample: dopri5 max steps must be >= 0 (0: %d), got %d", DefaultMaxSteps, o.MaxSteps)
	case !finite32(o.H0):
		return fmt.Errorf("sample: dopri5 first step %g is not finite", o.H0)
	}
	return nil
}

// Stats counts the work of one solve.
type Stats struct {
	NFE      int // velocity-field evaluations
	Accepted int // steps taken (fixed-step: Steps)
	Rejected int // steps rejected by the error control (fixed-step: 0)
}
