package sample

import (
	"math"
	"testing"
)

// rkConditions returns, for the explicit tableau (a, b, c), the residuals of the
// order conditions sum_i b_i Phi_i(tree) - 1/gamma(tree) for every rooted tree
// of order 1..5 (Hairer et al., Solving ODEs I, II.2, Table 2.2), grouped by order.
func rkConditions(a [][]float64, b, c []float64) [6][]float64 {
	s := len(b)
	mat := func(v []float64) []float64 { // (A v)_i = sum_j a_ij v_j
		r := make([]float64, s)
		for i := range s {
			for j, aij := range a[i] {
				r[i] += aij * v[j]
			}
		}
		return r
	}
	mul := func(vs ...[]float64) []float64 {
		r := make([]float64, s)
		for i := range r {
			r[i] = 1
			for _, v := range vs {
				r[i] *= v[i]
			}
		}
		return r
	}
	dot := func(v []float64) float64 {
		var d float64
		for i := range b {
			d += b[i] * v[i]
		}
		return d
	}
	one := mul()
	c2, c3, c4 := mul(c, c), mul(c, c, c), mul(c, c, c, c)
	ac, ac2, ac3 := mat(c), mat(c2), mat(c3)
	aac := mat(ac)
	var r [6][]float64
	r[1] = []float64{dot(one) - 1}
	r[2] = []float64{dot(c) - 1.0/2}
	r[3] = []float64{dot(c2) - 1.0/3, dot(ac) - 1.0/6}
	r[4] = []float64{dot(c3) - 1.0/4, dot(mul(c, ac)) - 1.0/8, dot(ac2) - 1.0/12, dot(aac) - 1.0/24}
	r[5] = []float64{
		dot(c4) - 1.0/5, dot(mul(c2, ac)) - 1.0/10, dot(mul(c, ac2)) - 1.0/15,
		dot(mul(c, aac)) - 1.0/30, dot(mul(ac, ac)) - 1.0/20, dot(ac3) - 1.0/20,
		dot(mat(mul(c, ac))) - 1.0/40, dot(mat(ac2)) - 1.0/60, dot(mat(aac)) - 1.0/120,
	}
	return r
}

// checkOrder checks that (a, b, c) satisfies all conditions up to order p and,
// when p < 5, violates one of order p+1 (so p is the exact order).
func checkOrder(t *testing.T, name string, a [][]float64, b, c []float64, p int) {
	t.Helper()
	for i := range b {
		var sum float64
		for _, aij := range a[i] {
			sum += aij
		}
		if math.Abs(sum-c[i]) > 1e-14 {
			t.Errorf("%s: row %d of a sums to %v, c = %v", name, i, sum, c[i])
		}
	}
	r := rkConditions(a, b, c)
	for q := 1; q <= p; q++ {
		for j, res := range r[q] {
			if math.Abs(res) > 1e-14 {
				t.Errorf("%s: order-%d condition %d has residual %v", name, q, j, res)
			}
		}
	}
	if p < 5 {
		maxRes := 0.0
		for _, res := range r[p+1] {
			maxRes = math.Max(maxRes, math.Abs(res))
		}
		t.Logf("%s: largest order-%d residual %.3g", name, p+1, maxRes)
		if maxRes < 1e-8 { // well above the 1e-14 rounding of the sums
			t.Errorf("%s: satisfies every order-%d condition; order should be %d", name, p+1, p)
		}
	}
}

func TestTableauOrderConditions(t *testing.T) {
	for _, tb := range []*tableau{&eulerTableau, &midpointTableau, &heunTableau, &rk4Tableau, &dopri5Tableau} {
		checkOrder(t, tb.name, tb.a, tb.b, tb.c, tb.order)
	}
	// the embedded 4th-order solution of Dormand-Prince
	checkOrder(t, "dopri5 b*", dopri5Tableau.a, dopri5BStar, dopri5Tableau.c, 4)
}

func TestDopri5Structure(t *testing.T) {
	tb := &dopri5Tableau
	if tb.stages() != 7 || len(tb.a) != 7 || len(tb.c) != 7 || len(dopri5BStar) != 7 || len(dopri5E) != 7 {
		t.Fatalf("dopri5 tableau has the wrong number of stages")
	}
	// FSAL: stage 7 is evaluated at x1 = x + h sum b_i k_i, time t + h.
	if tb.c[6] != 1 || tb.b[6] != 0 {
		t.Errorf("dopri5: c7 = %v, b7 = %v; want 1, 0 (FSAL)", tb.c[6], tb.b[6])
	}
	for j, bj := range tb.b[:6] {
		if tb.a[6][j] != bj {
			t.Errorf("dopri5: a7%d = %v != b%d = %v (FSAL)", j+1, tb.a[6][j], j+1, bj)
		}
	}
	for i := range dopri5E {
		if d := dopri5E[i] - (tb.b[i] - dopri5BStar[i]); math.Abs(d) > 1e-16 {
			t.Errorf("dopri5: E%d = %v, b - b* = %v", i+1, dopri5E[i], tb.b[i]-dopri5BStar[i])
		}
	}
}
