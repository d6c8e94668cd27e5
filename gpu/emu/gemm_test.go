//go:build cudaemu

package emu

import (
	"fmt"
	"math"
	"testing"
)

func tf32Round(x float32) float32 {
	u := math.Float32bits(x)
	if u&0x7f800000 != 0x7f800000 {
		u = (u + 0x1000) &^ 0x1fff
	}
	return math.Float32frombits(u)
}

func bf16Round(x float32) float32 {
	u := math.Float32bits(x)
	if u&0x7fffffff > 0x7f800000 {
		return math.Float32frombits((u | 0x00400000) &^ 0xffff)
	}
	u += 0x7fff + (u>>16)&1
	return math.Float32frombits(u &^ 0xffff)
}

// refGemm is the column-major contract as a triple loop, products summed in
// increasing l in float32 (float32(a*b) keeps Go from fusing).
func refGemm(ta, tb bool, m, n, k int, alpha float32, a []float32, lda, sa int, b []float32, ldb, sb int,
	beta float32, c []float32, ldc, sc, batch, mode int) {
	rnd := func(x float32) float32 {
		switch mode {
		case 1:
			return tf32Round(x)
		case 2:
			return bf16Round(x)
		}
		return x
	}
	for bi := 0; bi < batch; bi++ {
		for j := 0; j < n; j++ {
			for i := 0; i < m; i++ {
				var s float32
				for l := 0; l < k; l++ {
					var av, bv float32
					if ta {
						av = a[bi*sa+l+i*lda]
					} else {
						av = a[bi*sa+i+l*lda]
					}
					if tb {
						bv = b[bi*sb+j+l*ldb]
					} else {
						bv = b[bi*sb+l+j*ldb]
					}
					s += float32(rnd(av) * rnd(bv))
				}
				p := &c[bi*sc+i+j*ldc]
				if beta == 0 {
					*p = float32(alpha * s)
				} else {
					*p = float32(alpha*s) + float32(beta**p)
				}
			}
		}
	}
}

func TestGemm(t *testing.T) {
	const m, n, k, batch = 19, 23, 37, 3
	for _, mode := range []int{0, 1, 2} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, beta := range []float32{0, 0.75} {
					t.Run(fmt.Sprintf("mode%d/ta=%v/tb=%v/beta=%g", mode, ta, tb, beta), func(t *testing.T) {
						ra, ca := m, k
						if ta {
							ra, ca = k, m
						}
						rb, cb := k, n
						if tb {
							rb, cb = n, k
						}
						lda, ldb, ldc := ra+3, rb+1, m+2
						sa, sb, sc := lda*ca+5, ldb*cb, ldc*n+7
						a := make([]float32, sa*batch)
						b := make([]float32, sb*batch)
						c := make([]float32, sc*batch)
						for i := range a {
							a[i] = float32(math.Sin(float64(i)*1.3)) * 1.0001
						}
						for i := range b {
							b[i] = float32(math.Cos(float64(i) * 0.7))
						}
						for i := range c {
							c[i] = float32(i % 7)
							if beta == 0 {
								c[i] = float32(math.NaN())
							}
						}
						pa, pb, pc := alloc(t, len(a)), alloc(t, len(b)), alloc(t, len(c))
						upload(t, pa, a)
						upload(t, pb, b)
						upload(t, pc, c)
						if s := Gemm(ta, tb, m, n, k, 1.25, pa, lda, int64(sa), pb, ldb, int64(sb), beta, pc, ldc, int64(sc), batch, mode); s != 0 {
							t.Fatalf("status %d", s)
						}
						want := append([]float32(nil), c...)
						refGemm(ta, tb, m, n, k, 1.25, a, lda, sa, b, ldb, sb, beta, want, ldc, sc, batch, mode)
						got := download[float32](t, pc, len(c))
						for i := range want {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("c[%d] = %g, want %g", i, got[i], want[i])
							}
						}
					})
				}
			}
		}
	}
}

