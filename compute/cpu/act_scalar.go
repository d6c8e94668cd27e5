package cpu

// The scalar activation loops: the whole computation in the portable build,
// and the tails (and CPUs without AVX2/FMA) in the SIMD build. The formulas
// are documented at Backend.Gelu and Backend.SiLU in nn.go.

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

// expShiftScalar sets x[i] = e^(x[i]-c) and returns their sum (in order).
func expShiftScalar(x []float32, c float32) float32 {
	var s float32
	for i, v := range x {
		e := expf(v - c)
		x[i] = e
		s += e
	}
	return s
}

// expSubScalar sets x[i] = e^(x[i]-c[i]).
func expSubScalar(x, c []float32) {
	c = c[:len(x)]
	for i, v := range x {
		x[i] = expf(v - c[i])
	}
}
