//go:build cuda || cudaemu

package gpu

import "github.com/latentflow/latentflow/compute"

// Gemm computes C_b = alpha op(A_b) op(B_b) + beta C_b for b < batch, row-major,
// with cublasGemmStridedBatchedEx on the backend's stream in its Math mode
// (TF32 by default: see Math). k = 0 or alpha = 0 scales C by beta with kernel
// gemm_scale_c (beta = 0 writes zeros). Matches cpu Backend.Gemm, including its
// argument checks.
func (be *Backend) Gemm(transA, transB bool, m, n, k int, alpha float32,
	a compute.Buffer, lda, strideA int, b compute.Buffer, ldb, strideB int,
	beta float32, c compute.Buffer, ldc, strideC int, batch int) {
	A, B, C := be.buf(a), be.buf(b), be.buf(c)
	need(m >= 0 && n >= 0 && k >= 0 && batch >= 0, "Gemm: negative size m=%d n=%d k=%d batch=%d", m, n, k, batch)
	if m == 0 || n == 0 || batch == 0 {
		return
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	need(lda >= max(ac, 1) && ldb >= max(bc, 1) && ldc >= max(n, 1), "Gemm: leading dimensions lda=%d ldb=%d ldc=%d too small", lda, ldb, ldc)
	span := func(rows, cols, ld int) int { return (rows-1)*ld + cols }
	for i := 0; i < batch; i++ {
		oa, ob, oc := i*strideA, i*strideB, i*strideC
		need(oc >= 0 && oc+span(m, n, ldc) <= C.n, "Gemm: C too small (%d) for batch %d", C.n, i)
		if k > 0 {
			need(oa >= 0 && oa+span(ar, ac, lda) <= A.n, "Gemm: A too small (%d) for batch %d", A.n, i)
			need(ob >= 0 && ob+span(br, bc, ldb) <= B.n, "Gemm: B too small (%d) for batch %d", B.n, i)
		}
	}
	be.enter()
	defer be.leave()
	if k == 0 || alpha == 0 {
		g, t := elem(m * n * batch)
		be.launch("gemm_scale_c", g, t, 0, C.p, m, n, ldc, strideC, batch, beta)
		return
	}
	// Row-major C = op(A) op(B) is the column-major C^T = op(B)^T op(A)^T:
	// the operands swap (B first, n and m exchanged) and no data moves.
	be.calls.Gemms++
	be.named("gemm")
	if s := be.drv.gemm(transB, transA, n, m, k, alpha, B.p, ldb, int64(strideB), A.p, lda, int64(strideA),
		beta, C.p, ldc, int64(strideC), batch, be.math); s != 0 {
		panic(formatBlas("Gemm", s, m, n, k, batch))
	}
}
