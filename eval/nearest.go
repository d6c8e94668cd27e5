package eval

import (
	"fmt"
	"math"
)

// NearestDistances returns, for each of the n points of q, the distance to
// its nearest point of train (m points), both in d dimensions: the
// memorisation check. Samples of a model that reproduces its training set
// (the exact minimiser of the empirical CFM loss with a tiny sigma_min is a
// kernel density estimate on the training points, Kunkel and Trabs 2025) sit
// at distance about sigma_min; held-out true samples give the scale of an
// honest generator. Time O(n m d).
//
// NearestDistances returns an error for an empty training set or a NaN or
// infinite coordinate, and panics if d < 1 or a length is not a multiple of d.
func NearestDistances(q, train []float32, d int) ([]float64, error) {
	n, m := points(q, d, "NearestDistances"), points(train, d, "NearestDistances")
	if m == 0 {
		return nil, fmt.Errorf("eval: NearestDistances to an empty training set")
	}
	if err := finite(q, d, "query"); err != nil {
		return nil, fmt.Errorf("eval: NearestDistances: %w", err)
	}
	if err := finite(train, d, "training"); err != nil {
		return nil, fmt.Errorf("eval: NearestDistances: %w", err)
	}
	out := make([]float64, n)
	parallelRows(n, m*d, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			qi := q[i*d : i*d+d]
			best := math.Inf(1)
			for j := 0; j < m; j++ {
				tj := train[j*d : j*d+d]
				var c float64
				for k, v := range qi {
					t := float64(v) - float64(tj[k])
					c += t * t
					if c >= best {
						break
					}
				}
				best = min(best, c)
			}
			out[i] = math.Sqrt(best)
		}
	})
	return out, nil
}
