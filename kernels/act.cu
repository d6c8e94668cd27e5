// act.cu: tanh-GELU and SiLU, forward and backward. Go wrappers: gpu/act.go,
// matching compute/cpu nn.go Gelu, GeluBackward, SiLU, SiLUBackward (the
// scalar loops in act_scalar.go). GELU is computed as x sigmoid(2u),
// u = sqrt(2/pi)(x + 0.044715 x^3), exactly as the CPU does.
#include "common.cuh"

#define GELU_2C 1.5957691216057308f  // 2 sqrt(2/pi)
#define GELU_C 0.7978845608028654f   // sqrt(2/pi)

extern "C" __global__ void gelu(float* y, const float* x, int n) {
  GRID_LOOP(i, n) {
    float v = x[i];
    y[i] = v * sigmoidf32(GELU_2C * (v + 0.044715f * v * v * v));
  }
}

// bias_gelu: x[i] += bias[i % X] (written back), y = gelu(x): add_bias and
// gelu in one pass, with their roundings.
extern "C" __global__ void bias_gelu(float* y, float* x, const float* bias, int n, int X) {
  GRID_LOOP(i, n) {
    float v = x[i] + bias[i % X];
    x[i] = v;
    y[i] = v * sigmoidf32(GELU_2C * (v + 0.044715f * v * v * v));
  }
}

// gelu_bwd: dx = dy (s + 2 x s (1-s) sqrt(2/pi) (1 + 3*0.044715 x^2)); dx may alias dy.
extern "C" __global__ void gelu_bwd(float* dx, const float* dy, const float* x, int n) {
  GRID_LOOP(i, n) {
    float v = x[i];
    float s = sigmoidf32(GELU_2C * (v + 0.044715f * v * v * v));
    dx[i] = dy[i] * (s + 2.0f * v * s * (1.0f - s) * GELU_C * (1.0f + 0.134145f * v * v));
  }
}

extern "C" __global__ void silu(float* y, const float* x, int n) {
  GRID_LOOP(i, n) {
    float v = x[i];
    y[i] = v * sigmoidf32(v);
  }
}

// bias_silu: x[i] += bias[i % X] (written back), y = silu(x): add_bias and
// silu in one pass, with their roundings.
extern "C" __global__ void bias_silu(float* y, float* x, const float* bias, int n, int X) {
  GRID_LOOP(i, n) {
    float v = x[i] + bias[i % X];
    x[i] = v;
    y[i] = v * sigmoidf32(v);
  }
}

// silu_bwd: dx = dy s (1 + x (1-s)), s = sigmoid(x); dx may alias dy.
extern "C" __global__ void silu_bwd(float* dx, const float* dy, const float* x, int n) {
  GRID_LOOP(i, n) {
    float v = x[i];
    float s = sigmoidf32(v);
    dx[i] = dy[i] * (s * (1.0f + v * (1.0f - s)));
  }
}
