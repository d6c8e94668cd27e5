//go:build cuda || cudaemu

// Package philoxcheck compiles kernels/philox.cuh for the host, with the CUDA
// intrinsics it uses replaced by their plain C meanings (__dadd_rn(a, b) is
// a + b rounded, ...) and no fused multiply-add (the default x86-64 target has
// no FMA instructions, so gcc cannot contract; cgo refuses -ffp-contract), so its test can
// check the CUDA twin of package philox bit for bit on a machine without a
// GPU: the same source text the kernels compile, run by the CPU. (The GPU
// test in package gpu checks the kernels themselves.) It is built only with
// the cuda tag because it needs a C compiler.
package philoxcheck

/*
#cgo CFLAGS: -O2
#cgo LDFLAGS: -lm
#include <math.h>
#include <string.h>

typedef struct { unsigned int x, y, z, w; } uint4;
typedef struct { float x, y; } float2;
typedef struct { float x, y, z, w; } float4;
static inline uint4 make_uint4(unsigned a, unsigned b, unsigned c, unsigned d) { uint4 r = {a, b, c, d}; return r; }
static inline float2 make_float2(float a, float b) { float2 r = {a, b}; return r; }
static inline float4 make_float4(float a, float b, float c, float d) { float4 r = {a, b, c, d}; return r; }
static inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
static inline double __longlong_as_double(long long v) { double d; memcpy(&d, &v, 8); return d; }
static inline long long __double_as_longlong(double d) { long long v; memcpy(&v, &d, 8); return v; }
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dsub_rn(double a, double b) { return a - b; }
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline double __ddiv_rn(double a, double b) { return a / b; }
static inline double __dsqrt_rn(double a) { return sqrt(a); }
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __double2float_rn(double a) { return (float)a; }
#define __device__
#define __forceinline__ static inline
#include "../philox.cuh"

static void host_fill_uniform(float* x, int n, unsigned long long seed, unsigned long long step, unsigned stream) {
	for (int blk = 0; 4 * blk < n; blk++) {
		uint4 w = philox_block((unsigned)blk, seed, step, stream);
		unsigned ws[4] = {w.x, w.y, w.z, w.w};
		for (int l = 0; l < 4 && 4 * blk + l < n; l++) x[4 * blk + l] = philox_uniform(ws[l]);
	}
}

static void host_fill_normal(float* x, int n, unsigned long long seed, unsigned long long step, unsigned stream) {
	for (int blk = 0; 4 * blk < n; blk++) {
		float4 z = philox_normals((unsigned)blk, seed, step, stream);
		float zs[4] = {z.x, z.y, z.z, z.w};
		for (int l = 0; l < 4 && 4 * blk + l < n; l++) x[4 * blk + l] = zs[l];
	}
}

static double host_log(double x) { return philox_log(x); }
static void host_sincos(double u, double* s, double* c) { philox_sincos2pi(u, s, c); }
*/
import "C"

import "unsafe"

// FillUniform runs the host build of the CUDA uniform fill.
func FillUniform(x []float32, seed, step uint64, stream uint32) {
	if len(x) == 0 {
		return
	}
	C.host_fill_uniform((*C.float)(unsafe.Pointer(&x[0])), C.int(len(x)), C.ulonglong(seed), C.ulonglong(step), C.uint(stream))
}

// FillNormal runs the host build of the CUDA normal fill.
func FillNormal(x []float32, seed, step uint64, stream uint32) {
	if len(x) == 0 {
		return
	}
	C.host_fill_normal((*C.float)(unsafe.Pointer(&x[0])), C.int(len(x)), C.ulonglong(seed), C.ulonglong(step), C.uint(stream))
}

// Log runs the host build of philox_log.
func Log(x float64) float64 { return float64(C.host_log(C.double(x))) }

// SinCos2Pi runs the host build of philox_sincos2pi.
func SinCos2Pi(u float64) (float64, float64) {
	var s, c C.double
	C.host_sincos(C.double(u), &s, &c)
	return float64(s), float64(c)
}
