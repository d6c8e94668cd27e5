//go:build cuda || cudaemu

package gpu_test

import (
	"math"
	"strings"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/philox"
)

// TestCaptureReplay captures FillNormal (fixed key), Axpy, a Gemm (cuBLAS on
// its preallocated workspace), GradClipScale and AdamWStepDev into a graph,
// and checks that replaying it twice from the same inputs gives the bits of
// running the same ops directly twice (the kernels are deterministic).
func TestCaptureReplay(t *testing.T) {
	be := backend(t, gpu.MathTF32)
	const m, n, k = 33, 17, 40
	alloc := func(n int) compute.Buffer { return be.Alloc(n) }
	a, b, c, x := alloc(m*k), alloc(k*n), alloc(m*n), alloc(m*n)
	m1, v1, clip := alloc(m*n), alloc(m*n), alloc(3)
	bufs := []compute.Buffer{a, b, c, x, m1, v1, clip}
	defer func() {
		for _, q := range bufs {
			be.Free(q)
		}
	}()
	reset := func() {
		be.FillNormal(a, philox.Key{Seed: 1, Stream: 1})
		be.FillNormal(b, philox.Key{Seed: 1, Stream: 2})
		be.Fill(c, 0.5)
		be.Fill(m1, 0)
		be.Fill(v1, 0)
		be.Fill(clip, 0)
	}
	ops := func() {
		be.FillNormal(x, philox.Key{Seed: 7, Step: 3, Stream: 4})
		be.Axpy(0.25, x, c)
		be.Gemm(false, false, m, n, k, 1, a, k, 0, b, n, 0, 0.5, c, n, 0, 1)
		be.GradClipScale(clip, c, 1)
		be.AdamWStepDev(x, c, m1, v1, clip, compute.AdamW{LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 1, GradScale: 1})
		be.Axpy(1, x, c)
	}
	down := func() []float32 {
		out := make([]float32, 0, 2*m*n+3)
		for _, q := range []compute.Buffer{c, x, clip} {
			v := make([]float32, q.Len())
			be.Download(v, q)
			out = append(out, v...)
		}
		if err := be.Sync(); err != nil {
			t.Fatal(err)
		}
		return out
	}

	reset()
	ops() // also the warm-up before capture (cuBLAS, lazy module loading)
	ops()
	want := down()

	reset()
	initial := down()
	g, err := be.Capture(ops)
	if err != nil {
		t.Fatalf("Capture: %v", err)
	}
	defer g.Close()
	if !same(down(), initial) {
		t.Fatalf("Capture ran the captured ops (the state changed before Launch)")
	}
	for i := 0; i < 2; i++ {
		if err := g.Launch(); err != nil {
			t.Fatalf("Launch %d: %v", i, err)
		}
	}
	got := down()
	bad := 0
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			if bad < 8 {
				t.Errorf("cell %d: replay %v, direct %v", i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d cells differ between replay and direct execution", bad, len(want))
	}
}

func same(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestCaptureRejectsHostCalls checks that a Download, an Alloc or a scalar
// reduction inside Capture is reported as an error, that the stream is
// usable afterwards, and that Capture cannot nest.
func TestCaptureRejectsHostCalls(t *testing.T) {
	be := backend(t, gpu.MathTF32)
	x := be.Alloc(10)
	defer be.Free(x)
	for name, fn := range map[string]func(){
		"Download": func() { be.Download(make([]float32, 1), x) },
		"Alloc":    func() { be.Alloc(4) },
		"Sum":      func() { be.Sum(x) },
		"nested":   func() { _, err := be.Capture(func() {}); panic(err) },
	} {
		g, err := be.Capture(func() { be.Scale(x, 2); fn() })
		if err == nil {
			g.Close()
			t.Errorf("%s inside Capture: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), "inside Capture") {
			t.Errorf("%s inside Capture: error %q does not say so", name, err)
		}
	}
	be.Fill(x, 1)
	v := make([]float32, 10)
	be.Download(v, x)
	if err := be.Sync(); err != nil || v[9] != 1 {
		t.Errorf("backend after a failed capture: x[9] = %v, Sync %v", v[9], err)
	}
}
