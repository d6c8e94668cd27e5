package eval

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/philox"
)

// uniforms returns n values uniform on (lo, hi) from stream (seed, stream).
func uniforms(n int, seed uint64, stream uint32, lo, hi float32) []float32 {
	v := make([]float32, n)
	philox.Key{Seed: seed, Stream: stream}.FillUniform(v, 0)
	for i := range v {
		v[i] = lo + (hi-lo)*v[i]
	}
	return v
}

// bruteW2 is the definition: the minimum over all n! permutations (Heap's
// algorithm) of the mean squared distance.
func bruteW2(a, b []float32, d int) float64 {
	n := len(a) / d
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	cost := func() float64 {
		var s float64
		for i, j := range perm {
			for k := 0; k < d; k++ {
				t := float64(a[i*d+k]) - float64(b[j*d+k])
				s += t * t
			}
		}
		return s
	}
	best := cost()
	c := make([]int, n)
	for i := 1; i < n; {
		if c[i] < i {
			if i%2 == 0 {
				perm[0], perm[i] = perm[i], perm[0]
			} else {
				perm[c[i]], perm[i] = perm[i], perm[c[i]]
			}
			best = min(best, cost())
			c[i]++
			i = 1
		} else {
			c[i] = 0
			i++
		}
	}
	return math.Sqrt(best / float64(n))
}

func TestW2Table(t *testing.T) {
	tests := []struct {
		a, b []float32
		d    int
		want float64
	}{
		{[]float32{3}, []float32{-1}, 1, 4},
		{[]float32{0, 1}, []float32{2, 3}, 1, 2},
		{[]float32{0, 10}, []float32{11, 1}, 1, 1},
		{[]float32{0, 1, 2}, []float32{2, 0, 1}, 1, 0},
		// Unit square corners against the same corners reordered: 0.
		{[]float32{0, 0, 1, 0, 0, 1, 1, 1}, []float32{1, 1, 0, 1, 1, 0, 0, 0}, 2, 0},
		// (0,0),(1,0) to (1,1),(0,1): each moves up by 1.
		{[]float32{0, 0, 1, 0}, []float32{1, 1, 0, 1}, 2, 1},
		// (0,0),(2,0) to (0,1),(2,-1): identity costs 1+1, the swap 5+5.
		{[]float32{0, 0, 2, 0}, []float32{0, 1, 2, -1}, 2, 1},
		// 3D: (0,0,0),(1,1,1) to (1,1,2),(0,0,1): shift by (0,0,1) after swapping.
		{[]float32{0, 0, 0, 1, 1, 1}, []float32{1, 1, 2, 0, 0, 1}, 3, 1},
		// Two points onto one location twice: mean of 1 and 4 -> sqrt(2.5).
		{[]float32{-1, 2}, []float32{0, 0}, 1, math.Sqrt(2.5)},
	}
	for _, tt := range tests {
		got, err := W2(tt.a, tt.b, tt.d)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("W2(%v, %v, %d) = %v, want %v", tt.a, tt.b, tt.d, got, tt.want)
		}
	}
}

// Against all permutations, for n <= 7, in 1 to 3 dimensions, on random
// points and on integer points with many ties.
func TestW2BruteForce(t *testing.T) {
	for n := 1; n <= 7; n++ {
		for d := 1; d <= 3; d++ {
			for trial := 0; trial < 20; trial++ {
				seed := uint64(1000*n + 100*d + trial)
				a := uniforms(n*d, seed, 0, -4, 4)
				b := uniforms(n*d, seed, 1, -4, 4)
				if trial%2 == 1 { // small integers: ties everywhere
					for i := range a {
						a[i], b[i] = float32(math.Floor(float64(a[i])/3)), float32(math.Floor(float64(b[i])/3))
					}
				}
				got, err := W2(a, b, d)
				if err != nil {
					t.Fatal(err)
				}
				if want := bruteW2(a, b, d); math.Abs(got-want) > 1e-12*max(1, want) {
					t.Errorf("n=%d d=%d trial %d: W2 = %.17g, brute force %.17g", n, d, trial, got, want)
				}
			}
		}
	}
}

// Optimality of larger assignments: a permutation is optimal if and only if
// no cycle of rows passing their columns along lowers the cost, i.e. the
// graph with edges i -> k of weight c[i][x[k]] - c[i][x[i]] has no negative
// cycle (Bellman-Ford from a virtual source).
func TestAssignmentNoNegativeCycle(t *testing.T) {
	for _, n := range []int{2, 17, 60, 150} {
		for trial := 0; trial < 3; trial++ {
			a := uniforms(2*n, uint64(n*10+trial), 0, -4, 4)
			b := uniforms(2*n, uint64(n*10+trial), 1, -4, 4)
			if trial == 2 { // ties: points on a coarse grid
				for i := range a {
					a[i], b[i] = float32(math.Round(float64(a[i]))), float32(math.Round(float64(b[i])))
				}
			}
			c := sqDistances(a, b, 2)
			x := assignment(c, n)
			seen := make([]bool, n)
			for _, j := range x {
				if j < 0 || j >= n || seen[j] {
					t.Fatalf("n=%d: %v is not a permutation", n, x)
				}
				seen[j] = true
			}
			dist := make([]float64, n) // all 0: the virtual source
			const tol = 1e-9
			for iter := 0; iter <= n; iter++ {
				changed := false
				for i := 0; i < n; i++ {
					for k := 0; k < n; k++ {
						w := c[i*n+x[k]] - c[i*n+x[i]]
						if dist[i]+w < dist[k]-tol {
							dist[k] = dist[i] + w
							changed = true
						}
					}
				}
				if !changed {
					break
				}
				if iter == n {
					t.Errorf("n=%d trial %d: negative cycle, the assignment is not optimal", n, trial)
				}
			}
		}
	}
}

