package eval

import (
	"math"
	"strings"
	"testing"

	"github.com/latentflow/latentflow/philox"
	"gonum.org/v1/gonum/mat"
)

func sym(d int, v ...float64) *mat.SymDense { return mat.NewSymDense(d, v) }

func TestFrechetGaussiansTable(t *testing.T) {
	// The 2x2 closed form: for PSD 2x2 M, tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)),
	// with M = S1^(1/2) S2 S1^(1/2): tr M = tr(S1 S2), det M = det S1 det S2.
	// S1 = [[2,1],[1,2]], S2 = diag(1,4): tr(S1 S2) = 10, det = 3*4.
	nonCommuting := 4 + 5 - 2*math.Sqrt(10+2*math.Sqrt(12))
	tests := []struct {
		name     string
		mu1      []float64
		s1       *mat.SymDense
		mu2      []float64
		s2       *mat.SymDense
		want     float64
		tolRel   float64
		describe string
	}{
		{"1D", []float64{1}, sym(1, 4), []float64{-2}, sym(1, 1), 10, 1e-14, "(1+2)^2 + (2-1)^2"},
		{"equal", []float64{1, 2}, sym(2, 2, 1, 1, 2), []float64{1, 2}, sym(2, 2, 1, 1, 2), 0, 0, "0"},
		{"diagonal", []float64{0, 0}, sym(2, 4, 0, 0, 9), []float64{1, 1}, sym(2, 1, 0, 0, 1), 7, 1e-14, "2 + (2-1)^2 + (3-1)^2"},
		{"non-commuting", []float64{0, 0}, sym(2, 2, 1, 1, 2), []float64{0, 0}, sym(2, 1, 0, 0, 4), nonCommuting, 1e-12, "2x2 closed form"},
		{"scaled", []float64{0, 0, 0}, sym(3, 2, 1, 0, 1, 3, 1, 0, 1, 4), []float64{0, 0, 3},
			sym(3, 2*6.25, 1*6.25, 0, 1*6.25, 3*6.25, 1*6.25, 0, 1*6.25, 4*6.25), 9 + (1-2.5)*(1-2.5)*9, 1e-12, "S2 = 2.5^2 S1: 9 + (1-2.5)^2 tr S1"},
		{"singular", []float64{0, 0}, sym(2, 1, 1, 1, 1), []float64{0, 0}, sym(2, 0, 0, 0, 0), 2, 1e-12, "tr S1"},
	}
	for _, tt := range tests {
		got, err := frechetGaussians(tt.mu1, tt.s1, tt.mu2, tt.s2)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tt.want) > tt.tolRel*max(1, tt.want)+1e-14 {
			t.Errorf("%s: %.17g, want %.17g (%s)", tt.name, got, tt.want, tt.describe)
		}
	}
}

// Commuting covariances, S = Q diag(l) Q^T with one random rotation Q: the
// distance is |mu1 - mu2|^2 + sum (sqrt l1 - sqrt l2)^2.
func TestFrechetGaussiansCommuting(t *testing.T) {
	const d = 5
	// Q from the eigenvectors of a random symmetric matrix.
	r := uniforms(d*d, 77, 0, -1, 1)
	a := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			a.SetSym(i, j, float64(r[i*d+j]))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(a, true) {
		t.Fatal("eigendecomposition failed")
	}
	var q mat.Dense
	eig.VectorsTo(&q)
	l1 := []float64{0.5, 1, 2, 3, 0}
	l2 := []float64{2, 1, 0.25, 4, 1}
	build := func(l []float64) *mat.SymDense {
		var s mat.Dense
		s.Mul(&q, mat.NewDiagDense(d, l))
		s.Mul(&s, q.T())
		out := mat.NewSymDense(d, nil)
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				out.SetSym(i, j, (s.At(i, j)+s.At(j, i))/2)
			}
		}
		return out
	}
	mu1, mu2 := []float64{1, 0, 0, 2, 0}, []float64{0, 0, 1, 0, 0}
	want := 1.0 + 4 + 1
	for k := range l1 {
		t := math.Sqrt(l1[k]) - math.Sqrt(l2[k])
		want += t * t
	}
	got, err := frechetGaussians(mu1, build(l1), mu2, build(l2))
	if err != nil {
		t.Fatal(err)
	}
	// A zero eigenvalue's square root amplifies rounding: sqrt(1e-16) = 1e-8.
	if math.Abs(got-want) > 1e-7 {
		t.Errorf("commuting: %.15g, want %.15g", got, want)
	}
}

func TestFrechetSets(t *testing.T) {
	// a: mean 0, unbiased covariance diag(2/3, 8/3); b: mean (2, 1),
	// covariance diag(2/3, 2/3). d^2 = 5 + 0 + (sqrt(8/3) - sqrt(2/3))^2 = 5 + 2/3.
	a := []float32{1, 0, -1, 0, 0, 2, 0, -2}
	b := []float32{1, 1, 3, 1, 2, 2, 2, 0}
	got, err := Frechet(a, b, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := 5 + 2.0/3; math.Abs(got-want) > 1e-12 {
		t.Errorf("Frechet(a, b) = %.17g, want %.17g", got, want)
	}
	if got, err := Frechet(a, a, 2); err != nil || got != 0 {
		t.Errorf("Frechet(a, a) = %v, %v; want 0", got, err)
	}
	// A shifted set has the same covariance: the squared shift.
	c := make([]float32, len(a))
	for i := range a {
		c[i] = a[i] + []float32{0.5, -2}[i%2]
	}
	if got, _ := Frechet(a, c, 2); math.Abs(got-4.25) > 1e-12 {
		t.Errorf("Frechet(a, a + (0.5, -2)) = %v, want 4.25", got)
	}
}

// Large samples of known Gaussians: N(0, I) and N((1, -1), diag(4, 1)), whose
// distance is 2 + (2-1)^2 + 0 = 3; the estimate is within a few standard
// errors (about 0.03 here).
func TestFrechetKnownGaussians(t *testing.T) {
	const n = 20000
	a := make([]float32, 2*n)
	b := make([]float32, 2*n)
	philox.Key{Seed: 11, Stream: 0}.FillNormal(a, 0)
	philox.Key{Seed: 11, Stream: 1}.FillNormal(b, 0)
	for i := 0; i < n; i++ {
		b[2*i] = 1 + 2*b[2*i]
		b[2*i+1] = -1 + b[2*i+1]
	}
	got, err := Frechet(a, b, 2)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-3) > 0.1 {
		t.Errorf("Frechet = %v, want about 3", got)
	}
}

func TestFrechetErrors(t *testing.T) {
	tests := []struct {
		a, b []float32
		msg  string
	}{
		{[]float32{1, 2}, []float32{1, 2, 3, 4}, "at least 2 points per set for a covariance, have 1 and 2"},
		{[]float32{1, 2, 3, float32(math.NaN())}, []float32{1, 2, 3, 4}, "first set: point 1 has coordinate NaN"},
		{[]float32{1, 2, 3, 4}, []float32{float32(math.Inf(1)), 2, 3, 4}, "second set: point 0 has coordinate +Inf"},
	}
	for _, tt := range tests {
		_, err := Frechet(tt.a, tt.b, 2)
		if err == nil || !strings.HasPrefix(err.Error(), "eval: Frechet") || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("error %v, want one saying %q", err, tt.msg)
		}
	}
}
