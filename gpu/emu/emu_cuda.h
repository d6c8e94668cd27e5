//go:build cudaemu

// emu_cuda.h: the CUDA device dialect as plain C++20, so that kernels/*.cu
// compile unchanged for the host (see doc.go). Included by the generated
// zz_*.cc files before the .cu file, and by the runtime.
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>

// Thread-local variables of the emulator use the initial-exec model: cgo
// compiles with -fPIC, and the default model would call __tls_get_addr on
// every threadIdx or static __shared__ access.
#define EMU_TLS thread_local __attribute__((tls_model("initial-exec")))

// ---- qualifiers ----
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __align__(n) __attribute__((aligned(n)))
#define __constant__
// Static __shared__ variables become block-scope thread_locals (static
// storage, one copy per worker thread, reused by its blocks); extern
// __shared__ arrays are bound to the worker's dynamic shared memory.
#define __shared__ EMU_TLS

// ---- vector types ----
struct uint3 { unsigned int x, y, z; };
struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return uint3{x, y, z}; }
};

#define EMU_VEC2(T, N) \
  struct alignas(2 * sizeof(T)) N##2 { T x, y; }; \
  static inline N##2 make_##N##2(T x, T y) { return N##2{x, y}; }
#define EMU_VEC3(T, N) \
  struct N##3 { T x, y, z; }; \
  static inline N##3 make_##N##3(T x, T y, T z) { return N##3{x, y, z}; }
#define EMU_VEC4(T, N) \
  struct alignas(4 * sizeof(T) > 16 ? 16 : 4 * sizeof(T)) N##4 { T x, y, z, w; }; \
  static inline N##4 make_##N##4(T x, T y, T z, T w) { return N##4{x, y, z, w}; }

EMU_VEC2(float, float) EMU_VEC3(float, float) EMU_VEC4(float, float)
EMU_VEC2(int, int) EMU_VEC3(int, int) EMU_VEC4(int, int)
EMU_VEC2(unsigned int, uint) EMU_VEC4(unsigned int, uint)
EMU_VEC2(double, double)
static inline uint3 make_uint3(unsigned int x, unsigned int y, unsigned int z) { return uint3{x, y, z}; }

namespace emu {

// FiberHead is the part of a fiber (an emulated GPU thread) that device code
// reads: threadIdx. The runtime's Fiber derives from it.
struct FiberHead {
  void* sp;  // saved stack pointer (the context switch)
  uint3 tid;
  // direct is nonzero when the thread runs as a plain call, not a fiber (a
  // kernel classified sync-free): reaching a barrier or collective then
  // fails the launch.
  int direct;
};
// t_fiber is the fiber running on this worker thread.
extern __thread __attribute__((tls_model("initial-exec"))) FiberHead* t_fiber;

// The collectives (runtime.cc). kind names the operation and operand size.
enum CollKind : int {
  COLL_SHFL_IDX = 1,
  COLL_SHFL_UP,
  COLL_SHFL_DOWN,
  COLL_SHFL_XOR,
  COLL_BALLOT,
  COLL_ANY,
  COLL_ALL,
  COLL_SYNCWARP,
  // The WMMA operations (mma.h): rendezvous of the whole warp.
  COLL_WMMA_LOAD,
  COLL_WMMA_STORE,
  COLL_WMMA_MMA,
};
// collective performs a warp collective of kind (with the operand size in
// bits 8..) over mask and returns this lane's result. file and line are the
// call's (reported when a thread run without a fiber reaches it).
uint64_t collective(int kind, unsigned mask, uint64_t v, int param, int width, const char* file, int line);
void syncthreads(const char* file, int line);
// device_error fails the launch with a message naming the block, the thread
// and file:line (a misuse of a device API the emulator checks, e.g. a WMMA
// pointer that is not 32-byte aligned).
[[noreturn]] __attribute__((format(printf, 3, 4))) void device_error(const char* file, int line, const char* format,
                                                                     ...);

template <class T>
static inline uint64_t to_bits(T v) {
  static_assert(sizeof(T) <= 8);
  uint64_t b = 0;
  memcpy(&b, &v, sizeof(T));
  return b;
}
template <class T>
static inline T from_bits(uint64_t b) {
  T v;
  memcpy(&v, &b, sizeof(T));
  return v;
}
template <class T>
static inline T shfl(int kind, unsigned mask, T v, int param, int width, const char* file, int line) {
  return from_bits<T>(collective(kind | (int)(sizeof(T) << 8), mask, to_bits(v), param, width, file, line));
}

}  // namespace emu

#define threadIdx (::emu::t_fiber->tid)
// blockIdx, blockDim and gridDim are per worker thread (one block at a time).
// They are __thread PODs (uint3): an extern thread_local would go through an
// initialisation wrapper on every access.
extern __thread __attribute__((tls_model("initial-exec"))) uint3 blockIdx;
extern __thread __attribute__((tls_model("initial-exec"))) uint3 blockDim;
extern __thread __attribute__((tls_model("initial-exec"))) uint3 gridDim;
#define warpSize 32

