package eval

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/philox"
)

// In 1D the sliced W2 is the exact W2 (every direction is +-1), which for
// equal sizes pairs the sorted values.
func TestSlicedW2OneDimension(t *testing.T) {
	a := uniforms(300, 5, 0, -2, 3)
	b := uniforms(300, 5, 1, 0, 1)
	got, err := SlicedW2(a, b, 1, 7, philox.Key{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	want, err := W2(a, b, 1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("SlicedW2 in 1D = %.15g, exact W2 %.15g", got, want)
	}
}

// Unequal sizes in 1D: {0, 1} against {0, 0.5, 1}: the quantile functions
// differ by 0.5 on (1/3, 1/2) and by 0.5 on (1/2, 2/3): W2^2 = 2 (1/6)(1/4).
func TestW2Squared1DUnequal(t *testing.T) {
	got := W2Squared1D([]float64{1, 0}, []float64{0.5, 1, 0})
	if want := 2 * (1.0 / 6) * 0.25; math.Abs(got-want) > 1e-15 {
		t.Errorf("W2^2 = %v, want %v", got, want)
	}
	// A point mass against n values: the mean squared distance.
	if got := W2Squared1D([]float64{2}, []float64{0, 1, 5}); math.Abs(got-(4+1+9)/3.0) > 1e-14 {
		t.Errorf("point mass: %v, want 14/3", got)
	}
}

// A set and its translate by mu: every projection is shifted by theta.mu, so
// SW2^2 is exactly the mean of (theta_p . mu)^2 over the directions, and
// close to |mu|^2 / d for many directions.
func TestSlicedW2Shift(t *testing.T) {
	const n, d, P = 400, 5, 4000
	a := uniforms(n*d, 9, 0, -1, 1)
	mu := []float64{1, -2, 0.5, 0, 3}
	b := make([]float32, len(a))
	for i := range a {
		b[i] = float32(float64(a[i]) + mu[i%d])
	}
	key := philox.Key{Seed: 3, Stream: 2}
	got, err := SlicedW2(a, b, d, P, key)
	if err != nil {
		t.Fatal(err)
	}
	dirs := Directions(d, P, key)
	var want, mu2 float64
	for p := 0; p < P; p++ {
		var s float64
		for k := 0; k < d; k++ {
			s += dirs[p*d+k] * mu[k]
		}
		want += s * s
	}
	want = math.Sqrt(want / P)
	for _, m := range mu {
		mu2 += m * m
	}
	// float32 rounding of b moves each projection by about 1e-7.
	if math.Abs(got-want) > 1e-5 {
		t.Errorf("SlicedW2 of a shift = %.9g, want %.9g", got, want)
	}
	if e := math.Sqrt(mu2 / d); math.Abs(got-e) > 0.03*e {
		t.Errorf("SlicedW2 of a shift = %.4g, want about |mu|/sqrt(d) = %.4g", got, e)
	}
	for p := 0; p < P; p++ {
		var nn float64
		for k := 0; k < d; k++ {
			nn += dirs[p*d+k] * dirs[p*d+k]
		}
		if math.Abs(nn-1) > 1e-12 {
			t.Fatalf("direction %d has norm^2 %v", p, nn)
		}
	}
}

func TestSlicedW2Errors(t *testing.T) {
	if _, err := SlicedW2(nil, []float32{1, 2}, 2, 4, philox.Key{}); err == nil {
		t.Error("empty set: no error")
	}
	if _, err := SlicedW2([]float32{1, float32(math.NaN())}, []float32{1, 2}, 2, 4, philox.Key{}); err == nil {
		t.Error("NaN: no error")
	}
}
