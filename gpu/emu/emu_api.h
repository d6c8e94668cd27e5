//go:build cudaemu

// emu_api.h: the C interface between package emu (emu.go) and the C++
// runtime (runtime.cc, gemm.cc). Plain C: cgo compiles its preamble as C.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// The kernel table (registered by the generated zz_*.cc files).
int emu_kernel_count(void);
const char* emu_kernel_name(int k);
const char* emu_kernel_module(int k);
const char* emu_kernel_params(int k);
int emu_kernel_test(int k);  // 1 for the test module's kernels
// emu_kernel_sync_free: 1 when gen.go classified kernel k sync-free (its
// blocks run without fibers); emu_set_kernel_sync_free overrides it (tests).
int emu_kernel_sync_free(int k);
void emu_set_kernel_sync_free(int k, int v);
// emu_set_fibers(1) runs every kernel with fibers (LATENTFLOW_EMU_FIBERS=1).
void emu_set_fibers(int on);

// Device memory (host memory, 256-byte aligned). emu_free returns 0, or -1
// for a pointer that is not a live allocation. emu_check_range returns 0 when
// [p, p+bytes) lies inside one live allocation.
uint64_t emu_malloc(int64_t bytes);
int emu_free(uint64_t p);
int64_t emu_live_bytes(void);
int emu_check_range(uint64_t p, int64_t bytes);
// emu_check_pointer returns 0 when p is 0 or in [base, base+size] of a live allocation.
int emu_check_pointer(uint64_t p);

// Copies and memset (ranges checked by the caller; copies may overlap).
void emu_memset32(uint64_t p, uint32_t v, int64_t n);
void emu_copy_hd(uint64_t dst, const void* src, int64_t bytes);
void emu_copy_dh(void* dst, uint64_t src, int64_t bytes);
void emu_copy_dd(uint64_t dst, uint64_t src, int64_t bytes);

// emu_launch runs kernel k over grid with block threads and shared bytes of
// dynamic shared memory; slots holds nargs 8-byte arguments. It returns 0,
// or -1 with a message in err (NUL-terminated, at most errlen bytes).
// The Go side has checked the launch limits and the argument kinds.
int emu_launch(int k, const int* grid, const int* block, int shared, const uint64_t* slots, int nargs,
               char* err, int errlen);
void emu_set_order(int order, uint64_t seed);
int emu_workers(void);
void emu_set_workers(int n);

// emu_gemm is cublasGemmStridedBatchedEx on fp32 column-major data; it
// returns a cuBLAS status (0, or 7 = CUBLAS_STATUS_INVALID_VALUE).
int emu_gemm(int transa, int transb, int m, int n, int k, float alpha, uint64_t a, int lda, int64_t sa,
             uint64_t b, int ldb, int64_t sb, float beta, uint64_t c, int ldc, int64_t sc, int batch, int mode);

#ifdef __cplusplus
}
#endif

// EMU_MAX_DYN_SHARED is the most dynamic shared memory a kernel may be given
// (SetMaxDynamicShared); EMU_CANARY_BYTES of canary follow the launch's bytes.
#define EMU_MAX_DYN_SHARED (227 * 1024)
#define EMU_CANARY_BYTES 256