// __syncthreads is a macro so that each barrier is identified by its site.
#define __syncthreads() ::emu::syncthreads(__FILE__, __LINE__)

// The collectives take their call site as hidden default arguments
// (EMU_SITE: the caller's file and line).
#define EMU_SITE const char *emu_file = __builtin_FILE(), int emu_line = __builtin_LINE()

static inline void __syncwarp(unsigned mask = 0xffffffffu, EMU_SITE) {
  ::emu::collective(::emu::COLL_SYNCWARP, mask, 0, 0, 32, emu_file, emu_line);
}

#define EMU_SHFL(T)                                                                                    \
  static inline T __shfl_sync(unsigned mask, T v, int src, int width = 32, EMU_SITE) {                 \
    return ::emu::shfl<T>(::emu::COLL_SHFL_IDX, mask, v, src, width, emu_file, emu_line);              \
  }                                                                                                    \
  static inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32, EMU_SITE) {       \
    return ::emu::shfl<T>(::emu::COLL_SHFL_UP, mask, v, (int)delta, width, emu_file, emu_line);        \
  }                                                                                                    \
  static inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32, EMU_SITE) {     \
    return ::emu::shfl<T>(::emu::COLL_SHFL_DOWN, mask, v, (int)delta, width, emu_file, emu_line);      \
  }                                                                                                    \
  static inline T __shfl_xor_sync(unsigned mask, T v, int lanemask, int width = 32, EMU_SITE) {        \
    return ::emu::shfl<T>(::emu::COLL_SHFL_XOR, mask, v, lanemask, width, emu_file, emu_line);         \
  }
EMU_SHFL(float)
EMU_SHFL(double)
EMU_SHFL(int)
EMU_SHFL(unsigned int)
EMU_SHFL(long long)
EMU_SHFL(unsigned long long)
#undef EMU_SHFL

static inline unsigned __ballot_sync(unsigned mask, int pred, EMU_SITE) {
  return (unsigned)::emu::collective(::emu::COLL_BALLOT, mask, pred != 0, 0, 32, emu_file, emu_line);
}
static inline int __any_sync(unsigned mask, int pred, EMU_SITE) {
  return (int)::emu::collective(::emu::COLL_ANY, mask, pred != 0, 0, 32, emu_file, emu_line);
}
static inline int __all_sync(unsigned mask, int pred, EMU_SITE) {
  return (int)::emu::collective(::emu::COLL_ALL, mask, pred != 0, 0, 32, emu_file, emu_line);
}

// ---- atomics: real host atomics (blocks run on several OS threads) ----
template <class T>
static inline T emu_atomic_cas_loop(T* p, T v, T (*op)(T, T)) {
  using U = unsigned long long;
  static_assert(sizeof(T) == 4 || sizeof(T) == 8);
  if constexpr (sizeof(T) == 4) {
    unsigned* q = reinterpret_cast<unsigned*>(p);
    unsigned old = __atomic_load_n(q, __ATOMIC_RELAXED);
    for (;;) {
      T o = ::emu::from_bits<T>(old);
      unsigned nw = (unsigned)::emu::to_bits(op(o, v));
      if (__atomic_compare_exchange_n(q, &old, nw, true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) return o;
    }
  } else {
    U* q = reinterpret_cast<U*>(p);
    U old = __atomic_load_n(q, __ATOMIC_RELAXED);
    for (;;) {
      T o = ::emu::from_bits<T>(old);
      U nw = ::emu::to_bits(op(o, v));
      if (__atomic_compare_exchange_n(q, &old, nw, true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) return o;
    }
  }
}
static inline float atomicAdd(float* p, float v) {
  return emu_atomic_cas_loop<float>(p, v, [](float a, float b) { return a + b; });
}
static inline double atomicAdd(double* p, double v) {
  return emu_atomic_cas_loop<double>(p, v, [](double a, double b) { return a + b; });
}
#define EMU_ATOMIC_INT(T)                                                                             \
  static inline T atomicAdd(T* p, T v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }         \
  static inline T atomicSub(T* p, T v) { return __atomic_fetch_sub(p, v, __ATOMIC_SEQ_CST); }         \
  static inline T atomicOr(T* p, T v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); }           \
  static inline T atomicAnd(T* p, T v) { return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); }         \
  static inline T atomicXor(T* p, T v) { return __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); }         \
  static inline T atomicExch(T* p, T v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }       \
  static inline T atomicCAS(T* p, T cmp, T v) {                                                       \
    __atomic_compare_exchange_n(p, &cmp, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);               \
    return cmp;                                                                                       \
  }                                                                                                   \
  static inline T atomicMax(T* p, T v) {                                                              \
    return emu_atomic_cas_loop<T>(p, v, [](T a, T b) { return a > b ? a : b; });                     \
  }                                                                                                   \
  static inline T atomicMin(T* p, T v) {                                                              \
    return emu_atomic_cas_loop<T>(p, v, [](T a, T b) { return a < b ? a : b; });                     \
  }
