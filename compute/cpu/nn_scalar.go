package cpu

// colSums64Scalar adds sum_{r<N} float64(d[r*X+lo+j]) into acc[j], the rows
// in order, for j < len(acc): the spec of colSums64.
func colSums64Scalar(acc []float64, d []float32, X, lo, N int) {
	w := len(acc)
	if w == 0 {
		return
	}
	for r := 0; r < N; r++ {
		row := d[r*X+lo : r*X+lo+w]
		for j, v := range row {
			acc[j] += float64(v)
		}
	}
}

// addToScalar sets dst[j] += src[j] for j < len(dst): the spec of addTo.
func addToScalar(dst, src []float32) {
	src = src[:len(dst)]
	for j, v := range src {
		dst[j] += v
	}
}
