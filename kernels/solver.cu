// solver.cu: the solver clock of the device-resident sampler (compute/cpu
// solver.go: Backend.SolverTime, Backend.SolverTick). clock[0] is the step m,
// clock[1] the NFE so far, as float32. Go wrappers: gpu/solver.go.
#include "common.cuh"

// solver_time: t[i] = (float)tm, tm the stage time at fraction c of step m =
// clock[0] of steps equal steps over [t0, t1]: t1 at the end of the last step,
// else t0 + ((m + c) (t1 - t0)) / steps, each operation rounded (no FMA).
extern "C" __global__ void solver_time(float* t, const float* clock, int n, double t0, double t1, int steps, double c) {
  const double m = (double)clock[0];
  double tm = t1;
  if (!(m == (double)(steps - 1) && c == 1.0))
    tm = __dadd_rn(t0, __ddiv_rn(__dmul_rn(__dadd_rn(m, c), __dadd_rn(t1, -t0)), (double)steps));
  const float v = (float)tm;
  GRID_LOOP(i, n) t[i] = v;
}

// solver_tick: clock[0] += 1, clock[1] += nfe (one thread).
extern "C" __global__ void solver_tick(float* clock, float nfe) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  clock[0] += 1.0f;
  clock[1] += nfe;
}

// ---- Dopri5 on the device: the step-size controller of compute/dopri5.go ----
// The state is Dopri5StateLen = 16 float32 words (layout in compute/dopri5.go):
// t and h are float64 in words [0:2] and [2:4] (low 32 bits first), the
// rest whole numbers or flags held as float32. Every double operation below
// is the Go spec's, one IEEE operation at a time (the _rn intrinsics keep
// nvcc from contracting into FMAs, which Go on amd64 never does).
#define D5_T 0
#define D5_H 2
#define D5_ACC 4
#define D5_REJ 5
#define D5_NFE 6
#define D5_D0 7
#define D5_D1 8
#define D5_ERR 9
#define D5_LAST 10
#define D5_REJLAST 11
#define D5_NONFIN 12
#define D5_ACCEPT 13
#define D5_ACTIVE 14
#define D5_STATUS 15
// compute.Dopri5Status
#define D5_RUNNING 0
#define D5_DONE 1
#define D5_TOOMANY 2
#define D5_UNDERFLOW 3
#define D5_NANVEL 4
#define D5_NOTFINITE 5
// compute.Dopri5Ctl
#define D5_START 0
#define D5_STARTH 1
#define D5_END 2

__device__ static double d5_get(const float* w, int i) {
  const unsigned long long lo = __float_as_uint(w[i]), hi = __float_as_uint(w[i + 1]);
  return __longlong_as_double((long long)((hi << 32) | lo));
}
__device__ static void d5_put(float* w, int i, double v) {
  const unsigned long long b = (unsigned long long)__double_as_longlong(v);
  w[i] = __uint_as_float((unsigned int)(b & 0xffffffffull));
  w[i + 1] = __uint_as_float((unsigned int)(b >> 32));
}
__device__ static bool d5_finite(double v) { return !isnan(v) && !isinf(v); }
// Go's math.Min and math.Max: NaN if either argument is NaN.
__device__ static double d5_min(double a, double b) { return (isnan(a) || isnan(b)) ? __longlong_as_double(0x7ff8000000000001ll) : fmin(a, b); }
__device__ static double d5_max(double a, double b) { return (isnan(a) || isnan(b)) ? __longlong_as_double(0x7ff8000000000001ll) : fmax(a, b); }

// d5_prepare: Dopri5State.prepare, readying the next attempt or ending the solve.
__device__ static void d5_prepare(float* w, double t1, int maxsteps, double span, double dir) {
  const double uround = 1.0 / (1 << 24);
  w[D5_LAST] = 0.0f;
  if ((int)(w[D5_ACC] + w[D5_REJ]) >= maxsteps) {
    w[D5_STATUS] = (float)D5_TOOMANY;
    return;
  }
  const double t = d5_get(w, D5_T);
  double h = d5_get(w, D5_H);
  if (__dmul_rn(dir, __dadd_rn(__dadd_rn(t, __dmul_rn(1.01, h)), -t1)) >= 0) {
    h = __dadd_rn(t1, -t);
    d5_put(w, D5_H, h);
    w[D5_LAST] = 1.0f;
  }
  if (__dmul_rn(0.1, fabs(h)) <= __dmul_rn(d5_max(fabs(t), span), uround)) {
    w[D5_STATUS] = (float)(w[D5_NONFIN] != 0.0f ? D5_NANVEL : D5_UNDERFLOW);
    return;
  }
  w[D5_ACTIVE] = 1.0f;
}

