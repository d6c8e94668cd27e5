// layernorm.cu: layernorm without affine parameters followed by adaLN
// modulation, forward and backward. Go wrappers: gpu/layernorm.go, matching
// compute/cpu nn.go LayerNormMod and LayerNormModBackward: statistics in
// float64 (two passes), the normalised row in float32. One warp per row.
#include "common.cuh"

#define LN_WARPS 4

// ln_row: lane's part of ln_fwd for row r of x (its statistics from the
// whole row: a warp's shuffles).
__device__ __forceinline__ void ln_row(float* y, float* mean, float* rstd, const float* x, const float* shift,
                                       const float* scale, int ld, int r, int lane, int T, int D, float eps) {
  const float* xr = x + (long long)r * D;
  double s = 0;
  for (int j = lane; j < D; j += 32) s += (double)xr[j];
  double mu = warp_sum_d(s) / (double)D;
  double v2 = 0;
  for (int j = lane; j < D; j += 32) {
    double d = (double)xr[j] - mu;
    v2 += d * d;
  }
  double rs = 1.0 / sqrt(warp_sum_d(v2) / (double)D + (double)eps);
  float m32 = (float)mu, r32 = (float)rs;
  if (lane == 0) {
    mean[r] = m32;
    rstd[r] = r32;
  }
  int b = r / T;
  const float* sh = shift + (long long)b * ld;
  const float* sc = scale + (long long)b * ld;
  float* yr = y + (long long)r * D;
  for (int j = lane; j < D; j += 32) yr[j] = (xr[j] - m32) * r32 * (1.0f + sc[j]) + sh[j];
}

// ln_fwd: y = (x - mean) rstd (1 + scale[b]) + shift[b]; saves mean, rstd [N].
extern "C" __global__ void ln_fwd(float* y, float* mean, float* rstd, const float* x, const float* shift,
                                  const float* scale, int ld, int N, int T, int D, float eps) {
  int r = blockIdx.x * LN_WARPS + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  if (r >= N) return;
  ln_row(y, mean, rstd, x, shift, scale, ld, r, lane, T, D, eps);
}

// residual_ln_fwd: residual.cu's bias_gated_residual (v = res[r, j] + bias[j]
// written back, out[r, j] = x[r, j] + gate[b, j] v) and then ln_fwd of out, in
// one pass over the row: each lane reads back only the cells it wrote.
extern "C" __global__ void residual_ln_fwd(float* out, const float* x, float* res, const float* bias,
                                           const float* gate, int ldg, float* y, float* mean, float* rstd,
                                           const float* shift, const float* scale, int ld, int N, int T, int D,
                                           float eps) {
  int r = blockIdx.x * LN_WARPS + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  if (r >= N) return;
  const float* g = gate + (long long)(r / T) * ldg;
  for (int j = lane; j < D; j += 32) {
    long long i = (long long)r * D + j;
    float v = res[i] + bias[j];
    res[i] = v;
    out[i] = x[i] + g[j] * v;
  }
  ln_row(y, mean, rstd, out, shift, scale, ld, r, lane, T, D, eps);
}

// ln_bwd_dx: with xhat = (x - mean) rstd and g = dy (1 + scale[b]),
// dx += rstd (g - mean_j g - xhat mean_j(g xhat)) (accumulated).
extern "C" __global__ void ln_bwd_dx(float* dx, const float* dy, const float* x, const float* mean,
                                     const float* rstd, const float* scale, int ld, int N, int T, int D) {
  int r = blockIdx.x * LN_WARPS + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  if (r >= N) return;
  const float* xr = x + (long long)r * D;
  const float* dyr = dy + (long long)r * D;
  const float* sc = scale + (long long)(r / T) * ld;
  float mu = mean[r], rs = rstd[r];
  double sg = 0, sgx = 0;
  for (int j = lane; j < D; j += 32) {
    float xh = (xr[j] - mu) * rs;
    float g = dyr[j] * (1.0f + sc[j]);
    sg += (double)g;
    sgx += (double)g * (double)xh;
  }
  float mg = (float)(warp_sum_d(sg) / (double)D), mgx = (float)(warp_sum_d(sgx) / (double)D);
  float* dxr = dx + (long long)r * D;
  for (int j = lane; j < D; j += 32) {
    float xh = (xr[j] - mu) * rs;
    float g = dyr[j] * (1.0f + sc[j]);
    dxr[j] += rs * (g - mg - xh * mgx);
  }
}

