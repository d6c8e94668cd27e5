// attention_tc.cu: fused (flash-style) non-causal multi-head self-attention on
// tensor cores (the CUDA WMMA API), forward and backward, with TF32 or bf16
// operands, fp32 accumulation and fp32 softmax statistics. Go wrappers:
// gpu/attention_tc.go (selected by the backend's math mode; MathFP32 keeps the
// scalar kernels of attention.cu). Same contract as attention.cu: qkv
// [B, T, 3D] (q | k | v per token, head h at columns h*Dh), out [B, T, D],
// lse [B, H, T], dqkv [B, T, 3D]; the T x T scores and probabilities live only
// in shared memory and fragments, never in global memory.
//
// Every kernel is a template over DP, the head width padded to a multiple of
// 16 (the Go side picks the smallest of 32, 48, 64, 96, 128 that holds Dh;
// the padding columns are zero), and over the operand precision. A block has
// TC_WARPS = 4 warps; each warp owns 16 rows (query rows in the forward and
// dq kernels, key rows in dkdv), so a block covers TC_ROWS = 64 rows, and the
// kernels loop over inner tiles of TC_TILE = 32 keys (queries in dkdv).
//
// The WMMA accumulator layout is unspecified, so no kernel rescales an
// accumulator by rows: the forward takes two passes over the keys (the first
// computes the row maximum and sum of exponentials, lse = m + log l; the
// second accumulates O = sum_s exp(s - lse) v_s, already normalised), and the
// backward recomputes p from lse as attention.cu does. Scores go from the
// accumulators to shared memory (store_matrix_sync), the softmax step runs on
// them elementwise in fp32 (a lane owns half a row of the warp's 16 x 32
// tile), and the probabilities go back as the A operand of the next product,
// rounded to the operand precision.
//
// Shared tiles: operand rows at stride LD = DP + 8 elements (32 bytes of
// padding for TF32, 16 for bf16), fp32 score tiles at TC_LDS = 36, bf16
// operand copies of probabilities at TC_LDP = 40; every fragment pointer is
// 32-byte aligned and every ldm a multiple of 16 bytes, as WMMA requires.
// Shared memory sizes (bytes, E = 4 for TF32, 2 for bf16; the Go wrapper
// computes the same and raises the kernels' dynamic shared memory limit):
//   fwd:  (64 + 2*32) LD E + 64 TC_LDS 4 [+ 64 TC_LDP 2] + 64*4
//   dq:   (2*64 + 2*32) LD E + 2 * 64 TC_LDS 4 [+ 64 TC_LDP 2]
//   dkdv: (2*64 + 2*32) LD E + 2 * 64 TC_LDS 4 [+ 2 * 64 TC_LDP 2] + 2*32*4
// ([...]: bf16 only; with TF32 the probabilities are rounded in place.)
#include <mma.h>
#include <cuda_bf16.h>

#include "common.cuh"

#define TC_WARPS 4
#define TC_ROWS 64  // rows per block, 16 per warp
#define TC_TILE 32  // inner tile: keys (fwd, dq) or queries (dkdv)
#define TC_LDS 36   // stride of the fp32 score tiles
#define TC_LDP 40   // stride of the bf16 probability tiles

// TC_TF32 and TC_BF16 are the operand precisions: the element type of the
// operand tiles in shared memory, the WMMA fragment type, the fragment depth
// K (m16n16k8 for TF32, m16n16k16 for bf16) and the conversion from fp32
// (TF32: round to nearest, ties away; bf16: to nearest even).
struct TC_TF32 {
  typedef float elem;
  typedef nvcuda::wmma::precision::tf32 frag;
  enum { K = 8, SEPARATE_P = 0 };
  static __device__ __forceinline__ float cvt(float x) { return nvcuda::wmma::__float_to_tf32(x); }
};
struct TC_BF16 {
  typedef __nv_bfloat16 elem;
  typedef __nv_bfloat16 frag;
  enum { K = 16, SEPARATE_P = 1 };
  static __device__ __forceinline__ __nv_bfloat16 cvt(float x) { return __float2bfloat16(x); }
};

