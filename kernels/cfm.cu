// cfm.cu: the flow-matching objective and the other losses. Go wrappers:
// gpu/cfm.go and gpu/losses.go, matching compute/cpu cfm.go (CFMInterp,
// CFMLoss), compute.PathParams.Coef, and the pending ops MSELoss,
// SoftmaxCrossEntropy, GaussianSample(Backward) (compute/cpu/pending_ops.go).
// Losses are two-pass in one launch: one double partial per block
// (RED_THREADS threads, at most RED_MAX_BLOCKS blocks), and the last block
// adds the mean to loss[0] on the device (red_finish, common.cuh); the host
// never reads it unless it logs.
#include "common.cuh"

#define PATH_OT 0
#define PATH_VP 1

// path_coef sets (a, b, da, db) of a sample at time t, in float64 and
// rounded, exactly as compute.PathParams.Coef.
__device__ __forceinline__ void path_coef(float tv, int path, float smin, float bmin, float bmax, float& a, float& b,
                                          float& da, float& db) {
  if (path == PATH_OT) {
    double s = (double)smin;
    a = (float)(1.0 - (1.0 - s) * (double)tv);
    b = tv;
    da = (float)(-(1.0 - s));
    db = 1.0f;
  } else {
    double r = 1.0 - (double)tv, lo = (double)bmin, hi = (double)bmax;
    double tb = r * lo + r * r * (hi - lo) / 2.0;
    double al = exp(-tb / 2.0);
    double sg = sqrt(fmax(1.0 - al * al, 0.0));
    double dal = al * (lo + r * (hi - lo)) / 2.0;
    double dsg = -al * dal / fmax(sg, 1e-12);
    a = (float)sg;
    b = (float)al;
    da = (float)dsg;
    db = (float)dal;
  }
}

// cfm_interp: xt = a(t_b) x0 + b(t_b) x1 for the X cells of sample b.
extern "C" __global__ void cfm_interp(float* xt, const float* x0, const float* x1, const float* t, int path, float smin,
                                      float bmin, float bmax, int n, int X) {
  GRID_LOOP(i, n) {
    float a, b, da, db;
    path_coef(t[i / X], path, smin, bmin, bmax, a, b, da, db);
    xt[i] = a * x0[i] + b * x1[i];
  }
}

// cfm_loss: e = pred - (da x0 + db x1); dpred = 2 e / n; the sum of e^2,
// finished by red_finish (a loss: mode 2).
extern "C" __global__ void cfm_loss(RED_PARAMS, float* dpred, const float* pred, const float* x0, const float* x1,
                                    const float* t, int path, float smin, float bmin, float bmax, int n, int X) {
  double s = 0;
  const float inv = (float)n;
  GRID_LOOP(i, n) {
    float a, b, da, db;
    path_coef(t[i / X], path, smin, bmin, bmax, a, b, da, db);
    float e = pred[i] - (da * x0[i] + db * x1[i]);
    s += (double)e * (double)e;
    dpred[i] = 2.0f * e / inv;
  }
  s = block_sum_d(s);
  red_finish(s, part, ticket, out, div, mul, mode);
}

// mse_loss: e = pred - target; dpred = 2 e / n; the sum of e^2 (red_finish).
extern "C" __global__ void mse_loss(RED_PARAMS, float* dpred, const float* pred, const float* target, int n) {
  double s = 0;
  const float inv = (float)n;
  GRID_LOOP(i, n) {
    float e = pred[i] - target[i];
    s += (double)e * (double)e;
    dpred[i] = 2.0f * e / inv;
  }
  s = block_sum_d(s);
  red_finish(s, part, ticket, out, div, mul, mode);
}

// softmax_ce: one warp per row of logits [B, K]: p = softmax (float64 sum),
// dlogits = (p - onehot(label)) / B, and the sum over the rows of -log
// p[label] = lse - x[label] (red_finish). A label that is not an integer in [0, K) adds 0
// to the loss and has an all-zero onehot (cpu Backend.SoftmaxCrossEntropy).
extern "C" __global__ void softmax_ce(RED_PARAMS, float* dlogits, const float* logits, const float* labels,
                                      int B, int K) {
  const int lane = threadIdx.x & 31, warps = blockDim.x >> 5;
  double acc = 0;
  for (int r = blockIdx.x * warps + (threadIdx.x >> 5); r < B; r += gridDim.x * warps) {
    const float* x = logits + (long long)r * K;
    float* dx = dlogits + (long long)r * K;
    float mx = -INFINITY;
    for (int j = lane; j < K; j += 32) mx = fmaxf(mx, x[j]);
    mx = warp_max(mx);
    double z = 0;
    for (int j = lane; j < K; j += 32) z += exp((double)x[j] - (double)mx);
    z = warp_sum_d(z);
    double lz = log(z) + (double)mx;
    float lf = labels[r];
    int lab = (int)lf;
    bool ok = lf >= 0.0f && lf < (float)K && lf == floorf(lf);  // false for NaN
    for (int j = lane; j < K; j += 32) {
      double p = exp((double)x[j] - lz);
      dx[j] = (float)((p - (ok && j == lab ? 1.0 : 0.0)) / (double)B);
    }
    if (lane == 0) {
      if (ok) acc += lz - (double)x[lab];
    }
  }
  acc = block_sum_d(acc);
  red_finish(acc, part, ticket, out, div, mul, mode);
}

// gaussian_sample: h [N, 2L] = (mu | logvar), lv = clamp(logvar, -30, 20),
// z = mu + exp(lv/2) eps; the sum of (mu^2 + exp(lv) - 1 - lv) (red_finish).
extern "C" __global__ void gaussian_sample(RED_PARAMS, float* z, const float* h, const float* eps, int N, int L) {
  double s = 0;
  GRID_LOOP(i, N * L) {
    int r = i / L, j = i % L;
    float mu = h[(long long)r * 2 * L + j];
    float lv = fminf(fmaxf(h[(long long)r * 2 * L + L + j], -30.0f), 20.0f);
    z[i] = mu + (float)exp((double)(lv / 2.0f)) * eps[i];
    s += (double)mu * (double)mu + exp((double)lv) - 1.0 - (double)lv;
  }
  s = block_sum_d(s);
  red_finish(s, part, ticket, out, div, mul, mode);
}

// gaussian_sample_bwd: dmu = dz + w mu / N;
// dlogvar = dz exp(lv/2) eps / 2 + w (exp(lv) - 1) / (2N) inside [-30, 20], else 0.
extern "C" __global__ void gaussian_sample_bwd(float* dh, const float* dz, const float* h, const float* eps,
                                               int N, int L, float w) {
  GRID_LOOP(i, N * L) {
    int r = i / L, j = i % L;
    long long o = (long long)r * 2 * L;
    float mu = h[o + j], raw = h[o + L + j];
    dh[o + j] = (float)((double)dz[i] + (double)w * (double)mu / (double)N);
    float g = 0.0f;
    if (raw >= -30.0f && raw <= 20.0f) {
      double e2 = exp((double)(raw / 2.0f)), e1 = exp((double)raw);
      g = (float)((double)dz[i] * e2 * (double)eps[i] / 2.0 + (double)w * (e1 - 1.0) / (2.0 * (double)N));
    }
    dh[o + L + j] = g;
  }
}
