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

// TestExpfVectorRange checks expf8 and expf16 against expf at and beyond the
// ends of its range: exactly 0 below -87 (as expf, so that the attention's
// vector and scalar exponentials agree there), NaN kept, finite at the top.
func TestExpfVectorRange(t *testing.T) {
	xs := [16]float32{-1000, -88, -87.5, -87.0001, -87, -86.9, -10, 0, 1, 10, 87.9, 88, 100, float32(math.NaN()), -3.3, 50}
	var y8 [8]float32
	var y16 [16]float32
	expf16(archsimd.LoadFloat32x16(&xs)).Store(&y16)
	for h := 0; h < 2; h++ {
		expf8(archsimd.LoadFloat32x8((*[8]float32)(xs[8*h:]))).Store(&y8)
		for i, x := range xs[8*h : 8*h+8] {
			want, got := expf(x), y8[i]
			switch {
			case math.IsNaN(float64(x)):
				if !math.IsNaN(float64(got)) || !math.IsNaN(float64(y16[8*h+i])) {
					t.Errorf("expf8/16(NaN) = %v, %v, want NaN", got, y16[8*h+i])
				}
			case x < -87:
				if got != 0 || y16[8*h+i] != 0 {
					t.Errorf("expf8/16(%v) = %v, %v, want 0", x, got, y16[8*h+i])
				}
			case x <= 88:
				if d := math.Abs(float64(got-want)) / float64(want); d > 1e-6 || got != y16[8*h+i] {
					t.Errorf("expf8(%v) = %v, expf16 %v, expf %v", x, got, y16[8*h+i], want)
				}
			default:
				if math.IsInf(float64(got), 0) || got != y16[8*h+i] {
					t.Errorf("expf8/16(%v) = %v, %v, want the finite value at 88", x, got, y16[8*h+i])
				}
			}
		}
	}
}
