//go:build cudaemu

// cuda_bf16.h: the part of CUDA's <cuda_bf16.h> the kernels use, for the
// emulated device (emu.go puts this directory first on the include path).
// __nv_bfloat16 is the 16-bit brain float: the top half of an IEEE float.
#pragma once

#include <stdint.h>
#include <string.h>

struct __nv_bfloat16 {
  uint16_t __x;
};

// __float2bfloat16 rounds to nearest even (as cvt.rn.bf16.f32); NaN stays NaN.
static inline __nv_bfloat16 __float2bfloat16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    u |= 0x00400000u;
  } else {
    u += 0x7fffu + ((u >> 16) & 1u);
  }
  return __nv_bfloat16{(uint16_t)(u >> 16)};
}
static inline __nv_bfloat16 __float2bfloat16_rn(float f) { return __float2bfloat16(f); }

static inline float __bfloat162float(__nv_bfloat16 h) {
  uint32_t u = (uint32_t)h.__x << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}
