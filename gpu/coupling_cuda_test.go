//go:build cuda || cudaemu

package gpu_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/gpu"
)

// TestOTCouplingMatchesCPU: the kernels' assignment equals the CPU's element
// for element (the same operations in the same order), so its cost is the
// CPU's; on noise against 2D data and against 98-float latents.
func TestOTCouplingMatchesCPU(t *testing.T) {
	g := backend(t, gpu.MathFP32)
	c := cpu.New(0)
	rng := rand.New(rand.NewPCG(14, 1))
	for _, tc := range []struct{ n, w int }{{1, 2}, {33, 2}, {256, 2}, {300, 1}, {128, 98}} {
		x0, x1 := make([]float32, tc.n*tc.w), make([]float32, tc.n*tc.w)
		for i := range x0 {
			x0[i] = float32(rng.NormFloat64())
			x1[i] = float32(4*rng.Float64() - 2)
		}
		run := func(be compute.Backend) []float32 {
			p, a, b := be.Alloc(tc.n), be.Alloc(len(x0)), be.Alloc(len(x1))
			defer func() { be.Free(p); be.Free(a); be.Free(b) }()
			be.Upload(a, x0)
			be.Upload(b, x1)
			be.OTCoupling(p, a, b, tc.w)
			out := make([]float32, tc.n)
			be.Download(out, p)
			if err := be.Sync(); err != nil {
				t.Fatal(err)
			}
			return out
		}
		got, want := run(g), run(c)
		cost := func(perm []float32) float64 {
			var s float64
			for i, f := range perm {
				j := int(f)
				for k := 0; k < tc.w; k++ {
					d := float64(x1[i*tc.w+k]) - float64(x0[j*tc.w+k])
					s += d * d
				}
			}
			return s
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("n %d, w %d: perm[%d] = %v on the device, %v on the CPU (costs %.17g, %.17g)",
					tc.n, tc.w, i, got[i], want[i], cost(got), cost(want))
				break
			}
		}
		if cg, cc := cost(got), cost(want); math.Abs(cg-cc) > 1e-12*cc {
			t.Errorf("n %d, w %d: cost %.17g on the device, %.17g on the CPU", tc.n, tc.w, cg, cc)
		}
	}
}

// The OT-coupled training step stays on the device: a captured coupled loop
// equals the directly queued one bit for bit over 20 steps, waits for the
// device no more often over 20 steps than over 4 (nothing read back per
// step), and trains differently from the independent coupling.
func TestOTCoupledLoopOnDevice(t *testing.T) {
	g := backend(t, gpu.MathTF32)
	coupled := func(steps int) stepRun {
		r := newStepRun(t, steps)
		r.obj.OTCoupling = true
		return r
	}
	r := coupled(20)
	direct, rd, _ := r.run(t, g, false, nil, 1, 0, 5, true)
	captured, rc, _ := r.run(t, g, true, nil, 1, 0, 5, true)
	sameState(t, "coupled: direct vs captured", direct, captured, rd, rc)
	_, _, w4 := coupled(4).run(t, g, true, nil, 1, 0, 4, false)
	_, _, w20 := coupled(20).run(t, g, true, nil, 1, 0, 20, false)
	if w4 != w20 {
		t.Errorf("coupled: host waits %d for 4 steps, %d for 20 (want equal: none per step)", w4, w20)
	}
	indep, _, _ := newStepRun(t, 20).run(t, g, false, nil, 1, 0, 5, true)
	same := true
	for i := range indep.Params {
		same = same && indep.Params[i] == direct.Params[i]
	}
	if same {
		t.Error("the coupled run's weights equal the independent run's: the coupling is not applied")
	}
}
