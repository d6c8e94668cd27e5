package sample

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/model"
)

// tinyDiT is a small class-conditional DiT with non-zero output weights (the
// initialisation zeroes them, which makes the velocity 0), on be.
func tinyDiT(be compute.Backend, classes int) (*model.DiT, compute.Buffer) {
	m := model.NewDiT(model.Config{T: 3, C: 2, D: 8, L: 2, H: 2, MLPRatio: 2, TembDim: 8, TimeScale: 10, NumClasses: classes})
	p := m.Init(3)
	for i := range p {
		p[i] += 0.1 * float32(i%5-2)
	}
	params := be.Alloc(m.NParams)
	be.Upload(params, p)
	return m, params
}

// TestGenerateChunks: the samples of a fixed-step solver do not depend on
// the chunk size (with guidance and labels, a short last chunk included;
// within 1e-5 for the SIMD GEMM's tile rounding); Dopri5, which controls its steps per chunk, is deterministic
// and agrees within its tolerance.
func TestGenerateChunks(t *testing.T) {
	be := newCPU()
	m, params := tinyDiT(be, 3)
	const n = 7
	labels := make([]float32, n)
	for i := range labels {
		labels[i] = float32(i % 3)
	}
	for _, meth := range Methods {
		o := methodOptions(meth)
		o.Steps = 3
		var ref []float32
		var refSt Stats
		for _, batch := range []int{n, 3, 1, 0} {
			o.Batch = batch
			xs, st, err := Generate(be, m, params, n, labels, 1.5, 9, o)
			if err != nil {
				t.Fatalf("%s batch %d: %v", meth, batch, err)
			}
			if ref == nil {
				ref, refSt = xs, st
				continue
			}
			for i := range xs {
				d := math.Abs(float64(xs[i] - ref[i]))
				// fixed-step: the same samples, up to the rounding of the CPU's
				// SIMD GEMM, whose rows in a partial 12-row tile take another path
				// (bit for bit with the portable kernel, GOEXPERIMENT=).
				if meth != Dopri5 && d > 1e-5 || d > 1e-3 {
					t.Fatalf("%s batch %d: x[%d] = %g, in one chunk %g", meth, batch, i, xs[i], ref[i])
				}
			}
			if meth != Dopri5 && st != refSt {
				t.Errorf("%s batch %d: %+v, in one chunk %+v", meth, batch, st, refSt)
			}
			if meth == Dopri5 && batch == 3 { // deterministic
				again, st2, _ := Generate(be, m, params, n, labels, 1.5, 9, o)
				for i := range again {
					if again[i] != xs[i] || st2 != st {
						t.Fatalf("dopri5 batch 3 twice: x[%d] %g then %g", i, xs[i], again[i])
					}
				}
			}
		}
		if meth != Dopri5 && refSt.NFE != 2*o.Steps*len((map[Method]*tableau{Euler: &eulerTableau, Midpoint: &midpointTableau, Heun: &heunTableau, RK4: &rk4Tableau})[meth].b) {
			t.Errorf("%s: NFE %d", meth, refSt.NFE)
		}
	}
	if _, _, err := Generate(be, m, params, n, nil, 1, 1, Options{Method: Euler, Steps: 1, Batch: -1}); err == nil {
		t.Errorf("batch -1 accepted")
	}
}

// TestDeviceSamplerEqualsHost: the device-resident sampler (no Observe:
// the device clock of the fixed-step solvers, Dopri5's controller state
// looked at every dopri5Poll attempts) gives the host-driven solve's
// samples (Observe set: the host between steps) bit for bit, with the same
// counts, the NFE counted on the device; Observe sees every accepted step.
func TestDeviceSamplerEqualsHost(t *testing.T) {
	be := newCPU()
	m, params := tinyDiT(be, 3)
	labels := []float32{0, 1, 2, 1, 0}
	for _, meth := range Methods {
		o := Options{Method: meth, Steps: 5}
		if meth == Dopri5 {
			o = Options{Method: meth, Rtol: 1e-6, Atol: 1e-6}
		}
		dev, dst, err := Generate(be, m, params, len(labels), labels, 2, 4, o)
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		o.Observe = func(int, float32, compute.Buffer) { seen++ }
		host, hst, err := Generate(be, m, params, len(labels), labels, 2, 4, o)
		if err != nil {
			t.Fatal(err)
		}
		if dst != hst {
			t.Errorf("%s: device stats %+v, host %+v", meth, dst, hst)
		}
		if want := hst.Accepted + 1; meth == Dopri5 && seen != want {
			t.Errorf("%s: Observe saw %d states, want %d (T0 and each accepted step)", meth, seen, want)
		}
		for i := range dev {
			if dev[i] != host[i] {
				t.Fatalf("%s: x[%d] = %g on the device clock, %g driven from the host", meth, i, dev[i], host[i])
			}
		}
		t.Logf("%s: %+v", meth, dst)
	}
}
