package eval

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Frechet returns the squared Frechet distance between the Gaussians fitted
// to two sets of points in d dimensions (n*d and m*d float32, row-major),
// which is the squared 2-Wasserstein distance between those Gaussians:
//
//	d^2 = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^(1/2) S_b S_a^(1/2))^(1/2))
//
// with mu the mean and S the unbiased (n-1) covariance of each set, as in FID
// (Heusel et al. 2017), whose value is this number for Inception features.
// Matrix square roots come from the eigendecomposition of the symmetric
// matrices, negative eigenvalues (rounding) taken as 0; a result below zero
// by rounding is returned as 0.
//
// Frechet returns an error if a set has fewer than 2 points or a NaN or
// infinite coordinate, or if an eigendecomposition fails. It panics if d < 1
// or len(a) or len(b) is not a multiple of d.
func Frechet(a, b []float32, d int) (float64, error) {
	n, m := points(a, d, "Frechet"), points(b, d, "Frechet")
	if n < 2 || m < 2 {
		return 0, fmt.Errorf("eval: Frechet needs at least 2 points per set for a covariance, have %d and %d", n, m)
	}
	if err := finite(a, d, "first"); err != nil {
		return 0, fmt.Errorf("eval: Frechet: %w", err)
	}
	if err := finite(b, d, "second"); err != nil {
		return 0, fmt.Errorf("eval: Frechet: %w", err)
	}
	muA, sA := meanCov(a, d)
	muB, sB := meanCov(b, d)
	d2, err := frechetGaussians(muA, sA, muB, sB)
	if err != nil {
		return 0, fmt.Errorf("eval: Frechet: %w", err)
	}
	return d2, nil
}

// meanCov returns the mean and the unbiased covariance of the points v.
func meanCov(v []float32, d int) ([]float64, *mat.SymDense) {
	n := len(v) / d
	mu := make([]float64, d)
	for i := 0; i < n; i++ {
		for k := 0; k < d; k++ {
			mu[k] += float64(v[i*d+k])
		}
	}
	for k := range mu {
		mu[k] /= float64(n)
	}
	cov := mat.NewSymDense(d, nil)
	c := make([]float64, d) // one centred point
	for i := 0; i < n; i++ {
		for k := 0; k < d; k++ {
			c[k] = float64(v[i*d+k]) - mu[k]
		}
		cov.SymRankOne(cov, 1, mat.NewVecDense(d, c))
	}
	cov.ScaleSym(1/float64(n-1), cov)
	return mu, cov
}

// frechetGaussians returns the squared Frechet distance between N(mu1, s1)
// and N(mu2, s2); see Frechet.
func frechetGaussians(mu1 []float64, s1 *mat.SymDense, mu2 []float64, s2 *mat.SymDense) (float64, error) {
	d := len(mu1)
	if len(mu2) != d || s1.SymmetricDim() != d || s2.SymmetricDim() != d {
		panic("eval: frechetGaussians dimensions differ")
	}
	var dist2 float64
	for k := range mu1 {
		t := mu1[k] - mu2[k]
		dist2 += t * t
	}
	r1, err := sqrtSym(s1) // S1^(1/2)
	if err != nil {
		return 0, err
	}
	var t, m mat.Dense
	t.Mul(r1, s2)
	m.Mul(&t, r1) // S1^(1/2) S2 S1^(1/2), symmetric up to rounding
	ms := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			ms.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(ms, false) {
		return 0, fmt.Errorf("eigendecomposition of S1^(1/2) S2 S1^(1/2) failed")
	}
	var trSqrt float64
	for _, l := range eig.Values(nil) {
		trSqrt += math.Sqrt(max(l, 0))
	}
	d2 := dist2 + mat.Trace(s1) + mat.Trace(s2) - 2*trSqrt
	return max(d2, 0), nil
}

// sqrtSym returns the symmetric positive semi-definite square root of s,
// Q diag(sqrt(max(l, 0))) Q^T from s = Q diag(l) Q^T.
func sqrtSym(s *mat.SymDense) (*mat.Dense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, fmt.Errorf("eigendecomposition of a covariance failed")
	}
	l := eig.Values(nil)
	var q mat.Dense
	eig.VectorsTo(&q)
	d := len(l)
	qs := mat.NewDense(d, d, nil) // Q diag(sqrt l)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			qs.Set(i, j, q.At(i, j)*math.Sqrt(max(l[j], 0)))
		}
	}
	var r mat.Dense
	r.Mul(qs, q.T())
	return &r, nil
}