EMU_ATOMIC_INT(int)
EMU_ATOMIC_INT(unsigned int)
EMU_ATOMIC_INT(unsigned long long)
EMU_ATOMIC_INT(long long)
#undef EMU_ATOMIC_INT
static inline float atomicExch(float* p, float v) {
  return emu_atomic_cas_loop<float>(p, v, [](float, float b) { return b; });
}

// ---- math ----
// expf, logf, sqrtf, fmaxf, fminf, floorf, exp, log, sqrt, ... are the host
// libm's (<math.h>): expf and logf differ from CUDA's by a few ulp.
#define EMU_MINMAX(T)                                         \
  static inline T min(T a, T b) { return a < b ? a : b; }     \
  static inline T max(T a, T b) { return a > b ? a : b; }
EMU_MINMAX(int)
EMU_MINMAX(unsigned int)
EMU_MINMAX(long long)
EMU_MINMAX(unsigned long long)
#undef EMU_MINMAX
// CUDA's mixed signed/unsigned overloads compare as unsigned.
static inline unsigned int min(int a, unsigned int b) { return min((unsigned int)a, b); }
static inline unsigned int min(unsigned int a, int b) { return min(a, (unsigned int)b); }
static inline unsigned int max(int a, unsigned int b) { return max((unsigned int)a, b); }
static inline unsigned int max(unsigned int a, int b) { return max(a, (unsigned int)b); }
static inline float min(float a, float b) { return fminf(a, b); }
static inline float max(float a, float b) { return fmaxf(a, b); }
static inline double min(double a, double b) { return fmin(a, b); }
static inline double max(double a, double b) { return fmax(a, b); }
static inline double min(float a, double b) { return fmin(a, b); }
static inline double min(double a, float b) { return fmin(a, b); }
static inline double max(float a, double b) { return fmax(a, b); }
static inline double max(double a, float b) { return fmax(a, b); }

static inline unsigned int __umulhi(unsigned int a, unsigned int b) {
  return (unsigned int)(((unsigned long long)a * b) >> 32);
}
static inline int __mulhi(int a, int b) { return (int)(((long long)a * b) >> 32); }
static inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
  return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
static inline int __popc(unsigned int v) { return __builtin_popcount(v); }
static inline int __popcll(unsigned long long v) { return __builtin_popcountll(v); }
static inline int __clz(int v) { return v == 0 ? 32 : __builtin_clz((unsigned)v); }
static inline int __ffs(int v) { return __builtin_ffs(v); }
static inline unsigned int __brev(unsigned int v) {
  v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
  v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
  v = ((v >> 4) & 0x0f0f0f0fu) | ((v & 0x0f0f0f0fu) << 4);
  v = ((v >> 8) & 0x00ff00ffu) | ((v & 0x00ff00ffu) << 8);
  return (v >> 16) | (v << 16);
}

static inline long long __double_as_longlong(double d) { return ::emu::from_bits<long long>(::emu::to_bits(d)); }
static inline double __longlong_as_double(long long v) { return ::emu::from_bits<double>((uint64_t)v); }
static inline int __float_as_int(float f) { return (int)(uint32_t)::emu::to_bits(f); }
static inline unsigned int __float_as_uint(float f) { return (unsigned int)::emu::to_bits(f); }
static inline float __int_as_float(int v) { return ::emu::from_bits<float>((uint32_t)v); }
static inline float __uint_as_float(unsigned int v) { return ::emu::from_bits<float>(v); }

// The explicitly rounded intrinsics are the plain IEEE operations: the
// default x86-64 target has no FMA instructions, so g++ cannot contract a*b+c
// (cgo does not allow -ffp-contract=off; a build with -march=native or
// -mfma would need it).
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dsub_rn(double a, double b) { return a - b; }
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline double __ddiv_rn(double a, double b) { return a / b; }
static inline double __dsqrt_rn(double a) { return sqrt(a); }
static inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fdiv_rn(float a, float b) { return a / b; }
static inline float __fsqrt_rn(float a) { return sqrtf(a); }
static inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
static inline float __double2float_rn(double a) { return (float)a; }
static inline float __frcp_rn(float a) { return 1.0f / a; }
// __expf and __logf: glibc declares both (the plain expf and logf).
static inline float __saturatef(float a) { return a < 0.0f ? 0.0f : (a > 1.0f ? 1.0f : (a == a ? a : 0.0f)); }

template <class T>
static inline T __ldg(const T* p) { return *p; }

static inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
