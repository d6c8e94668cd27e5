// step.cu: the per-step ops of a captured training loop (compute.Backend
// StepAdvance and the *At ops). Go wrappers: gpu/step.go; CPU twins
// (the spec): compute/cpu/step.go. A step block (5 floats) holds the step s
// as uint32 bits, the learning rate, 1 - b1^s, 1 - b2^s and the EMA decay;
// every kernel here reads the step or the hyper-parameters from it, so one
// captured graph serves every step. Compiled with the default flags, like
// vector.cu, so adamw_at and ema_at fuse exactly as adamw_dev and ema do; the
// Philox and 2D-data code uses explicitly rounded intrinsics.
#include "common.cuh"
#include "philox.cuh"

// at_uniform_index and at_logit_normal are philox.cu's uniform_index and
// logit_normal helpers (the same code; moving them into philox.cuh would
// regenerate every module's emulator table, so that waits for a merge).
__device__ __forceinline__ float at_uniform_index(float u, int rows) {
  // float64(u) * float64(n) is exact (24 x 25 bits); int() truncates, u > 0.
  long long r = (long long)__dmul_rn((double)u, (double)rows);
  if (r > rows - 1) r = rows - 1;
  return (float)r;
}

__device__ __forceinline__ float at_logit_normal(float z, float mean, float sd) {
  // float32(1 / (1 + exp(-float64(mean + std z)))), the float32 sum rounded as in Go.
  double a = (double)__fadd_rn(mean, __fmul_rn(sd, z));
  return (float)(1.0 / (1.0 + exp(-a)));
}

// block_step is the step of a block: the bits of block[0].
__device__ __forceinline__ unsigned long long block_step(const float* block) {
  return (unsigned long long)(*(const unsigned int*)block);
}

// step_advance: s = counter (uint32 bits); block = (s, table row s-1, or NaNs
// when s is outside [1, rows]); counter = s + 1 (cpu Backend.StepAdvance). One thread.
extern "C" __global__ void step_advance(float* block, const float* table, unsigned int* counter, int rows) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  unsigned int s = *counter;
  *(unsigned int*)block = s;
  bool in = s >= 1u && s <= (unsigned int)rows;
  for (int j = 0; j < 4; j++) block[1 + j] = in ? table[4 * (long long)(s - 1) + j] : __int_as_float(0x7fc00000);
  *counter = s + 1u;
}

// fill_uniform_at: fill_uniform at the block's step (cpu Backend.FillUniformAt).
extern "C" __global__ void fill_uniform_at(float* x, int n, const float* block, unsigned long long seed,
                                           unsigned int stream) {
  int blk = blockIdx.x * blockDim.x + threadIdx.x;
  int i = blk * 4;
  if (i >= n) return;
  uint4 w = philox_block((unsigned int)blk, seed, block_step(block), stream);
  x[i] = philox_uniform(w.x);
  if (i + 1 < n) x[i + 1] = philox_uniform(w.y);
  if (i + 2 < n) x[i + 2] = philox_uniform(w.z);
  if (i + 3 < n) x[i + 3] = philox_uniform(w.w);
}

// fill_normal_at: fill_normal at the block's step (cpu Backend.FillNormalAt).
extern "C" __global__ void fill_normal_at(float* x, int n, const float* block, unsigned long long seed,
                                          unsigned int stream) {
  int blk = blockIdx.x * blockDim.x + threadIdx.x;
  int i = blk * 4;
  if (i >= n) return;
  float4 z = philox_normals((unsigned int)blk, seed, block_step(block), stream);
  x[i] = z.x;
  if (i + 1 < n) x[i + 1] = z.y;
  if (i + 2 < n) x[i + 2] = z.z;
  if (i + 3 < n) x[i + 3] = z.w;
}