// ln_mod_cols: ln_bwd_mod's sums for column j of sample b, written by the
// threads with threadIdx.y == 0 (a block of (32, COL_GROUPS); every thread calls it).
__device__ __forceinline__ void ln_mod_cols(float* dshift, float* dscale, const float* dy, const float* x,
                                            const float* mean, const float* rstd, int ld, int T, int D, int j,
                                            int b) {
  __shared__ double sh2[COL_GROUPS][32];
  double s = 0, sx = 0;
  if (j < D)
    for (int t = threadIdx.y; t < T; t += COL_GROUPS) {
      int r = b * T + t;
      long long i = (long long)r * D + j;
      float d = dy[i];
      float xh = (x[i] - mean[r]) * rstd[r];
      s += (double)d;
      sx += (double)d * (double)xh;
    }
  sh2[threadIdx.y][threadIdx.x] = sx;
  s = col_reduce(s);  // its __syncthreads also publishes sh2
  if (threadIdx.y == 0 && j < D) {
    for (int g = 1; g < COL_GROUPS; g++) sx += sh2[g][threadIdx.x];
    dshift[b * ld + j] = (float)s;
    dscale[b * ld + j] = (float)sx;
  }
}

// ln_bwd_mod: dshift[b, j] = sum_{r in b} dy[r, j], dscale[b, j] = sum_{r in b} dy[r, j] xhat[r, j]
// (overwritten); grid (ceil(D/32), B), block (32, COL_GROUPS).
extern "C" __global__ void ln_bwd_mod(float* dshift, float* dscale, const float* dy, const float* x,
                                      const float* mean, const float* rstd, int ld, int T, int D) {
  ln_mod_cols(dshift, dscale, dy, x, mean, rstd, ld, T, D, blockIdx.x * 32 + threadIdx.x, blockIdx.y);
}

// ln_bwd_mod_gated: ln_bwd_mod, then residual.cu's gated_residual_bwd of the
// residual branch before this layer norm (gdy = gate gdx overwritten, gdgate
// = sum_{r in b} gdx gy, gate and gdgate of stride ldg), whose gdx (the
// residual stream's gradient) ln_bwd_dx has finished: one launch for two,
// the same grid and the same sums.
extern "C" __global__ void ln_bwd_mod_gated(float* dshift, float* dscale, const float* dy, const float* x,
                                            const float* mean, const float* rstd, int ld, float* gdy,
                                            float* gdgate, const float* gdx, const float* gate, const float* gy,
                                            int ldg, int T, int D) {
  __shared__ double shg[COL_GROUPS][32];
  int j = blockIdx.x * 32 + threadIdx.x, b = blockIdx.y;
  ln_mod_cols(dshift, dscale, dy, x, mean, rstd, ld, T, D, j, b);
  double s = 0;
  if (j < D) {
    float g = gate[b * ldg + j];
    for (int t = threadIdx.y; t < T; t += COL_GROUPS) {
      long long i = ((long long)b * T + t) * D + j;
      float d = gdx[i];
      s += (double)d * (double)gy[i];
      gdy[i] = g * d;
    }
  }
  shg[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && j < D) {
    double t = 0;
    for (int k = 0; k < COL_GROUPS; k++) t += shg[k][threadIdx.x];
    gdgate[b * ldg + j] = (float)t;
  }
}
