package backendtest

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/eval"
)

// TestOTCoupling checks OTCoupling (the minibatch OT coupling of flow.coupling
// = "ot"): the result is a permutation; on small batches its cost is the
// minimum over all n! assignments (brute force); on larger ones it equals the
// optimal cost of an independent solver (eval.W2, a Jonker-Volgenant
// implementation) to 1e-12 relative, which an assignment only a little worse
// than optimal fails. Ties (repeated rows) and a NaN input are covered.
func TestOTCoupling(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	// cost returns sum_i |x1_i - x0_perm[i]|^2 and checks that perm is a permutation.
	cost := func(t *testing.T, perm, x0, x1 []float32, w int) float64 {
		t.Helper()
		n := len(perm)
		seen := make([]bool, n)
		var c float64
		for i, f := range perm {
			j := int(f)
			if float32(j) != f || j < 0 || j >= n || seen[j] {
				t.Fatalf("perm[%d] = %v: not a permutation of 0..%d (%v)", i, f, n-1, perm)
			}
			seen[j] = true
			for k := 0; k < w; k++ {
				d := float64(x1[i*w+k]) - float64(x0[j*w+k])
				c += d * d
			}
		}
		return c
	}
	solve := func(x0, x1 []float32, w int) []float32 {
		n := len(x0) / w
		p, a, c := b.Alloc(n), b.Alloc(n*w), b.Alloc(n*w)
		defer func() { b.Free(p); b.Free(a); b.Free(c) }()
		b.Upload(a, x0)
		b.Upload(c, x1)
		b.OTCoupling(p, a, c, w)
		return download(b, p)
	}
	for _, c := range []struct{ n, w int }{{1, 1}, {2, 2}, {3, 1}, {5, 2}, {6, 3}, {7, 2}, {7, 5}} {
		s.run(t, "brute", func(t *testing.T) {
			x0, x1 := s.normal(c.n*c.w, 1), s.normal(c.n*c.w, 1.5)
			got := cost(t, solve(x0, x1, c.w), x0, x1, c.w)
			want := bruteAssignment(x0, x1, c.n, c.w)
			if math.Abs(got-want) > 1e-12*max(1, want) {
				t.Errorf("n %d, w %d: cost %.17g, brute-force minimum %.17g", c.n, c.w, got, want)
			}
		})
	}
	for _, c := range []struct{ n, w int }{{16, 2}, {100, 2}, {257, 2}, {64, 16}, {40, 98}} {
		s.run(t, "optimal", func(t *testing.T) {
			x0, x1 := s.normal(c.n*c.w, 1), s.uniform(c.n*c.w, -2, 2)
			got := cost(t, solve(x0, x1, c.w), x0, x1, c.w)
			w2, err := eval.W2(x0, x1, c.w)
			if err != nil {
				t.Fatal(err)
			}
			want := w2 * w2 * float64(c.n)
			if math.Abs(got-want) > 1e-12*want {
				t.Errorf("n %d, w %d: cost %.17g, optimal %.17g (eval.W2)", c.n, c.w, got, want)
			}
			// The identity pairing of independent draws is far from optimal.
			var id float64
			for i := range x0 {
				d := float64(x1[i]) - float64(x0[i])
				id += d * d
			}
			if !(got < id) && c.n > 1 {
				t.Errorf("n %d, w %d: cost %v not below the identity pairing's %v", c.n, c.w, got, id)
			}
		})
	}
	s.run(t, "ties", func(t *testing.T) {
		// Four distinct rows each repeated five times, on both sides.
		const n, w = 20, 2
		base := s.normal(4*w, 1)
		x0, x1 := make([]float32, n*w), make([]float32, n*w)
		for i := 0; i < n; i++ {
			copy(x0[i*w:], base[(i%4)*w:(i%4+1)*w])
			copy(x1[i*w:], base[((i/5)%4)*w:((i/5)%4+1)*w])
		}
		if got := cost(t, solve(x0, x1, w), x0, x1, w); got != 0 {
			t.Errorf("repeated rows: cost %v, want 0 (each row has an equal partner)", got)
		}
	})
	s.run(t, "nan", func(t *testing.T) {
		x0, x1 := s.normal(8, 1), s.normal(8, 1)
		x1[3] = float32(math.NaN())
		for i, v := range solve(x0, x1, 2) {
			if !math.IsNaN(float64(v)) {
				t.Errorf("NaN input: perm[%d] = %v, want NaN", i, v)
			}
		}
	})
}

// bruteAssignment is the minimum over all permutations of the pairing cost
// (depth-first with pruning; n <= 8).
func bruteAssignment(x0, x1 []float32, n, w int) float64 {
	best := math.Inf(1)
	used := make([]bool, n)
	var rec func(i int, c float64)
	rec = func(i int, c float64) {
		if c >= best {
			return
		}
		if i == n {
			best = c
			return
		}
		for j := 0; j < n; j++ {
			if used[j] {
				continue
			}
			var d2 float64
			for k := 0; k < w; k++ {
				d := float64(x1[i*w+k]) - float64(x0[j*w+k])
				d2 += d * d
			}
			used[j] = true
			rec(i+1, c+d2)
			used[j] = false
		}
	}
	rec(0, 0)
	return best
}