// dopri5_control: Dopri5State.Control(ctl, p) on one thread.
extern "C" __global__ void dopri5_control(float* w, int ctl, double t0, double t1, double h0opt, int maxsteps, float evalnfe) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  const double span = fabs(__dadd_rn(t1, -t0));
  const double dir = t1 < t0 ? -1.0 : 1.0;
  const double facmax = 10.0, facmin = 0.2, safety = 0.9, expo = 1.0 / 5;
  if (ctl == D5_START) {
    d5_put(w, D5_T, t0);
    w[D5_NFE] += evalnfe;
    const double d0 = (double)w[D5_D0], d1 = (double)w[D5_D1];
    if (!d5_finite(d0) || !d5_finite(d1)) {
      w[D5_STATUS] = (float)D5_NOTFINITE;
      return;
    }
    if (h0opt != 0) {
      d5_put(w, D5_H, __dmul_rn(dir, d5_min(fabs(h0opt), span)));
      d5_prepare(w, t1, maxsteps, span, dir);
      return;
    }
    double h0 = 1e-6;
    if (d0 >= 1e-5 && d1 >= 1e-5) h0 = __ddiv_rn(__dmul_rn(0.01, d0), d1);
    d5_put(w, D5_H, d5_min(h0, span));
  } else if (ctl == D5_STARTH) {
    if (w[D5_STATUS] != (float)D5_RUNNING) return;
    w[D5_NFE] += evalnfe;
    const double h0 = d5_get(w, D5_H);
    const double d1 = (double)w[D5_D1], d2 = __ddiv_rn((double)w[D5_ERR], h0);
    const double m = d5_max(d1, d2);
    double h1;
    if (!(m > 1e-15)) h1 = d5_max(1e-6, __dmul_rn(h0, 1e-3));
    else h1 = pow(__ddiv_rn(0.01, m), expo);
    d5_put(w, D5_H, __dmul_rn(dir, d5_min(d5_min(__dmul_rn(100.0, h0), h1), span)));
    d5_prepare(w, t1, maxsteps, span, dir);
  } else if (ctl == D5_END) {
    w[D5_ACCEPT] = 0.0f;
    if (w[D5_ACTIVE] == 0.0f) return;
    w[D5_ACTIVE] = 0.0f;
    w[D5_NFE] += 6.0f * evalnfe;
    const double errn = (double)w[D5_ERR];
    const bool nonfin = !d5_finite(errn);
    w[D5_NONFIN] = nonfin ? 1.0f : 0.0f;
    const double h = d5_get(w, D5_H);
    if (errn <= 1) {
      w[D5_ACC] += 1.0f;
      w[D5_ACCEPT] = 1.0f;
      if (w[D5_LAST] != 0.0f) {
        d5_put(w, D5_T, t1);
        w[D5_STATUS] = (float)D5_DONE;
        return;
      }
      d5_put(w, D5_T, __dadd_rn(d5_get(w, D5_T), h));
      double fac = facmax;
      if (errn > 0) fac = d5_min(facmax, d5_max(facmin, __dmul_rn(safety, pow(errn, -expo))));
      if (w[D5_REJLAST] != 0.0f) fac = d5_min(fac, 1.0);
      d5_put(w, D5_H, __dmul_rn(h, fac));
      w[D5_REJLAST] = 0.0f;
    } else {
      w[D5_REJ] += 1.0f;
      double fac = facmin;
      if (!nonfin) fac = d5_max(facmin, __dmul_rn(safety, pow(errn, -expo)));
      d5_put(w, D5_H, __dmul_rn(h, fac));
      w[D5_REJLAST] = 1.0f;
    }
    d5_prepare(w, t1, maxsteps, span, dir);
  }
}

// dopri5_stage: dst = x + c0 k0 + ... + c{nk-1} k{nk-1}, nk <= 8, with
// c_j = (float)(h a_j) (Dopri5State.StageCoef) and lincomb's arithmetic
// (Backend.Dopri5Stage; the Go side drops zero coefficients and chains
// groups of 8).
extern "C" __global__ void dopri5_stage(float* dst, const float* x, const float* w, int n, int nk,
                                        double a0, double a1, double a2, double a3, double a4, double a5, double a6,
                                        double a7, const float* k0, const float* k1, const float* k2, const float* k3,
                                        const float* k4, const float* k5, const float* k6, const float* k7) {
  const double h = d5_get(w, D5_H);
  const double a[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
  const float* k[8] = {k0, k1, k2, k3, k4, k5, k6, k7};
  float c[8];
#pragma unroll
  for (int j = 0; j < 8; j++) c[j] = (float)__dmul_rn(h, a[j]);
  GRID_LOOP(i, n) {
    float s = x[i];
#pragma unroll
    for (int j = 0; j < 8; j++)
      if (j < nk) s += c[j] * k[j][i];
    dst[i] = s;
  }
}

// dopri5_time: t[i] = Dopri5State.StageTime(c, end, p).
extern "C" __global__ void dopri5_time(float* t, const float* w, int n, double c, int end, double t1) {
  float v;
  if (end && w[D5_LAST] != 0.0f) v = (float)t1;
  else v = (float)__dadd_rn(d5_get(w, D5_T), __dmul_rn(c, d5_get(w, D5_H)));
  GRID_LOOP(i, n) t[i] = v;
}

// dopri5_accept: dst = src when the state's Accept word is set.
extern "C" __global__ void dopri5_accept(float* dst, const float* src, const float* w, int n) {
  if (w[D5_ACCEPT] == 0.0f) return;
  GRID_LOOP(i, n) dst[i] = src[i];
}
