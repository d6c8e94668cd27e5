//go:build cuda || cudaemu

package gpu_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/sample"
)

// Regression tests of the findings of a reading of the CUDA backend (issue
// 10); each failed before its fix.

// TestErrorWord: a bad row index seen by a kernel is reported by the next
// Sync, once; a label that is no class is not an error (the package compute
// documentation: it adds 0 to the loss and has no onehot), so Sync after it
// reports nothing. (Before: the test expected an ERR_LABEL that softmax_ce
// never set, and the kernel carried an unused error-word argument.)
func TestErrorWord(t *testing.T) {
	g := backend(t, gpu.MathFP32)
	up := func(x []float32) compute.Buffer {
		b := g.Alloc(len(x))
		g.Upload(b, x)
		return b
	}
	loss, logits, lab, dl := up([]float32{0}), up([]float32{1, 2, 3, 4}), up([]float32{0, 5}), g.Alloc(4)
	g.SoftmaxCrossEntropy(loss, dl, logits, lab, 2)
	if err := g.Sync(); err != nil {
		t.Errorf("Sync after a label that is no class: %v", err)
	}
	c := cpu.New(1)
	cl, cx, cy, cd := c.Alloc(1), c.Alloc(4), c.Alloc(2), c.Alloc(4)
	c.Upload(cx, []float32{1, 2, 3, 4})
	c.Upload(cy, []float32{0, 5})
	c.SoftmaxCrossEntropy(cl, cd, cx, cy, 2)
	for _, p := range [][2]compute.Buffer{{loss, cl}, {dl, cd}} {
		got, want := make([]float32, p[0].Len()), make([]float32, p[1].Len())
		g.Download(got, p[0])
		c.Download(want, p[1])
		for i := range got {
			if math.Abs(float64(got[i]-want[i])) > 1e-6*math.Max(1, math.Abs(float64(want[i]))) {
				t.Errorf("no-class label: GPU %v, CPU %v", got, want)
				break
			}
		}
	}

	src, dst, idx := up([]float32{1, 2, 3, 4}), g.Alloc(4), up([]float32{0, 7})
	g.GatherRows(dst, src, idx, 2)
	err := g.Sync()
	if err == nil || !strings.Contains(err.Error(), "row index out of range") {
		t.Errorf("Sync after GatherRows with index 7 of 2 rows = %v, want a row-index error", err)
	}
	if err := g.Sync(); err != nil {
		t.Errorf("second Sync = %v, want nil (the error word is cleared)", err)
	}
	g.ScatterAddRows(src, dst, up([]float32{-1, 1}), 2)
	if err := g.Sync(); err == nil {
		t.Error("Sync after ScatterAddRows with index -1 reported nothing")
	}
	for _, b := range []compute.Buffer{loss, logits, lab, dl, src, dst, idx} {
		g.Free(b)
	}
}