// uniform_index_at: uniform_index at the block's step (cpu Backend.UniformIndexAt).
extern "C" __global__ void uniform_index_at(float* idx, int n, int rows, const float* block, unsigned long long seed,
                                            unsigned int stream) {
  int blk = blockIdx.x * blockDim.x + threadIdx.x;
  int i = blk * 4;
  if (i >= n) return;
  uint4 w = philox_block((unsigned int)blk, seed, block_step(block), stream);
  idx[i] = at_uniform_index(philox_uniform(w.x), rows);
  if (i + 1 < n) idx[i + 1] = at_uniform_index(philox_uniform(w.y), rows);
  if (i + 2 < n) idx[i + 2] = at_uniform_index(philox_uniform(w.z), rows);
  if (i + 3 < n) idx[i + 3] = at_uniform_index(philox_uniform(w.w), rows);
}

// logit_normal_at: logit_normal at the block's step (cpu Backend.LogitNormalAt).
extern "C" __global__ void logit_normal_at(float* t, int n, const float* block, unsigned long long seed,
                                           unsigned int stream, float mean, float sd) {
  int blk = blockIdx.x * blockDim.x + threadIdx.x;
  int i = blk * 4;
  if (i >= n) return;
  float4 z = philox_normals((unsigned int)blk, seed, block_step(block), stream);
  t[i] = at_logit_normal(z.x, mean, sd);
  if (i + 1 < n) t[i + 1] = at_logit_normal(z.y, mean, sd);
  if (i + 2 < n) t[i + 2] = at_logit_normal(z.z, mean, sd);
  if (i + 3 < n) t[i + 3] = at_logit_normal(z.w, mean, sd);
}

// drop_labels_at: drop_labels at the block's step (cpu Backend.DropLabelsAt).
extern "C" __global__ void drop_labels_at(float* y, int n, float p, float null_class, const float* block,
                                          unsigned long long seed, unsigned int stream) {
  int blk = blockIdx.x * blockDim.x + threadIdx.x;
  int i = blk * 4;
  if (i >= n) return;
  uint4 w = philox_block((unsigned int)blk, seed, block_step(block), stream);
  if (philox_uniform(w.x) < p) y[i] = null_class;
  if (i + 1 < n && philox_uniform(w.y) < p) y[i + 1] = null_class;
  if (i + 2 < n && philox_uniform(w.z) < p) y[i + 2] = null_class;
  if (i + 3 < n && philox_uniform(w.w) < p) y[i + 3] = null_class;
}

// adamw_at: adamw_dev with lr = block[1], bc1 = block[2], bc2 = block[3]
// (cpu Backend.AdamWStepAt): the same element update as adamw_dev
// (adamw_update in common.cuh).
extern "C" __global__ void adamw_at(float* p, const float* g, float* m, float* v, const float* scale,
                                    const float* block, int n, float b1, float b2, float wd, float eps,
                                    float gscale) {
  const float gs = __fmul_rn(gscale, scale[0]);
  const float lr = block[1], bc1 = block[2], bc2 = block[3];
  GRID_LOOP(i, n) {
    float gi = gs * g[i];
    adamw_update(p + i, m + i, v + i, gi, b1, b2, lr, wd, eps, bc1, bc2);
  }
}

// ema_at: ema with decay = block[4] (cpu Backend.EMAAt).
extern "C" __global__ void ema_at(float* e, const float* p, int n, const float* block) {
  const float decay = block[4];
  GRID_LOOP(i, n) e[i] = decay * e[i] + (1.0f - decay) * p[i];
}

// toy_word is word e of the Philox stream: word e%4 of call e/4.
__device__ __forceinline__ unsigned int toy_word(long long e, unsigned long long seed, unsigned long long step,
                                                 unsigned int stream) {
  uint4 w = philox_block((unsigned int)(e / 4), seed, step, stream);
  switch (e % 4) {
    case 0: return w.x;
    case 1: return w.y;
    case 2: return w.z;
    default: return w.w;
  }
}

