package eval

import (
	"fmt"
	"math"
)

// MaxW2Points is the largest set W2 accepts: its cost matrix takes
// 8*n^2 bytes (800 MB at 10000) and its time grows as n^3.
const MaxW2Points = 10000

// W2 returns the 2-Wasserstein distance between the empirical measures of
// two sets of n points in d dimensions (each n*d float32, row-major):
//
//	W2(a, b) = sqrt( min over permutations s of (1/n) sum_i |a_i - b_s(i)|^2 )
//
// found exactly by optimal assignment (Jonker-Volgenant) in float64, O(n^3)
// time and O(n^2) memory.
//
// W2 returns an error when the sets differ in size, are empty, hold more
// than MaxW2Points points, or hold a NaN or infinity. It panics if d < 1 or
// len(a) or len(b) is not a multiple of d.
func W2(a, b []float32, d int) (float64, error) {
	n := points(a, d, "W2")
	if m := points(b, d, "W2"); m != n {
		return 0, fmt.Errorf("eval: W2 needs sets of equal size, have %d and %d points", n, m)
	}
	if n == 0 {
		return 0, fmt.Errorf("eval: W2 of empty sets")
	}
	if n > MaxW2Points {
		return 0, fmt.Errorf("eval: W2 of %d points, more than %d (use Sinkhorn)", n, MaxW2Points)
	}
	if err := finite(a, d, "first"); err != nil {
		return 0, fmt.Errorf("eval: W2: %w", err)
	}
	if err := finite(b, d, "second"); err != nil {
		return 0, fmt.Errorf("eval: W2: %w", err)
	}
	c := sqDistances(a, b, d) // (n, n)
	x := assignment(c, n)
	var sum float64
	for i, j := range x {
		sum += c[i*n+j]
	}
	return math.Sqrt(sum / float64(n)), nil
}

// points returns len(v)/d, panicking if d < 1 or d does not divide len(v).
func points(v []float32, d int, fn string) int {
	if d < 1 {
		panic(fmt.Sprintf("eval: %s with dimension d = %d < 1", fn, d))
	}
	if len(v)%d != 0 {
		panic(fmt.Sprintf("eval: %s with %d values, not a multiple of d = %d", fn, len(v), d))
	}
	return len(v) / d
}

// finite returns an error naming the first point of v (the set called which)
// that has a NaN or infinite coordinate.
func finite(v []float32, d int, which string) error {
	for k, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("%s set: point %d has coordinate %v", which, k/d, x)
		}
	}
	return nil
}

// sqDistances returns the n x m row-major matrix of squared distances
// |a_i - b_j|^2, in float64.
func sqDistances(a, b []float32, d int) []float64 {
	n, m := len(a)/d, len(b)/d
	c := make([]float64, n*m)
	parallelRows(n, m*d, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ai := a[i*d : i*d+d]
			row := c[i*m : i*m+m]
			for j := range row {
				bj := b[j*d : j*d+d]
				var s float64
				for k, x := range ai {
					t := float64(x) - float64(bj[k])
					s += t * t
				}
				row[j] = s
			}
		}
	})
	return c
}
