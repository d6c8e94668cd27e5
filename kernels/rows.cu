// rows.cu: row-broadcast ops and their gradients, gathers, and the timestep
// embedding. Go wrappers: gpu/rows.go, matching compute/cpu nn.go (AddBias,
// BiasGrad, AddRows, AddRowsGrad, TimestepEmbedding) and cpu.go (GatherRows,
// ScatterAddRows).
#include "common.cuh"


// add_bias: x[k, r, j] += bias[k bs + j], x [K, N, X] of n = K N X cells: the
// K biases of stacked layers, bs apart (AddBiases; K = 1 for AddBias).
extern "C" __global__ void add_bias(float* x, const float* bias, int n, int X, int NX, int bs) {
  GRID_LOOP(i, n) x[i] += bias[(i / NX) * bs + i % X];
}

// add_rows: x[r, j] += p[r mod P, j], x [N, X], p [P, X].
extern "C" __global__ void add_rows(float* x, const float* p, int n, int X, int P) {
  GRID_LOOP(i, n) {
    int r = i / X, j = i % X;
    x[i] += p[(r % P) * X + j];
  }
}

// BiasGrad is colsum_part + colsum_add in reduce.cu (two passes over row blocks).

// add_rows_grad: dp[q, j] += sum_{r = q mod P} dx[r, j]; grid (ceil(X/32), P), block (32, COL_GROUPS).
extern "C" __global__ void add_rows_grad(float* dp, const float* dx, int N, int X, int P) {
  int j = blockIdx.x * 32 + threadIdx.x, q = blockIdx.y;
  double s = 0;
  if (j < X)
    for (int r = q + threadIdx.y * P; r < N; r += COL_GROUPS * P) s += (double)dx[(long long)r * X + j];
  s = col_reduce(s);
  if (threadIdx.y == 0 && j < X) dp[q * X + j] += (float)s;
}

// gather_rows: dst[i, :] = src[idx[i], :]; an index outside [0, rows) sets
// ERR_GATHER_INDEX in *err (reported by Sync) and leaves that row alone.
extern "C" __global__ void gather_rows(float* dst, const float* src, const float* idx, int n, int w, int rows,
                                       unsigned int* err) {
  GRID_LOOP(e, n) {
    int i = e / w, j = e % w;
    float f = idx[i];
    if (!(f >= 0.0f && f < (float)rows)) {
      if (j == 0) atomicOr(err, ERR_GATHER_INDEX);
      continue;
    }
    dst[e] = src[(long long)(int)f * w + j];
  }
}

// scatter_add_rows: dst[idx[i], :] += src[i, :] for the N rows of src. One
// thread per column j adds the source rows in order, i = 0, 1, ..., N-1, in
// float32: deterministic, and the CPU's order (bit-identical to cpu
// Backend.ScatterAddRows). An index outside [0, rows) sets ERR_GATHER_INDEX.
extern "C" __global__ void scatter_add_rows(float* dst, const float* src, const float* idx, int N, int w, int rows,
                                            unsigned int* err) {
  GRID_LOOP(j, w) {
    for (int i = 0; i < N; i++) {
      float f = idx[i];
      if (!(f >= 0.0f && f < (float)rows)) {
        if (j == 0) atomicOr(err, ERR_GATHER_INDEX);
        continue;
      }
      float* d = dst + (long long)(int)f * w + j;
      *d = *d + src[(long long)i * w + j];
    }
  }
}

// timestep_embedding: emb[b, i] = cos(a), emb[b, half+i] = sin(a), a = scale t_b 10000^(-i/half),
// in float64 as on the CPU; one thread per (b, i < half).
extern "C" __global__ void timestep_embedding(float* emb, const float* t, int B, int half, float scale) {
  GRID_LOOP(e, B * half) {
    int b = e / half, i = e % half;
    double f = exp(-log(10000.0) * (double)i / (double)half);
    double a = (double)scale * (double)t[b] * f;
    emb[(long long)b * 2 * half + i] = (float)cos(a);
    emb[(long long)b * 2 * half + half + i] = (float)sin(a);
  }
}
