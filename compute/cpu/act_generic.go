//go:build !(goexperiment.simd && amd64)

package cpu

// Without GOEXPERIMENT=simd (or off amd64) the activations run the scalar
// loops of act_scalar.go.

func geluSlice(ys, xs []float32)               { geluScalar(ys, xs) }
func geluBackwardSlice(dxs, dys, xs []float32) { geluBackwardScalar(dxs, dys, xs) }
func siluSlice(ys, xs []float32)               { siluScalar(ys, xs) }
func siluBackwardSlice(dxs, dys, xs []float32) { siluBackwardScalar(dxs, dys, xs) }

// expShiftSlice sets x[i] = e^(x[i]-c) and returns their sum.
func expShiftSlice(x []float32, c float32) float32 { return expShiftScalar(x, c) }

// expSubSlice sets x[i] = e^(x[i]-c[i]).
func expSubSlice(x, c []float32) { expSubScalar(x, c) }
