// vector.cu: elementwise vector ops. Go wrappers: gpu/vector.go, matching
// compute/cpu cpu.go (Scale, Axpy, LinComb) and nn.go (AdamWStep, EMA), plus
// gemm_scale_c for Gemm's k = 0 / alpha = 0 case (cpu sgemmScaleC).
#include "common.cuh"


// scale: x *= a (Backend.Scale).
extern "C" __global__ void scale(float* x, int n, float a) {
  GRID_LOOP(i, n) x[i] *= a;
}

// axpy: y += a x (Backend.Axpy).
extern "C" __global__ void axpy(float* y, const float* x, int n, float a) {
  GRID_LOOP(i, n) y[i] += a * x[i];
}

// lincomb: dst = x + c0 k0 + ... + c{nk-1} k{nk-1}, nk <= 8, added in order
// (Backend.LinComb; the Go side drops zero coefficients and chains groups of 8).
extern "C" __global__ void lincomb(float* dst, const float* x, int n, int nk,
                                   float c0, float c1, float c2, float c3, float c4, float c5, float c6, float c7,
                                   const float* k0, const float* k1, const float* k2, const float* k3,
                                   const float* k4, const float* k5, const float* k6, const float* k7) {
  const float c[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
  const float* k[8] = {k0, k1, k2, k3, k4, k5, k6, k7};
  GRID_LOOP(i, n) {
    float s = x[i];
#pragma unroll
    for (int j = 0; j < 8; j++)
      if (j < nk) s += c[j] * k[j][i];
    dst[i] = s;
  }
}

// adamw: one AdamW step (Backend.AdamWStep); bc1 = 1 - b1^step and bc2 = 1 - b2^step
// are computed on the host in float64 and rounded, as on the CPU.
extern "C" __global__ void adamw(float* p, const float* g, float* m, float* v, int n, float b1, float b2,
                                 float lr, float wd, float eps, float gscale, float bc1, float bc2) {
  GRID_LOOP(i, n) {
    float gi = gscale * g[i];
    adamw_update(p + i, m + i, v + i, gi, b1, b2, lr, wd, eps, bc1, bc2);
  }
}

// adamw_dev: adamw with the gradient scale gscale * scale[0], scale[0] read on
// the device (Backend.AdamWStepDev; scale[0] is GradClipScale's factor). The
// product is rounded to float, as the CPU's o.GradScale * scale[0].
extern "C" __global__ void adamw_dev(float* p, const float* g, float* m, float* v, const float* scale, int n,
                                     float b1, float b2, float lr, float wd, float eps, float gscale, float bc1,
                                     float bc2) {
  const float gs = __fmul_rn(gscale, scale[0]);
  GRID_LOOP(i, n) {
    float gi = gs * g[i];
    adamw_update(p + i, m + i, v + i, gi, b1, b2, lr, wd, eps, bc1, bc2);
  }
}

// ema: ema = decay ema + (1 - decay) params (Backend.EMA).
extern "C" __global__ void ema(float* e, const float* p, int n, float decay) {
  GRID_LOOP(i, n) e[i] = decay * e[i] + (1.0f - decay) * p[i];
}

// gemm_scale_c: C_b = beta C_b over an m x n matrix of leading dimension ldc for
// each of batch matrices; beta = 0 writes zeros (NaNs in C are ignored).
extern "C" __global__ void gemm_scale_c(float* c, int m, int n, int ldc, int stride, int batch, float beta) {
  const long long total = (long long)m * n * batch;
  for (long long e = blockIdx.x * (long long)blockDim.x + threadIdx.x; e < total;
       e += (long long)gridDim.x * blockDim.x) {
    long long b = e / ((long long)m * n);
    int r = (int)(e / n % m), j = (int)(e % n);
    float* cc = c + b * stride + (long long)r * ldc + j;
    *cc = beta == 0.0f ? 0.0f : beta * *cc;
  }
}
