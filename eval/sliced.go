package eval

import (
	"fmt"
	"math"
	"sort"

	"github.com/latentflow/latentflow/philox"
)

// SlicedW2 returns the sliced 2-Wasserstein distance between the empirical
// measures of a (n points) and b (m points) in d dimensions:
//
//	SW2(a, b) = sqrt( (1/P) sum_p W2(theta_p . a, theta_p . b)^2 )
//
// over P = proj random directions theta_p, uniform on the unit sphere (a
// normalised Philox normal vector of stream key, direction p at offset p*d;
// in 1D every direction is +1 or -1 and SW2 is the exact W2). Each 1D W2 is
// exact: the integral over u in (0, 1) of the squared difference of the two
// quantile functions, whose breakpoints i/n and j/m are compared as the
// integers i*m and j*n. The sets may differ in size. Time O(P (n + m)(d +
// log(n + m))), a cheap check whose value does not grow with d as the
// empirical W2's bias does (Bonneel et al. 2015).
//
// SlicedW2 returns an error for an empty set or a NaN or infinite
// coordinate, and panics if d < 1, proj < 1 or a length is not a multiple of d.
func SlicedW2(a, b []float32, d, proj int, key philox.Key) (float64, error) {
	n, m := points(a, d, "SlicedW2"), points(b, d, "SlicedW2")
	if proj < 1 {
		panic(fmt.Sprintf("eval: SlicedW2 with %d projections, want >= 1", proj))
	}
	if n == 0 || m == 0 {
		return 0, fmt.Errorf("eval: SlicedW2 of an empty set (%d and %d points)", n, m)
	}
	if err := finite(a, d, "first"); err != nil {
		return 0, fmt.Errorf("eval: SlicedW2: %w", err)
	}
	if err := finite(b, d, "second"); err != nil {
		return 0, fmt.Errorf("eval: SlicedW2: %w", err)
	}
	dirs := Directions(d, proj, key)
	pa, pb := make([]float64, n), make([]float64, m)
	var s float64
	for p := 0; p < proj; p++ {
		th := dirs[p*d : p*d+d]
		project(pa, a, th)
		project(pb, b, th)
		s += W2Squared1D(pa, pb)
	}
	return math.Sqrt(s / float64(proj)), nil
}

// Directions returns proj unit vectors in d dimensions (proj*d float64,
// row-major): Philox normals of key at offset p*d, each divided by its norm
// (drawn again from the next block in the unlikely case of a zero vector).
func Directions(d, proj int, key philox.Key) []float64 {
	out := make([]float64, proj*d)
	z := make([]float32, d)
	for p := 0; p < proj; p++ {
		for off := p * d; ; off += proj * d {
			key.FillNormal(z, off)
			var nn float64
			for _, v := range z {
				nn += float64(v) * float64(v)
			}
			if nn > 0 {
				r := 1 / math.Sqrt(nn)
				for k, v := range z {
					out[p*d+k] = float64(v) * r
				}
				break
			}
		}
	}
	return out
}

// project sets dst_i = theta . x_i.
func project(dst []float64, x []float32, th []float64) {
	d := len(th)
	for i := range dst {
		var s float64
		for k, t := range th {
			s += float64(x[i*d+k]) * t
		}
		dst[i] = s
	}
}

// W2Squared1D returns the squared 2-Wasserstein distance between the
// empirical measures of the reals x (n values) and y (m values); it sorts
// both slices in place.
func W2Squared1D(x, y []float64) float64 {
	sort.Float64s(x)
	sort.Float64s(y)
	n, m := len(x), len(y)
	var s float64
	i, j := 0, 0
	u := 0 // the quantile level reached, in units of 1/(n m)
	for i < n && j < m {
		ei, ej := (i+1)*m, (j+1)*n // the ends of the current steps
		next := min(ei, ej)
		t := x[i] - y[j]
		s += float64(next-u) * t * t
		u = next
		if ei == next {
			i++
		}
		if ej == next {
			j++
		}
	}
	return s / (float64(n) * float64(m))
}
