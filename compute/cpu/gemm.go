package cpu

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/latentflow/latentflow/compute"
)

var sgemm gonum.Implementation

// Gemm computes C_b = alpha op(A_b) op(B_b) + beta C_b for b < batch (row-major).
func (be *Backend) Gemm(transA, transB bool, m, n, k int, alpha float32,
	a compute.Buffer, lda, strideA int, b compute.Buffer, ldb, strideB int,
	beta float32, c compute.Buffer, ldc, strideC int, batch int) {
	A, B, C := Data(a), Data(b), Data(c)
	need(m >= 0 && n >= 0 && k >= 0 && batch >= 0, "Gemm: negative size m=%d n=%d k=%d batch=%d", m, n, k, batch)
	if m == 0 || n == 0 || batch == 0 {
		return
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	ar, ac := m, k // rows, cols of A as stored
	if transA {
		ta, ar, ac = blas.Trans, k, m
	}
	br, bc := k, n
	if transB {
		tb, br, bc = blas.Trans, n, k
	}
	need(lda >= max(ac, 1) && ldb >= max(bc, 1) && ldc >= max(n, 1), "Gemm: leading dimensions lda=%d ldb=%d ldc=%d too small", lda, ldb, ldc)
	span := func(rows, cols, ld int) int { return (rows-1)*ld + cols }
	for i := 0; i < batch; i++ {
		oa, ob, oc := i*strideA, i*strideB, i*strideC
		need(oc >= 0 && oc+span(m, n, ldc) <= len(C), "Gemm: C too small (%d) for batch %d", len(C), i)
		if k > 0 {
			need(oa >= 0 && oa+span(ar, ac, lda) <= len(A), "Gemm: A too small (%d) for batch %d", len(A), i)
			need(ob >= 0 && ob+span(br, bc, ldb) <= len(B), "Gemm: B too small (%d) for batch %d", len(B), i)
		}
	}
	if !sgemmUseGonum {
		sgemmStrided(be.workers, transA, transB, m, n, k, alpha, A, lda, strideA,
			B, ldb, strideB, beta, C, ldc, strideC, batch)
		return
	}
	// Reference path (gonum), kept for comparisons: see sgemmUseGonum.
	for i := 0; i < batch; i++ {
		oa, ob, oc := i*strideA, i*strideB, i*strideC
		if k == 0 || alpha == 0 {
			sgemmScaleC(C[oc:], ldc, m, n, beta)
			continue
		}
		sgemm.Sgemm(ta, tb, m, n, k, alpha,
			A[oa:oa+span(ar, ac, lda)], lda,
			B[ob:ob+span(br, bc, ldb)], ldb,
			beta, C[oc:oc+span(m, n, ldc)], ldc)
	}
}
