//go:build cuda

package gpu_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/gpu"
)

// The four ops main is adding (MSELoss, SoftmaxCrossEntropy, GaussianSample,
// GaussianSampleBackward) agree with the CPU loops on random inputs, until
// main's conformance tests for them land. Tolerance: 1e-5 of max(|want|, rms(want)):
// float32 elementwise work with float64 sums.
func TestPendingOpsAgreeWithCPU(t *testing.T) {
	g := backend(t, gpu.MathFP32)
	c := cpu.New(0)
	r := rand.New(rand.NewPCG(7, 8))
	rnd := func(n int, s float64) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(s * r.NormFloat64())
		}
		return x
	}
	type pair struct{ c, g compute.Buffer }
	up := func(x []float32) pair {
		a, b := c.Alloc(len(x)), g.Alloc(len(x))
		c.Upload(a, x)
		g.Upload(b, x)
		return pair{a, b}
	}
	cmp := func(name string, p pair) {
		t.Helper()
		n := p.c.Len()
		want, got := make([]float32, n), make([]float32, n)
		c.Download(want, p.c)
		g.Download(got, p.g)
		var rms float64
		for _, v := range want {
			rms += float64(v) * float64(v)
		}
		rms = math.Sqrt(rms / float64(max(n, 1)))
		worst := 0.0
		for i := range want {
			e := math.Abs(float64(got[i]-want[i])) / (math.Max(math.Abs(float64(want[i])), rms) + 1e-30)
			if !(e <= 1e-5) {
				t.Errorf("%s[%d] = %v, want %v", name, i, got[i], want[i])
				return
			}
			worst = math.Max(worst, e)
		}
		t.Logf("%s: max rel error %.2g", name, worst)
	}
	for _, n := range []int{1, 7, 1000, 40003} {
		loss, pred, tgt, dp := up([]float32{0.5}), up(rnd(n, 1)), up(rnd(n, 1)), up(make([]float32, n))
		c.MSELoss(loss.c, dp.c, pred.c, tgt.c)
		g.MSELoss(loss.g, dp.g, pred.g, tgt.g)
		cmp("MSELoss loss", loss)
		cmp("MSELoss dpred", dp)
	}
	for _, s := range []struct{ B, K int }{{1, 1}, {3, 10}, {130, 7}, {64, 1000}} {
		labels := make([]float32, s.B)
		for i := range labels {
			labels[i] = float32(r.IntN(s.K))
		}
		loss, logits, lab, dl := up([]float32{0.25}), up(rnd(s.B*s.K, 3)), up(labels), up(rnd(s.B*s.K, 1))
		c.SoftmaxCrossEntropy(loss.c, dl.c, logits.c, lab.c, s.K)
		g.SoftmaxCrossEntropy(loss.g, dl.g, logits.g, lab.g, s.K)
		cmp("SoftmaxCrossEntropy loss", loss)
		cmp("SoftmaxCrossEntropy dlogits", dl)
	}
	if err := g.Sync(); err != nil {
		t.Errorf("Sync after valid labels: %v", err)
	}
	for _, s := range []struct{ N, L int }{{1, 1}, {5, 3}, {300, 16}} {
		h := rnd(s.N*2*s.L, 2)
		h[0], h[len(h)-1] = -40, 25 // the clamp
		hb, eps, z, kl, dz, dh := up(h), up(rnd(s.N*s.L, 1)), up(make([]float32, s.N*s.L)), up([]float32{1}), up(rnd(s.N*s.L, 1)), up(rnd(s.N*2*s.L, 1))
		c.GaussianSample(z.c, kl.c, hb.c, eps.c, s.L, 0.5)
		g.GaussianSample(z.g, kl.g, hb.g, eps.g, s.L, 0.5)
		cmp("GaussianSample z", z)
		cmp("GaussianSample kl", kl)
		c.GaussianSampleBackward(dh.c, dz.c, hb.c, eps.c, s.L, 0.5)
		g.GaussianSampleBackward(dh.g, dz.g, hb.g, eps.g, s.L, 0.5)
		cmp("GaussianSampleBackward dh", dh)
	}
	// A bad label is reported by Sync, not by a panic on the device.
	loss, logits, lab, dl := up([]float32{0}), up(rnd(4, 1)), up([]float32{0, 5}), up(make([]float32, 4))
	g.SoftmaxCrossEntropy(loss.g, dl.g, logits.g, lab.g, 2)
	if err := g.Sync(); err == nil {
		t.Error("Sync after a label out of range reported nothing")
	}
}