// toy_batch_at: point i of the 2D distribution kind (data.Toy: 0 checkerboard,
// 1 gaussians8, 2 moons, 3 spirals) at the block's step, normalised as
// data.Normalise (cpu Backend.ToyBatchAt). One thread per point. Every
// float64 operation is explicitly rounded, in Go's order of evaluation.
extern "C" __global__ void toy_batch_at(float* x, int n, int kind, const float* block, unsigned long long seed,
                                        unsigned int stream, float mean0, float mean1, float std0, float std1) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const unsigned long long step = block_step(block);
  float px, py;
  if (kind == 0) {
    // data's checkerCells: lower-left corners (in cells of side 2) of the 8 filled cells.
    const int cx[8] = {-2, -2, -1, -1, 0, 0, 1, 1}, cy[8] = {-2, 0, -1, 1, -2, 0, -1, 1};
    int c = (int)(toy_word(3LL * i, seed, step, stream) >> 29);
    float mx = __fmul_rn((float)(toy_word(3LL * i + 1, seed, step, stream) >> 9), 1.0f / 4194304.0f);
    float my = __fmul_rn((float)(toy_word(3LL * i + 2, seed, step, stream) >> 9), 1.0f / 4194304.0f);
    px = __fadd_rn((float)(2 * cx[c]), mx);
    py = __fadd_rn((float)(2 * cy[c]), my);
  } else {
    // data's draws: uniforms 2i, 2i+1; normals off+2i, off+2i+1 with off = 4 ceil(2n/4).
    uint4 w = philox_block((unsigned int)(i / 2), seed, step, stream);
    float u0 = philox_uniform(i % 2 == 0 ? w.x : w.z), u1 = philox_uniform(i % 2 == 0 ? w.y : w.w);
    long long off = 4 * ((2LL * n + 3) / 4);
    uint4 wz = philox_block((unsigned int)((off + 2LL * i) / 4), seed, step, stream);
    float2 z = i % 2 == 0 ? philox_boxmuller(philox_uniform(wz.x), philox_uniform(wz.y))
                          : philox_boxmuller(philox_uniform(wz.z), philox_uniform(wz.w));
    double s, c, dx, dy;
    if (kind == 1) {  // gaussians8: radius 4, std 0.5
      int k = (int)__fmul_rn(u0, 8.0f);
      philox_sincos2pi(__ddiv_rn((double)k, 8.0), &s, &c);
      dx = __dadd_rn(__dmul_rn(4.0, c), __dmul_rn(0.5, (double)z.x));
      dy = __dadd_rn(__dmul_rn(4.0, s), __dmul_rn(0.5, (double)z.y));
    } else if (kind == 2) {  // moons: scale 2.5, std 0.1
      philox_sincos2pi(__ddiv_rn((double)u1, 2.0), &s, &c);
      double mxv = c, myv = s;
      if (u0 >= 0.5f) {
        mxv = __dsub_rn(1.0, c);
        myv = __dsub_rn(0.5, s);
      }
      dx = __dadd_rn(__dmul_rn(2.5, __dsub_rn(mxv, 0.5)), __dmul_rn(0.1, (double)z.x));
      dy = __dadd_rn(__dmul_rn(2.5, __dsub_rn(myv, 0.25)), __dmul_rn(0.1, (double)z.y));
    } else {  // spirals: std 0.1
      double turns = __dmul_rn(1.5, __dsqrt_rn((double)u1));
      double theta = __dmul_rn(DBL(0x401921fb54442d18ULL), turns);  // 2 pi, as Go's constant 2*math.Pi
      philox_sincos2pi(turns, &s, &c);
      double sx = __ddiv_rn(__dmul_rn(-theta, c), 3.0), sy = __ddiv_rn(__dmul_rn(theta, s), 3.0);
      if (u0 >= 0.5f) {
        sx = -sx;
        sy = -sy;
      }
      dx = __dadd_rn(sx, __dmul_rn(0.1, (double)z.x));
      dy = __dadd_rn(sy, __dmul_rn(0.1, (double)z.y));
    }
    px = __double2float_rn(dx);
    py = __double2float_rn(dy);
  }
  x[2 * i] = __fdiv_rn(__fsub_rn(px, mean0), std0);
  x[2 * i + 1] = __fdiv_rn(__fsub_rn(py, mean1), std1);
}
