package cpu

import (
	"math"
	"math/rand"
	"testing"
)

// TestColSumsAndAddExact checks the vector column sums and row additions
// against their scalar specs bit for bit, over widths with and without a
// vector tail and over column offsets.
func TestColSumsAndAddExact(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	for _, c := range []struct{ X, lo, w, N int }{
		{128, 0, 64, 300}, {128, 64, 64, 7}, {4, 0, 4, 1000}, {50, 3, 37, 129}, {16, 0, 16, 1}, {33, 1, 17, 5},
	} {
		d := make([]float32, c.X*c.N)
		for i := range d {
			d[i] = float32(rng.NormFloat64() * math.Exp(4*rng.Float64()))
		}
		got, want := make([]float64, c.w), make([]float64, c.w)
		for j := range got {
			got[j] = rng.NormFloat64()
			want[j] = got[j]
		}
		colSums64(got, d, c.X, c.lo, c.N)
		colSums64Scalar(want, d, c.X, c.lo, c.N)
		for j := range got {
			if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
				t.Fatalf("colSums64 %+v: column %d = %v, scalar loop %v", c, j, got[j], want[j])
			}
		}
		a, b := d[:c.w], make([]float32, c.w)
		for j := range b {
			b[j] = float32(rng.NormFloat64())
		}
		x, y := append([]float32(nil), b...), append([]float32(nil), b...)
		addTo(x, a)
		addToScalar(y, a)
		for j := range x {
			if math.Float32bits(x[j]) != math.Float32bits(y[j]) || x[j] != b[j]+a[j] {
				t.Fatalf("addTo %+v: element %d = %v, scalar loop %v", c, j, x[j], y[j])
			}
		}
	}
}

// TestRowOpsMatchScalar checks the vector row operations of nn_simd_amd64.go
// against their scalar specs: bit for bit for the elementwise ones, to 1e-13
// relative for the float64 sums (their lanes add in another order).
func TestRowOpsMatchScalar(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	vec := func(n int, s float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(s * rng.NormFloat64())
		}
		return v
	}
	same := func(what string, n int, a, b []float32) {
		t.Helper()
		for j := range a {
			if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
				t.Fatalf("%s (n=%d): element %d = %v, scalar loop %v", what, n, j, a[j], b[j])
			}
		}
	}
	for _, n := range []int{1, 7, 8, 16, 37, 128, 200} {
		x, sh, sc := vec(n, 3), vec(n, 1), vec(n, 0.5)
		for j := range x {
			x[j] += 5 // a mean far from zero
		}
		mu := sumF64(x) / float64(n)
		if w := sumF64Scalar(x) / float64(n); math.Abs(mu-w) > 1e-13*math.Abs(w) {
			t.Fatalf("sumF64 (n=%d) = %v, scalar %v", n, mu*float64(n), w*float64(n))
		}
		v2, w2 := sumSqDevF64(x, mu), sumSqDevF64Scalar(x, mu)
		if math.Abs(v2-w2) > 1e-13*w2 {
			t.Fatalf("sumSqDevF64 (n=%d) = %v, scalar %v", n, v2, w2)
		}
		y1, y2 := make([]float32, n), make([]float32, n)
		modRow(y1, x, sh, sc, float32(mu), 0.7)
		modRowScalar(y2, x, sh, sc, float32(mu), 0.7)
		same("modRow", n, y1, y2)

		a1, a2 := append([]float32(nil), x...), append([]float32(nil), x...)
		gatedAdd(a1, sh, sc)
		gatedAddScalar(a2, sh, sc)
		same("gatedAdd", n, a1, a2)

		dg1, dg2 := append([]float32(nil), sh...), append([]float32(nil), sh...)
		dy1, dy2 := make([]float32, n), make([]float32, n)
		gatedBack(dg1, dy1, sc, x, y1)
		gatedBackScalar(dg2, dy2, sc, x, y1)
		same("gatedBack dg", n, dg1, dg2)
		same("gatedBack dy", n, dy1, dy2)

		dsh1, dsc1 := vec(n, 1), vec(n, 1)
		dsh2, dsc2 := append([]float32(nil), dsh1...), append([]float32(nil), dsc1...)
		g1, g2 := make([]float32, n), make([]float32, n)
		dyv := vec(n, 1)
		sgA, sgxA := lnBackRow(dsh1, dsc1, g1, dyv, x, sc, float32(mu), 0.7)
		sgB, sgxB := lnBackRowScalar(dsh2, dsc2, g2, dyv, x, sc, float32(mu), 0.7)
		same("lnBackRow dshift", n, dsh1, dsh2)
		same("lnBackRow dscale", n, dsc1, dsc2)
		same("lnBackRow g", n, g1, g2)
		mag := 0.0
		for j := range g1 {
			mag += math.Abs(float64(g1[j])) * (1 + math.Abs(float64(x[j])))
		}
		if math.Abs(sgA-sgB) > 1e-13*mag || math.Abs(sgxA-sgxB) > 1e-13*mag*10 {
			t.Fatalf("lnBackRow sums (n=%d): %v, %v; scalar %v, %v", n, sgA, sgxA, sgB, sgxB)
		}
		dx1 := vec(n, 1)
		dx2 := append([]float32(nil), dx1...)
		lnBackDx(dx1, g1, x, float32(mu), 0.7, 0.3, -0.2)
		lnBackDxScalar(dx2, g1, x, float32(mu), 0.7, 0.3, -0.2)
		same("lnBackDx", n, dx1, dx2)

		c := adamWConsts{b1: 0.9, b2: 0.999, lr: 3e-4, wd: 0.01, eps: 1e-8, gscale: 0.5, bc1: 0.19, bc2: 0.002}
		p1, p2 := vec(n, 1), []float32(nil)
		p2 = append(p2, p1...)
		m1, v1 := vec(n, 0.1), vec(n, 0.01)
		for j := range v1 {
			v1[j] *= v1[j]
		}
		m2, v2s := append([]float32(nil), m1...), append([]float32(nil), v1...)
		g := vec(n, 1)
		adamWSlice(p1, g, m1, v1, c)
		adamWScalar(p2, g, m2, v2s, c)
		same("adamW p", n, p1, p2)
		same("adamW m", n, m1, m2)
		same("adamW v", n, v1, v2s)
	}
}
