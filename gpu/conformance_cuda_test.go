//go:build cuda || cudaemu

package gpu_test

import (
	"testing"

	"github.com/latentflow/latentflow/compute/backendtest"
	"github.com/latentflow/latentflow/gpu"
)

// The whole conformance suite with GEMMs in full fp32, at the default
// float32 tolerances (1e-5 of each cell's error scale): the kernels compute
// in fp32 with float64 statistics and reductions, like compute/cpu; they
// differ from it only in summation order, FMA contraction and expf (2 ulp).
// go test -v prints, per op, the largest error as a fraction of its tolerance.
func TestConformanceFP32(t *testing.T) {
	backendtest.RunAll(t, backend(t, gpu.MathFP32), backendtest.Options{})
}

// GEMMs on TF32 tensor cores: 10-bit mantissa inputs, fp32 accumulation, so
// ~2^-11 relative per product: GemmTol 2e-3 (compute/backendtest's figure).
func TestGemmTF32(t *testing.T) {
	backendtest.TestGemm(t, backend(t, gpu.MathTF32), backendtest.Options{GemmTol: 2e-3})
}

// GEMMs on bf16 tensor cores: 8-bit mantissa inputs, ~2^-9 per product: GemmTol 2e-2.
func TestGemmBF16(t *testing.T) {
	backendtest.TestGemm(t, backend(t, gpu.MathBF16), backendtest.Options{GemmTol: 2e-2})
}

// The finite-difference checks with the default (TF32) backend, as training
// runs it: FDTol is relative to |g| + rms(g). TF32 GEMMs in the forward pass
// add ~1e-3 relative noise to the differenced losses, and the tensor-core
// attention rounds every probability to TF32 (2^-11 relative) in each of the
// two evaluations, so its central differences (step 1e-2) carry noise of
// ~2^-11 |out| / 1e-2, ~5% of a gradient: measured up to 4x of 5e-3, hence
// 5e-2 (2.5x room). The exact checks are elsewhere: the tensor-core
// backward against the CPU at 2^-10 of its error scale (TestAttentionTC),
// every backward against central differences at 2e-3 in fp32
// (TestConformanceFP32/Gradients).
func TestGradientsTF32(t *testing.T) {
	backendtest.TestGradients(t, backend(t, gpu.MathTF32), backendtest.Options{GemmTol: 2e-3, FDTol: 5e-2})
}
