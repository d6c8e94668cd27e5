package sample

import (
	"fmt"
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/cpu"
)

// problem is an ODE with a closed-form solution, written on the host in float64.
type problem struct {
	name  string
	x0    []float64
	field func(t float64, x, v []float64)
	exact func(t0, t1 float64, x0, x []float64) // x = solution at t1 from x0 at t0
}

// growth: dx/dt = a x cos(w t), x(t) = x(t0) exp((a/w)(sin(w t) - sin(w t0))),
// one independent scalar ODE per element.
func growth(a, w float64) problem {
	return problem{
		name: fmt.Sprintf("growth a=%g w=%g", a, w),
		x0:   []float64{1, -0.5, 2, 0.25},
		field: func(t float64, x, v []float64) {
			for i := range x {
				v[i] = a * x[i] * math.Cos(w*t)
			}
		},
		exact: func(t0, t1 float64, x0, x []float64) {
			g := math.Exp(a / w * (math.Sin(w*t1) - math.Sin(w*t0)))
			for i := range x0 {
				x[i] = x0[i] * g
			}
		},
	}
}

// rotation: d(x, y)/dt = k (1+t) (-y, x), a rotation by theta(t) = k (t + t^2/2),
// on rows of two elements.
func rotation(k float64) problem {
	theta := func(t float64) float64 { return k * (t + t*t/2) }
	return problem{
		name: fmt.Sprintf("rotation k=%g", k),
		x0:   []float64{1, 0, 0.3, -0.7, -1.5, 0.5},
		field: func(t float64, x, v []float64) {
			for r := 0; r < len(x); r += 2 {
				v[r] = -k * (1 + t) * x[r+1]
				v[r+1] = k * (1 + t) * x[r]
			}
		},
		exact: func(t0, t1 float64, x0, x []float64) {
			s, c := math.Sincos(theta(t1) - theta(t0))
			for r := 0; r < len(x0); r += 2 {
				x[r] = c*x0[r] - s*x0[r+1]
				x[r+1] = s*x0[r] + c*x0[r+1]
			}
		},
	}
}

// hostField turns a host function into a Field that downloads x, computes v in
// float64 and uploads it, counting its calls.
func hostField(be compute.Backend, fn func(t float64, x, v []float64), calls *int) Field {
	var xs, vs []float32
	var x64, v64 []float64
	return func(t float32, x, v compute.Buffer) {
		n := x.Len()
		if v.Len() != n {
			panic("hostField: lengths differ")
		}
		if len(xs) != n {
			xs, vs = make([]float32, n), make([]float32, n)
			x64, v64 = make([]float64, n), make([]float64, n)
		}
		be.Download(xs, x)
		for i, xi := range xs {
			x64[i] = float64(xi)
		}
		fn(float64(t), x64, v64)
		for i, vi := range v64 {
			vs[i] = float32(vi)
		}
		be.Upload(v, vs)
		if calls != nil {
			*calls++
		}
	}
}

func upload(be compute.Backend, x []float64) compute.Buffer {
	b := be.Alloc(len(x))
	h := make([]float32, len(x))
	for i, v := range x {
		h[i] = float32(v)
	}
	be.Upload(b, h)
	return b
}

func download(be compute.Backend, b compute.Buffer) []float64 {
	h := make([]float32, b.Len())
	be.Download(h, b)
	x := make([]float64, len(h))
	for i, v := range h {
		x[i] = float64(v)
	}
	return x
}

// solveProblem solves p over the time range of o and returns the max abs error
// at the end, the stats and the number of Field calls.
func solveProblem(t *testing.T, be compute.Backend, p problem, o Options) (maxErr float64, st Stats, calls int) {
	t.Helper()
	x := upload(be, p.x0)
	defer be.Free(x)
	st, err := Solve(be, hostField(be, p.field, &calls), x, o)
	if err != nil {
		t.Fatalf("%s %s: %v", p.name, o.Method, err)
	}
	t0, t1 := o.span()
	want := make([]float64, len(p.x0))
	p.exact(t0, t1, p.x0, want)
	got := download(be, x)
	for i := range got {
		maxErr = math.Max(maxErr, math.Abs(got[i]-want[i]))
	}
	return maxErr, st, calls
}

// riccati: dx/dt = t x^2, x(t) = 1 / (1/x(t0) - (t^2 - t0^2)/2): nonlinear and
// time-dependent (finite on [0, 1] for x0 < 2).
func riccati() problem {
	return problem{
		name: "riccati",
		x0:   []float64{1, -0.5, 1.5},
		field: func(t float64, x, v []float64) {
			for i := range x {
				v[i] = t * x[i] * x[i]
			}
		},
		exact: func(t0, t1 float64, x0, x []float64) {
			for i := range x0 {
				x[i] = 1 / (1/x0[i] - (t1*t1-t0*t0)/2)
			}
		},
	}
}

func newCPU() compute.Backend { return cpu.New(1) }
