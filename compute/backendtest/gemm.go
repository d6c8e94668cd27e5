package backendtest

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

func abs(x float64) float64    { return math.Abs(x) }
func sqrt(x float64) float64   { return math.Sqrt(x) }
func pow(x, y float64) float64 { return math.Pow(x, y) }
func exp(x float64) float64    { return math.Exp(x) }

// layout describes batch row-major rows x cols matrices with leading
// dimension ld, stride cells apart.
type layout struct{ rows, cols, ld, stride, batch int }

func newLayout(rows, cols, pad, gap, batch int) layout {
	ld := cols + pad
	return layout{rows: rows, cols: cols, ld: ld, stride: rows*ld + gap, batch: batch}
}

// size is the minimal length of a buffer holding the matrices.
func (l layout) size() int { return (l.batch-1)*l.stride + (l.rows-1)*l.ld + l.cols }

// data returns a buffer's contents: matrix cells from gen, padding NaN (so a
// backend that reads padding poisons its result).
func (l layout) data(gen func(n int) []float32) []float32 {
	d := filled(l.size(), nan)
	v := gen(l.batch * l.rows * l.cols)
	for b := range l.batch {
		for i := range l.rows {
			copy(d[b*l.stride+i*l.ld:b*l.stride+i*l.ld+l.cols], v[(b*l.rows+i)*l.cols:])
		}
	}
	return d
}

// TestGemm checks Gemm against refGemm: every transpose combination, sizes
// from 1 to past a GPU tile (odd ones included), batch 1 with minimal
// leading dimensions and batch 3 with padded leading dimensions and strides
// larger than a matrix, beta = 0 with C full of NaN, and beta != 0.
// Error scale of C_ij: sum_p |alpha a_ip b_pj| + |beta c_ij|.
func TestGemm(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	shapes := []struct{ m, n, k int }{
		{1, 1, 1}, {1, 7, 3}, {5, 1, 4}, {3, 5, 7}, {17, 13, 9}, {33, 65, 31}, {8, 8, 300}, {130, 97, 65},
	}
	layouts := []struct{ batch, padA, padB, padC, gap int }{
		{1, 0, 0, 0, 0},
		{3, 3, 1, 2, 5},
	}
	scalars := []struct{ alpha, beta float32 }{{1, 0}, {-0.75, 0.5}, {1, 1}}
	for _, sh := range shapes {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			for _, l := range layouts {
				for _, sc := range scalars {
					if sh.m*sh.n*sh.k > 1e5 && (l.batch == 1 || sc.beta == 1) {
						continue // the largest shape once per transpose pair and beta class
					}
					name := shape("m=%d,n=%d,k=%d,tA=%t,tB=%t,batch=%d,pad=%d/%d/%d,alpha=%g,beta=%g",
						sh.m, sh.n, sh.k, tr[0], tr[1], l.batch, l.padA, l.padB, l.padC, sc.alpha, sc.beta)
					s.run(t, name, func(t *testing.T) {
						m, n, k := sh.m, sh.n, sh.k
						tA, tB := tr[0], tr[1]
						la := newLayout(m, k, l.padA, l.gap, l.batch)
						if tA {
							la = newLayout(k, m, l.padA, l.gap, l.batch)
						}
						lb := newLayout(k, n, l.padB, l.gap+1, l.batch)
						if tB {
							lb = newLayout(n, k, l.padB, l.gap+1, l.batch)
						}
						lc := newLayout(m, n, l.padC, l.gap+2, l.batch)
						gen := func(n int) []float32 { return s.normal(n, 1) }
						A := s.region("A", la.data(gen)).rows(la.ld)
						B := s.region("B", lb.data(gen)).rows(lb.ld)
						cgen := gen
						if sc.beta == 0 {
							cgen = func(n int) []float32 { return filled(n, nan) }
						}
						C := s.region("C", lc.data(cgen)).rows(lc.ld)
						e := C.expect()
						refGemm(tA, tB, m, n, k, float64(sc.alpha), A.f64(), la.ld, la.stride, B.f64(), lb.ld, lb.stride,
							float64(sc.beta), e.v, e.mag, lc.ld, lc.stride, l.batch)
						b.Gemm(tA, tB, m, n, k, sc.alpha, A.buf, la.ld, la.stride, B.buf, lb.ld, lb.stride,
							sc.beta, C.buf, lc.ld, lc.stride, l.batch)
						C.check(t, e, s.o.GemmTol)
						A.unchanged(t)
						B.unchanged(t)
					})
				}
			}
		}
	}
}

// refGemm is C_b = alpha op(A_b) op(B_b) + beta C_b in float64, with
// cmag the error scale sum_p |alpha a_ip b_pj| + |beta c_ij|. Cells of C
// outside the matrices are not touched.
func refGemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda, strideA int, b []float64, ldb, strideB int,
	beta float64, c, cmag []float64, ldc, strideC, batch int) {
	for bt := range batch {
		A, B, C, Cm := a[bt*strideA:], b[bt*strideB:], c[bt*strideC:], cmag[bt*strideC:]
		for i := range m {
			for j := range n {
				var sum, mag float64
				for p := range k {
					var av, bv float64
					if tA {
						av = A[p*lda+i]
					} else {
						av = A[i*lda+p]
					}
					if tB {
						bv = B[j*ldb+p]
					} else {
						bv = B[p*ldb+j]
					}
					sum += av * bv
					mag += abs(av * bv)
				}
				ij := i*ldc + j
				if beta == 0 {
					C[ij], Cm[ij] = alpha*sum, abs(alpha)*mag
				} else {
					C[ij], Cm[ij] = alpha*sum+beta*C[ij], abs(alpha)*mag+abs(beta*C[ij])
				}
			}
		}
	}
}
