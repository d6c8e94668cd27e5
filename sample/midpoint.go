package sample

// midpointTableau is the explicit midpoint method (Runge 1895), order 2, two stages:
//
//	k1 = v(t, x)
//	k2 = v(t + h/2, x + h/2 k1)
//	x <- x + h k2.
var midpointTableau = tableau{
	name:  "midpoint",
	order: 2,
	a:     [][]float64{{}, {1.0 / 2}},
	b:     []float64{0, 1},
	c:     []float64{0, 1.0 / 2},
}
