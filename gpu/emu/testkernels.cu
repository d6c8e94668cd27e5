// testkernels.cu: small kernels of package emu's tests (the test module:
// Lookup finds them, Names does not list them). Compiled like kernels/*.cu.
#include "../../kernels/common.cuh"

// t_barrier: out[b*n + t] = sm[(t+1) % n] after every thread wrote sm[t] = t+1.
extern "C" __global__ void t_barrier(float* out, int n) {
  extern __shared__ float tsm[];
  int t = threadIdx.x;
  tsm[t] = (float)(t + 1);
  __syncthreads();
  out[blockIdx.x * n + t] = tsm[(t + 1) % n];
}

// t_no_barrier: t_barrier without its __syncthreads (a race).
extern "C" __global__ void t_no_barrier(float* out, int n) {
  extern __shared__ float tsm[];
  int t = threadIdx.x;
  tsm[t] = (float)(t + 1);
  out[blockIdx.x * n + t] = tsm[(t + 1) % n];
}

// t_static_shared: a static __shared__ array through two barriers (block (n)).
extern "C" __global__ void t_static_shared(int* out) {
  __shared__ int s[1024];
  int t = threadIdx.x, n = blockDim.x;
  s[t] = t * 3;
  __syncthreads();
  int v = s[n - 1 - t];
  __syncthreads();
  s[t] = v + 1;
  __syncthreads();
  out[blockIdx.x * n + t] = s[(t + 1) % n];
}

// t_exit_barrier: thread `who` exits before the barrier.
extern "C" __global__ void t_exit_barrier(int who) {
  if ((int)threadIdx.x == who) return;
  __syncthreads();
}

// t_two_barriers: odd threads wait at one barrier, even at another.
extern "C" __global__ void t_two_barriers() {
  if (threadIdx.x & 1) {
    __syncthreads();
  } else {
    __syncthreads();
  }
}

// t_barrier_vs_shfl: lane 0 waits at a barrier, the other lanes in a full-warp shuffle.
extern "C" __global__ void t_barrier_vs_shfl(float* out) {
  float v = (float)threadIdx.x;
  if (threadIdx.x == 0) {
    __syncthreads();
  } else {
    v = __shfl_sync(FULL_MASK, v, 1);
  }
  out[threadIdx.x] = v;
}

// t_shfl_exit: lane `who` exits, the others shuffle with the full mask.
extern "C" __global__ void t_shfl_exit(float* out, int who) {
  if ((int)threadIdx.x == who) return;
  out[threadIdx.x] = __shfl_sync(FULL_MASK, (float)threadIdx.x, 0);
}

// t_shfl_masks: lanes < 16 use mask 0x0000ffff, the others the full mask.
extern "C" __global__ void t_shfl_masks(float* out) {
  unsigned m = threadIdx.x < 16 ? 0x0000ffffu : FULL_MASK;
  out[threadIdx.x] = __shfl_sync(m, (float)threadIdx.x, 0);
}

// t_shfl_self: each lane calls with a mask that does not name it.
extern "C" __global__ void t_shfl_self(float* out) {
  out[threadIdx.x] = __shfl_sync(1u << ((threadIdx.x + 1) & 31), (float)threadIdx.x, 0);
}

// t_shfl_kinds: lanes < 16 call __shfl_xor_sync, the others __shfl_down_sync (same mask).
extern "C" __global__ void t_shfl_kinds(float* out) {
  float v = (float)threadIdx.x;
  out[threadIdx.x] = threadIdx.x < 16 ? __shfl_xor_sync(FULL_MASK, v, 1) : __shfl_down_sync(FULL_MASK, v, 1);
}

// t_halves: the two half-warps shuffle separately with disjoint masks (legal).
extern "C" __global__ void t_halves(int* out) {
  unsigned l = threadIdx.x & 31;
  unsigned m = l < 16 ? 0x0000ffffu : 0xffff0000u;
  out[threadIdx.x] = __shfl_sync(m, (int)threadIdx.x * 10, l < 16 ? 3 : 20);
}