// tc_load copies rows [r0, r0+rows) of one head's part (base points at its
// column 0 of token 0, ld the token stride) into an operand tile of stride
// DP + 8, converted, with zeros for rows at or beyond T and columns at or
// beyond Dh; bias (the part's bias at its column 0, or null) is added first
// (attention.cu's rule: AddBias's float32 sum, then the conversion).
template <class P, int DP>
__device__ __forceinline__ void tc_load(typename P::elem* dst, const float* base, const float* bias, long long ld,
                                        int r0, int rows, int T, int Dh) {
  for (int e = threadIdx.x; e < rows * DP; e += blockDim.x) {
    int r = e / DP, d = e % DP, t = r0 + r;
    float v = 0.0f;
    if (t < T && d < Dh) {
      v = base[(long long)t * ld + d];
      if (bias) v += bias[d];
    }
    dst[r * (DP + 8) + d] = P::cvt(v);
  }
}

// tc_scores sets the warp's fp32 tile s[16][TC_LDS], columns 0..31, to
// a[16][DP] . b[32][DP]^T: a and b are operand tiles of stride DP + 8.
template <class P, int DP>
__device__ __forceinline__ void tc_scores(float* s, const typename P::elem* a, const typename P::elem* b) {
  using namespace nvcuda;
#pragma unroll
  for (int j = 0; j < TC_TILE / 16; j++) {
    wmma::fragment<wmma::accumulator, 16, 16, P::K, float> acc;
    wmma::fill_fragment(acc, 0.0f);
#pragma unroll 4
    for (int k = 0; k < DP; k += P::K) {
      wmma::fragment<wmma::matrix_a, 16, 16, P::K, typename P::frag, wmma::row_major> fa;
      wmma::fragment<wmma::matrix_b, 16, 16, P::K, typename P::frag, wmma::col_major> fb;
      wmma::load_matrix_sync(fa, a + k, DP + 8);
      wmma::load_matrix_sync(fb, b + 16 * j * (DP + 8) + k, DP + 8);
      wmma::mma_sync(acc, fa, fb, acc);
    }
    wmma::store_matrix_sync(s + 16 * j, acc, TC_LDS, wmma::mem_row_major);
  }
}

// tc_accum adds p[16][32] . v[32][DP] to the warp's accumulators acc[n]
// (output columns 16n..16n+15): p is an operand tile of stride ldp, v one of
// stride DP + 8.
template <class P, int DP, class Acc>
__device__ __forceinline__ void tc_accum(Acc (&acc)[DP / 16], const typename P::elem* p, int ldp,
                                         const typename P::elem* v) {
  using namespace nvcuda;
#pragma unroll 1
  for (int k = 0; k < TC_TILE; k += P::K) {
    wmma::fragment<wmma::matrix_a, 16, 16, P::K, typename P::frag, wmma::row_major> fa;
    wmma::load_matrix_sync(fa, p + k, ldp);
#pragma unroll
    for (int n = 0; n < DP / 16; n++) {
      wmma::fragment<wmma::matrix_b, 16, 16, P::K, typename P::frag, wmma::row_major> fb;
      wmma::load_matrix_sync(fb, v + k * (DP + 8) + 16 * n, DP + 8);
      wmma::mma_sync(acc[n], fa, fb, acc[n]);
    }
  }
}

// tc_write writes the warp's accumulators (16 rows from r0, DP columns) to
// dst (row stride ld), rows below T and columns below Dh only, through the
// warp's score tile s.
template <int DP, class Acc>
__device__ __forceinline__ void tc_write(float* dst, long long ld, float* s, const Acc (&acc)[DP / 16], int r0, int T,
                                         int Dh) {
  using namespace nvcuda;
  const int lane = threadIdx.x & 31;
#pragma unroll
  for (int n = 0; n < DP / 16; n++) {
    wmma::store_matrix_sync(s, acc[n], TC_LDS, wmma::mem_row_major);
    __syncwarp();
    for (int e = lane; e < 256; e += 32) {
      int r = e >> 4, d = 16 * n + (e & 15);
      if (r0 + r < T && d < Dh) dst[(long long)(r0 + r) * ld + d] = s[r * TC_LDS + (e & 15)];
    }
    __syncwarp();
  }
}

