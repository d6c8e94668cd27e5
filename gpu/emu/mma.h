//go:build cudaemu

// mma.h: the WMMA API of CUDA's <mma.h> (namespace nvcuda::wmma) for the
// emulated device (emu.go puts this directory first on the include path).
//
// Semantics. A fragment holds its whole tile in every lane (num_elements is
// rows x cols, logical row-major order): an elementwise loop over
// frag.num_elements does on each lane what the lanes do together on a GPU.
// mma_sync computes d = a b + c in fp32: each element starts from c, adds
// the products in increasing k, rounding to fp32 after each add (no FMA); the
// products are exact, the operands being TF32 (the hardware ignores the low
// 13 mantissa bits of a precision::tf32 operand: they are cleared here, so a
// kernel must round with __float_to_tf32 first) or bf16. Real tensor cores add
// in another order and with other internal rounding; only the operand
// precision and the fp32 accumulation are modelled.
//
// Checks (each failure fails the launch, naming the call's file:line): the
// pointer of a load or store is 32-byte aligned, ldm is a multiple of 16
// bytes and at least the tile's row (or column) length; the whole warp calls
// every load, store and mma (a rendezvous of its 32 lanes, like any
// collective: a missing lane, a lane at a barrier or in another collective is
// an error). A load reads the tile when its lane arrives, before the
// rendezvous; a store writes after the rendezvous and only the lane's share
// of the tile (elements lane, lane + 32, ... in row-major order): so a
// missing __syncwarp between scalar shared-memory writes and a load, or
// between a store and scalar reads of other lanes' elements, gives stale data
// in some thread order (LATENTFLOW_EMU_ORDER), as on a GPU.
//
// Supported: m16n16k8 with precision::tf32, m16n16k16, m32n8k16 and m8n32k16
// with __nv_bfloat16, float accumulators.
#pragma once

#include <stdint.h>
#include <string.h>

#include <type_traits>

#include "cuda_bf16.h"
#include "emu_cuda.h"

namespace nvcuda {
namespace wmma {

struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
namespace precision {
struct tf32 {};
}  // namespace precision

// __float_to_tf32 rounds to TF32 (10 explicit mantissa bits), to nearest with
// ties away from zero (cvt.rna.tf32.f32); Inf and NaN pass through.
static inline float __float_to_tf32(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & ~0x1fffu;
  memcpy(&x, &u, 4);
  return x;
}

namespace detail {

template <class T>
struct elem {
  using type = T;
};
template <>
struct elem<precision::tf32> {
  using type = float;
};

template <class Use, int M, int N, int K>
struct dims;
template <int M, int N, int K>
struct dims<matrix_a, M, N, K> {
  static constexpr int R = M, C = K;
};
template <int M, int N, int K>
struct dims<matrix_b, M, N, K> {
  static constexpr int R = K, C = N;
};
template <int M, int N, int K>
struct dims<accumulator, M, N, K> {
  static constexpr int R = M, C = N;
};

template <int M, int N, int K>
constexpr bool bf16_shape = (M == 16 && N == 16 && K == 16) || (M == 32 && N == 8 && K == 16) ||
                            (M == 8 && N == 32 && K == 16);

template <class Use, int M, int N, int K, class T>
constexpr bool supported() {
  if constexpr (std::is_same_v<Use, accumulator>) {
    return std::is_same_v<T, float> && ((M == 16 && N == 16 && K == 8) || bf16_shape<M, N, K>);
  } else if constexpr (std::is_same_v<T, precision::tf32>) {
    return M == 16 && N == 16 && K == 8;
  } else {
    return std::is_same_v<T, __nv_bfloat16> && bf16_shape<M, N, K>;
  }
}

// operand is an operand's value as the tensor core multiplies it.
static inline float operand(float x) {  // precision::tf32: the low 13 bits ignored
  uint32_t u;
  memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) <= 0x7f800000u) u &= ~0x1fffu;
  memcpy(&x, &u, 4);
  return x;
}
static inline float operand(__nv_bfloat16 x) { return __bfloat162float(x); }

static inline int lane_id() {
  const uint3 t = ::emu::t_fiber->tid;
  return (int)((t.x + t.y * blockDim.x + t.z * blockDim.x * blockDim.y) & 31u);
}

static inline void rendezvous(int kind, const char* file, int line) {
  ::emu::collective(kind, 0xffffffffu, 0, 0, 32, file, line);
}

template <class E>
static inline void check_ptr(const E* p, unsigned ldm, int minld, const char* what, const char* file, int line) {
  if ((uintptr_t)p % 32 != 0)
    ::emu::device_error(file, line, "wmma::%s: pointer %p is not 32-byte aligned", what, (const void*)p);
  if ((ldm * sizeof(E)) % 16 != 0)
    ::emu::device_error(file, line, "wmma::%s: ldm %u is not a multiple of 16 bytes (%zu-byte elements)", what, ldm,
                        sizeof(E));
  if ((int)ldm < minld)
    ::emu::device_error(file, line, "wmma::%s: ldm %u is below the tile's %d elements", what, ldm, minld);
}

}  // namespace detail

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
  static_assert(detail::supported<Use, M, N, K, T>(), "wmma fragment shape or type the emulated device lacks");
  static_assert(std::is_same_v<Use, accumulator> ? std::is_same_v<Layout, void>
                                                 : (std::is_same_v<Layout, row_major> ||
                                                    std::is_same_v<Layout, col_major>),
                "wmma: matrix_a and matrix_b fragments need row_major or col_major, accumulators none");
  using element_type = typename detail::elem<T>::type;
  using storage_element_type = element_type;
  static constexpr int rows = detail::dims<Use, M, N, K>::R, cols = detail::dims<Use, M, N, K>::C;
  enum { num_elements = rows * cols };
  element_type x[num_elements];  // x[r * cols + c]
};