// t_collectives: per thread (block 64), 12 ints of results:
// shfl(src 5), up 3, down 3, xor 6, shfl width 8 (src 2), up width 8 (1),
// xor width 8 (5), ballot(lane odd), any(lane == 7), all(lane < 32), all(lane even),
// and the double warp_sum_d of the lane (as an int).
extern "C" __global__ void t_collectives(int* out, float* fout, double* dout, long long* lout) {
  int t = threadIdx.x, lane = t & 31;
  int* o = out + t * 12;
  o[0] = __shfl_sync(FULL_MASK, t, 5);
  o[1] = __shfl_up_sync(FULL_MASK, t, 3);
  o[2] = __shfl_down_sync(FULL_MASK, t, 3);
  o[3] = __shfl_xor_sync(FULL_MASK, t, 6);
  o[4] = __shfl_sync(FULL_MASK, t, 2, 8);
  o[5] = __shfl_up_sync(FULL_MASK, t, 1, 8);
  o[6] = __shfl_xor_sync(FULL_MASK, t, 5, 8);
  o[7] = (int)__ballot_sync(FULL_MASK, lane & 1);
  o[8] = __any_sync(FULL_MASK, lane == 7);
  o[9] = __all_sync(FULL_MASK, lane < 32);
  o[10] = __all_sync(FULL_MASK, (lane & 1) == 0);
  o[11] = (int)warp_sum_d((double)lane);
  __syncwarp();
  fout[t] = warp_sum((float)lane * 0.5f);
  dout[t] = __shfl_down_sync(FULL_MASK, (double)t + 0.25, 1);
  lout[t] = __shfl_xor_sync(FULL_MASK, (long long)t << 40, 1);
}

// t_atomics: every thread of every block adds to the counters.
extern "C" __global__ void t_atomics(float* f, double* d, int* i, unsigned* u, unsigned long long* ull, int* mx) {
  atomicAdd(f, 1.0f);
  atomicAdd(d, 0.5);
  atomicAdd(i, 2);
  atomicAdd(u, 3u);
  atomicAdd(ull, 1ull << 33);
  int id = blockIdx.x * blockDim.x + threadIdx.x;
  atomicMax(mx, id);
  atomicMin(mx + 1, -id);
  atomicOr((unsigned*)(mx + 2), 1u << (id & 31));
  atomicCAS(mx + 3, 0, 7);
  atomicExch(mx + 4, 9);
}

// t_overrun: writes float index `at` of the dynamic shared memory.
extern "C" __global__ void t_overrun(int at) {
  extern __shared__ float tsm[];
  if (threadIdx.x == 0) tsm[at] = 1.0f;
}

// t_shared_view: out[t] = the bits of word t of the dynamic shared memory,
// first as filled, then after thread 0 wrote 1.0f as float (two names alias).
extern "C" __global__ void t_shared_view(unsigned* out) {
  extern __shared__ float tsm[];
  extern __shared__ unsigned tsu[];
  int t = threadIdx.x;
  out[t] = tsu[t];
  __syncthreads();
  if (t == 0) tsm[0] = 1.0f;
  __syncthreads();
  out[blockDim.x + t] = tsu[0];
}

// t_args: writes back each argument (checks the slot unpacking).
extern "C" __global__ void t_args(unsigned long long* out, int i, unsigned u, float f, double d, long long l,
                                  unsigned long long U, const float* p) {
  if (threadIdx.x != 0) return;
  out[0] = (unsigned long long)(long long)i;
  out[1] = u;
  out[2] = __float_as_uint(f);
  out[3] = (unsigned long long)__double_as_longlong(d);
  out[4] = (unsigned long long)l;
  out[5] = U;
  out[6] = (unsigned long long)(uintptr_t)p;
  out[7] = blockDim.x + 1000 * blockDim.y + 1000000 * blockDim.z;
}

// t_ids: out[linear thread of the grid] = packed (blockIdx, threadIdx).
extern "C" __global__ void t_ids(int* out) {
  int b = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  int t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  int nt = blockDim.x * blockDim.y * blockDim.z;
  out[b * nt + t] = (blockIdx.z << 24) | (blockIdx.y << 16) | (blockIdx.x << 8) | (threadIdx.z << 6) |
                    (threadIdx.y << 3) | threadIdx.x;
}

// t_bench_barrier / t_bench_shfl: iters barriers or full-warp xor shuffles.
extern "C" __global__ void t_bench_barrier(int iters) {
  for (int i = 0; i < iters; i++) __syncthreads();
}

extern "C" __global__ void t_bench_shfl(float* out, int iters) {
  float v = (float)threadIdx.x;
  for (int i = 0; i < iters; i++) v = __shfl_xor_sync(FULL_MASK, v, 1);
  if (v == -1.0f) out[0] = v;
}

// t_empty: nothing (the launch and per-thread cost).
extern "C" __global__ void t_empty() {}

// t_order: out[linear thread of the grid] = the order in which the threads
// ran (a counter), to compare the thread orders with and without fibers.
extern "C" __global__ void t_order(int* out, int* counter) {
  int b = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  int t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  out[b * (blockDim.x * blockDim.y * blockDim.z) + t] = atomicAdd(counter, 1);
}

// t_elem: an elementwise grid-stride loop (the benchmark of sync-free blocks).
extern "C" __global__ void t_elem(float* y, const float* x, int n, float a) {
  GRID_LOOP(i, n) y[i] = a * x[i] + y[i];
}