// The input rounding of the TF32 and bf16 modes is visible exactly.
func TestGemmRounding(t *testing.T) {
	pa, pb, pc := alloc(t, 1), alloc(t, 1), alloc(t, 1)
	one := []float32{1}
	upload(t, pb, one)
	for _, c := range []struct {
		mode    int
		in, out float32
	}{
		{0, 1 + 1.0/(1<<11), 1 + 1.0/(1<<11)},
		{1, 1 + 1.0/(1<<11), 1 + 1.0/(1<<10)}, // a tie, away from zero
		{1, -(1 + 1.0/(1<<11)), -(1 + 1.0/(1<<10))},
		{1, 1 + 1.0/(1<<12), 1},
		{2, 1 + 1.0/(1<<8), 1},                            // a tie, to even (down)
		{2, 1 + 3.0/(1<<8), 1 + 1.0/(1<<6)},               // a tie, to even (up)
		{2, 1 + 1.0/(1<<8) + 1.0/(1<<20), 1 + 1.0/(1<<7)}, // above the tie
	} {
		upload(t, pa, []float32{c.in})
		if s := Gemm(false, false, 1, 1, 1, 1, pa, 1, 0, pb, 1, 0, 0, pc, 1, 0, 1, c.mode); s != 0 {
			t.Fatalf("status %d", s)
		}
		if g := download[float32](t, pc, 1)[0]; g != c.out {
			t.Errorf("mode %d: %.10g x 1 = %.10g, want %.10g", c.mode, c.in, g, c.out)
		}
	}
}

func TestGemmValidation(t *testing.T) {
	p := alloc(t, 64)
	for _, c := range []struct {
		ta, tb                        bool
		m, n, k, lda, ldb, ldc, batch int
		mode                          int
		want                          int
	}{
		{false, false, 4, 4, 4, 4, 4, 4, 1, 0, 0},
		{false, false, -1, 4, 4, 4, 4, 4, 1, 0, 7},
		{false, false, 4, 4, 4, 3, 4, 4, 1, 0, 7},  // lda < m
		{true, false, 4, 4, 2, 2, 4, 4, 1, 0, 0},   // op T: lda >= k
		{true, false, 4, 4, 3, 2, 3, 4, 1, 0, 7},   // lda < k
		{false, true, 4, 3, 4, 4, 2, 4, 1, 0, 7},   // ldb < n
		{false, false, 4, 4, 4, 4, 4, 3, 1, 0, 7},  // ldc < m
		{false, false, 4, 4, 4, 4, 4, 4, -1, 0, 7}, // batch < 0
		{false, false, 4, 4, 4, 4, 4, 4, 1, 3, 7},  // mode
		{false, false, 0, 4, 4, 1, 4, 1, 1, 0, 0},  // m = 0: nothing to do
		{false, false, 9, 9, 9, 9, 9, 9, 1, 0, 13}, // beyond the allocation
	} {
		if s := Gemm(c.ta, c.tb, c.m, c.n, c.k, 1, p, c.lda, 0, p, c.ldb, 0, 0, p, c.ldc, 0, c.batch, c.mode); s != c.want {
			t.Errorf("%+v: status %d, want %d", c, s, c.want)
		}
	}
	// k = 0: C = beta C; beta = 0 writes zeros over NaN.
	c := alloc(t, 4)
	upload(t, c, []float32{1, 2, float32(math.NaN()), 4})
	if s := Gemm(false, false, 2, 2, 0, 1, 0, 2, 0, 0, 1, 0, 0.5, c, 2, 0, 1, 0); s != 0 {
		t.Fatalf("status %d", s)
	}
	if g := download[float32](t, c, 4); g[0] != 0.5 || g[3] != 2 {
		t.Errorf("k = 0, beta 0.5: %v", g)
	}
	if s := Gemm(false, false, 2, 2, 0, 1, 0, 2, 0, 0, 1, 0, 0, c, 2, 0, 1, 0); s != 0 {
		t.Fatalf("status %d", s)
	}
	if g := download[float32](t, c, 4); g[2] != 0 {
		t.Errorf("k = 0, beta 0: %v", g)
	}
}
