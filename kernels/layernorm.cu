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

// ln_bwd: the backward of LayerNormMod (ln_fwd) and, when gated, of the
// gated residual branch before it (residual.cu's gated_residual: out = x +
// gate[b] gy, whose output gradient is dx), in one launch. grid (B, nb),
// block 32 LN_WARPS; block (b, by) owns the rows b T + t, t in [by R,
// min(T, (by+1) R)).
//  1. Each row, one warp (float64 row sums): with xhat = (x - mean) rstd and
//     g = dy (1 + scale[b]), dx += rstd (g - mean_j g - xhat mean_j(g xhat))
//     (accumulated).
//  2. Each column j of the block's rows, one thread, in float64 in row
//     order: dshift = sum dy, dscale = sum dy xhat; gated: gdgate = sum gdx
//     gy and gdy = gate[b] gdx (overwritten; gdy may alias gy), gdx the dx
//     of step 1, which this block wrote (visible after the barrier).
//  3. With one row block (nb = 1) the sums are written (overwritten) as
//     floats. Else each block writes its float64 partials (part[b][by][k][D],
//     k = dshift, dscale, gdgate), and the last block of sample b to finish
//     (ticket[b], taken after a fence) adds them in row-block order, writes
//     them, and resets the ticket to 0 for the next launch. Which block is
//     last does not change the order: the sums depend on T and R only.
extern "C" __global__ void ln_bwd(float* dx, float* dshift, float* dscale, const float* dy, const float* x,
                                  const float* mean, const float* rstd, const float* scale, int ld, float* gdy,
                                  float* gdgate, const float* gate, const float* gy, int ldg, int gated, double* part,
                                  unsigned int* ticket, int T, int D, int R) {
  const int b = blockIdx.x, t0 = blockIdx.y * R, t1 = min(T, t0 + R), nb = gridDim.y;
  const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
  const float* sc = scale + (long long)b * ld;
  for (int t = t0 + w; t < t1; t += LN_WARPS) {
    const long long r = (long long)b * T + t;
    const float* xr = x + r * D;
    const float* dyr = dy + r * D;
    const float mu = mean[r], rs = rstd[r];
    double sg = 0, sgx = 0;
    for (int j = lane; j < D; j += 32) {
      float xh = (xr[j] - mu) * rs;
      float g = dyr[j] * (1.0f + sc[j]);
      sg += (double)g;
      sgx += (double)g * (double)xh;
    }
    float mg = (float)(warp_sum_d(sg) / (double)D), mgx = (float)(warp_sum_d(sgx) / (double)D);
    float* dxr = dx + r * D;
    for (int j = lane; j < D; j += 32) {
      float xh = (xr[j] - mu) * rs;
      float g = dyr[j] * (1.0f + sc[j]);
      dxr[j] += rs * (g - mg - xh * mgx);
    }
  }
  __syncthreads();  // the block's dx rows are written before step 2 reads them
  const int nk = gated ? 3 : 2;
  double* p = part + (long long)b * nb * nk * D;
  for (int j = threadIdx.x; j < D; j += blockDim.x) {
    double s = 0, sx = 0, sgd = 0;
    const float gt = gated ? gate[(long long)b * ldg + j] : 0.0f;
    for (int t = t0; t < t1; t++) {
      const long long r = (long long)b * T + t, i = r * D + j;
      float d = dy[i];
      float xh = (x[i] - mean[r]) * rstd[r];
      s += (double)d;
      sx += (double)d * (double)xh;
      if (gated) {
        float gd = dx[i];
        sgd += (double)gd * (double)gy[i];
        gdy[i] = gt * gd;
      }
    }
    if (nb == 1) {
      dshift[(long long)b * ld + j] = (float)s;
      dscale[(long long)b * ld + j] = (float)sx;
      if (gated) gdgate[(long long)b * ldg + j] = (float)sgd;
    } else {
      double* q = p + (long long)blockIdx.y * nk * D;
      q[j] = s;
      q[D + j] = sx;
      if (gated) q[2 * D + j] = sgd;
    }
  }
  if (nb == 1) return;
  if (!last_block(&ticket[b], nb)) return;
  const volatile double* q = p;
  for (int j = threadIdx.x; j < D; j += blockDim.x) {
    double s = 0, sx = 0, sgd = 0;
    for (int k = 0; k < nb; k++) {
      const long long o = (long long)k * nk * D + j;
      s += q[o];
      sx += q[o + D];
      if (gated) sgd += q[o + 2 * D];
    }
    dshift[(long long)b * ld + j] = (float)s;
    dscale[(long long)b * ld + j] = (float)sx;
    if (gated) gdgate[(long long)b * ldg + j] = (float)sgd;
  }
  if (threadIdx.x == 0) ticket[b] = 0;
}
