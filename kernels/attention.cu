// attention.cu: fused (flash-style) non-causal multi-head self-attention,
// forward and backward. Go wrappers: gpu/attention.go, matching compute/cpu
// attention.go Attention and AttentionBackward. Scores and probabilities live
// only in registers and shared memory, never in global memory.
//
// B = batch, T = tokens, H = heads, D = model width, Dh = D/H <= ATT_MAXDH.
// qkv [B, T, 3D] holds per token (q | k | v), head h at columns h*Dh; bias
// [3D] (or null) is added to every row as it is read (the QKV layer's bias,
// AddBias's float32 sum, so the kernels see what AddBias then attention
// would: qkv itself stays without it).
// Shared tiles store rows at the odd stride S = Dh | 1, so 32 lanes reading
// 32 different rows at one column hit 32 different banks.
//
// Each block has 4 warps (128 threads). A lane owns output columns
// d = lane + 32c, c < 4 (so Dh <= 128), and in the score phase one key
// (forward, dq) or one query (dk/dv) of a 32-wide tile.
#include "common.cuh"

#define ATT_MAXDH 128
#define ATT_WARPS 4
#define ATT_TILE 32          // keys per tile (fwd, dq) or queries per tile (dkdv): one per lane
#define FWD_RPW 4            // query rows per warp in attn_fwd
#define DQ_RPW 2             // query rows per warp in attn_bwd_dq
#define KV_RPW 2             // key rows per warp in attn_bwd_dkdv

// load_rows copies rows [r0, r0+rows) of one head's part (column offset col)
// into a shared tile of stride S, zero-filling rows at or beyond T; hb (the
// head's bias at its q column 0, or null) adds hb[col + d] to column d.
__device__ __forceinline__ void load_rows(float* dst, const float* base, const float* hb, long long ld, int col,
                                          int r0, int rows, int T, int Dh, int S) {
  for (int e = threadIdx.x; e < rows * Dh; e += blockDim.x) {
    int r = e / Dh, d = e % Dh, t = r0 + r;
    float v = 0.0f;
    if (t < T) {
      v = base[(long long)t * ld + col + d];
      if (hb) v += hb[col + d];
    }
    dst[r * S + d] = v;
  }
}

__device__ __forceinline__ float dot_rows(const float* a, const float* b, int Dh) {
  float s = 0.0f;
  for (int d = 0; d < Dh; d++) s += a[d] * b[d];
  return s;
}

// acc_rows adds sum_j w_j rows[j][d] to the lane's output columns acc[c],
// d = lane + 32c < Dh, for the n rows of a shared tile of stride S, where w_j
// is lane j's w (a shuffle per row). Every lane of the warp must call it.
__device__ __forceinline__ void acc_rows(float acc[4], float w, const float* rows, int n, int Dh, int S, int lane) {
  for (int j = 0; j < n; j++) {
    float wj = __shfl_sync(FULL_MASK, w, j);
    const float* r = rows + j * S;
#pragma unroll
    for (int c = 0; c < 4; c++) {
      int d = lane + 32 * c;
      if (d < Dh) acc[c] += wj * r[d];
    }
  }
}

// attn_fwd: grid (B*H, ceil(T / (ATT_WARPS*FWD_RPW))), block 128, dynamic shared memory
// (16 + 2*32) * S floats. Online softmax over key tiles; lse[b,h,t] = m + log(l).
extern "C" __global__ void attn_fwd(float* out, float* lse, const float* qkv, const float* bias, int T, int H, int D,
                                    float scale) {
  extern __shared__ float sm[];
  const int Dh = D / H, S = Dh | 1, BQ = ATT_WARPS * FWD_RPW;
  float* sq = sm;                // [BQ][S]
  float* sk = sq + BQ * S;       // [ATT_TILE][S]
  float* sv = sk + ATT_TILE * S; // [ATT_TILE][S]
  const int bh = blockIdx.x, b = bh / H, h = bh % H, t0 = blockIdx.y * BQ;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const long long ld = 3LL * D;
  const float* base = qkv + (long long)b * T * ld + h * Dh;
  const float* hb = bias ? bias + h * Dh : nullptr;
  load_rows(sq, base, hb, ld, 0, t0, BQ, T, Dh, S);

  float m[FWD_RPW], l[FWD_RPW], acc[FWD_RPW][4];
#pragma unroll
  for (int i = 0; i < FWD_RPW; i++) {
    m[i] = -INFINITY;
    l[i] = 0.0f;
#pragma unroll
    for (int c = 0; c < 4; c++) acc[i][c] = 0.0f;
  }
  for (int s0 = 0; s0 < T; s0 += ATT_TILE) {
    __syncthreads();  // the previous tile is consumed (and sq is loaded)
    load_rows(sk, base, hb, ld, D, s0, ATT_TILE, T, Dh, S);
    load_rows(sv, base, hb, ld, 2 * D, s0, ATT_TILE, T, Dh, S);
    __syncthreads();
    const bool valid = s0 + lane < T;
    const int nk = min(ATT_TILE, T - s0);
#pragma unroll
    for (int i = 0; i < FWD_RPW; i++) {
      const int r = warp * FWD_RPW + i;
      float sc = valid ? dot_rows(sq + r * S, sk + lane * S, Dh) * scale : -INFINITY;
      float mnew = fmaxf(m[i], warp_max(sc));  // finite: lane 0 is valid
      float p = valid ? expf(sc - mnew) : 0.0f;
      float corr = expf(m[i] - mnew);          // 0 on the first tile (m = -inf)
      l[i] = l[i] * corr + warp_sum(p);
      m[i] = mnew;
#pragma unroll
      for (int c = 0; c < 4; c++) acc[i][c] *= corr;
      acc_rows(acc[i], p, sv, nk, Dh, S, lane);
    }
  }
#pragma unroll
  for (int i = 0; i < FWD_RPW; i++) {
    int t = t0 + warp * FWD_RPW + i;
    if (t >= T) continue;
    float inv = 1.0f / l[i];
    float* o = out + ((long long)b * T + t) * D + h * Dh;
#pragma unroll
    for (int c = 0; c < 4; c++) {
      int d = lane + 32 * c;
      if (d < Dh) o[d] = acc[i][c] * inv;
    }
    if (lane == 0) lse[(long long)bh * T + t] = m[i] + logf(l[i]);
  }
}

