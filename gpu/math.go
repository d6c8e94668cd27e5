//go:build cuda || cudaemu

package gpu

import "fmt"

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

// mode is the compute-type code of the drivers' gemm: 0 fp32, 1 TF32, 2 bf16.
func (m Math) mode() int {
	switch m {
	case MathFP32:
		return 0
	case MathBF16:
		return 2
	}
	return 1
}