// tc_fwd: grid (B*H, ceil(T/64)), block 128.
template <class P, int DP>
__device__ __forceinline__ void tc_fwd(float* out, float* lse, const float* qkv, const float* bias, int T, int H, int D, float scale,
                                       unsigned char* smem) {
  using namespace nvcuda;
  typedef typename P::elem E;
  const int LD = DP + 8, Dh = D / H;
  float* sS = (float*)smem;                        // [64][TC_LDS]
  float* sL = sS + TC_ROWS * TC_LDS;               // [64] lse
  E* sQ = (E*)(sL + TC_ROWS);                      // [64][LD]
  E* sK = sQ + TC_ROWS * LD;                       // [32][LD]
  E* sV = sK + TC_TILE * LD;                       // [32][LD]
  E* sP = P::SEPARATE_P ? sV + TC_TILE * LD : (E*)sS;  // [64][TC_LDP] (bf16) or the score tile (TF32)
  const int ldp = P::SEPARATE_P ? TC_LDP : TC_LDS;
  const int bh = blockIdx.x, b = bh / H, h = bh % H, t0 = blockIdx.y * TC_ROWS;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const long long ld = 3LL * D;
  const float* base = qkv + (long long)b * T * ld + h * Dh;
  const float* bq = bias ? bias + h * Dh : nullptr;  // the head's q, k and v biases (or null)
  const float* bk = bias ? bq + D : nullptr;
  const float* bv = bias ? bq + 2 * D : nullptr;
  const bool active = t0 + 16 * warp < T;  // the warp has a row below T
  float* ws = sS + 16 * warp * TC_LDS;     // the warp's score rows
  E* wp = sP + 16 * warp * ldp;
  const E* wq = sQ + 16 * warp * LD;
  const int r = lane >> 1, c0 = (lane & 1) * 16;  // the lane's row and first column of the tile
  tc_load<P, DP>(sQ, base, bq, ld, t0, TC_ROWS, T, Dh);

  // Pass 1: the row maximum m and sum l of exp(score - m), a lane over its
  // half row, then the two halves combined.
  float m = -INFINITY, l = 0.0f;
  for (int s0 = 0; s0 < T; s0 += TC_TILE) {
    __syncthreads();  // the previous tile is consumed (and sQ is loaded)
    tc_load<P, DP>(sK, base + D, bk, ld, s0, TC_TILE, T, Dh);
    __syncthreads();
    if (!active) continue;
    tc_scores<P, DP>(ws, wq, sK);
    __syncwarp();
    float mt = -INFINITY;
    for (int c = 0; c < 16; c++)
      if (s0 + c0 + c < T) mt = fmaxf(mt, ws[r * TC_LDS + c0 + c] * scale);
    if (mt > -INFINITY) {
      float mn = fmaxf(m, mt);
      float sum = 0.0f;
      for (int c = 0; c < 16; c++)
        if (s0 + c0 + c < T) sum += expf(ws[r * TC_LDS + c0 + c] * scale - mn);
      l = l * expf(m - mn) + sum;  // expf(-inf) = 0 on the first tile
      m = mn;
    }
  }
  if (active) {
    // Combine the half rows in one order on both lanes (even half first).
    float mo = __shfl_xor_sync(FULL_MASK, m, 1), lo = __shfl_xor_sync(FULL_MASK, l, 1);
    float me = lane & 1 ? mo : m, le = lane & 1 ? lo : l, md = lane & 1 ? m : mo, ldd = lane & 1 ? l : lo;
    float mx = fmaxf(me, md);  // finite: key 0 is in the even half
    float L = mx + logf(le * expf(me - mx) + ldd * expf(md - mx));
    if ((lane & 1) == 0) {
      sL[16 * warp + r] = L;
      if (t0 + 16 * warp + r < T) lse[(long long)bh * T + t0 + 16 * warp + r] = L;
    }
    __syncwarp();
  }

  // Pass 2: O = sum_s exp(score - lse) v_s.
  wmma::fragment<wmma::accumulator, 16, 16, P::K, float> acc[DP / 16];
#pragma unroll
  for (int n = 0; n < DP / 16; n++) wmma::fill_fragment(acc[n], 0.0f);
  const float L = sL[16 * warp + r];
  for (int s0 = 0; s0 < T; s0 += TC_TILE) {
    __syncthreads();
    tc_load<P, DP>(sK, base + D, bk, ld, s0, TC_TILE, T, Dh);
    tc_load<P, DP>(sV, base + 2 * D, bv, ld, s0, TC_TILE, T, Dh);
    __syncthreads();
    if (!active) continue;
    tc_scores<P, DP>(ws, wq, sK);
    __syncwarp();
    for (int c = 0; c < 16; c++) {
      float p = s0 + c0 + c < T ? expf(ws[r * TC_LDS + c0 + c] * scale - L) : 0.0f;
      wp[r * ldp + c0 + c] = P::cvt(p);
    }
    __syncwarp();
    tc_accum<P, DP>(acc, wp, ldp, sV);
  }
  if (active) tc_write<DP>(out + (long long)b * T * D + h * Dh, D, ws, acc, t0 + 16 * warp, T, Dh);
}