// attn_delta: delta[b,h,t] = dout_t . out_t over the head's columns; one warp per (b, t, h).
extern "C" __global__ void attn_delta(float* delta, const float* dout, const float* out, int B, int T, int H, int D) {
  long long row = (long long)blockIdx.x * ATT_WARPS + (threadIdx.x >> 5);
  int lane = threadIdx.x & 31;
  if (row >= (long long)B * T * H) return;
  int h = (int)(row % H);
  long long bt = row / H;
  int b = (int)(bt / T), t = (int)(bt % T);
  const int Dh = D / H;
  const float* o = out + bt * D + h * Dh;
  const float* g = dout + bt * D + h * Dh;
  float s = 0.0f;
  for (int d = lane; d < Dh; d += 32) s += g[d] * o[d];
  s = warp_sum(s);
  if (lane == 0) delta[((long long)b * H + h) * T + t] = s;
}

// attn_bwd_dq: dq_t = scale sum_s p_ts (dout_t . v_s - delta_t) k_s, p_ts = exp(scale q_t.k_s - lse_t);
// writes the q part of dqkv. grid (B*H, ceil(T / (ATT_WARPS*DQ_RPW))), block 128,
// dynamic shared memory (2*8 + 2*32) * S floats.
extern "C" __global__ void attn_bwd_dq(float* dqkv, const float* dout, const float* qkv, const float* bias,
                                       const float* lse, const float* delta, int T, int H, int D, float scale) {
  extern __shared__ float sm[];
  const int Dh = D / H, S = Dh | 1, BQ = ATT_WARPS * DQ_RPW;
  float* sq = sm;                 // [BQ][S]
  float* sdo = sq + BQ * S;       // [BQ][S]
  float* sk = sdo + BQ * S;       // [ATT_TILE][S]
  float* sv = sk + ATT_TILE * S;  // [ATT_TILE][S]
  const int bh = blockIdx.x, b = bh / H, h = bh % H, t0 = blockIdx.y * BQ;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const long long ld = 3LL * D;
  const float* base = qkv + (long long)b * T * ld + h * Dh;
  const float* hb = bias ? bias + h * Dh : nullptr;
  load_rows(sq, base, hb, ld, 0, t0, BQ, T, Dh, S);
  load_rows(sdo, dout + (long long)b * T * D + h * Dh, nullptr, D, 0, t0, BQ, T, Dh, S);
  float L[DQ_RPW], dl[DQ_RPW], acc[DQ_RPW][4];
#pragma unroll
  for (int i = 0; i < DQ_RPW; i++) {
    int t = t0 + warp * DQ_RPW + i;
    L[i] = t < T ? lse[(long long)bh * T + t] : 0.0f;
    dl[i] = t < T ? delta[(long long)bh * T + t] : 0.0f;
#pragma unroll
    for (int c = 0; c < 4; c++) acc[i][c] = 0.0f;
  }
  for (int s0 = 0; s0 < T; s0 += ATT_TILE) {
    __syncthreads();
    load_rows(sk, base, hb, ld, D, s0, ATT_TILE, T, Dh, S);
    load_rows(sv, base, hb, ld, 2 * D, s0, ATT_TILE, T, Dh, S);
    __syncthreads();
    const bool valid = s0 + lane < T;
    const int nk = min(ATT_TILE, T - s0);
#pragma unroll
    for (int i = 0; i < DQ_RPW; i++) {
      const int r = warp * DQ_RPW + i;
      float ds = 0.0f;
      if (valid) {
        float p = expf(dot_rows(sq + r * S, sk + lane * S, Dh) * scale - L[i]);
        float dp = dot_rows(sdo + r * S, sv + lane * S, Dh);
        ds = p * (dp - dl[i]) * scale;
      }
      acc_rows(acc[i], ds, sk, nk, Dh, S, lane);
    }
  }
#pragma unroll
  for (int i = 0; i < DQ_RPW; i++) {
    int t = t0 + warp * DQ_RPW + i;
    if (t >= T) continue;
    float* dq = dqkv + ((long long)b * T + t) * ld + h * Dh;
#pragma unroll
    for (int c = 0; c < 4; c++) {
      int d = lane + 32 * c;
      if (d < Dh) dq[d] = acc[i][c];
    }
  }
}

