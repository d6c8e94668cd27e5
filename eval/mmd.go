package eval

import (
	"fmt"
	"math"
	"sort"
)

// MMD2 returns the unbiased estimate of the squared maximum mean discrepancy
// between the distributions of a (n points) and b (m points) in d
// dimensions, for the Gaussian (RBF) kernel k(x, y) = exp(-|x - y|^2 / (2
// sigma^2)) (Gretton et al. 2012, eq. 3):
//
//	MMD2 = 1/(n(n-1)) sum_{i != j} k(a_i, a_j) + 1/(m(m-1)) sum_{i != j} k(b_i, b_j)
//	       - 2/(n m) sum_{i, j} k(a_i, b_j)
//
// in float64. Being unbiased it can be slightly negative for equal
// distributions. Time O((n + m)^2 d).
//
// MMD2 returns an error if a set has fewer than 2 points or a NaN or
// infinite coordinate, and panics if d < 1, sigma is not positive and finite,
// or a length is not a multiple of d.
func MMD2(a, b []float32, d int, sigma float64) (float64, error) {
	n, m := points(a, d, "MMD2"), points(b, d, "MMD2")
	if !(sigma > 0) || math.IsInf(sigma, 1) {
		panic(fmt.Sprintf("eval: MMD2 with bandwidth sigma = %v, want > 0", sigma))
	}
	if n < 2 || m < 2 {
		return 0, fmt.Errorf("eval: MMD2 needs at least 2 points per set, have %d and %d", n, m)
	}
	if err := finite(a, d, "first"); err != nil {
		return 0, fmt.Errorf("eval: MMD2: %w", err)
	}
	if err := finite(b, d, "second"); err != nil {
		return 0, fmt.Errorf("eval: MMD2: %w", err)
	}
	g := -1 / (2 * sigma * sigma)
	kaa := kernelSum(a, a, d, g, true)
	kbb := kernelSum(b, b, d, g, true)
	kab := kernelSum(a, b, d, g, false)
	fn, fm := float64(n), float64(m)
	return kaa/(fn*(fn-1)) + kbb/(fm*(fm-1)) - 2*kab/(fn*fm), nil
}

// kernelSum returns sum_{i, j} exp(g |p_i - q_j|^2), without the terms i = j
// when same (p and q are then the same set). Rows are summed separately and
// added in order, so the result does not depend on the parallel split.
func kernelSum(p, q []float32, d int, g float64, same bool) float64 {
	n, m := len(p)/d, len(q)/d
	rows := make([]float64, n)
	parallelRows(n, m*(d+8), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			pi := p[i*d : i*d+d]
			var s float64
			for j := 0; j < m; j++ {
				if same && j == i {
					continue
				}
				qj := q[j*d : j*d+d]
				var c float64
				for k, v := range pi {
					t := float64(v) - float64(qj[k])
					c += t * t
				}
				s += math.Exp(g * c)
			}
			rows[i] = s
		}
	})
	var s float64
	for _, r := range rows {
		s += r
	}
	return s
}

// MedianDistance returns the median of the distances |x_i - x_j|, i < j,
// between the first min(n, 1000) points of x: the bandwidth of the median
// heuristic for MMD2. It returns 0 for fewer than 2 points.
func MedianDistance(x []float32, d int) float64 {
	n := min(points(x, d, "MedianDistance"), 1000)
	if n < 2 {
		return 0
	}
	ds := make([]float64, 0, n*(n-1)/2)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			var c float64
			for k := 0; k < d; k++ {
				t := float64(x[i*d+k]) - float64(x[j*d+k])
				c += t * t
			}
			ds = append(ds, math.Sqrt(c))
		}
	}
	sort.Float64s(ds)
	h := len(ds) / 2
	if len(ds)%2 == 1 {
		return ds[h]
	}
	return (ds[h-1] + ds[h]) / 2
}
