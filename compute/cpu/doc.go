// Package cpu is the reference compute.Backend: plain loops over float32
// slices, shapes in comments, split across goroutines where the work is large
// enough. It is the specification the CUDA backend is tested against, and the
// backend CI runs.
//
// GEMM is our own blocked, packed, goroutine-parallel SGEMM (sgemm.go), with
// AVX-512 micro-kernels in Go assembly (sgemm_avx512asm_amd64.s), AVX2
// micro-kernels through Go's simd/archsimd experiment (GOEXPERIMENT=simd,
// sgemm_simd_amd64.go, also the pure-Go twins of the assembly) and a portable
// kernel otherwise (sgemm_generic.go), so no C toolchain is needed; the
// accumulation order differs from the naive loop, and conformance
// tolerances for GEMM scale with k.
//
// The AVX upper state: Go compiles scalar float code (and its spills, and
// zeroing of arrays) to legacy SSE instructions. After 256- or 512-bit
// instructions have left the upper halves of the vector registers dirty, each
// such SSE instruction is very slow on some Intel CPUs (about 150 ns measured
// on the 2-core Xeon of issue 15, 20x an exp of 8 lanes). So every function
// here that uses 256/512-bit vectors ends its vector part with
// archsimd.ClearAVXUpperBits (VZEROUPPER; the assembly kernels end with it),
// keeps no scalar float live across a call inside a vector loop, and returns
// no vector to scalar code.
//
// Scalars that are reductions over many elements (losses, norms) are
// accumulated in float64.
package cpu
