// Command kbench is the kernel bench, in the manner of llm.c's dev/cuda: for
// each kernel family it runs the CPU reference (compute/cpu, the spec), then
// every variant on the CUDA backend, compares each with the reference within
// a stated tolerance, and on a GPU times each variant (device events, the
// median of -reps runs) across its block-size parameter. On the emulated
// device (a -tags cudaemu build) it only checks: emulated times say nothing.
//
//	go build -tags cuda -o bin/ ./cmd/kbench && bin/kbench [-only REGEX] [-reps N] [-size s|m]
//
// Families and variants:
//   - attention_fwd, attention_bwd: attention.cu's scalar kernels (fp32
//     math) and attention_tc.cu's tensor-core kernels (tf32, bf16);
//   - colsum (BiasGrad): colsum with R rows per block for R in 64 ... 4096
//     and BiasGrad's own choice;
//   - ln_bwd (LayerNormModBackwardGated): ln_bwd with R rows of a sample per
//     block for R in 8 ... min(T, 256) and its own choice.
//
// One JSON line per variant: family, variant, shape, max_err (the largest
// |got - ref| over max |ref|), tol, ok and, on a GPU, ms. Exit status 1 when
// a variant fails its check, 2 on bad flags; a build without CUDA exits 2.
package main
