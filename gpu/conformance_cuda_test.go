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

// The finite-difference checks with TF32 GEMMs, as training runs them:
// FDTol is relative to |g| + rms(g) and TF32 GEMMs in the forward pass add
// ~1e-3 relative noise to the differenced losses. Attention runs on the
// scalar fp32 kernels here (Options.ScalarAttention): the tensor-core
// kernels round every probability to TF32 in each of the two evaluations,
// which puts noise of ~2^-11 |L| / 1e-2 (the step), up to 10% of a gradient
// as measured, into the central differences. Their backward is checked
// exactly instead: against the CPU at 2^-10 of its error scale
// (TestAttentionTC); and every backward against central differences at 2e-3
// in fp32 (TestConformanceFP32/Gradients).
func TestGradientsTF32(t *testing.T) {
	backend(t, gpu.MathTF32) // skips (or fails) as the other tests when no device opens
	b, err := gpu.New(gpu.Options{Math: gpu.MathTF32, ScalarAttention: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() }) // after the (parallel) subtests
	backendtest.TestGradients(t, b, backendtest.Options{GemmTol: 2e-3, FDTol: 5e-3})
}
