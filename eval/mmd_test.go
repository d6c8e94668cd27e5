package eval

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/philox"
)

// Point masses: every within-set kernel value is 1, so MMD2 = 2 - 2 k(x, y).
func TestMMD2PointMasses(t *testing.T) {
	a := []float32{1, 2, 1, 2, 1, 2}
	b := []float32{0, 0, 0, 0}
	got, err := MMD2(a, b, 2, 1.5)
	if err != nil {
		t.Fatal(err)
	}
	want := 2 - 2*math.Exp(-5/(2*1.5*1.5))
	if math.Abs(got-want) > 1e-14 {
		t.Errorf("MMD2 = %.17g, want %.17g", got, want)
	}
}

// Against the definition written out as three plain double loops.
func TestMMD2Definition(t *testing.T) {
	const d = 3
	a := uniforms(40*d, 2, 0, -1, 1)
	b := uniforms(25*d, 2, 1, -1, 2)
	k := func(x, y []float32) float64 {
		var c float64
		for i := range x {
			t := float64(x[i]) - float64(y[i])
			c += t * t
		}
		return math.Exp(-c / (2 * 0.7 * 0.7))
	}
	n, m := 40, 25
	var sa, sb, sab float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i != j {
				sa += k(a[i*d:i*d+d], a[j*d:j*d+d])
			}
		}
		for j := 0; j < m; j++ {
			sab += k(a[i*d:i*d+d], b[j*d:j*d+d])
		}
	}
	for i := 0; i < m; i++ {
		for j := 0; j < m; j++ {
			if i != j {
				sb += k(b[i*d:i*d+d], b[j*d:j*d+d])
			}
		}
	}
	want := sa/float64(n*(n-1)) + sb/float64(m*(m-1)) - 2*sab/float64(n*m)
	got, err := MMD2(a, b, d, 0.7)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("MMD2 = %.15g, definition %.15g", got, want)
	}
}

// Gaussians N(0, s^2 I) and N(mu, s^2 I) with the RBF kernel of bandwidth
// sigma: MMD^2 = 2 (sigma^2/(sigma^2 + 2 s^2))^(d/2) (1 - exp(-|mu|^2 / (2 (sigma^2 + 2 s^2)))).
func TestMMD2Gaussians(t *testing.T) {
	const n, d, s, sigma = 3000, 2, 1.0, 1.0
	a := make([]float32, n*d)
	b := make([]float32, n*d)
	philox.Key{Seed: 4, Stream: 0}.FillNormal(a, 0)
	philox.Key{Seed: 4, Stream: 1}.FillNormal(b, 0)
	mu := []float32{1, 0.5}
	for i := range b {
		b[i] += mu[i%d]
	}
	got, err := MMD2(a, b, d, sigma)
	if err != nil {
		t.Fatal(err)
	}
	v := sigma*sigma + 2*s*s
	want := 2 * math.Pow(sigma*sigma/v, d/2.0) * (1 - math.Exp(-1.25/(2*v)))
	// The estimator's standard deviation is about 0.003 here.
	if math.Abs(got-want) > 0.012 {
		t.Errorf("MMD2 of shifted Gaussians = %.4f, want %.4f", got, want)
	}
	same, err := MMD2(a, a[:n*d/2], d, sigma)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(same) > 0.005 {
		t.Errorf("MMD2 of two halves of one sample = %.4f, want about 0", same)
	}
}

func TestMedianDistance(t *testing.T) {
	// Distances 1, 2, 3 (points 0, 1, 3 on a line): median 2.
	if got := MedianDistance([]float32{0, 1, 3}, 1); got != 2 {
		t.Errorf("median distance = %v, want 2", got)
	}
	// 0, 1, 3, 6: distances 1 2 3 3 5 6: median 3.
	if got := MedianDistance([]float32{0, 1, 3, 6}, 1); got != 3 {
		t.Errorf("median distance = %v, want 3", got)
	}
}

func TestNearestDistances(t *testing.T) {
	train := []float32{0, 0, 3, 4, -1, 0}
	got, err := NearestDistances([]float32{3, 4, 0, 0.5, 10, 0}, train, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 0.5, math.Sqrt(49 + 16)}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("nearest[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if _, err := NearestDistances([]float32{1, 2}, nil, 2); err == nil {
		t.Error("empty training set: no error")
	}
}
