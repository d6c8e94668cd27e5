//go:build !(goexperiment.simd && amd64)

package cpu

// Without GOEXPERIMENT=simd (or off amd64) these run the loops of nn_scalar.go.

func colSums64(acc []float64, d []float32, X, lo, N int) { colSums64Scalar(acc, d, X, lo, N) }
func addTo(dst, src []float32)                           { addToScalar(dst, src) }
func sumF64(x []float32) float64                         { return sumF64Scalar(x) }
func sumSqDevF64(x []float32, mu float64) float64        { return sumSqDevF64Scalar(x, mu) }
func modRow(y, x, shift, scale []float32, mu, rstd float32) {
	modRowScalar(y, x, shift, scale, mu, rstd)
}
func gatedAdd(x, g, y []float32)                     { gatedAddScalar(x, g, y) }
func gatedBack(dg, dy, g, dx, y []float32)           { gatedBackScalar(dg, dy, g, dx, y) }
func adamWSlice(p, g, m, v []float32, c adamWConsts) { adamWScalar(p, g, m, v, c) }
func lnBackRow(dsh, dsc, g, dy, x, sc []float32, mu, rstd float32) (float64, float64) {
	return lnBackRowScalar(dsh, dsc, g, dy, x, sc, mu, rstd)
}
func lnBackDx(dx, g, x []float32, mu, rstd, mg, mgx float32) {
	lnBackDxScalar(dx, g, x, mu, rstd, mg, mgx)
}
