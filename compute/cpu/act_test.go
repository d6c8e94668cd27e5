package cpu

import (
	"math"
	"math/rand"
	"testing"
)

// actInputs returns n random inputs in [-8, 8] with large values (+-30), 0
// and values near the expf clamps mixed in.
func actInputs(rng *rand.Rand, n int) []float32 {
	xs := make([]float32, n)
	special := []float32{0, 30, -30, 10, -10, 88, -88, 100, -100, 1e-4, -1e-4}
	for i := range xs {
		if rng.Intn(5) == 0 {
			xs[i] = special[rng.Intn(len(special))]
		} else {
			xs[i] = float32(rng.Float64()*16 - 8)
		}
	}
	return xs
}

func gelu64(x float64) float64 {
	u := math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x)
	return 0.5 * x * (1 + math.Tanh(u))
}

func geluGrad64(x float64) float64 {
	u := math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x)
	t := math.Tanh(u)
	return 0.5*(1+t) + 0.5*x*(1-t*t)*math.Sqrt(2/math.Pi)*(1+3*0.044715*x*x)
}

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func silu64(x float64) float64 { return x * sigmoid64(x) }

func siluGrad64(x float64) float64 {
	s := sigmoid64(x)
	return s * (1 + x*(1-s))
}

// checkAct compares got with want, relative to max(|want|, floor |dy_i|)
// (dy nil: 1). floor is 1e-3 for the forward functions; the gradients use
// 0.05 because s + 2 x s (1-s) sqrt(2/pi)(...) cancels near the zero of gelu'
// (x ~ -0.75), where a few float32 ulps of the terms (~0.2) exceed 1e-6 of
// |gelu'| (in the scalar loops as much as in the vector ones).
func checkAct(t *testing.T, name string, xs, got []float32, floor float64, dy []float32, want func(i int) float64) {
	t.Helper()
	const tol = 3e-6 // the scalar loops (nn.go's originals) reach ~2e-6
	worst := 0.0
	for i, g := range got {
		w := want(i)
		f := floor
		if dy != nil {
			f *= math.Abs(float64(dy[i]))
		}
		e := math.Abs(float64(g)-w) / max(math.Abs(w), f, 1e-30)
		if math.IsNaN(float64(g)) || e > tol {
			t.Fatalf("%s(n=%d)[%d]: x=%g got %g want %g (rel err %.3g)", name, len(xs), i, xs[i], g, w, e)
		}
		worst = max(worst, e)
	}
	if len(xs) > 60000 {
		t.Logf("%s: max rel err %.3g", name, worst)
	}
}

func TestActivations(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1023, 1 << 16} {
		xs := actInputs(rng, n)
		dys := make([]float32, n)
		for i := range dys {
			dys[i] = float32(rng.Float64()*4 - 2)
		}
		got := make([]float32, n)
		for _, f := range []struct {
			name string
			fn   func(ys, xs []float32)
		}{{"gelu", geluSlice}, {"geluScalar", geluScalar}} {
			f.fn(got, xs)
			checkAct(t, f.name, xs, got, 1e-3, nil, func(i int) float64 { return gelu64(float64(xs[i])) })
		}
		for _, f := range []struct {
			name string
			fn   func(ys, xs []float32)
		}{{"silu", siluSlice}, {"siluScalar", siluScalar}} {
			f.fn(got, xs)
			checkAct(t, f.name, xs, got, 1e-3, nil, func(i int) float64 { return silu64(float64(xs[i])) })
		}
		for _, f := range []struct {
			name string
			fn   func(dxs, dys, xs []float32)
			grad func(float64) float64
		}{{"geluBackward", geluBackwardSlice, geluGrad64}, {"geluBackwardScalar", geluBackwardScalar, geluGrad64},
			{"siluBackward", siluBackwardSlice, siluGrad64}, {"siluBackwardScalar", siluBackwardScalar, siluGrad64}} {
			f.fn(got, dys, xs)
			checkAct(t, f.name, xs, got, 0.05, dys, func(i int) float64 { return float64(dys[i]) * f.grad(float64(xs[i])) })
		}
	}
}

// TestActivationsBackend runs the activations through Backend (with its
// parallel chunking, whose chunk ends need not be multiples of 8).
func TestActivationsBackend(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	be := New(4)
	const n = 100003
	xs, dys := actInputs(rng, n), actInputs(rng, n)
	for i := range dys {
		dys[i] /= 8
	}
	x, dy, y := be.Alloc(n), be.Alloc(n), be.Alloc(n)
	be.Upload(x, xs)
	be.Upload(dy, dys)
	be.Gelu(y, x)
	checkAct(t, "Gelu", xs, Data(y), 1e-3, nil, func(i int) float64 { return gelu64(float64(xs[i])) })
	be.GeluBackward(y, dy, x)
	checkAct(t, "GeluBackward", xs, Data(y), 0.05, dys, func(i int) float64 { return float64(dys[i]) * geluGrad64(float64(xs[i])) })
	be.SiLU(y, x)
	checkAct(t, "SiLU", xs, Data(y), 1e-3, nil, func(i int) float64 { return silu64(float64(xs[i])) })
	be.SiLUBackward(y, dy, x)
	checkAct(t, "SiLUBackward", xs, Data(y), 0.05, dys, func(i int) float64 { return float64(dys[i]) * siluGrad64(float64(xs[i])) })
}

// BenchmarkGelu reports the GELU forward on 1<<20 elements, one worker:
// "scalar" is the scalar loop (the code before the SIMD version), "slice"
// the loop Backend.Gelu uses in this build, "backend" Backend.Gelu itself.
func BenchmarkGelu(b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewSource(3))
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = float32(rng.Float64()*8 - 4)
	}
	ys := make([]float32, n)
	b.Run("scalar", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			geluScalar(ys, xs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/elem")
	})
	b.Run("slice", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			geluSlice(ys, xs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/elem")
	})
	b.Run("backward", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			geluBackwardSlice(ys, xs, xs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/elem")
	})
	b.Run("backwardScalar", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			geluBackwardScalar(ys, xs, xs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/elem")
	})
	be := New(1)
	x, y := be.Alloc(n), be.Alloc(n)
	be.Upload(x, xs)
	b.Run("backend", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			be.Gelu(y, x)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/elem")
	})
}
