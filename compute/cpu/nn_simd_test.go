package cpu

import (
	"math"
	"math/rand"
	"testing"
)

// TestColSumsAndAddExact checks the vector column sums and row additions
// against their scalar specs bit for bit, over widths with and without a
// vector tail and over column offsets.
func TestColSumsAndAddExact(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	for _, c := range []struct{ X, lo, w, N int }{
		{128, 0, 64, 300}, {128, 64, 64, 7}, {4, 0, 4, 1000}, {50, 3, 37, 129}, {16, 0, 16, 1}, {33, 1, 17, 5},
	} {
		d := make([]float32, c.X*c.N)
		for i := range d {
			d[i] = float32(rng.NormFloat64() * math.Exp(4*rng.Float64()))
		}
		got, want := make([]float64, c.w), make([]float64, c.w)
		for j := range got {
			got[j] = rng.NormFloat64()
			want[j] = got[j]
		}
		colSums64(got, d, c.X, c.lo, c.N)
		colSums64Scalar(want, d, c.X, c.lo, c.N)
		for j := range got {
			if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
				t.Fatalf("colSums64 %+v: column %d = %v, scalar loop %v", c, j, got[j], want[j])
			}
		}
		a, b := d[:c.w], make([]float32, c.w)
		for j := range b {
			b[j] = float32(rng.NormFloat64())
		}
		x, y := append([]float32(nil), b...), append([]float32(nil), b...)
		addTo(x, a)
		addToScalar(y, a)
		for j := range x {
			if math.Float32bits(x[j]) != math.Float32bits(y[j]) || x[j] != b[j]+a[j] {
				t.Fatalf("addTo %+v: element %d = %v, scalar loop %v", c, j, x[j], y[j])
			}
		}
	}
}
