// coupling.cu: the minibatch optimal-transport coupling (compute/cpu
// coupling.go: Backend.OTCoupling, Assign, OTCostRow). ot_cost fills the
// float64 cost matrix in parallel; ot_assign solves the assignment exactly in
// one block by the same shortest augmenting path method as the CPU, the same
// operations in the same order (each loop over the columns split across the
// threads, its minimum found by a reduction that keeps the lowest column on
// ties), so it returns the same assignment, not only the same cost. Go
// wrappers: gpu/coupling.go.
#include "common.cuh"

// ot_cost: c[i*n + j] = sum_k (x1[i,k] - x0[j,k])^2 in double, each operation
// rounded (no FMA), in the order of k.
extern "C" __global__ void ot_cost(double* c, const float* x0, const float* x1, int n, int w) {
  GRID_LOOP(e, n * n) {
    const int i = e / n, j = e - i * n;
    const float* a = x1 + (size_t)i * w;
    const float* b = x0 + (size_t)j * w;
    double s = 0.0;
    for (int k = 0; k < w; k++) {
      const double t = __dsub_rn((double)a[k], (double)b[k]);
      s = __dadd_rn(s, __dmul_rn(t, t));
    }
    c[e] = s;
  }
}

// argmin_pair keeps (v, j) or (ov, oj), whichever is smaller, the lower
// column on ties (what the CPU's ascending scan with a strict < keeps).
__device__ __forceinline__ void argmin_pair(double& v, int& j, double ov, int oj) {
  if (ov < v || (ov == v && oj < j)) {
    v = ov;
    j = oj;
  }
}

// ot_assign: one block. ws holds u, v, minv (n+1 doubles each), then p, way,
// used, rowcol (n+1 ints each); see Assign in compute/cpu/coupling.go for the
// method: the column reduction, then a shortest augmenting path search for
// each row it left without a column. Column j in 0..n belongs to thread j % blockDim.x, which alone
// reads and writes minv[j], way[j], used[j] and v[j] (and u[p[j]] in the
// update: distinct j have distinct p[j]). perm[i] = the column of row i, as
// float; all NaN if a cost is not finite.
extern "C" __global__ void ot_assign(float* perm, const double* c, double* ws, int n) {
  double* u = ws;
  double* v = ws + (n + 1);
  double* minv = ws + 2 * (n + 1);
  int* p = (int*)(ws + 3 * (n + 1));
  int* way = p + (n + 1);
  int* used = way + (n + 1);
  int* rowcol = used + (n + 1);  // rowcol[i]: the column of row i (0: none)
  __shared__ double s_val[32];
  __shared__ int s_col[32];
  __shared__ int s_j0;
  __shared__ int s_fail;
  const int tid = threadIdx.x, T = blockDim.x, lane = tid & 31, wid = tid >> 5, nw = T >> 5;
  for (int j = tid; j <= n; j += T) {
    u[j] = 0.0;
    v[j] = 0.0;
    p[j] = 0;
    way[j] = 0;
    rowcol[j] = 0;
  }
  if (tid == 0) s_fail = 0;
  __syncthreads();
  // Column reduction: v[j] = min_i c[i][j] and its lowest minimising row
  // (kept in way[j] for now: way is set anew before the search reads it).
  for (int j = tid + 1; j <= n; j += T) {
    double best = INFINITY;
    int bi = 0;
    for (int i = 1; i <= n; i++) {
      const double cij = c[(size_t)(i - 1) * n + (j - 1)];
      if (cij < best) {
        best = cij;
        bi = i;
      }
    }
    v[j] = best;
    way[j] = bi;
  }
  __syncthreads();
  if (tid == 0) {  // each column to its row when the row has none yet, in column order
    for (int j = 1; j <= n; j++) {
      const int bi = way[j];
      if (bi == 0) {
        s_fail = 1;
        break;
      }
      if (rowcol[bi] == 0) {
        rowcol[bi] = j;
        p[j] = bi;
      }
    }
  }
  __syncthreads();
  for (int i = 1; i <= n && !s_fail; i++) {
    if (rowcol[i] != 0) continue;  // uniform: rowcol is not written below
    for (int j = tid; j <= n; j += T) {
      minv[j] = INFINITY;
      used[j] = 0;
    }
    if (tid == 0) {
      p[0] = i;
      s_j0 = 0;
    }
    __syncthreads();
    for (;;) {
      const int j0 = s_j0;
      if (j0 % T == tid) used[j0] = 1;
      const int i0 = p[j0];
      const double* row = c + (size_t)(i0 - 1) * n;
      const double ui0 = u[i0];
      double best = INFINITY;
      int bj = 0x7fffffff;
      for (int j = tid; j <= n; j += T) {
        if (j == 0 || used[j]) continue;
        const double cur = __dsub_rn(__dsub_rn(row[j - 1], ui0), v[j]);
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < best) {  // the thread's columns ascend: the lowest on ties
          best = minv[j];
          bj = j;
        }
      }
      for (int o = 16; o > 0; o >>= 1) {
        const double ov = __shfl_xor_sync(FULL_MASK, best, o);
        const int oj = __shfl_xor_sync(FULL_MASK, bj, o);
        argmin_pair(best, bj, ov, oj);
      }
      if (lane == 0) {
        s_val[wid] = best;
        s_col[wid] = bj;
      }
      __syncthreads();
      double delta = s_val[0];
      int j1 = s_col[0];
      for (int k = 1; k < nw; k++) argmin_pair(delta, j1, s_val[k], s_col[k]);
      // delta < INFINITY with a column found; else every cost was NaN or Inf.
      if (!(delta < INFINITY) || j1 > n) {
        if (tid == 0) s_fail = 1;
        break;  // uniform: every thread computed the same delta
      }
      for (int j = tid; j <= n; j += T) {
        if (used[j]) {
          u[p[j]] = __dadd_rn(u[p[j]], delta);
          v[j] = __dsub_rn(v[j], delta);
        } else {
          minv[j] = __dsub_rn(minv[j], delta);
        }
      }
      if (tid == 0) s_j0 = j1;
      __syncthreads();
      if (p[s_j0] == 0) break;  // uniform: p is not written in the loop
    }
    __syncthreads();
    if (s_fail) break;
    if (tid == 0) {  // flip the augmenting path
      int j0 = s_j0;
      while (j0 != 0) {
        const int j1 = way[j0];
        p[j0] = p[j1];
        j0 = j1;
      }
    }
    __syncthreads();
  }
  __syncthreads();
  const int fail = s_fail;
  for (int j = tid + 1; j <= n; j += T) {
    if (fail) perm[j - 1] = __int_as_float(0x7fc00000);
    else perm[p[j] - 1] = (float)(j - 1);
  }
}
