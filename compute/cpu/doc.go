// Package cpu is the reference compute.Backend: plain loops over float32
// slices, shapes in comments, split across goroutines where the work is large
// enough. It is the specification the CUDA backend is tested against, and the
// backend CI runs.
//
// GEMM is our own blocked, packed, goroutine-parallel SGEMM in pure Go
// (sgemm.go), with AVX-512/AVX2 micro-kernels through Go's simd/archsimd
// experiment (GOEXPERIMENT=simd, sgemm_simd_amd64.go) and a portable kernel
// otherwise (sgemm_generic.go), so no C toolchain is needed; the
// accumulation order differs from the naive loop, and conformance
// tolerances for GEMM scale with k.
//
// Scalars that are reductions over many elements (losses, norms) are
// accumulated in float64.
package cpu
