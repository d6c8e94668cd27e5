//go:build goexperiment.simd && amd64

package cpu

import (
	"math"
	"math/rand"
	"simd/archsimd"
	"testing"
)

// BenchmarkAVXUpperState measures what doc.go's rule about the AVX upper
// state is for: 8-lane exponentials, each followed by one scalar float
// operation (legacy SSE), with and without VZEROUPPER in between.
func BenchmarkAVXUpperState(b *testing.B) {
	if !actSIMD {
		b.Skip("no AVX2")
	}
	for _, clear := range []bool{false, true} {
		name := "dirty"
		if clear {
			name = "cleared"
		}
		b.Run(name, func(b *testing.B) {
			x := make([]float32, 1<<12)
			for i := range x {
				x[i] = float32(i%37) * 0.01
			}
			var s float32
			for b.Loop() {
				for i := 0; i+8 <= len(x); i += 8 {
					expf8(archsimd.LoadFloat32x8Slice(x[i:])).StoreSlice(x[i:])
					if clear {
						archsimd.ClearAVXUpperBits()
					}
					s += x[i] * 0.5
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(x)), "ns/elem")
			if s == 0 {
				b.Fatal("no work")
			}
		})
	}
}

// BenchmarkSoftmaxRow times the forward attention's row softmax on rows of
// 7 and 16 (the digits default's and cpu-s's tokens).
func BenchmarkSoftmaxRow(b *testing.B) {
	for _, T := range []int{7, 16} {
		b.Run(map[int]string{7: "T7", 16: "T16"}[T], func(b *testing.B) {
			x := make([]float32, T*1024)
			for i := range x {
				x[i] = float32(i%37) * 0.1
			}
			for b.Loop() {
				for r := 0; r < 1024; r++ {
					softmaxRow(x[r*T : (r+1)*T])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1024, "ns/row")
		})
	}
}

// TestGelu16Matches8 checks that the 16-lane GELU loops give the 8-lane
// loops' bits, so that results do not depend on where a parallel loop splits.
func TestGelu16Matches8(t *testing.T) {
	if !actSIMD512 {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewSource(3))
	n := 1<<12 + 13
	xs, dys := actInputs(rng, n), actInputs(rng, n)
	y16, y8, d16, d8 := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	geluSlice(y16, xs)
	geluBackwardSlice(d16, dys, xs)
	actSIMD512 = false
	defer func() { actSIMD512 = true }()
	geluSlice(y8, xs)
	geluBackwardSlice(d8, dys, xs)
	for i := range xs {
		if math.Float32bits(y16[i]) != math.Float32bits(y8[i]) || math.Float32bits(d16[i]) != math.Float32bits(d8[i]) {
			t.Fatalf("x=%g: gelu %v (16 lanes) vs %v (8), backward %v vs %v", xs[i], y16[i], y8[i], d16[i], d8[i])
		}
	}
}
