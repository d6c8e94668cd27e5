package sample

// eulerTableau is the explicit Euler method, order 1, one stage:
//
//	x <- x + h v(t, x).
var eulerTableau = tableau{
	name:  "euler",
	order: 1,
	a:     [][]float64{{}},
	b:     []float64{1},
	c:     []float64{0},
}