// In one dimension the optimal assignment matches sorted order, which gives
// an exact reference for large sets (hard ones for the algorithm: long
// augmenting paths and many ties).
func TestW2OneDimensionSorted(t *testing.T) {
	for _, n := range []int{10, 333, 1000} {
		a := uniforms(n, uint64(n), 0, -4, 4)
		b := uniforms(n, uint64(n), 1, -2, 5)
		for i := 0; i < n/3; i++ { // some duplicates
			b[3*i+1] = b[3*i]
		}
		start := time.Now()
		got, err := W2(a, b, 1)
		if err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		sa, sb := append([]float32(nil), a...), append([]float32(nil), b...)
		sort.Slice(sa, func(i, j int) bool { return sa[i] < sa[j] })
		sort.Slice(sb, func(i, j int) bool { return sb[i] < sb[j] })
		var s float64
		for i := range sa {
			t := float64(sa[i]) - float64(sb[i])
			s += t * t
		}
		if want := math.Sqrt(s / float64(n)); math.Abs(got-want) > 1e-9*want {
			t.Errorf("n=%d: W2 = %.15g, sorted matching %.15g", n, got, want)
		}
		t.Logf("n=%d: %v", n, elapsed)
	}
}

func TestW2KnownCases(t *testing.T) {
	const n = 1000
	a, err := data.Toy("checkerboard", n, philox.Key{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	// Identical sets, and the same set in another order: 0.
	if got, err := W2(a, a, 2); err != nil || got != 0 {
		t.Errorf("W2(a, a) = %v, %v; want 0", got, err)
	}
	rev := make([]float32, len(a))
	for i := 0; i < n; i++ {
		copy(rev[2*i:2*i+2], a[2*(n-1-i):2*(n-1-i)+2])
	}
	if got, err := W2(a, rev, 2); err != nil || got != 0 {
		t.Errorf("W2(a, reversed a) = %v, %v; want 0", got, err)
	}
	// A shifted set: the shift length (every permutation other than the
	// identity adds sum |a_i - a_s(i)|^2 >= 0 to it).
	shift := [2]float32{0.75, -1}
	b := make([]float32, len(a))
	for i := range a {
		b[i] = a[i] + shift[i%2]
	}
	got, err := W2(a, b, 2)
	if err != nil {
		t.Fatal(err)
	}
	// The shift in float32 is exact only up to rounding of a[i]+shift.
	if math.Abs(got-1.25) > 1e-6 {
		t.Errorf("W2(a, a + (0.75, -1)) = %v, want 1.25", got)
	}
}

func TestW2Errors(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		a, b []float32
		msg  string
	}{
		{[]float32{1, 2}, []float32{1, 2, 3, 4}, "equal size, have 1 and 2 points"},
		{nil, nil, "empty"},
		{[]float32{1, nan}, []float32{1, 2}, "first set: point 0 has coordinate NaN"},
		{[]float32{1, 2, 3, 4}, []float32{1, 2, 3, float32(math.Inf(-1))}, "second set: point 1 has coordinate -Inf"},
		{make([]float32, 2*MaxW2Points+2), make([]float32, 2*MaxW2Points+2), "more than 10000"},
	}
	for _, tt := range tests {
		_, err := W2(tt.a, tt.b, 2)
		if err == nil || !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "eval: ") {
			t.Errorf("W2 error %v, want one saying %q", err, tt.msg)
		}
	}
	for _, tt := range []struct {
		a []float32
		d int
	}{{[]float32{1, 2}, 0}, {[]float32{1, 2, 3}, 2}} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "eval: ") {
					t.Errorf("W2 with %d values, d=%d: recovered %v, want an eval: panic", len(tt.a), tt.d, r)
				}
			}()
			W2(tt.a, tt.a, tt.d)
		}()
	}
}

// BenchmarkW2 times W2 between two independent checkerboard samples (a
// trained model's samples against the target) of n points.
func BenchmarkW2(b *testing.B) {
	for _, n := range []int{500, 1000, 2000} {
		x, _ := data.Toy("checkerboard", n, philox.Key{Seed: 1})
		y, _ := data.Toy("checkerboard", n, philox.Key{Seed: 2})
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := W2(x, y, 2); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
