//go:build !(goexperiment.simd && amd64)

package cpu

// Without GOEXPERIMENT=simd (or off amd64) these run the loops of nn_scalar.go.

func colSums64(acc []float64, d []float32, X, lo, N int) { colSums64Scalar(acc, d, X, lo, N) }
func addTo(dst, src []float32)                           { addToScalar(dst, src) }
