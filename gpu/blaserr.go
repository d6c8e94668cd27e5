//go:build cuda || cudaemu

package gpu

import "fmt"

// cuBLAS status codes (cublas_api.h).
var blasStatus = map[int]string{
	1: "CUBLAS_STATUS_NOT_INITIALIZED", 3: "CUBLAS_STATUS_ALLOC_FAILED", 7: "CUBLAS_STATUS_INVALID_VALUE",
	8: "CUBLAS_STATUS_ARCH_MISMATCH", 11: "CUBLAS_STATUS_MAPPING_ERROR", 13: "CUBLAS_STATUS_EXECUTION_FAILED",
	14: "CUBLAS_STATUS_INTERNAL_ERROR", 15: "CUBLAS_STATUS_NOT_SUPPORTED", 16: "CUBLAS_STATUS_LICENSE_ERROR",
}

func formatBlas(op string, s, m, n, k, batch int) string {
	name, ok := blasStatus[s]
	if !ok {
		name = fmt.Sprintf("status %d", s)
	}
	return fmt.Sprintf("gpu: %s (m=%d n=%d k=%d batch=%d): cuBLAS %s", op, m, n, k, batch, name)
}
