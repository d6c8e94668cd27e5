// residual.cu: the gated residual of adaLN-Zero blocks. Go wrappers:
// gpu/residual.go, matching compute/cpu nn.go GatedResidual and
// GatedResidualBackward. gate and dgate are [B, D] views of row stride ld.
#include "common.cuh"


// gated_residual: x[r, j] += gate[b, j] y[r, j], b = r / T.
extern "C" __global__ void gated_residual(float* x, const float* gate, const float* y, int n, int ld, int T, int D) {
  GRID_LOOP(i, n) {
    int r = i / D, j = i % D;
    x[i] += gate[(r / T) * ld + j] * y[i];
  }
}

// bias_gated_residual: y[r, j] += bias[j] (written back) and
// out[r, j] = x[r, j] + gate[b, j] y[r, j], b = r / T; out may be x. The add_bias,
// copy and gated_residual of a linear layer's residual branch in one pass, with
// their roundings.
extern "C" __global__ void bias_gated_residual(float* out, const float* x, float* y, const float* bias,
                                               const float* gate, int n, int ld, int T, int D) {
  GRID_LOOP(i, n) {
    int r = i / D, j = i % D;
    float v = y[i] + bias[j];
    y[i] = v;
    out[i] = x[i] + gate[(r / T) * ld + j] * v;
  }
}

// gated_residual_bwd: dy[r, j] = gate[b, j] dx[r, j] (overwritten) and
// dgate[b, j] = sum_{r in b} dx[r, j] y[r, j] (overwritten);
// grid (ceil(D/32), B), block (32, COL_GROUPS).
extern "C" __global__ void gated_residual_bwd(float* dy, float* dgate, const float* dx, const float* gate,
                                              const float* y, int ld, int T, int D) {
  int j = blockIdx.x * 32 + threadIdx.x, b = blockIdx.y;
  double s = 0;
  if (j < D) {
    float g = gate[b * ld + j];
    for (int t = threadIdx.y; t < T; t += COL_GROUPS) {
      long long i = ((long long)b * T + t) * D + j;
      float d = dx[i];
      s += (double)d * (double)y[i];
      dy[i] = g * d;
    }
  }
  s = col_reduce(s);
  if (threadIdx.y == 0 && j < D) dgate[b * ld + j] = (float)s;
}
