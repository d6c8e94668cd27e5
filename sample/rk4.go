package sample

// rk4Tableau is the classical Runge-Kutta method (Kutta 1901), order 4, four stages:
//
//	k1 = v(t, x)
//	k2 = v(t + h/2, x + h/2 k1)
//	k3 = v(t + h/2, x + h/2 k2)
//	k4 = v(t + h, x + h k3)
//	x <- x + h/6 (k1 + 2 k2 + 2 k3 + k4).
var rk4Tableau = tableau{
	name:  "rk4",
	order: 4,
	a:     [][]float64{{}, {1.0 / 2}, {0, 1.0 / 2}, {0, 0, 1}},
	b:     []float64{1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6},
	c:     []float64{0, 1.0 / 2, 1.0 / 2, 1},
}
