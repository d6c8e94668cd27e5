package train

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/config"
)

func TestLRSchedule(t *testing.T) {
	cases := []struct {
		step, total, warmup int
		cosine              bool
		want                float64
	}{
		{1, 100, 10, true, 0.1},
		{10, 100, 10, true, 1},
		{100, 100, 10, true, 0.1}, // min ratio at the last step
		{55, 100, 10, true, 0.1 + 0.9*0.5},
		{55, 100, 10, false, 1},
		{1, 100, 0, true, 0.1 + 0.9*0.5*(1+math.Cos(math.Pi/100))},
	}
	for _, c := range cases {
		if got := (Schedule{Total: c.total, Warmup: c.warmup, Peak: 1, Cosine: c.cosine, MinRatio: 0.1}).LR(c.step); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("LR(step %d of %d, warmup %d, cosine %v) = %g, want %g", c.step, c.total, c.warmup, c.cosine, got, c.want)
		}
	}
}

// TestDivergenceAtLog checks what the host reads at a log step from the
// device's clipping output: the norm, whether it clipped, and the
// divergence errors (a non-finite norm now, or the sticky flag of an earlier step).
func TestDivergenceAtLog(t *testing.T) {
	be := cpu.New(1)
	tc := config.Train{GradClip: 1}
	clip := be.Alloc(3)
	for _, c := range []struct {
		g       []float32
		norm    float64
		clipped bool
		err     string
	}{
		{[]float32{0.3, 0.4}, 0.5, false, ""},
		{[]float32{3, 4}, 5, true, ""},
		{[]float32{float32(math.NaN()), 1}, math.NaN(), false, "step 7: gradient norm is NaN (training diverged; try a smaller learning rate)"},
		{[]float32{3, 4}, 5, false, "step 7: a gradient norm since the last log was NaN or infinite (training diverged; try a smaller learning rate)"},
	} {
		g := be.Alloc(len(c.g))
		be.Upload(g, c.g)
		be.GradClipScale(clip, g, float32(tc.GradClip))
		norm, clipped, err := readClip(be, tc, clip, 7)
		switch {
		case c.err != "":
			if err == nil || err.Error() != c.err {
				t.Errorf("g = %v: error %v, want %q", c.g, err, c.err)
			}
		case err != nil || clipped != c.clipped || math.Abs(norm-c.norm) > 1e-6:
			t.Errorf("g = %v: norm %v, clipped %v, error %v; want %v, %v, nil", c.g, norm, clipped, err, c.norm, c.clipped)
		}
	}
}