// tc_dq: dq_t = scale sum_s p_ts (dout_t . v_s - delta_t) k_s, p_ts = exp(scale q_t.k_s - lse_t);
// writes the q part of dqkv. It first computes delta_t = dout_t . out_t for
// its rows exactly as attention.cu's attn_delta does (lane d sums d, d + 32,
// ..., then warp_sum; one row at a time in each warp) and writes it for
// tc_dkdv: one launch fewer. grid (B*H, ceil(T/64)), block 128.
template <class P, int DP>
__device__ __forceinline__ void tc_dq(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* out,
                                      const float* lse, float* delta, int T, int H, int D, float scale,
                                      unsigned char* smem) {
  using namespace nvcuda;
  typedef typename P::elem E;
  const int LD = DP + 8, Dh = D / H;
  float* sS = (float*)smem;           // [64][TC_LDS] scores, then dS (TF32)
  float* sD = sS + TC_ROWS * TC_LDS;  // [64][TC_LDS] dout . v
  E* sQ = (E*)(sD + TC_ROWS * TC_LDS);
  E* sO = sQ + TC_ROWS * LD;  // dout rows
  E* sK = sO + TC_ROWS * LD;
  E* sV = sK + TC_TILE * LD;
  E* sP = P::SEPARATE_P ? sV + TC_TILE * LD : (E*)sS;
  const int ldp = P::SEPARATE_P ? TC_LDP : TC_LDS;
  const int bh = blockIdx.x, b = bh / H, h = bh % H, t0 = blockIdx.y * TC_ROWS;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const long long ld = 3LL * D;
  const float* base = qkv + (long long)b * T * ld + h * Dh;
  const float* bq = bias ? bias + h * Dh : nullptr;  // the head's q, k and v biases (or null)
  const float* bk = bias ? bq + D : nullptr;
  const float* bv = bias ? bq + 2 * D : nullptr;
  const bool active = t0 + 16 * warp < T;
  float* ws = sS + 16 * warp * TC_LDS;
  float* wd = sD + 16 * warp * TC_LDS;
  E* wp = sP + 16 * warp * ldp;
  const int r = lane >> 1, c0 = (lane & 1) * 16, t = t0 + 16 * warp + r;
  const float L = t < T ? lse[(long long)bh * T + t] : 0.0f;
  float dl = 0.0f;
  for (int i = 0; i < 16; i++) {  // delta of the warp's rows t0 + 16 warp + i
    const int u = t0 + 16 * warp + i;
    if (u >= T) break;  // the same for the whole warp
    const long long o = ((long long)b * T + u) * D + h * Dh;
    float s = 0.0f;
    for (int d = lane; d < Dh; d += 32) s += dout[o + d] * out[o + d];
    s = warp_sum(s);
    if (i == r) dl = s;
    if (lane == 0) delta[(long long)bh * T + u] = s;
  }
  tc_load<P, DP>(sQ, base, bq, ld, t0, TC_ROWS, T, Dh);
  tc_load<P, DP>(sO, dout + (long long)b * T * D + h * Dh, nullptr, D, t0, TC_ROWS, T, Dh);
  wmma::fragment<wmma::accumulator, 16, 16, P::K, float> acc[DP / 16];
#pragma unroll
  for (int n = 0; n < DP / 16; n++) wmma::fill_fragment(acc[n], 0.0f);
  for (int s0 = 0; s0 < T; s0 += TC_TILE) {
    __syncthreads();
    tc_load<P, DP>(sK, base + D, bk, ld, s0, TC_TILE, T, Dh);
    tc_load<P, DP>(sV, base + 2 * D, bv, ld, s0, TC_TILE, T, Dh);
    __syncthreads();
    if (!active) continue;
    tc_scores<P, DP>(ws, sQ + 16 * warp * LD, sK);
    tc_scores<P, DP>(wd, sO + 16 * warp * LD, sV);
    __syncwarp();
    for (int c = 0; c < 16; c++) {
      const int i = r * TC_LDS + c0 + c;
      float ds = 0.0f;
      if (s0 + c0 + c < T) ds = expf(ws[i] * scale - L) * (wd[i] - dl) * scale;
      wp[r * ldp + c0 + c] = P::cvt(ds);
    }
    __syncwarp();
    tc_accum<P, DP>(acc, wp, ldp, sK);
  }
  if (active) tc_write<DP>(dqkv + (long long)b * T * ld + h * Dh, ld, ws, acc, t0 + 16 * warp, T, Dh);
}

