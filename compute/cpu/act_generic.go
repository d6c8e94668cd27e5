//go:build !(goexperiment.simd && amd64)

package cpu

// Without GOEXPERIMENT=simd (or off amd64) the activations run the scalar
// loops below (the SIMD build has its own copies, for tails and for CPUs
// without AVX2/FMA). The formulas are documented at Backend.Gelu and
// Backend.SiLU in nn.go.

func geluSlice(ys, xs []float32)               { geluScalar(ys, xs) }
func geluBackwardSlice(dxs, dys, xs []float32) { geluBackwardScalar(dxs, dys, xs) }
func siluSlice(ys, xs []float32)               { siluScalar(ys, xs) }
func siluBackwardSlice(dxs, dys, xs []float32) { siluBackwardScalar(dxs, dys, xs) }

func geluScalar(ys, xs []float32) {
	ys = ys[:len(xs)]
	for i, v := range xs {
		ys[i] = v * sigmoidf(2*geluC*(v+0.044715*v*v*v))
	}
}

func geluBackwardScalar(dxs, dys, xs []float32) {
	dxs, dys = dxs[:len(xs)], dys[:len(xs)]
	for i, v := range xs {
		s := sigmoidf(2 * geluC * (v + 0.044715*v*v*v))
		dxs[i] = dys[i] * (s + 2*v*s*(1-s)*geluC*(1+3*0.044715*v*v))
	}
}

func siluScalar(ys, xs []float32) {
	ys = ys[:len(xs)]
	for i, v := range xs {
		ys[i] = v * sigmoidf(v)
	}
}

func siluBackwardScalar(dxs, dys, xs []float32) {
	dxs, dys = dxs[:len(xs)], dys[:len(xs)]
	for i, v := range xs {
		s := sigmoidf(v)
		dxs[i] = dys[i] * (s * (1 + v*(1-s)))
	}
}
