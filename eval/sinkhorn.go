package eval

import (
	"fmt"
	"math"
)

// Sinkhorn returns the debiased Sinkhorn divergence between the empirical
// measures (uniform weights) of a, n points, and b, m points, in d dimensions
// (n*d and m*d float32, row-major), for the cost |x - y|^2:
//
//	S_eps(a, b) = OT_eps(a, b) - OT_eps(a, a)/2 - OT_eps(b, b)/2
//	OT_eps(a, b) = min over couplings P of <C, P> + eps KL(P | a x b)
//
// (Genevay, Peyre and Cuturi 2018; Feydy et al., "Interpolating between
// optimal transport and MMD using Sinkhorn divergences", AISTATS 2019).
// S_eps is zero when the sets are equal, tends to W2(a, b)^2 as eps -> 0
// (within eps log n of it for n = m), and has the units of squared distance.
//
// Each OT_eps is computed by Sinkhorn's iterations on the dual potentials f
// (on a) and g (on b) in the log domain, stable for any eps:
//
//	f_i = -eps log sum_j (1/m) exp((g_j - C_ij)/eps)
//	g_j = -eps log sum_i (1/n) exp((f_i - C_ij)/eps)
//
// first by eps-scaling (one iteration at each of diam^2, diam^2/2, ... while
// above eps, diam the diagonal of the points' bounding box), then iters
// iterations at eps; OT_eps is then the dual value mean(f) + mean(g). The
// three problems are solved by the same code, so equal sets give exactly 0.
// Time is O((n+m)^2 d (iters + log2(diam^2/eps))); memory O(n+m).
//
// Sinkhorn panics if d < 1, len(a) or len(b) is not a multiple of d, eps is
// not positive and finite, or iters < 1. Empty sets, and sets with a NaN or
// infinite coordinate, give NaN.
func Sinkhorn(a, b []float32, d int, eps float64, iters int) float64 {
	n, m := points(a, d, "Sinkhorn"), points(b, d, "Sinkhorn")
	if !(eps > 0) || math.IsInf(eps, 1) {
		panic(fmt.Sprintf("eval: Sinkhorn with eps = %v, want > 0", eps))
	}
	if iters < 1 {
		panic(fmt.Sprintf("eval: Sinkhorn with iters = %d < 1", iters))
	}
	if n == 0 || m == 0 || finite(a, d, "first") != nil || finite(b, d, "second") != nil {
		return math.NaN()
	}
	x, y := toFloat64(a), toFloat64(b)
	diam2 := bboxDiameter2(x, y, d)
	ab := entropicOT(x, y, d, eps, iters, diam2)
	aa := entropicOT(x, x, d, eps, iters, diam2)
	bb := entropicOT(y, y, d, eps, iters, diam2)
	return ab - aa/2 - bb/2
}

func toFloat64(v []float32) []float64 {
	w := make([]float64, len(v))
	for i, x := range v {
		w[i] = float64(x)
	}
	return w
}

// bboxDiameter2 returns the squared diagonal of the bounding box of x and y,
// an upper bound on every cost C_ij.
func bboxDiameter2(x, y []float64, d int) float64 {
	var s float64
	for k := 0; k < d; k++ {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range [2][]float64{x, y} {
			for i := k; i < len(v); i += d {
				lo, hi = min(lo, v[i]), max(hi, v[i])
			}
		}
		s += (hi - lo) * (hi - lo)
	}
	return s
}

// entropicOT returns OT_eps between the uniform measures on x (n points) and
// y (m points); see Sinkhorn.
func entropicOT(x, y []float64, d int, eps float64, iters int, diam2 float64) float64 {
	n, m := len(x)/d, len(y)/d
	f := make([]float64, n)
	g := make([]float64, m)
	step := func(e float64) {
		softmin(f, x, y, g, d, e) // f from g
		softmin(g, y, x, f, d, e) // g from f
	}
	for e := diam2; e > eps; e /= 2 {
		step(e)
	}
	for it := 0; it < iters; it++ {
		step(eps)
	}
	var sf, sg float64
	for _, v := range f {
		sf += v
	}
	for _, v := range g {
		sg += v
	}
	return sf/float64(n) + sg/float64(m)
}

// softmin sets out_i = -e log sum_j (1/m) exp((h_j - |p_i - q_j|^2)/e) for
// the n points p and m points q (dimension d), with the log-sum-exp taken
// about its largest term.
func softmin(out, p, q, h []float64, d int, e float64) {
	n, m := len(p)/d, len(q)/d
	logm := math.Log(float64(m))
	inv := 1 / e
	parallelRows(n, m*(d+8), func(lo, hi int) {
		z := make([]float64, m) // (h_j - C_ij)/e for one row i
		for i := lo; i < hi; i++ {
			zmax := math.Inf(-1)
			if d == 2 { // the common case, unrolled
				px, py := p[2*i], p[2*i+1]
				q := q[:2*m]
				for j := range z {
					tx, ty := px-q[2*j], py-q[2*j+1]
					zj := (h[j] - (tx*tx + ty*ty)) * inv
					z[j] = zj
					if zj > zmax {
						zmax = zj
					}
				}
			} else {
				pi := p[i*d : i*d+d]
				for j := range z {
					qj := q[j*d : j*d+d]
					var c float64
					for k, v := range pi {
						t := v - qj[k]
						c += t * t
					}
					zj := (h[j] - c) * inv
					z[j] = zj
					if zj > zmax {
						zmax = zj
					}
				}
			}
			var s float64
			for _, zj := range z {
				// Terms below e^-50 of the largest (1) change the sum by
				// less than m 2e-22: skipped, which at small eps is most.
				if t := zj - zmax; t > -50 {
					s += math.Exp(t)
				}
			}
			out[i] = -e * (zmax + math.Log(s) - logm)
		}
	})
}
