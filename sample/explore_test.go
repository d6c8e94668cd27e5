package sample

import (
	"math"
	"testing"
)

func expo() problem {
	return problem{
		name: "expo",
		x0:   []float64{1, -0.5, 0.25},
		field: func(t float64, x, v []float64) {
			for i := range x {
				v[i] = (1 + 2*t) * x[i]
			}
		},
		exact: func(t0, t1 float64, x0, x []float64) {
			g := math.Exp(t1 + t1*t1 - t0 - t0*t0)
			for i := range x0 {
				x[i] = x0[i] * g
			}
		},
	}
}

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

func TestExplore(t *testing.T) {
	be := newCPU()
	for _, p := range []problem{rotation(6), growth(3, 4), growth(2, 2)} {
		for _, m := range []Method{RK4} {
			prev := 0.0
			for _, n := range []int{2, 4, 8, 16, 32, 64, 128, 256, 512} {
				e, _, _ := solveProblem(t, be, p, Options{Method: m, Steps: n})
				t.Logf("%s %s N=%d err=%.3e order=%.3f", p.name, m, n, e, math.Log2(prev/e))
				prev = e
			}
		}
	}
}
