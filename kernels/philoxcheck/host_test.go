//go:build cuda || cudaemu

package philoxcheck

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latentflow/latentflow/philox"
)

// The CUDA source of the Philox fills, compiled for the host, equals package
// philox bit for bit.
func TestHostBuildOfPhiloxCuhMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		k := philox.Key{Seed: r.Uint64(), Step: r.Uint64() >> uint(r.IntN(64)), Stream: r.Uint32() >> uint(r.IntN(32))}
		n := 1 + r.IntN(4099)
		want, got := make([]float32, n), make([]float32, n)
		k.FillUniform(want, 0)
		FillUniform(got, k.Seed, k.Step, k.Stream)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("uniform %v element %d: %v, want %v", k, i, got[i], want[i])
			}
		}
		k.FillNormal(want, 0)
		FillNormal(got, k.Seed, k.Step, k.Stream)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("normal %v element %d: %v, want %v", k, i, got[i], want[i])
			}
		}
	}
	for i := 0; i < 100000; i++ {
		u := float64(philox.Uniform(r.Uint32()))
		if g, w := Log(u), philox.Log(u); math.Float64bits(g) != math.Float64bits(w) {
			t.Fatalf("Log(%v) = %v, want %v", u, g, w)
		}
		gs, gc := SinCos2Pi(u)
		ws, wc := philox.SinCos2Pi(u)
		if math.Float64bits(gs) != math.Float64bits(ws) || math.Float64bits(gc) != math.Float64bits(wc) {
			t.Fatalf("SinCos2Pi(%v) = %v, %v; want %v, %v", u, gs, gc, ws, wc)
		}
	}
}
