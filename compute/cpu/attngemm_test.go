package cpu

import (
	"math"
	"math/rand"
	"testing"
)

// TestAttnGemmSmall checks attnGemm (the tiny-product path where the CPU has
// one, else the packed GEMM) against a float64 triple loop, for every
// transpose, on the attention's shapes (m, n <= 16) and a few beyond, with
// row strides wider than the rows (the heads' slices of qkv).
func TestAttnGemmSmall(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	s := new(sgemmScratch)
	for _, c := range []struct{ m, n, k int }{
		{7, 7, 24}, {7, 24, 7}, {16, 16, 32}, {16, 32, 16}, {1, 1, 1}, {3, 16, 5}, {16, 2, 128}, {13, 11, 200}, {17, 9, 8}, {5, 5, 300}, {9, 33, 7}, {16, 17, 3}, {6, 31, 40},
	} {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			ta, tb := tr[0], tr[1]
			ar, ac := c.m, c.k
			if ta {
				ar, ac = c.k, c.m
			}
			br, bc := c.k, c.n
			if tb {
				br, bc = c.n, c.k
			}
			lda, ldb, ldc := ac+3, bc+5, c.n+2
			a, b := make([]float32, ar*lda), make([]float32, br*ldb)
			for i := range a {
				a[i] = float32(rng.NormFloat64())
			}
			for i := range b {
				b[i] = float32(rng.NormFloat64())
			}
			cc := make([]float32, c.m*ldc)
			for i := range cc {
				cc[i] = float32(math.NaN()) // beta = 0: C must not be read
			}
			alpha := float32(0.7)
			attnGemm(s, ta, tb, c.m, c.n, c.k, alpha, a, lda, b, ldb, cc, ldc)
			for i := range c.m {
				for j := range c.n {
					var want, mag float64
					for q := range c.k {
						ia, ib := i*lda+q, q*ldb+j
						if ta {
							ia = q*lda + i
						}
						if tb {
							ib = j*ldb + q
						}
						av, bv := a[ia], b[ib]
						want += float64(av) * float64(bv)
						mag += math.Abs(float64(av) * float64(bv))
					}
					want *= float64(alpha)
					got := float64(cc[i*ldc+j])
					if d := math.Abs(got - want); !(d <= 1e-6*float64(alpha)*mag+1e-30) {
						t.Fatalf("%+v trans %v: C[%d][%d] = %v, want %v", c, tr, i, j, got, want)
					}
				}
				if j := c.n; j < ldc && !math.IsNaN(float64(cc[i*ldc+j])) {
					t.Fatalf("%+v trans %v: wrote C[%d][%d] past n", c, tr, i, j)
				}
			}
		}
	}
}