template <class Use, int M, int N, int K, class T, class L>
static inline void fill_fragment(fragment<Use, M, N, K, T, L>& f,
                                 const typename fragment<Use, M, N, K, T, L>::element_type& v) {
  for (int i = 0; i < f.num_elements; i++) f.x[i] = v;
}

// load_matrix_sync for matrix_a and matrix_b: the layout is the fragment's.
template <class Use, int M, int N, int K, class T, class L>
  requires(!std::is_same_v<Use, accumulator>)
static inline void load_matrix_sync(fragment<Use, M, N, K, T, L>& f, const typename detail::elem<T>::type* p,
                                    unsigned ldm, EMU_SITE) {
  using F = fragment<Use, M, N, K, T, L>;
  constexpr bool row = std::is_same_v<L, row_major>;
  detail::check_ptr(p, ldm, row ? F::cols : F::rows, "load_matrix_sync", emu_file, emu_line);
  for (int r = 0; r < F::rows; r++)
    for (int c = 0; c < F::cols; c++) f.x[r * F::cols + c] = row ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r];
  detail::rendezvous(::emu::COLL_WMMA_LOAD, emu_file, emu_line);
}

template <int M, int N, int K>
static inline void load_matrix_sync(fragment<accumulator, M, N, K, float>& f, const float* p, unsigned ldm,
                                    layout_t layout, EMU_SITE) {
  using F = fragment<accumulator, M, N, K, float>;
  const bool row = layout == mem_row_major;
  detail::check_ptr(p, ldm, row ? F::cols : F::rows, "load_matrix_sync", emu_file, emu_line);
  for (int r = 0; r < F::rows; r++)
    for (int c = 0; c < F::cols; c++) f.x[r * F::cols + c] = row ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r];
  detail::rendezvous(::emu::COLL_WMMA_LOAD, emu_file, emu_line);
}

template <int M, int N, int K>
static inline void store_matrix_sync(float* p, const fragment<accumulator, M, N, K, float>& f, unsigned ldm,
                                     layout_t layout, EMU_SITE) {
  using F = fragment<accumulator, M, N, K, float>;
  const bool row = layout == mem_row_major;
  detail::check_ptr(p, ldm, row ? F::cols : F::rows, "store_matrix_sync", emu_file, emu_line);
  detail::rendezvous(::emu::COLL_WMMA_STORE, emu_file, emu_line);
  for (int e = detail::lane_id(); e < F::num_elements; e += 32) {
    int r = e / F::cols, c = e % F::cols;
    (row ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r]) = f.x[e];
  }
}

template <int M, int N, int K, class T, class LA, class LB>
static inline void mma_sync(fragment<accumulator, M, N, K, float>& d, const fragment<matrix_a, M, N, K, T, LA>& a,
                            const fragment<matrix_b, M, N, K, T, LB>& b,
                            const fragment<accumulator, M, N, K, float>& c, bool satf = false, EMU_SITE) {
  (void)satf;
  detail::rendezvous(::emu::COLL_WMMA_MMA, emu_file, emu_line);
  float av[M * K], bv[K * N], out[M * N];
  for (int i = 0; i < M * K; i++) av[i] = detail::operand(a.x[i]);
  for (int i = 0; i < K * N; i++) bv[i] = detail::operand(b.x[i]);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      float s = c.x[i * N + j];
      for (int k = 0; k < K; k++) s += av[i * K + k] * bv[k * N + j];
      out[i * N + j] = s;
    }
  memcpy(d.x, out, sizeof out);
}

}  // namespace wmma
}  // namespace nvcuda