// tc_dkdv: for the block's keys s, dv_s = sum_t p_ts dout_t and
// dk_s = scale sum_t p_ts (dout_t . v_s - delta_t) q_t; writes the k and v
// parts of dqkv. grid (B*H, ceil(T/64)), block 128.
template <class P, int DP>
__device__ __forceinline__ void tc_dkdv(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* lse,
                                        const float* delta, int T, int H, int D, float scale, unsigned char* smem) {
  using namespace nvcuda;
  typedef typename P::elem E;
  const int LD = DP + 8, Dh = D / H;
  float* sS = (float*)smem;           // [64][TC_LDS] scores^T, then p^T (TF32)
  float* sD = sS + TC_ROWS * TC_LDS;  // [64][TC_LDS] (v . dout)^T, then dS^T (TF32)
  float* sl = sD + TC_ROWS * TC_LDS;  // [32] lse of the query tile
  float* sdl = sl + TC_TILE;          // [32] delta of the query tile
  E* sK = (E*)(sdl + TC_TILE);        // [64][LD]
  E* sV = sK + TC_ROWS * LD;
  E* sQ = sV + TC_ROWS * LD;  // [32][LD]
  E* sO = sQ + TC_TILE * LD;  // [32][LD] dout rows
  E* sP = P::SEPARATE_P ? sO + TC_TILE * LD : (E*)sS;
  E* sG = P::SEPARATE_P ? sP + TC_ROWS * TC_LDP : (E*)sD;  // dS^T
  const int ldp = P::SEPARATE_P ? TC_LDP : TC_LDS;
  const int bh = blockIdx.x, b = bh / H, h = bh % H, k0 = blockIdx.y * TC_ROWS;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const long long ld = 3LL * D;
  const float* base = qkv + (long long)b * T * ld + h * Dh;
  const float* bq = bias ? bias + h * Dh : nullptr;  // the head's q, k and v biases (or null)
  const float* bk = bias ? bq + D : nullptr;
  const float* bv = bias ? bq + 2 * D : nullptr;
  const float* dbase = dout + (long long)b * T * D + h * Dh;
  const bool active = k0 + 16 * warp < T;
  float* ws = sS + 16 * warp * TC_LDS;
  float* wd = sD + 16 * warp * TC_LDS;
  E* wp = sP + 16 * warp * ldp;
  E* wg = sG + 16 * warp * ldp;
  const int r = lane >> 1, c0 = (lane & 1) * 16;
  tc_load<P, DP>(sK, base + D, bk, ld, k0, TC_ROWS, T, Dh);
  tc_load<P, DP>(sV, base + 2 * D, bv, ld, k0, TC_ROWS, T, Dh);
  wmma::fragment<wmma::accumulator, 16, 16, P::K, float> dk[DP / 16], dv[DP / 16];
#pragma unroll
  for (int n = 0; n < DP / 16; n++) {
    wmma::fill_fragment(dk[n], 0.0f);
    wmma::fill_fragment(dv[n], 0.0f);
  }
  for (int q0 = 0; q0 < T; q0 += TC_TILE) {
    __syncthreads();
    tc_load<P, DP>(sQ, base, bq, ld, q0, TC_TILE, T, Dh);
    tc_load<P, DP>(sO, dbase, nullptr, D, q0, TC_TILE, T, Dh);
    if (threadIdx.x < TC_TILE) {
      int t = q0 + threadIdx.x;
      sl[threadIdx.x] = t < T ? lse[(long long)bh * T + t] : 0.0f;
      sdl[threadIdx.x] = t < T ? delta[(long long)bh * T + t] : 0.0f;
    }
    __syncthreads();
    if (!active) continue;
    tc_scores<P, DP>(ws, sK + 16 * warp * LD, sQ);
    tc_scores<P, DP>(wd, sV + 16 * warp * LD, sO);
    __syncwarp();
    for (int c = 0; c < 16; c++) {
      const int i = r * TC_LDS + c0 + c, q = c0 + c;
      float p = 0.0f, ds = 0.0f;
      if (q0 + q < T) {
        p = expf(ws[i] * scale - sl[q]);
        ds = p * (wd[i] - sdl[q]) * scale;
      }
      wp[r * ldp + q] = P::cvt(p);
      wg[r * ldp + q] = P::cvt(ds);
    }
    __syncwarp();
    tc_accum<P, DP>(dv, wp, ldp, sO);
    tc_accum<P, DP>(dk, wg, ldp, sQ);
  }
  if (active) {
    float* row = dqkv + (long long)b * T * ld + h * Dh;
    tc_write<DP>(row + D, ld, ws, dk, k0 + 16 * warp, T, Dh);
    tc_write<DP>(row + 2 * D, ld, ws, dv, k0 + 16 * warp, T, Dh);
  }
}

