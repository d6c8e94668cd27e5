//go:build cudaemu

// gemm.cc: cublasGemmStridedBatchedEx on fp32 data, written plainly from
// its column-major contract: C_b = alpha op(A_b) op(B_b) + beta C_b.
// TF32 and bf16 modes round the inputs (not the products or sums); every
// product is accumulated in fp32 in increasing k, with no fused multiply-add.

#include <stdint.h>
#include <string.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "emu_api.h"

namespace emu {
void run_parallel(void (*fn)(void*), void* ctx, int64_t tasks);
std::mutex& launch_mutex();
}  // namespace emu

namespace {

// tf32 rounds to 10 explicit mantissa bits, to nearest with ties away from
// zero (cvt.rna.tf32.f32); Inf and NaN pass through.
inline float tf32(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & ~0x1fffu;
  memcpy(&x, &u, 4);
  return x;
}

// bf16 rounds to 7 explicit mantissa bits, to nearest even; NaN stays NaN.
inline float bf16(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    u |= 0x00400000u;
  } else {
    u += 0x7fffu + ((u >> 16) & 1u);
  }
  u &= 0xffff0000u;
  memcpy(&x, &u, 4);
  return x;
}

inline float round_in(float x, int mode) { return mode == 1 ? tf32(x) : mode == 2 ? bf16(x) : x; }

struct Gemm {
  bool ta, tb;
  int m, n, k, lda, ldb, ldc, batch, mode;
  float alpha, beta;
  const float *a, *b;
  float* c;
  int64_t sa, sb, sc;
  int chunk;        // columns per task
  int64_t ntasks;   // batch * ceil(n / chunk)
  std::atomic<int64_t> next{0};
};

void scale_c(float* c, int m, int ncols, int ldc, float beta) {
  for (int j = 0; j < ncols; j++)
    for (int i = 0; i < m; i++) {
      float* p = c + (int64_t)j * ldc + i;
      *p = beta == 0.0f ? 0.0f : beta * *p;
    }
}

void gemm_tasks(void* ctx) {
  Gemm* g = (Gemm*)ctx;
  std::vector<float> ar, bc;
  int64_t per = (g->n + g->chunk - 1) / g->chunk;
  for (;;) {
    int64_t t = g->next.fetch_add(1);
    if (t >= g->ntasks) return;
    int64_t bi = t / per;
    int j0 = (int)(t % per) * g->chunk, nc = g->n - j0 < g->chunk ? g->n - j0 : g->chunk;
    const float* A = g->a + bi * g->sa;
    const float* B = g->b + bi * g->sb;
    float* C = g->c + bi * g->sc + (int64_t)j0 * g->ldc;
    if (g->k == 0 || g->alpha == 0.0f) {
      scale_c(C, g->m, nc, g->ldc, g->beta);
      continue;
    }
    int m = g->m, k = g->k;
    // ar: op(A) by rows (row i at i*k), bc: op(B) by columns; rounded.
    ar.resize((size_t)m * k);
    bc.resize((size_t)nc * k);
    for (int i = 0; i < m; i++)
      for (int l = 0; l < k; l++)
        ar[(size_t)i * k + l] = round_in(g->ta ? A[(int64_t)i * g->lda + l] : A[(int64_t)l * g->lda + i], g->mode);
    for (int j = 0; j < nc; j++)
      for (int l = 0; l < k; l++)
        bc[(size_t)j * k + l] =
            round_in(g->tb ? B[(int64_t)l * g->ldb + j0 + j] : B[(int64_t)(j0 + j) * g->ldb + l], g->mode);
    for (int j = 0; j < nc; j++) {
      const float* bj = &bc[(size_t)j * k];
      float* cj = C + (int64_t)j * g->ldc;
      int i = 0;
      for (; i + 4 <= m; i += 4) {
        const float *a0 = &ar[(size_t)i * k], *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int l = 0; l < k; l++) {
          float bv = bj[l];
          s0 += a0[l] * bv;
          s1 += a1[l] * bv;
          s2 += a2[l] * bv;
          s3 += a3[l] * bv;
        }
        float s[4] = {s0, s1, s2, s3};
        for (int q = 0; q < 4; q++)
          cj[i + q] = g->beta == 0.0f ? g->alpha * s[q] : g->alpha * s[q] + g->beta * cj[i + q];
      }
      for (; i < m; i++) {
        const float* ai = &ar[(size_t)i * k];
        float s = 0;
        for (int l = 0; l < k; l++) s += ai[l] * bj[l];
        cj[i] = g->beta == 0.0f ? g->alpha * s : g->alpha * s + g->beta * cj[i];
      }
    }
  }
}

// extent_ok checks that every matrix of a strided batch (rows x cols, leading
// dimension ld, stride s floats) lies inside one live allocation.
bool extent_ok(uint64_t p, int rows, int cols, int ld, int64_t s, int batch) {
  int64_t span = ((int64_t)(cols - 1) * ld + rows) * 4;
  for (int64_t b : {(int64_t)0, (int64_t)batch - 1}) {
    uint64_t q = p + (uint64_t)(b * s * 4);
    if (emu_check_range(q, span) != 0) return false;
  }
  return true;
}

}  // namespace

extern "C" int emu_gemm(int transa, int transb, int m, int n, int k, float alpha, uint64_t a, int lda, int64_t sa,
                        uint64_t b, int ldb, int64_t sb, float beta, uint64_t c, int ldc, int64_t sc, int batch,
                        int mode) {
  const int kInvalid = 7, kExecFailed = 13;
  if (m < 0 || n < 0 || k < 0 || batch < 0 || mode < 0 || mode > 2) return kInvalid;
  int rowsA = transa ? k : m, rowsB = transb ? n : k;
  if (lda < (rowsA > 1 ? rowsA : 1) || ldb < (rowsB > 1 ? rowsB : 1) || ldc < (m > 1 ? m : 1)) return kInvalid;
  if (m == 0 || n == 0 || batch == 0) return 0;
  bool readAB = k > 0 && alpha != 0.0f;
  if (!extent_ok(c, m, n, ldc, sc, batch)) return kExecFailed;
  if (readAB && (!extent_ok(a, rowsA, transa ? m : k, lda, sa, batch) ||
                 !extent_ok(b, rowsB, transb ? k : n, ldb, sb, batch)))
    return kExecFailed;
  Gemm g;
  g.ta = transa != 0;
  g.tb = transb != 0;
  g.m = m, g.n = n, g.k = k, g.lda = lda, g.ldb = ldb, g.ldc = ldc, g.batch = batch, g.mode = mode;
  g.alpha = alpha, g.beta = beta;
  g.a = (const float*)(uintptr_t)a;
  g.b = (const float*)(uintptr_t)b;
  g.c = (float*)(uintptr_t)c;
  g.sa = sa, g.sb = sb, g.sc = sc;
  // About 8 tasks per worker-ish, at least 16 columns each.
  int64_t work = (int64_t)m * n * (k > 0 ? k : 1) * batch;
  int64_t want = work < (1 << 16) ? 1 : 32;
  int64_t splits = (want + batch - 1) / batch;
  int chunk = (int)((n + splits - 1) / splits);
  if (chunk < 16) chunk = 16;
  g.chunk = chunk;
  g.ntasks = (int64_t)batch * ((n + chunk - 1) / chunk);
  std::lock_guard<std::mutex> lk(emu::launch_mutex());
  emu::run_parallel(gemm_tasks, &g, g.ntasks);
  return 0;
}
