// Package gpu is latentflow's CUDA backend. Built with the `cuda` tag it will
// run the hand-written kernels of package kernels through gorgonia.org/cu and
// cuBLAS; without the tag (the default, pure-Go build) it provides only Open,
// which returns the CPU backend for device "cpu" or "auto" and a clear error
// for "cuda".
//
// The CUDA implementation is the subject of its own issue; until it lands a
// `cuda` build is not available.
package gpu
