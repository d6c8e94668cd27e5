//go:build cudaemu

// emu_reg.h: the kernel registration used by the generated zz_*.cc files.
// EMU_KERNEL(module, name, test, sync_free) deduces the kernel's parameter types from its
// function pointer type (not by parsing) and registers a trampoline that
// unpacks the 8-byte argument slots into the typed call.
#pragma once

#include <stdint.h>
#include <string.h>

#include <tuple>
#include <type_traits>
#include <utility>

#include "emu_cuda.h"

namespace emu {

using Tramp = void (*)(void (*fn)(), const uint64_t* slots);
// A Loop runs the n threads whose threadIdx are tids[0..n) one after the
// other as plain calls (a sync-free kernel's block): head is t_fiber.
using Loop = void (*)(void (*fn)(), const uint64_t* slots, FiberHead* head, const uint3* tids, int n);

// register_kernel adds a kernel to the table (runtime.cc).
int register_kernel(const char* name, const char* module, const char* params, void (*fn)(), Tramp tramp, Loop loop,
                    int test, int sync_free);

template <class T>
struct dependent_false : std::false_type {};

// kind_of is the Arg.Kind of a parameter type.
template <class T>
constexpr char kind_of() {
  if constexpr (std::is_pointer_v<T>) return 'p';
  else if constexpr (std::is_same_v<T, int>) return 'i';
  else if constexpr (std::is_same_v<T, unsigned int>) return 'u';
  else if constexpr (std::is_same_v<T, float>) return 'f';
  else if constexpr (std::is_same_v<T, double>) return 'd';
  else if constexpr (std::is_same_v<T, long long> || std::is_same_v<T, long>) return 'l';
  else if constexpr (std::is_same_v<T, unsigned long long> || std::is_same_v<T, unsigned long>) return 'U';
  else static_assert(dependent_false<T>::value, "kernel parameter type not supported by the emulator");
}

// unpack reads a parameter from its slot: 4-byte types from the low 4 bytes
// (the slot is little-endian), 8-byte types from all of it.
template <class T>
static inline T unpack(uint64_t s) {
  if constexpr (std::is_pointer_v<T>) {
    return reinterpret_cast<T>(static_cast<uintptr_t>(s));
  } else {
    static_assert(sizeof(T) == 4 || sizeof(T) == 8);
    T v;
    memcpy(&v, &s, sizeof(T));
    return v;
  }
}

template <class... A, size_t... I>
static inline void call_slots(void (*f)(A...), const uint64_t* s, std::index_sequence<I...>) {
  f(unpack<std::remove_cv_t<A>>(s[I])...);
}

template <class... A>
void tramp(void (*fn)(), const uint64_t* s) {
  call_slots(reinterpret_cast<void (*)(A...)>(fn), s, std::index_sequence_for<A...>{});
}

template <class... A, size_t... I>
static inline void loop_slots(void (*f)(A...), const uint64_t* s, FiberHead* h, const uint3* tids, int n,
                              std::index_sequence<I...>) {
  // Unpacked once; each call gets its own copies, as by-value parameters.
  const std::tuple<std::remove_cv_t<A>...> args{unpack<std::remove_cv_t<A>>(s[I])...};
  for (int i = 0; i < n; i++) {
    h->tid = tids[i];
    f(std::get<I>(args)...);
  }
}

template <class... A>
void loop(void (*fn)(), const uint64_t* s, FiberHead* h, const uint3* tids, int n) {
  loop_slots(reinterpret_cast<void (*)(A...)>(fn), s, h, tids, n, std::index_sequence_for<A...>{});
}

template <class... A>
struct Kinds {
  static constexpr char str[] = {kind_of<std::remove_cv_t<A>>()..., 0};
};

// reg registers f. Called with the kernel's name, which may also name
// __device__ overloads (philox.cu has uniform_index both ways): deduction
// against void (*)(A...) tries each member of the overload set and keeps the
// one that returns void.
template <class... A>
int reg(const char* name, const char* module, int test, int sync_free, void (*f)(A...)) {
  return register_kernel(name, module, Kinds<A...>::str, reinterpret_cast<void (*)()>(f), &tramp<A...>,
                         &loop<A...>, test, sync_free);
}

}  // namespace emu

// sync_free (1 or 0) is gen.go's classification: 1 runs the kernel's blocks
// as plain loops of calls (Loop) instead of fibers.
#define EMU_KERNEL(module, name, test, sync_free) \
  static const int emu_reg_##name __attribute__((unused)) = ::emu::reg(#name, module, test, sync_free, name);