// TestScatterAddRowsDeterministic: repeated destination rows accumulate in
// the CPU's order, bit for bit (before: float atomicAdd, in arrival order).
func TestScatterAddRowsDeterministic(t *testing.T) {
	g := backend(t, gpu.MathFP32)
	c := cpu.New(1)
	r := rand.New(rand.NewPCG(3, 4))
	const N, w, rows = 600, 40, 3
	src, idx, dst := make([]float32, N*w), make([]float32, N), make([]float32, rows*w)
	for i := range src {
		src[i] = float32(r.NormFloat64() * math.Exp(4*r.NormFloat64())) // wide magnitudes: order matters
	}
	for i := range idx {
		idx[i] = float32(r.IntN(rows))
	}
	for i := range dst {
		dst[i] = float32(r.NormFloat64())
	}
	run := func(b compute.Backend) []float32 {
		s, ix, d := b.Alloc(len(src)), b.Alloc(N), b.Alloc(len(dst))
		b.Upload(s, src)
		b.Upload(ix, idx)
		b.Upload(d, dst)
		b.ScatterAddRows(d, s, ix, w)
		out := make([]float32, len(dst))
		b.Download(out, d)
		if err := b.Sync(); err != nil {
			t.Fatal(err)
		}
		b.Free(s)
		b.Free(ix)
		b.Free(d)
		return out
	}
	want := run(c)
	for rep := 0; rep < 3; rep++ {
		got := run(g)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("run %d: dst[%d] = %v (bits %#x), CPU %v (bits %#x): not the CPU's order",
					rep, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
}

// TestAttentionGridLimit: a T whose backward grid would exceed 65535 blocks
// in y is refused with a clear message before anything is launched (before:
// only the forward grid, 16 rows a block, was checked; the backward kernels
// use 8).
func TestAttentionGridLimit(t *testing.T) {
	g := backend(t, gpu.MathFP32)
	const T = 8*65535 + 1 // the forward grid (16 rows a block) fits; the backward's does not
	qkv, out, dout, dqkv, lse := g.Alloc(3*T), g.Alloc(T), g.Alloc(T), g.Alloc(3*T), g.Alloc(T)
	defer func() {
		for _, b := range []compute.Buffer{qkv, out, dout, dqkv, lse} {
			g.Free(b)
		}
	}()
	msg := func() (m string) {
		defer func() {
			if r := recover(); r != nil {
				m = ""
				if s, ok := r.(string); ok {
					m = s
				}
			}
		}()
		g.AttentionBackward(dqkv, dout, qkv, nil, out, lse, 1, T, 1, 1)
		return "no panic"
	}()
	if !strings.Contains(msg, "AttentionBackward: T = 524281 too long for the CUDA grid") {
		t.Errorf("AttentionBackward at T = %d: %q, want the attnCheck message", T, msg)
	}
}

// TestCloseTwice: a second Close does nothing (before: it panicked in enter),
// and a Graph closed after its backend is released with it.
func TestCloseTwice(t *testing.T) {
	backend(t, gpu.MathFP32) // skips without a device
	b, err := gpu.New(gpu.Options{Math: gpu.MathFP32})
	if err != nil {
		t.Fatal(err)
	}
	x := b.Alloc(8)
	gr, err := b.Capture(func() { b.Scale(x, 2) })
	if err != nil {
		t.Fatal(err)
	}
	b.Free(x)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := gr.Close(); err != nil {
		t.Errorf("Graph.Close after the backend's Close: %v", err)
	}
}

// TestSampleMemoryCheck: sampling more at once than the device holds is a
// clear error before anything is allocated (before: Generate allocated the
// training activations of all n samples, about 171 GiB at gpu-m with n =
// 1024, and failed in cuMemAlloc with a panic). Sampling now uses the
// forward-only activations of one chunk (sample.batch): 11.3 GiB at gpu-m
// for 1024 samples; a chunk of 8192 (90 GiB) is refused on the emulated
// device's 80 GiB.
func TestSampleMemoryCheck(t *testing.T) {
	g := backend(t, gpu.MathTF32)
	m := model.NewDiT(model.Config{T: 256, C: 4, D: 768, L: 12, H: 12, MLPRatio: 4, TembDim: 256, TimeScale: 1000})
	if gib := float64(4*m.ActivationFloats(1024)) / (1 << 30); gib < 160 || gib > 180 {
		t.Errorf("gpu-m training activations for 1024 samples: %.1f GiB, want about 171", gib)
	}
	if gib := float64(4*sample.SampleFloats(m, 1024)) / (1 << 30); gib < 11 || gib > 12 {
		t.Errorf("gpu-m sampling of 1024 at once: %.1f GiB, want about 11.3", gib)
	}
	params := g.Alloc(1) // never read: the check comes first
	defer g.Free(params)
	before := g.PeakAllocBytes()
	_, _, err := sample.Generate(g, m, params, 8192, nil, 1, 1, sample.Options{Method: sample.Euler, Steps: 2, Batch: 8192})
	if err == nil || !strings.Contains(err.Error(), "8192 samples at once need") {
		t.Fatalf("Generate of 8192 gpu-m samples at once: %v, want the memory error", err)
	}
	if g.PeakAllocBytes() != before {
		t.Errorf("the refused Generate allocated device memory")
	}
	t.Log(err)
}

// TestHostWaits: HostWaits counts the host's waits for the device, and a
// step of queued work (no read-back) adds none.
func TestHostWaits(t *testing.T) {
	g := backend(t, gpu.MathFP32)
	x, y := g.Alloc(100), g.Alloc(100)
	defer g.Free(x)
	defer g.Free(y)
	w0 := g.HostWaits()
	g.Scale(x, 2)
	g.Axpy(0.5, x, y)
	g.Gemm(false, false, 10, 10, 10, 1, x, 10, 0, y, 10, 0, 0, y, 10, 0, 1)
	if d := g.HostWaits() - w0; d != 0 {
		t.Errorf("queued kernels and a GEMM waited for the device %d times", d)
	}
	g.Sum(x)
	v := make([]float32, 3)
	g.Download(v, y)
	if err := g.Sync(); err != nil {
		t.Fatal(err)
	}
	if d := g.HostWaits() - w0; d < 3 {
		t.Errorf("Sum, Download and Sync counted %d waits, want at least 3", d)
	}
}
