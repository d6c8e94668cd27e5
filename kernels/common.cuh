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
// RED_PARAMS are the first parameters of every reduction kernel (red_finish).
#define RED_PARAMS double *part, unsigned int *ticket, float *out, double div, double mul, int mode

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

// Two-pass reductions in one launch. A reduction kernel's first six
// parameters are (part, ticket, out, div, mul, mode); every thread of each
// block calls red_finish once at its end with the block's sum s (in thread
// 0, block_sum_d's), which stores it in part[blockIdx.x]; the last block to
// finish (a ticket, taken after a fence) adds the gridDim.x partials in
// order on one thread, applies red_value, and resets the ticket to 0 for the
// next launch. Which block is last does not change the order: the result
// depends on the grid only (the Go side's red). part holds RED_MAX_BLOCKS
// doubles and ticket one word, shared by the reductions, one at a time on the
// stream (gpu/backend.go reduce).

// red_value writes the finished sum: v = sum / div * mul, then mode 0:
// out[0] = v; 1: out[0] = sqrt(v); 2: out[0] += v (a loss); 3: the gradient
// clipping factor of Backend.GradClipScale (compute/cpu nn.go) with mul the
// max norm and n = sqrt(sum): out[0] = 1 if mul <= 0 or n <= mul, else mul /
// n; out[1] = n; out[2] = 1 if n is NaN or Inf (sticky: else unchanged).
__device__ __forceinline__ void red_value(double sum, float* out, double div, double mul, int mode) {
  if (mode == 3) {
    const double n = sqrt(sum);
    out[0] = (mul <= 0.0 || n <= mul) ? 1.0f : (float)(mul / n);
    out[1] = (float)n;
    if (isnan(n) || isinf(n)) out[2] = 1.0f;
    return;
  }
  const double v = sum / div * mul;
  if (mode == 0) out[0] = (float)v;
  else if (mode == 1) out[0] = (float)sqrt(v);
  else out[0] += (float)v;
}

// last_block is the ticket protocol of the sums over several blocks
// (colsum, colsum_multi, ln_bwd, red_finish): every thread of the block
// calls it once, after writing the block's partials; they are fenced, one
// thread takes a ticket, and it returns true (in every thread) in the last
// of the n blocks to arrive at *ticket. That block sees every block's
// partials (read them through volatile), adds them in a fixed order, and
// resets *ticket to 0 before it ends, for the next launch.
__device__ __forceinline__ bool last_block(unsigned int* ticket, unsigned int n) {
  __shared__ int last;
  __threadfence();  // the partials are visible before the ticket
  __syncthreads();
  if (threadIdx.x == 0 && threadIdx.y == 0) last = atomicAdd(ticket, 1u) == n - 1;
  __syncthreads();
  if (last) __threadfence();
  return last;
}

__device__ __forceinline__ void red_finish(double s, double* part, unsigned int* ticket, float* out, double div,
                                           double mul, int mode) {
  if (gridDim.x == 1) {
    if (threadIdx.x == 0) red_value(0.0 + s, out, div, mul, mode);
    return;
  }
  if (threadIdx.x == 0) part[blockIdx.x] = s;
  if (!last_block(ticket, gridDim.x) || threadIdx.x != 0) return;
  const volatile double* p = part;
  double t = 0;
  for (int b = 0; b < (int)gridDim.x; b++) t += p[b];
  red_value(t, out, div, mul, mode);
  *ticket = 0;
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
