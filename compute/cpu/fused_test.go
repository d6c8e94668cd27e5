package cpu

import (
	"math"
	"math/rand"
	"testing"
)

// TestFusedOpsMatchComposition checks that the one-pass CPU versions of the
// fused ops give the bits of their specs, the ops they fuse run in turn.
func TestFusedOpsMatchComposition(t *testing.T) {
	rng := rand.New(rand.NewSource(14))
	be := New(3)
	fill := func(n int) *Buf {
		b := &Buf{D: make([]float32, n)}
		for i := range b.D {
			b.D[i] = float32(rng.NormFloat64())
		}
		return b
	}
	clone := func(b *Buf) *Buf { return &Buf{D: append([]float32(nil), b.D...)} }
	same := func(what string, a, b *Buf) {
		t.Helper()
		for i := range a.D {
			if math.Float32bits(a.D[i]) != math.Float32bits(b.D[i]) {
				t.Fatalf("%s: element %d = %v, composition %v", what, i, a.D[i], b.D[i])
			}
		}
	}
	for _, c := range []struct{ B, T, D int }{{3, 7, 96}, {2, 16, 128}, {5, 3, 20}, {1, 1, 8}} {
		B, T, D := c.B, c.T, c.D
		N, ld := B*T, 3*D
		for _, W := range []int{4 * D, D + 3} {
			x, bias := fill(N*W), fill(W)
			x2, y1, y2 := clone(x), fill(N*W), fill(N*W)
			be.BiasGelu(y1, x, bias)
			be.AddBias(x2, bias)
			be.Gelu(y2, x2)
			same("BiasGelu x", x, x2)
			same("BiasGelu y", y1, y2)
		}

		x, y, bias, gate := fill(N*D), fill(N*D), fill(D), fill(B*ld)
		out1, out2, y2 := fill(N*D), fill(N*D), clone(y)
		be.BiasGatedResidual(out1, x, y, bias, gate, ld, B, T, D)
		be.AddBias(y2, bias)
		be.Copy(out2, x)
		be.GatedResidual(out2, gate, y2, ld, B, T, D)
		same("BiasGatedResidual y", y, y2)
		same("BiasGatedResidual out", out1, out2)

		res := fill(N * D)
		res2 := clone(res)
		shift, scale := fill(B*ld), fill(B*ld)
		o1, o2 := fill(N*D), fill(N*D)
		ln1, ln2 := fill(N*D), fill(N*D)
		m1, m2, r1, r2 := fill(N), fill(N), fill(N), fill(N)
		be.ResidualLayerNormMod(o1, x, res, bias, gate, ld, ln1, m1, r1, shift, scale, ld, B, T, D, 1e-6)
		be.BiasGatedResidual(o2, x, res2, bias, gate, ld, B, T, D)
		be.LayerNormMod(ln2, m2, r2, o2, shift, scale, ld, B, T, D, 1e-6)
		same("ResidualLayerNormMod out", o1, o2)
		same("ResidualLayerNormMod y", ln1, ln2)
		same("ResidualLayerNormMod mean", m1, m2)
		same("ResidualLayerNormMod rstd", r1, r2)

		dy, gy := fill(N*D), fill(N*D)
		dx1 := fill(N * D)
		dx2 := clone(dx1)
		dsh1, dsc1, gdy1, gdg1 := fill(B*ld), fill(B*ld), fill(N*D), fill(B*ld)
		dsh2, dsc2, gdy2, gdg2 := clone(dsh1), clone(dsc1), clone(gdy1), clone(gdg1)
		be.LayerNormModBackwardGated(dx1, dsh1, dsc1, dy, o1, m1, r1, scale, ld, gdy1, gdg1, gate, gy, ld, B, T, D)
		be.LayerNormModBackward(dx2, dsh2, dsc2, dy, o1, m1, r1, scale, ld, B, T, D)
		be.GatedResidualBackward(gdy2, gdg2, dx2, gate, gy, ld, B, T, D)
		same("LayerNormModBackwardGated dx", dx1, dx2)
		same("LayerNormModBackwardGated dshift", dsh1, dsh2)
		same("LayerNormModBackwardGated dscale", dsc1, dsc2)
		same("LayerNormModBackwardGated gdy", gdy1, gdy2)
		same("LayerNormModBackwardGated gdgate", gdg1, gdg2)
	}
}
