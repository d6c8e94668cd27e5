package backendtest

import (
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// TestSolverClock checks SolverTime and SolverTick (the solver clock of the
// device-resident sampler) against hand-computed values: exact, since both
// are a few float64 operations rounded once to float32.
func TestSolverClock(t *testing.T, b compute.Backend, o Options) {
	clock, tb := b.Alloc(2), b.Alloc(5)
	defer b.Free(clock)
	defer b.Free(tb)
	get := func(x compute.Buffer) []float32 {
		v := make([]float32, x.Len())
		b.Download(v, x)
		return v
	}
	b.Upload(clock, []float32{2, 7})
	for _, c := range []struct {
		t0, t1 float64
		steps  int
		c      float64
		want   float32
	}{
		{0, 1, 5, 0.5, float32(0 + (2.5*1)/5)},
		{0, 1, 3, 1, 1}, // m = steps-1, c = 1: exactly t1
		{0, 1, 7, 1.0 / 3, float32((2 + 1.0/3) / 7)},
		{1, 0.25, 4, 0, float32(1 + (2*(0.25-1))/4)}, // backwards
	} {
		b.SolverTime(tb, clock, c.t0, c.t1, c.steps, c.c)
		for i, v := range get(tb) {
			if v != c.want {
				t.Errorf("SolverTime(%+v) at m = 2: t[%d] = %g, want %g", c, i, v, c.want)
			}
		}
	}
	b.SolverTick(clock, 4)
	if v := get(clock); v[0] != 3 || v[1] != 11 {
		t.Errorf("SolverTick(4) of (2, 7) = %v, want [3 11]", v)
	}
}
