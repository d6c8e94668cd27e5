package cpu

import (
	"math"
	"testing"
)

// expf against math.Exp over its whole range, relative error below 4e-7.
func TestExpf(t *testing.T) {
	worst := 0.0
	for x := float32(-87); x <= 88; x += 0.0137 {
		got, want := float64(expf(x)), math.Exp(float64(x))
		if e := math.Abs(got-want) / want; e > worst {
			worst = e
		}
	}
	if worst > 4e-7 {
		t.Errorf("expf: max relative error %.2e", worst)
	}
	if expf(-100) != 0 || !math.IsInf(float64(expf(100)), 1) {
		t.Error("expf out of range")
	}
	for _, x := range []float32{-30, -1, 0, 1e-8, 2, 30} {
		got, want := float64(sigmoidf(x)), 1/(1+math.Exp(-float64(x)))
		if math.Abs(got-want) > 3e-7*want {
			t.Errorf("sigmoidf(%g) = %g, want %g", x, got, want)
		}
	}
}
