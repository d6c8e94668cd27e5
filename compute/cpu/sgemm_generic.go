//go:build !(goexperiment.simd && amd64)

package cpu

// Without GOEXPERIMENT=simd (or off amd64) SGEMM uses the portable scalar
// kernels of sgemm.go.

func sgemmBest() *sgemmImpl { return sgemmScalarImpl }

// sgemmImpls lists the implementations this build can run (for tests).
func sgemmImpls() []*sgemmImpl { return []*sgemmImpl{sgemmScalarImpl} }
