package eval

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// slowSinkhorn is the textbook primal form, for moderate eps only: matrix
// scaling of K = exp(-C/eps) to the uniform marginals, then the primal value
// <C, P> + eps KL(P | a x b) of the coupling P, debiased.
func slowSinkhorn(a, b []float32, d int, eps float64, iters int) float64 {
	ot := func(x, y []float32) float64 {
		n, m := len(x)/d, len(y)/d
		c := sqDistances(x, y, d)
		k := make([]float64, len(c))
		for i := range c {
			k[i] = math.Exp(-c[i] / eps)
		}
		u, v := make([]float64, n), make([]float64, m)
		for j := range v {
			v[j] = 1
		}
		for it := 0; it < iters; it++ {
			for i := range u {
				var s float64
				for j := range v {
					s += k[i*m+j] * v[j]
				}
				u[i] = 1 / float64(n) / s
			}
			for j := range v {
				var s float64
				for i := range u {
					s += k[i*m+j] * u[i]
				}
				v[j] = 1 / float64(m) / s
			}
		}
		var val float64
		for i := range u {
			for j := range v {
				p := u[i] * k[i*m+j] * v[j]
				val += c[i*m+j]*p + eps*p*math.Log(p*float64(n*m))
			}
		}
		return val
	}
	return ot(a, b) - ot(a, a)/2 - ot(b, b)/2
}

func TestSinkhornTable(t *testing.T) {
	tests := []struct {
		a, b []float32
		d    int
		eps  float64
		want float64
	}{
		// One point each: the only coupling, no entropy: |p - q|^2.
		{[]float32{0, 0}, []float32{3, 4}, 2, 0.1, 25},
		{[]float32{0, 0}, []float32{3, 4}, 2, 100, 25},
		{[]float32{-1}, []float32{2}, 1, 1e-6, 9},
		// Equal sets: exactly 0.
		{[]float32{0, 1, 5}, []float32{0, 1, 5}, 1, 0.01, 0},
		{[]float32{1, 2, 3, 4}, []float32{1, 2, 3, 4}, 2, 1, 0},
	}
	for _, tt := range tests {
		got := Sinkhorn(tt.a, tt.b, tt.d, tt.eps, 50)
		if math.Abs(got-tt.want) > 1e-12*max(1, tt.want) {
			t.Errorf("Sinkhorn(%v, %v, eps=%v) = %.17g, want %v", tt.a, tt.b, tt.eps, got, tt.want)
		}
	}
}

// Against the primal matrix-scaling reference, where that is stable.
func TestSinkhornSlowReference(t *testing.T) {
	for _, tt := range []struct {
		n, m, d int
		eps     float64
	}{{5, 5, 2, 0.5}, {7, 4, 2, 1}, {6, 9, 3, 0.3}, {3, 3, 1, 2}} {
		a := uniforms(tt.n*tt.d, uint64(tt.n*100+tt.m), 0, -1, 1)
		b := uniforms(tt.m*tt.d, uint64(tt.n*100+tt.m), 1, -0.5, 1.5)
		got := Sinkhorn(a, b, tt.d, tt.eps, 3000)
		want := slowSinkhorn(a, b, tt.d, tt.eps, 3000)
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("n=%d m=%d d=%d eps=%v: Sinkhorn = %.15g, primal reference %.15g", tt.n, tt.m, tt.d, tt.eps, got, want)
		}
		if rev := Sinkhorn(b, a, tt.d, tt.eps, 3000); math.Abs(rev-got) > 1e-9 {
			t.Errorf("n=%d m=%d: not symmetric: %v and %v", tt.n, tt.m, got, rev)
		}
	}
}

// For n = m, |S_eps - W2^2| <= eps log n once converged: OT_eps(a, b) lies in
// [W2^2, W2^2 + eps log n] (the entropy of a permutation coupling is log n)
// and OT_eps(a, a) in [0, eps log n].
func TestSinkhornSmallEpsApproachesW2(t *testing.T) {
	for _, n := range []int{2, 4, 6, 7} {
		a := uniforms(2*n, uint64(n), 0, -4, 4)
		b := uniforms(2*n, uint64(n), 1, -4, 4)
		w, err := W2(a, b, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, eps := range []float64{0.1, 0.01, 0.001} {
			s := Sinkhorn(a, b, 2, eps, 2000)
			if bound := eps*math.Log(float64(n)) + 1e-6; math.Abs(s-w*w) > bound {
				t.Errorf("n=%d eps=%v: Sinkhorn = %v, W2^2 = %v, differ by more than %v", n, eps, s, w*w, bound)
			}
		}
	}
}

// A set and the same set written twice are the same measure.
func TestSinkhornDuplicatedSet(t *testing.T) {
	a := uniforms(2*20, 9, 0, -4, 4)
	b := uniforms(2*13, 9, 1, -4, 4)
	aa := append(append([]float32(nil), a...), a...)
	if s := Sinkhorn(aa, a, 2, 0.1, 300); math.Abs(s) > 1e-9 {
		t.Errorf("S(a twice, a) = %v, want 0", s)
	}
	s1, s2 := Sinkhorn(a, b, 2, 0.1, 300), Sinkhorn(aa, b, 2, 0.1, 300)
	if math.Abs(s1-s2) > 1e-9 {
		t.Errorf("S(a, b) = %v but S(a twice, b) = %v", s1, s2)
	}
}

func TestSinkhornMisuse(t *testing.T) {
	p := []float32{1, 2}
	for _, tt := range []struct {
		d     int
		eps   float64
		iters int
		msg   string
	}{
		{0, 1, 1, "d = 0"},
		{3, 1, 1, "not a multiple"},
		{2, 0, 1, "eps = 0"},
		{2, math.NaN(), 1, "eps = NaN"},
		{2, math.Inf(1), 1, "eps = +Inf"},
		{2, 1, 0, "iters = 0"},
	} {
		func() {
			defer func() {
				r := fmt.Sprint(recover())
				if !strings.HasPrefix(r, "eval: ") || !strings.Contains(r, tt.msg) {
					t.Errorf("d=%d eps=%v iters=%d: recovered %q, want an eval: panic saying %q", tt.d, tt.eps, tt.iters, r, tt.msg)
				}
			}()
			Sinkhorn(p, p, tt.d, tt.eps, tt.iters)
		}()
	}
	for _, q := range [][]float32{nil, {1, float32(math.NaN())}, {float32(math.Inf(-1)), 0}} {
		if s := Sinkhorn(q, p, 2, 1, 1); !math.IsNaN(s) {
			t.Errorf("Sinkhorn(%v, %v) = %v, want NaN", q, p, s)
		}
		if s := Sinkhorn(p, q, 2, 1, 1); !math.IsNaN(s) {
			t.Errorf("Sinkhorn(%v, %v) = %v, want NaN", p, q, s)
		}
	}
}

// BenchmarkSinkhorn times the divergence between two uniform samples of
// [-4, 4]^2 at eps = 0.05 (squared-distance units) with 50 iterations after
// eps-scaling.
func BenchmarkSinkhorn(b *testing.B) {
	for _, n := range []int{500, 2000} {
		x := uniforms(2*n, 1, 0, -4, 4)
		y := uniforms(2*n, 2, 0, -4, 4)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				Sinkhorn(x, y, 2, 0.05, 50)
			}
		})
	}
}
