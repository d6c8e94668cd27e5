//go:build cuda

package gpu

// A thin binding of the cuBLAS calls that gorgonia.org/cu's blas package
// lacks: a handle bound to our stream, the math mode, and the strided-batched
// GEMM with a compute type (fp32, TF32 tensor ops, bf16 tensor ops), plus
// pinned host memory (cuMemHostAlloc). Row-major GEMMs are computed as the
// column-major C^T = op(B)^T op(A)^T: the operands swap and no data moves.

/*
#cgo linux CFLAGS: -I/usr/local/cuda/include
#cgo linux LDFLAGS: -L/usr/local/cuda/lib64 -lcublas
#include <cuda.h>
#include <cublas_v2.h>

static int lf_cublas_create(cublasHandle_t* h, void* stream, int tf32) {
	cublasStatus_t s = cublasCreate(h);
	if (s != CUBLAS_STATUS_SUCCESS) return (int)s;
	s = cublasSetStream(*h, (cudaStream_t)stream);
	if (s != CUBLAS_STATUS_SUCCESS) return (int)s;
	return (int)cublasSetMathMode(*h, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
}

static int lf_cublas_destroy(cublasHandle_t h) { return (int)cublasDestroy(h); }

// lf_cublas_workspace gives cuBLAS a preallocated workspace, so a GEMM never
// allocates (required inside stream capture).
static int lf_cublas_workspace(cublasHandle_t h, CUdeviceptr ws, size_t bytes) {
	return (int)cublasSetWorkspace(h, (void*)ws, bytes);
}

// lf_gemm: row-major C_b = alpha op(A_b) op(B_b) + beta C_b, b < batch.
// mode 0: fp32, 1: TF32 tensor ops, 2: bf16 tensor ops (fp32 in and out).
static int lf_gemm(cublasHandle_t h, int ta, int tb, int m, int n, int k, float alpha,
                   CUdeviceptr a, int lda, long long sa, CUdeviceptr b, int ldb, long long sb,
                   float beta, CUdeviceptr c, int ldc, long long sc, int batch, int mode) {
	cublasComputeType_t ct = CUBLAS_COMPUTE_32F;
	if (mode == 1) ct = CUBLAS_COMPUTE_32F_FAST_TF32;
	if (mode == 2) ct = CUBLAS_COMPUTE_32F_FAST_16BF;
	return (int)cublasGemmStridedBatchedEx(h,
		tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha,
		(const void*)b, CUDA_R_32F, ldb, sb,
		(const void*)a, CUDA_R_32F, lda, sa, &beta,
		(void*)c, CUDA_R_32F, ldc, sc, batch, ct, CUBLAS_GEMM_DEFAULT);
}

static int lf_host_alloc(void** p, size_t bytes) { return (int)cuMemHostAlloc(p, bytes, 0); }
static int lf_host_free(void* p) { return (int)cuMemFreeHost(p); }
*/
import "C"

import (
	"fmt"
	"unsafe"

	"gorgonia.org/cu"
)

// Math selects how Gemm multiplies.
type Math int

const (
	// MathTF32 multiplies on tensor cores with TF32 inputs (10-bit mantissa),
	// accumulating in fp32: ~1e-3 relative error. The default.
	MathTF32 Math = iota
	// MathFP32 is full fp32 (no tensor cores): ~1e-6 relative error.
	MathFP32
	// MathBF16 multiplies on tensor cores with bf16 inputs (8-bit mantissa),
	// fp32 in and out (cublasGemmStridedBatchedEx, CUBLAS_COMPUTE_32F_FAST_16BF): ~1e-2.
	MathBF16
)

func (m Math) String() string {
	switch m {
	case MathTF32:
		return "tf32"
	case MathFP32:
		return "fp32"
	case MathBF16:
		return "bf16"
	}
	return fmt.Sprintf("Math(%d)", int(m))
}

func (m Math) mode() C.int {
	switch m {
	case MathFP32:
		return 0
	case MathBF16:
		return 2
	}
	return 1
}

type blasHandle struct{ h C.cublasHandle_t }

// streamPtr returns the CUstream inside a cu.Stream (a struct holding only
// that pointer in gorgonia.org/cu v0.9.6, which go.mod pins).
func streamPtr(s *cu.Stream) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(s))
}

func newBlas(stream *cu.Stream, m Math) (*blasHandle, error) {
	b := &blasHandle{}
	tf32 := C.int(0)
	if m == MathTF32 {
		tf32 = 1
	}
	if s := C.lf_cublas_create(&b.h, streamPtr(stream), tf32); s != 0 {
		return nil, fmt.Errorf("cuBLAS initialisation failed: status %d", int(s))
	}
	return b, nil
}

func (b *blasHandle) destroy() { C.lf_cublas_destroy(b.h) }

// setWorkspace makes cuBLAS use the device memory ws of the given size.
func (b *blasHandle) setWorkspace(ws cu.DevicePtr, bytes int) error {
	if s := C.lf_cublas_workspace(b.h, C.CUdeviceptr(ws), C.size_t(bytes)); s != 0 {
		return fmt.Errorf("cublasSetWorkspace(%d bytes): status %d", bytes, int(s))
	}
	return nil
}

func (b *blasHandle) gemm(ta, tb bool, m, n, k int, alpha float32, a cu.DevicePtr, lda, sa int,
	bp cu.DevicePtr, ldb, sb int, beta float32, c cu.DevicePtr, ldc, sc, batch int, math Math) int {
	bi := func(v bool) C.int {
		if v {
			return 1
		}
		return 0
	}
	return int(C.lf_gemm(b.h, bi(ta), bi(tb), C.int(m), C.int(n), C.int(k), C.float(alpha),
		C.CUdeviceptr(a), C.int(lda), C.longlong(sa), C.CUdeviceptr(bp), C.int(ldb), C.longlong(sb),
		C.float(beta), C.CUdeviceptr(c), C.int(ldc), C.longlong(sc), C.int(batch), math.mode()))
}

// pinned is page-locked host memory for asynchronous copies.
type pinned struct {
	p     unsafe.Pointer
	bytes int
}

func allocPinned(bytes int) (pinned, error) {
	var p unsafe.Pointer
	if r := C.lf_host_alloc(&p, C.size_t(bytes)); r != 0 {
		return pinned{}, fmt.Errorf("cuMemHostAlloc(%d bytes): %s", bytes, resultName(int(r)))
	}
	return pinned{p: p, bytes: bytes}, nil
}

func (h pinned) free() {
	if h.p != nil {
		C.lf_host_free(h.p)
	}
}

// floats returns the first n floats of the pinned buffer as a slice.
func (h pinned) floats(n int) []float32 { return unsafe.Slice((*float32)(h.p), n) }
