// reduce.cu: the scalar reductions Sum, SumSquares and ErrNorm (compute/cpu
// cpu.go: Backend.Sum, Backend.SumSquares, Backend.ErrNorm), the gradient
// clipping factor (GradClipScale) and the column sums. Each scalar reduction
// is one launch of two deterministic passes: a float64 partial per block
// (grid-stride, float64 accumulation as on the CPU), added in order by the
// last block to finish (red_finish, common.cuh). Go wrappers: gpu/reduce.go.
#include "common.cuh"

// reduce_sum: the sum of x[i] (sq 0) or x[i]^2 (sq 1), finished by
// red_finish (Sum, SumSquares: mode 0; GradClipScale: sq 1, mode 3).
extern "C" __global__ void reduce_sum(RED_PARAMS, const float* x, int n, int sq) {
  double s = 0;
  GRID_LOOP(i, n) {
    double v = (double)x[i];
    s += sq ? v * v : v;
  }
  s = block_sum_d(s);
  red_finish(s, part, ticket, out, div, mul, mode);
}

// reduce_errnorm: sum (e_i / (atol + rtol max(|y0_i|, |y1_i|)))^2 (Backend.ErrNorm), finished by red_finish.
extern "C" __global__ void reduce_errnorm(RED_PARAMS, const float* e, const float* y0, const float* y1, int n,
                                          float rtol, float atol) {
  double s = 0;
  GRID_LOOP(i, n) {
    double sc = (double)atol + (double)rtol * fmax(fabs((double)y0[i]), fabs((double)y1[i]));
    double r = (double)e[i] / sc;
    s += r * r;
  }
  s = block_sum_d(s);
  red_finish(s, part, ticket, out, div, mul, mode);
}

// colsum: y[j] += sum_r x[r, j] for x (N, X) in two deterministic passes
// over row blocks, in one launch (BiasGrad). grid (ceil(X/32), nb, K), block
// (32, COL_GROUPS). Pass 1: block (bx, by) sums rows [by R, min(N, (by+1) R))
// of its 32 columns in double (thread y adds rows r0 + y, r0 + y +
// COL_GROUPS, ..., then col_reduce adds the groups in order) into
// part[by X + j]. Pass 2: the last block of strip bx to finish (a ticket,
// ticket[bx], taken after a fence) adds the nb partials of each column in
// order, y[j] += (float)sum, and resets the ticket to 0 for the next launch.
// Which block is last does not change the order, so the result depends on
// N, X and R only (the Go side derives R from N and X). With one row block
// the partial goes straight to y. Grid z = k sums matrix k of a stack x [K, N, X]
// into y + k ys, with its own partials and tickets (BiasGrads; K = 1 for BiasGrad).
extern "C" __global__ void colsum(float* y, double* part, unsigned int* ticket, const float* x, int N, int X, int R,
                                  int ys) {
  const int j = blockIdx.x * 32 + threadIdx.x;
  const int r0 = blockIdx.y * R, r1 = min(N, r0 + R);
  const long long k = blockIdx.z;
  x += k * N * X;
  y += k * ys;
  if (gridDim.y > 1) {
    part += k * gridDim.y * X;
    ticket += k * gridDim.x;
  }
  double s = 0;
  if (j < X)
    for (int r = r0 + threadIdx.y; r < r1; r += COL_GROUPS) s += (double)x[(long long)r * X + j];
  s = col_reduce(s);
  const bool writer = threadIdx.y == 0 && j < X;
  if (gridDim.y == 1) {
    if (writer) y[j] += (float)s;
    return;
  }
  if (writer) part[(long long)blockIdx.y * X + j] = s;
  if (!last_block(&ticket[blockIdx.x], gridDim.y)) return;
  if (writer) {
    const volatile double* p = part;
    double t = 0;
    for (int b = 0; b < (int)gridDim.y; b++) t += p[(long long)b * X + j];
    y[j] += (float)t;
  }
  if (threadIdx.x == 0 && threadIdx.y == 0) ticket[blockIdx.x] = 0;
}

// colsum_multi: the colsums of the jobs of a table (MultiBiasGrad), each
// exactly as colsum sums it (same R, same order), in one launch. Job i is 12
// words of table: y, x, N, X, R, nb, K, ys, vb0 (its first virtual block),
// part0 (its partials' offset in doubles), ticket0 (its tickets' offset), and
// strips. grid (the jobs' K * strips virtual blocks, the largest nb), block
// (32, COL_GROUPS); virtual block vb0 + k strips + s is strip s of matrix k.
extern "C" __global__ void colsum_multi(const long long* table, int njobs, double* part, unsigned int* ticket) {
  int i = 0;
  while (i + 1 < njobs && table[(i + 1) * 12 + 8] <= (long long)blockIdx.x) i++;
  const long long* job = table + i * 12;
  const int N = (int)job[2], X = (int)job[3], R = (int)job[4], nb = (int)job[5], strips = (int)job[11];
  if ((int)blockIdx.y >= nb) return;  // the whole block: this job has fewer row blocks
  const long long v = (long long)blockIdx.x - job[8];
  const long long k = v / strips;
  const int s0 = (int)(v % strips);
  float* y = (float*)job[0] + k * job[7];
  const float* x = (const float*)job[1] + k * N * X;
  const int j = s0 * 32 + threadIdx.x;
  const int r0 = blockIdx.y * R, r1 = min(N, r0 + R);
  double s = 0;
  if (j < X)
    for (int r = r0 + threadIdx.y; r < r1; r += COL_GROUPS) s += (double)x[(long long)r * X + j];
  s = col_reduce(s);
  const bool writer = threadIdx.y == 0 && j < X;
  if (nb == 1) {
    if (writer) y[j] += (float)s;
    return;
  }
  double* p = part + job[9] + k * nb * X;
  unsigned int* tk = ticket + job[10] + k * strips + s0;
  if (writer) p[(long long)blockIdx.y * X + j] = s;
  if (!last_block(tk, nb)) return;
  if (writer) {
    const volatile double* q = p;
    double t = 0;
    for (int b = 0; b < nb; b++) t += q[(long long)b * X + j];
    y[j] += (float)t;
  }
  if (threadIdx.x == 0 && threadIdx.y == 0) *tk = 0;
}

// The other column sums (AddRowsGrad, the modulation gradients, dgate) use
// one block column per strip, see rows.cu, layernorm.cu and residual.cu.
