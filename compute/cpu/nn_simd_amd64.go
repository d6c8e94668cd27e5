//go:build goexperiment.simd && amd64

package cpu

// Column sums and row additions on vector lanes (AVX, simd/archsimd). Each
// lane does exactly what the scalar loop of nn_scalar.go does for its column
// (the same float64 sum in the same row order, the same float32 addition), so
// the results are bit for bit those of the portable build.

import "simd/archsimd"

// colSums64 adds sum_{r<N} float64(d[r*X+lo+j]) into acc[j], the rows in
// order, for j < len(acc).
func colSums64(acc []float64, d []float32, X, lo, N int) {
	w := len(acc)
	j := 0
	if actSIMD {
		for ; j+16 <= w; j += 16 {
			a0 := archsimd.LoadFloat64x4Slice(acc[j:])
			a1 := archsimd.LoadFloat64x4Slice(acc[j+4:])
			a2 := archsimd.LoadFloat64x4Slice(acc[j+8:])
			a3 := archsimd.LoadFloat64x4Slice(acc[j+12:])
			for r := 0; r < N; r++ {
				row := d[r*X+lo+j : r*X+lo+j+16]
				a0 = a0.Add(archsimd.LoadFloat32x4Slice(row).ConvertToFloat64())
				a1 = a1.Add(archsimd.LoadFloat32x4Slice(row[4:]).ConvertToFloat64())
				a2 = a2.Add(archsimd.LoadFloat32x4Slice(row[8:]).ConvertToFloat64())
				a3 = a3.Add(archsimd.LoadFloat32x4Slice(row[12:]).ConvertToFloat64())
			}
			a0.StoreSlice(acc[j:])
			a1.StoreSlice(acc[j+4:])
			a2.StoreSlice(acc[j+8:])
			a3.StoreSlice(acc[j+12:])
		}
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	colSums64Scalar(acc[j:], d, X, lo+j, N)
}

// addTo sets dst[j] += src[j] for j < len(dst).
func addTo(dst, src []float32) {
	n := len(dst)
	src = src[:n]
	j := 0
	if actSIMD {
		for ; j+8 <= n; j += 8 {
			archsimd.LoadFloat32x8Slice(dst[j:]).Add(archsimd.LoadFloat32x8Slice(src[j:])).StoreSlice(dst[j:])
		}
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	addToScalar(dst[j:], src[j:])
}
