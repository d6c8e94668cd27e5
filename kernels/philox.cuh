// philox.cuh: the CUDA twin of package philox (philox/philox.go, philox/mathf.go),
// bit for bit: Philox4x32-10, the uniform mapping, Log, SinCos2Pi and
// Box-Muller, written with explicitly rounded operations (__dadd_rn,
// __dmul_rn, __ddiv_rn, __fmul_rn, __fadd_rn) so no fused multiply-add can
// change a bit. The double constants are the bit patterns of the Go
// constants (printed by Go's math.Float64bits), not decimal literals.
#pragma once

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

#define DBL(bits) __longlong_as_double((long long)(bits))

// philox_block is philox.Block: counter (blk, stream, step lo, step hi), key (seed lo, seed hi).
__device__ __forceinline__ uint4 philox_block(unsigned int blk, unsigned long long seed,
                                              unsigned long long step, unsigned int stream) {
  unsigned int c0 = blk, c1 = stream, c2 = (unsigned int)step, c3 = (unsigned int)(step >> 32);
  unsigned int k0 = (unsigned int)seed, k1 = (unsigned int)(seed >> 32);
#pragma unroll
  for (int r = 0; r < 10; r++) {
    if (r > 0) {
      k0 += PHILOX_W0;
      k1 += PHILOX_W1;
    }
    unsigned int hi0 = __umulhi(PHILOX_M0, c0), lo0 = PHILOX_M0 * c0;
    unsigned int hi1 = __umulhi(PHILOX_M1, c2), lo1 = PHILOX_M1 * c2;
    unsigned int n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  return make_uint4(c0, c1, c2, c3);
}

// philox_uniform is philox.Uniform: (w>>9) 2^-23 + 2^-24, exact in float32.
__device__ __forceinline__ float philox_uniform(unsigned int w) {
  return __fadd_rn(__fmul_rn((float)(w >> 9), 1.0f / 8388608.0f), 1.0f / 16777216.0f);
}

// philox_log is philox.Log for a normal x > 0.
__device__ __forceinline__ double philox_log(double x) {
  unsigned long long bits = (unsigned long long)__double_as_longlong(x);
  int e = (int)((bits >> 52) & 0x7ff) - 1023;
  double m = __longlong_as_double((long long)((bits & ~(0x7ffULL << 52)) | (1023ULL << 52)));
  if (m >= DBL(0x3ff6a09e667f3bcdULL)) {  // sqrt(2)
    m = __dmul_rn(m, 0.5);
    e++;
  }
  double s = __ddiv_rn(__dsub_rn(m, 1.0), __dadd_rn(m, 1.0));
  double s2 = __dmul_rn(s, s);
  double p = DBL(0x3fae1e1e1e1e1e1eULL);          // 1/17
  p = __dadd_rn(__dmul_rn(p, s2), DBL(0x3fb1111111111111ULL));  // 1/15
  p = __dadd_rn(__dmul_rn(p, s2), DBL(0x3fb3b13b13b13b14ULL));  // 1/13
  p = __dadd_rn(__dmul_rn(p, s2), DBL(0x3fb745d1745d1746ULL));  // 1/11
  p = __dadd_rn(__dmul_rn(p, s2), DBL(0x3fbc71c71c71c71cULL));  // 1/9
  p = __dadd_rn(__dmul_rn(p, s2), DBL(0x3fc2492492492492ULL));  // 1/7
  p = __dadd_rn(__dmul_rn(p, s2), DBL(0x3fc999999999999aULL));  // 1/5
  p = __dadd_rn(__dmul_rn(p, s2), DBL(0x3fd5555555555555ULL));  // 1/3
  p = __dadd_rn(__dmul_rn(p, s2), 1.0);
  const double ln2 = DBL(0x3fe62e42fefa39efULL);
  return __dadd_rn(__dmul_rn(__dmul_rn(2.0, s), p), __dmul_rn((double)e, ln2));
}

// philox_sincos2pi is philox.SinCos2Pi for u in [0, 1].
__device__ __forceinline__ void philox_sincos2pi(double u, double* sn, double* cs) {
  double q = floor(__dadd_rn(__dmul_rn(u, 4.0), 0.5));
  double r = __dmul_rn(__dsub_rn(u, __dmul_rn(q, 0.25)), DBL(0x401921fb54442d18ULL));  // 2 pi
  double r2 = __dmul_rn(r, r);
  double sp = DBL(0xbd6ae7f3e733b81fULL);                               // -1/15!
  sp = __dadd_rn(__dmul_rn(sp, r2), DBL(0x3de6124613a86d09ULL));        // + 1/13!
  sp = __dsub_rn(__dmul_rn(sp, r2), DBL(0x3e5ae64567f544e4ULL));        // - 1/11!
  sp = __dadd_rn(__dmul_rn(sp, r2), DBL(0x3ec71de3a556c734ULL));        // + 1/9!
  sp = __dsub_rn(__dmul_rn(sp, r2), DBL(0x3f2a01a01a01a01aULL));        // - 1/7!
  sp = __dadd_rn(__dmul_rn(sp, r2), DBL(0x3f81111111111111ULL));        // + 1/5!
  sp = __dsub_rn(__dmul_rn(sp, r2), DBL(0x3fc5555555555555ULL));        // - 1/3!
  sp = __dadd_rn(__dmul_rn(sp, r2), 1.0);
  double s = __dmul_rn(sp, r);
  double cp = DBL(0x3d2ae7f3e733b81fULL);                               // 1/16!
  cp = __dsub_rn(__dmul_rn(cp, r2), DBL(0x3da93974a8c07c9dULL));        // - 1/14!
  cp = __dadd_rn(__dmul_rn(cp, r2), DBL(0x3e21eed8eff8d898ULL));        // + 1/12!
  cp = __dsub_rn(__dmul_rn(cp, r2), DBL(0x3e927e4fb7789f5cULL));        // - 1/10!
  cp = __dadd_rn(__dmul_rn(cp, r2), DBL(0x3efa01a01a01a01aULL));        // + 1/8!
  cp = __dsub_rn(__dmul_rn(cp, r2), DBL(0x3f56c16c16c16c17ULL));        // - 1/6!
  cp = __dadd_rn(__dmul_rn(cp, r2), DBL(0x3fa5555555555555ULL));        // + 1/4!
  cp = __dsub_rn(__dmul_rn(cp, r2), 0.5);                               // - 1/2!
  double c = __dadd_rn(__dmul_rn(cp, r2), 1.0);
  switch (((int)q) & 3) {
    case 0: *sn = s; *cs = c; break;
    case 1: *sn = c; *cs = -s; break;
    case 2: *sn = -s; *cs = -c; break;
    default: *sn = -c; *cs = s; break;
  }
}

// philox_boxmuller is philox.BoxMuller: (float32(r cos a), float32(r sin a)).
__device__ __forceinline__ float2 philox_boxmuller(float u1, float u2) {
  double r = __dsqrt_rn(__dmul_rn(-2.0, philox_log((double)u1)));
  double s, c;
  philox_sincos2pi((double)u2, &s, &c);
  return make_float2(__double2float_rn(__dmul_rn(r, c)), __double2float_rn(__dmul_rn(r, s)));
}

// philox_normals is philox.Key.Normals: the four normals of call blk.
__device__ __forceinline__ float4 philox_normals(unsigned int blk, unsigned long long seed,
                                                 unsigned long long step, unsigned int stream) {
  uint4 w = philox_block(blk, seed, step, stream);
  float2 a = philox_boxmuller(philox_uniform(w.x), philox_uniform(w.y));
  float2 b = philox_boxmuller(philox_uniform(w.z), philox_uniform(w.w));
  return make_float4(a.x, a.y, b.x, b.y);
}
