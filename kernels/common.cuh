// common.cuh: helpers shared by latentflow's kernels (included by every .cu).
// Every kernel is extern "C" so its PTX name is its C name; sizes are int
// (the Go wrappers check they fit), pointers are 64-bit, and each parameter is
// at most 8 bytes (gorgonia.org/cu copies 8 bytes per parameter).
#pragma once

#define FULL_MASK 0xffffffffu

// ERR_* are the bits of the device error word that Backend.Sync reports.
#define ERR_GATHER_INDEX 1u  // GatherRows / ScatterAddRows: row index out of range

// GRID_LOOP(i, n) is a grid-stride loop over i < n. Its int index cannot wrap:
// the Go wrappers launch at most 2^24 threads (elemBlocks x elemThreads) and
// keep n + 2^24 <= 2^31 - 1 (gpu/backend.go maxGridElems).
#define GRID_LOOP(i, n) for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += gridDim.x * blockDim.x)

// RED_THREADS is the block size of the two-pass reductions; RED_MAX_BLOCKS
// bounds their grid (the Go side allocates that many double partials).
#define RED_THREADS 256
#define RED_MAX_BLOCKS 1024

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
  return v;
}

__device__ __forceinline__ double warp_sum_d(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
  return v;
}

// block_sum_d returns the sum of v over the block (blockDim.x a multiple of
// 32, at most 1024) in thread 0, in a fixed order (deterministic). It uses
// shared memory: call it at most once per kernel.
__device__ __forceinline__ double block_sum_d(double v) {
  __shared__ double part[32];
  v = warp_sum_d(v);
  const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
  if (lane == 0) part[w] = v;
  __syncthreads();
  const int nw = blockDim.x >> 5;
  v = (int)threadIdx.x < nw ? part[threadIdx.x] : 0.0;
  if (w == 0) v = warp_sum_d(v);
  return v;
}

// sigmoidf32 is 1/(1+e^-x) in float32 (expf is accurate to 2 ulp; the CPU
// uses its own expf of a few 1e-7 relative error).
__device__ __forceinline__ float sigmoidf32(float x) { return 1.0f / (1.0f + expf(-x)); }

// Column sums (BiasGrad, AddRowsGrad, the adaLN and gate gradients) use
// blocks of (32, COL_GROUPS) threads: threadIdx.x is the column within a
// 32-wide strip, threadIdx.y a row group; each thread sums its rows in double,
// then thread y = 0 adds the groups in order. No atomics: deterministic.
#define COL_GROUPS 8

// col_reduce returns, in threads with threadIdx.y == 0, the sum over y of v.
// Call once per kernel, by every thread of the block.
__device__ __forceinline__ double col_reduce(double v) {
  __shared__ double sh[COL_GROUPS][32];
  sh[threadIdx.y][threadIdx.x] = v;
  __syncthreads();
  double s = 0;
  if (threadIdx.y == 0)
    for (int g = 0; g < COL_GROUPS; g++) s += sh[g][threadIdx.x];
  return s;
}

// adamw_update applies one AdamW step to one parameter *p with moments *m, *v
// and the scaled gradient gi (bc1 = 1 - b1^step, bc2 = 1 - b2^step): the
// element update of the adamw kernels (vector.cu, step.cu) and of cpu
// Backend.AdamWStep.
__device__ __forceinline__ void adamw_update(float* p, float* m, float* v, float gi, float b1, float b2, float lr,
                                             float wd, float eps, float bc1, float bc2) {
  float mi = b1 * *m + (1.0f - b1) * gi;
  float vi = b2 * *v + (1.0f - b2) * gi * gi;
  *m = mi;
  *v = vi;
  float pi = *p;
  *p = pi - lr * (wd * pi + (mi / bc1) / (sqrtf(vi / bc2) + eps));
}