extern __shared__ __align__(32) unsigned char tcsm[];

// The kernels, attn_tc_{fwd,dq,dkdv}_{tf32,bf16}_d{DP} (written out: the
// emulator's table generator reads the extern "C" names from the source).
extern "C" __global__ void __launch_bounds__(128) attn_tc_fwd_tf32_d32(float* out, float* lse, const float* qkv, const float* bias, int T, int H, int D, float scale) {
  tc_fwd<TC_TF32, 32>(out, lse, qkv, bias, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dq_tf32_d32(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* out, const float* lse, float* delta, int T, int H, int D, float scale) {
  tc_dq<TC_TF32, 32>(dqkv, dout, qkv, bias, out, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dkdv_tf32_d32(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* lse, const float* delta, int T, int H, int D, float scale) {
  tc_dkdv<TC_TF32, 32>(dqkv, dout, qkv, bias, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_fwd_tf32_d48(float* out, float* lse, const float* qkv, const float* bias, int T, int H, int D, float scale) {
  tc_fwd<TC_TF32, 48>(out, lse, qkv, bias, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dq_tf32_d48(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* out, const float* lse, float* delta, int T, int H, int D, float scale) {
  tc_dq<TC_TF32, 48>(dqkv, dout, qkv, bias, out, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dkdv_tf32_d48(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* lse, const float* delta, int T, int H, int D, float scale) {
  tc_dkdv<TC_TF32, 48>(dqkv, dout, qkv, bias, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_fwd_tf32_d64(float* out, float* lse, const float* qkv, const float* bias, int T, int H, int D, float scale) {
  tc_fwd<TC_TF32, 64>(out, lse, qkv, bias, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dq_tf32_d64(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* out, const float* lse, float* delta, int T, int H, int D, float scale) {
  tc_dq<TC_TF32, 64>(dqkv, dout, qkv, bias, out, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dkdv_tf32_d64(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* lse, const float* delta, int T, int H, int D, float scale) {
  tc_dkdv<TC_TF32, 64>(dqkv, dout, qkv, bias, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_fwd_tf32_d96(float* out, float* lse, const float* qkv, const float* bias, int T, int H, int D, float scale) {
  tc_fwd<TC_TF32, 96>(out, lse, qkv, bias, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dq_tf32_d96(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* out, const float* lse, float* delta, int T, int H, int D, float scale) {
  tc_dq<TC_TF32, 96>(dqkv, dout, qkv, bias, out, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dkdv_tf32_d96(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* lse, const float* delta, int T, int H, int D, float scale) {
  tc_dkdv<TC_TF32, 96>(dqkv, dout, qkv, bias, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_fwd_tf32_d128(float* out, float* lse, const float* qkv, const float* bias, int T, int H, int D, float scale) {
  tc_fwd<TC_TF32, 128>(out, lse, qkv, bias, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dq_tf32_d128(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* out, const float* lse, float* delta, int T, int H, int D, float scale) {
  tc_dq<TC_TF32, 128>(dqkv, dout, qkv, bias, out, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dkdv_tf32_d128(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* lse, const float* delta, int T, int H, int D, float scale) {
  tc_dkdv<TC_TF32, 128>(dqkv, dout, qkv, bias, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_fwd_bf16_d32(float* out, float* lse, const float* qkv, const float* bias, int T, int H, int D, float scale) {
  tc_fwd<TC_BF16, 32>(out, lse, qkv, bias, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dq_bf16_d32(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* out, const float* lse, float* delta, int T, int H, int D, float scale) {
  tc_dq<TC_BF16, 32>(dqkv, dout, qkv, bias, out, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dkdv_bf16_d32(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* lse, const float* delta, int T, int H, int D, float scale) {
  tc_dkdv<TC_BF16, 32>(dqkv, dout, qkv, bias, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_fwd_bf16_d48(float* out, float* lse, const float* qkv, const float* bias, int T, int H, int D, float scale) {
  tc_fwd<TC_BF16, 48>(out, lse, qkv, bias, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dq_bf16_d48(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* out, const float* lse, float* delta, int T, int H, int D, float scale) {
  tc_dq<TC_BF16, 48>(dqkv, dout, qkv, bias, out, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dkdv_bf16_d48(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* lse, const float* delta, int T, int H, int D, float scale) {
  tc_dkdv<TC_BF16, 48>(dqkv, dout, qkv, bias, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_fwd_bf16_d64(float* out, float* lse, const float* qkv, const float* bias, int T, int H, int D, float scale) {
  tc_fwd<TC_BF16, 64>(out, lse, qkv, bias, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dq_bf16_d64(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* out, const float* lse, float* delta, int T, int H, int D, float scale) {
  tc_dq<TC_BF16, 64>(dqkv, dout, qkv, bias, out, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dkdv_bf16_d64(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* lse, const float* delta, int T, int H, int D, float scale) {
  tc_dkdv<TC_BF16, 64>(dqkv, dout, qkv, bias, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_fwd_bf16_d96(float* out, float* lse, const float* qkv, const float* bias, int T, int H, int D, float scale) {
  tc_fwd<TC_BF16, 96>(out, lse, qkv, bias, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dq_bf16_d96(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* out, const float* lse, float* delta, int T, int H, int D, float scale) {
  tc_dq<TC_BF16, 96>(dqkv, dout, qkv, bias, out, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dkdv_bf16_d96(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* lse, const float* delta, int T, int H, int D, float scale) {
  tc_dkdv<TC_BF16, 96>(dqkv, dout, qkv, bias, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_fwd_bf16_d128(float* out, float* lse, const float* qkv, const float* bias, int T, int H, int D, float scale) {
  tc_fwd<TC_BF16, 128>(out, lse, qkv, bias, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dq_bf16_d128(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* out, const float* lse, float* delta, int T, int H, int D, float scale) {
  tc_dq<TC_BF16, 128>(dqkv, dout, qkv, bias, out, lse, delta, T, H, D, scale, tcsm);
}
extern "C" __global__ void __launch_bounds__(128) attn_tc_dkdv_bf16_d128(float* dqkv, const float* dout, const float* qkv, const float* bias, const float* lse, const float* delta, int T, int H, int D, float scale) {
  tc_dkdv<TC_BF16, 128>(dqkv, dout, qkv, bias, lse, delta, T, H, D, scale, tcsm);
}
