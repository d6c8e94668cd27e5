// Package backendtest is the conformance suite every compute.Backend must
// pass (after gonum's testblas and gomlx's backendtest). A backend's test is
//
//	func TestConformance(t *testing.T) { backendtest.RunAll(t, New(), backendtest.Options{}) }
//
// and each operation also has its own exported test, TestGemm(t, b, o) and
// so on (listed in All), to run one at a time.
//
// # What is checked
//
// Each operation runs on fresh random inputs, over several shapes (one
// element, odd sizes, sizes past a GPU tile, batches with padded leading
// dimensions and strides, modulation chunks of stride ld), and its output is
// compared with a plain loop in this package, computed in float64 from the
// same float32 inputs. The loops follow the formulas documented on
// compute.Backend; they are the specification, not compute/cpu.
//
// Every buffer the backend sees is a view at an odd offset inside a larger
// allocation. The cells around it hold a NaN with a payload, so a read outside
// the view poisons the result and a write outside it is caught bit for bit.
// Inputs must come back unchanged; outputs that the contract overwrites start
// as NaN (so Gemm with beta = 0 must ignore C); outputs that it accumulates
// into start random; cells of a strided output that are not part of it
// (padding, other chunks) must keep their bits.
//
// The Philox fills (FillUniform, FillNormal, UniformIndex) must equal the
// philox package bit for bit (==, no tolerance), LogitNormal must be the
// sigmoid of exactly those normals, and DropLabels must drop exactly the
// labels whose FillUniform element is below p; Fill, Copy and GatherRows must
// be exact. The edge cases of the loss and VAE ops (labels that are no class,
// log-variances at and beyond the clamp) are those the compute package
// documents.
//
// TestGradients checks every backward op (LayerNormMod, Attention, Gelu,
// SiLU, GatedResidual, CFMLoss and MSELoss with respect to pred,
// SoftmaxCrossEntropy with respect to the logits, GaussianSample with respect
// to h, inside the clamp and, exactly zero, outside it) against central
// differences of the backend's own forward op on tiny shapes, so the forward
// and backward of a backend agree with each other as well as with the
// reference loops. The package's own tests check the reference loops' backward
// formulas against float64 central differences of their forward loops, and
// check that the suite fails each of ~80 mutants of compute/cpu with one
// planted bug (a wrong stride, an accumulate instead of an overwrite, a write
// past a view, a gradient 5% off, a 1e-4 relative error, ...).
//
// # Tolerances
//
// A cell passes when |got - want| <= tol * scale, where want is the float64
// reference and scale is the cell's error scale: the sum of the absolute
// values of the terms that float32 arithmetic combines into it (for Gemm,
// sum_p |alpha a_ip b_pj| + |beta c_ij|), times the condition of any function
// applied (tanh, exp, the path coefficients near t = 1). A correct float32
// computation errs by a few eps = 2^-24 times its scale, or ~sqrt(n) eps for
// a sum of n terms, so the scale lets one tolerance serve short and long sums:
// the relative error of a reduction is allowed to grow with n exactly as much
// as cancellation makes |result| smaller than sum |terms|.
//
// The tolerances sit in Options; the zero value means float32 arithmetic:
//
//	ElemTol   1e-5  elementwise ops and transcendental functions (~10 eps at most)
//	ReduceTol 1e-5  sums over rows, norms, layernorm, losses (~sqrt(n) eps typical, n <= 1000 rows;
//	                Sum, SumSquares, ErrNorm over 2^20+1 cells need pairwise or float64 sums)
//	GemmTol   1e-5  Gemm (k eps worst case, k <= 300); TF32 needs ~2e-3, bf16 ~2e-2
//	AttnTol   1e-5  Attention and its backward: dot products and the softmax
//	FDTol     2e-3  central differences in float32, step 1e-2, relative to |g| + rms(g)
//	XentTol   1e-5  SoftmaxCrossEntropy: exp of x - max, a sum over K, a log
//	VAETol    1e-5  GaussianSample and its backward: exp(lv/2), exp(lv), the KL sum
//
// MSELoss uses ElemTol for dpred and ReduceTol for the loss, as CFMLoss does.
// GradClipScale uses ReduceTol for the norm and the factor (the sum of squares
// over up to 2^20+1 cells, and squares beyond float32's range, need float64),
// and checks NaN/Inf norms and the sticky divergence flag exactly;
// AdamWStepDev uses ElemTol, as AdamWStep does.
//
// A failure prints the cell, the reference, the error and the allowed error,
// and the base seed of the random inputs; set BACKENDTEST_SEED (or
// Options.Seed) to that value to rerun with the same inputs. With go test -v,
// each test logs the largest error it saw as a fraction of its tolerance.
//
// # Conventions the suite relies on
//
// Per-sample tensors of stride ld (shift, scale, gate and their gradients)
// are passed as views of the minimal length (B-1)*ld + D, as the model slices
// them from its modulation tensor. A backend panic is reported as a failure
// of that case and the suite goes on.
package backendtest
