// Package cpu is the reference compute.Backend: plain loops over float32
// slices, shapes in comments, split across goroutines where the work is large
// enough. It is the specification the CUDA backend is tested against, and the
// backend CI runs.
//
// GEMM goes to gonum's pure-Go BLAS (blocked and goroutine-parallel), so no C
// toolchain is needed; the accumulation order therefore differs from the
// naive loop, and conformance tolerances for GEMM scale with k.
//
// Scalars that are reductions over many elements (losses, norms) are
// accumulated in float64.
package cpu
