//go:build cuda || cudaemu

package gpu_test

import (
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/sample"
)

// direct hides the backend's Capturer: the sampler runs the same operations
// directly instead of replaying a captured step.
type direct struct{ compute.Backend }

// TestCapturedSampler: each fixed-step solver's captured sampler (one graph
// per step, replayed) equals the directly driven one bit for bit, with
// guidance, and no host read happens inside a trajectory: Generate's host
// waits do not grow with the number of steps.
func TestCapturedSampler(t *testing.T) {
	g := backend(t, gpu.MathFP32)
	m := model.NewDiT(model.Config{T: 2, C: 2, D: 8, L: 2, H: 2, MLPRatio: 2, TembDim: 8, TimeScale: 10, NumClasses: 2})
	p := m.Init(3)
	for i := range p {
		p[i] += 0.1 * float32(i%5-2)
	}
	params := g.Alloc(m.NParams)
	defer g.Free(params)
	g.Upload(params, p)
	labels := []float32{0, 1, 1}
	for _, meth := range []sample.Method{sample.Euler, sample.Midpoint, sample.Heun, sample.RK4} {
		o := sample.Options{Method: meth, Steps: 3}
		w0 := g.HostWaits()
		got, st, err := sample.Generate(g, m, params, 3, labels, 1.5, 5, o)
		if err != nil {
			t.Fatal(err)
		}
		waits3 := g.HostWaits() - w0
		want, wst, err := sample.Generate(direct{g}, m, params, 3, labels, 1.5, 5, o)
		if err != nil {
			t.Fatal(err)
		}
		if st != wst {
			t.Errorf("%s: captured %+v, direct %+v", meth, st, wst)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: x[%d] = %g captured, %g direct", meth, i, got[i], want[i])
			}
		}
		o.Steps = 6
		w0 = g.HostWaits()
		if _, st6, err := sample.Generate(g, m, params, 3, labels, 1.5, 5, o); err != nil || st6.NFE != 2*st.NFE {
			t.Fatalf("%s, 6 steps: %v, NFE %d, want %d", meth, err, st6.NFE, 2*st.NFE)
		}
		if waits6 := g.HostWaits() - w0; waits6 != waits3 {
			t.Errorf("%s: Generate waited for the device %d times with 3 steps, %d with 6", meth, waits3, waits6)
		}
		t.Logf("%s: NFE %d (device count), %d host waits per Generate", meth, st.NFE, waits3)
	}
}
