//go:build cuda && !cudaemu

package gpu

// The cuInit guard. gorgonia.org/cu's package init calls cuInit(0) and calls
// os.Exit(1) when it fails (no GPU, no usable driver), which would kill every
// cuda binary on such a machine, even with device = "cpu". The cuInit below
// is defined in this binary, so the linker binds every reference to cuInit
// in the binary's own objects (cu's included) to it, ahead of libcuda's. It
// calls the driver's cuInit (found with dlsym(RTLD_NEXT)), remembers the
// result for New and reports success to the caller; New refuses to use CUDA
// when the real result was an error. Libraries that look the driver up
// themselves (the CUDA runtime inside cuBLAS uses dlopen/dlsym) get the real
// cuInit.

/*
#cgo linux CFLAGS: -I/usr/local/cuda/include
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <cuda.h>

static CUresult lf_cuinit_status = CUDA_ERROR_NOT_INITIALIZED;
static int lf_cuinit_called = 0;

CUresult CUDAAPI cuInit(unsigned int flags) {
	typedef CUresult (*init_fn)(unsigned int);
	init_fn real = (init_fn)dlsym(RTLD_NEXT, "cuInit");
	if (real == NULL) {
		lf_cuinit_status = CUDA_ERROR_NOT_FOUND;
	} else {
		lf_cuinit_status = real(flags);
	}
	lf_cuinit_called = 1;
	return CUDA_SUCCESS;
}

static int lf_cuinit_result(void) { return lf_cuinit_called ? (int)lf_cuinit_status : -1; }
*/
import "C"

import "fmt"

// initError returns nil when the driver's cuInit succeeded, else an error
// saying why CUDA cannot be used.
func initError() error {
	switch r := int(C.lf_cuinit_result()); r {
	case 0:
		return nil
	case -1:
		// cu's init did not go through our cuInit (the binding did not take):
		// call it ourselves so the result is known.
		C.cuInit(0)
		if r2 := int(C.lf_cuinit_result()); r2 != 0 {
			return fmt.Errorf("no usable CUDA device: cuInit failed: %s", resultName(r2))
		}
		return nil
	default:
		return fmt.Errorf("no usable CUDA device: cuInit failed: %s", resultName(r))
	}
}

// resultName names a CUresult.
func resultName(r int) string {
	var s *C.char
	if C.cuGetErrorName(C.CUresult(r), &s) == C.CUDA_SUCCESS && s != nil {
		return fmt.Sprintf("%s (%d)", C.GoString(s), r)
	}
	if r == int(C.CUDA_ERROR_NOT_FOUND) {
		return "the driver's cuInit was not found (libcuda.so.1)"
	}
	return fmt.Sprintf("CUresult %d", r)
}
