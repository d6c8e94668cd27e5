//go:build !(goexperiment.simd && amd64)

package cpu

// Without GOEXPERIMENT=simd (or off amd64) there are no SIMD kernels. The
// pure-Go scalar kernel of sgemm.go reaches only about half of gonum's
// Sgemm (which has SSE loops) on large products, so the default is the
// hybrid: gonum for large products, the dot/axpy paths of sgemm.go for
// products with a dimension below sgemmSmall.

func sgemmBest() *sgemmImpl { return sgemmHybridImpl }

// sgemmImpls lists the implementations this build can run (for tests).
func sgemmImpls() []*sgemmImpl { return []*sgemmImpl{sgemmScalarImpl, sgemmHybridImpl} }