// attn_bwd_dkdv: for the block's keys s, dv_s = sum_t p_ts dout_t and
// dk_s = scale sum_t p_ts (dout_t . v_s - delta_t) q_t; writes the k and v parts of dqkv.
// grid (B*H, ceil(T / (ATT_WARPS*KV_RPW))), block 128, dynamic shared memory
// (2*8 + 2*32) * S + 2*32 floats.
extern "C" __global__ void attn_bwd_dkdv(float* dqkv, const float* dout, const float* qkv, const float* bias,
                                         const float* lse, const float* delta, int T, int H, int D, float scale) {
  extern __shared__ float sm[];
  const int Dh = D / H, S = Dh | 1, BK = ATT_WARPS * KV_RPW;
  float* sk = sm;                   // [BK][S]
  float* sv = sk + BK * S;          // [BK][S]
  float* sq = sv + BK * S;          // [ATT_TILE][S]
  float* sdo = sq + ATT_TILE * S;   // [ATT_TILE][S]
  float* sl = sdo + ATT_TILE * S;   // [ATT_TILE] lse
  float* sdl = sl + ATT_TILE;       // [ATT_TILE] delta
  const int bh = blockIdx.x, b = bh / H, h = bh % H, k0 = blockIdx.y * BK;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const long long ld = 3LL * D;
  const float* base = qkv + (long long)b * T * ld + h * Dh;
  const float* hb = bias ? bias + h * Dh : nullptr;
  const float* dbase = dout + (long long)b * T * D + h * Dh;
  load_rows(sk, base, hb, ld, D, k0, BK, T, Dh, S);
  load_rows(sv, base, hb, ld, 2 * D, k0, BK, T, Dh, S);
  float dk[KV_RPW][4], dv[KV_RPW][4];
#pragma unroll
  for (int i = 0; i < KV_RPW; i++)
#pragma unroll
    for (int c = 0; c < 4; c++) dk[i][c] = dv[i][c] = 0.0f;
  for (int q0 = 0; q0 < T; q0 += ATT_TILE) {
    __syncthreads();
    load_rows(sq, base, hb, ld, 0, q0, ATT_TILE, T, Dh, S);
    load_rows(sdo, dbase, nullptr, D, 0, q0, ATT_TILE, T, Dh, S);
    if (threadIdx.x < ATT_TILE) {
      int t = q0 + threadIdx.x;
      sl[threadIdx.x] = t < T ? lse[(long long)bh * T + t] : 0.0f;
      sdl[threadIdx.x] = t < T ? delta[(long long)bh * T + t] : 0.0f;
    }
    __syncthreads();
    const bool valid = q0 + lane < T;
    const int nq = min(ATT_TILE, T - q0);
#pragma unroll
    for (int i = 0; i < KV_RPW; i++) {
      const int r = warp * KV_RPW + i;
      float p = 0.0f, ds = 0.0f;
      if (valid) {
        p = expf(dot_rows(sq + lane * S, sk + r * S, Dh) * scale - sl[lane]);
        float dp = dot_rows(sdo + lane * S, sv + r * S, Dh);
        ds = p * (dp - sdl[lane]) * scale;
      }
      acc_rows(dv[i], p, sdo, nq, Dh, S, lane);
      acc_rows(dk[i], ds, sq, nq, Dh, S, lane);
    }
  }
#pragma unroll
  for (int i = 0; i < KV_RPW; i++) {
    int s = k0 + warp * KV_RPW + i;
    if (s >= T) continue;
    float* row = dqkv + ((long long)b * T + s) * ld + h * Dh;
#pragma unroll
    for (int c = 0; c < 4; c++) {
      int d = lane + 32 * c;
      if (d < Dh) {
        row[D + d] = dk[i][c];
        row[2 * D + d] = dv[i][c];
      }
    }
  }
}
