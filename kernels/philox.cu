// philox.cu: the Philox fills, bit-identical to package philox. Go wrappers:
// gpu/philox.go (FillUniform, FillNormal, UniformIndex, LogitNormal, DropLabels; CPU twins
// in compute/cpu/cpu.go and compute/cpu/cfm.go). One thread per Philox call
// (four elements). Compiled with -fmad=false as a second guard.
#include "common.cuh"
#include "philox.cuh"

// fill_uniform: x[i] = Uniform(word i%4 of call i/4) (philox.Key.FillUniform, offset 0).
extern "C" __global__ void fill_uniform(float* x, int n, unsigned long long seed, unsigned long long step,
                                        unsigned int stream) {
  int blk = blockIdx.x * blockDim.x + threadIdx.x;
  int i = blk * 4;
  if (i >= n) return;
  uint4 w = philox_block((unsigned int)blk, seed, step, stream);
  x[i] = philox_uniform(w.x);
  if (i + 1 < n) x[i + 1] = philox_uniform(w.y);
  if (i + 2 < n) x[i + 2] = philox_uniform(w.z);
  if (i + 3 < n) x[i + 3] = philox_uniform(w.w);
}

// fill_normal: x[i] = normal i of the stream (philox.Key.FillNormal, offset 0).
extern "C" __global__ void fill_normal(float* x, int n, unsigned long long seed, unsigned long long step,
                                       unsigned int stream) {
  int blk = blockIdx.x * blockDim.x + threadIdx.x;
  int i = blk * 4;
  if (i >= n) return;
  float4 z = philox_normals((unsigned int)blk, seed, step, stream);
  x[i] = z.x;
  if (i + 1 < n) x[i + 1] = z.y;
  if (i + 2 < n) x[i + 2] = z.z;
  if (i + 3 < n) x[i + 3] = z.w;
}

__device__ __forceinline__ float uniform_index(float u, int rows) {
  // float64(u) * float64(n) is exact (24 x 25 bits); int() truncates, u > 0.
  long long r = (long long)__dmul_rn((double)u, (double)rows);
  if (r > rows - 1) r = rows - 1;
  return (float)r;
}

// uniform_index: idx[i] = min(floor(u_i rows), rows-1) (cpu Backend.UniformIndex).
extern "C" __global__ void uniform_index(float* idx, int n, int rows, unsigned long long seed,
                                         unsigned long long step, unsigned int stream) {
  int blk = blockIdx.x * blockDim.x + threadIdx.x;
  int i = blk * 4;
  if (i >= n) return;
  uint4 w = philox_block((unsigned int)blk, seed, step, stream);
  idx[i] = uniform_index(philox_uniform(w.x), rows);
  if (i + 1 < n) idx[i + 1] = uniform_index(philox_uniform(w.y), rows);
  if (i + 2 < n) idx[i + 2] = uniform_index(philox_uniform(w.z), rows);
  if (i + 3 < n) idx[i + 3] = uniform_index(philox_uniform(w.w), rows);
}

__device__ __forceinline__ float logit_normal(float z, float mean, float sd) {
  // float32(1 / (1 + exp(-float64(mean + std z)))), the float32 sum rounded as in Go.
  double a = (double)__fadd_rn(mean, __fmul_rn(sd, z));
  return (float)(1.0 / (1.0 + exp(-a)));
}

// logit_normal: t_i = sigmoid(mean + std z_i), z the normal stream (cpu Backend.LogitNormal).
extern "C" __global__ void logit_normal(float* t, int n, unsigned long long seed, unsigned long long step,
                                        unsigned int stream, float mean, float sd) {
  int blk = blockIdx.x * blockDim.x + threadIdx.x;
  int i = blk * 4;
  if (i >= n) return;
  float4 z = philox_normals((unsigned int)blk, seed, step, stream);
  t[i] = logit_normal(z.x, mean, sd);
  if (i + 1 < n) t[i + 1] = logit_normal(z.y, mean, sd);
  if (i + 2 < n) t[i + 2] = logit_normal(z.z, mean, sd);
  if (i + 3 < n) t[i + 3] = logit_normal(z.w, mean, sd);
}

// drop_labels: y[i] = null when u_i < p, u the uniform stream (cpu Backend.DropLabels).
extern "C" __global__ void drop_labels(float* y, int n, float p, float null_class, unsigned long long seed,
                                       unsigned long long step, unsigned int stream) {
  int blk = blockIdx.x * blockDim.x + threadIdx.x;
  int i = blk * 4;
  if (i >= n) return;
  uint4 w = philox_block((unsigned int)blk, seed, step, stream);
  if (philox_uniform(w.x) < p) y[i] = null_class;
  if (i + 1 < n && philox_uniform(w.y) < p) y[i + 1] = null_class;
  if (i + 2 < n && philox_uniform(w.z) < p) y[i + 2] = null_class;
  if (i + 3 < n && philox_uniform(w.w) < p) y[i + 3] = null_class;
}
