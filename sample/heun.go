package sample

// heunTableau is Heun's method (the explicit trapezoidal rule: an Euler
// predictor and a trapezoidal corrector), order 2, two stages:
//
//	k1 = v(t, x)
//	k2 = v(t + h, x + h k1)
//	x <- x + h/2 (k1 + k2).
var heunTableau = tableau{
	name:  "heun",
	order: 2,
	a:     [][]float64{{}, {1}},
	b:     []float64{1.0 / 2, 1.0 / 2},
	c:     []float64{0, 1},
}
