package train

import (
	"math"

	"github.com/latentflow/latentflow/config"
)

// Schedule is the learning rate of a run: linear warmup from Peak/Warmup to
// Peak over the first Warmup steps, then constant, or a cosine decay that
// reaches MinRatio*Peak at step Total.
type Schedule struct {
	Total, Warmup int
	Peak          float64
	Cosine        bool
	MinRatio      float64
}

// ScheduleOf is the schedule of a [train] section (validated: train.schedule
// is "constant" or "cosine"; anything else panics).
func ScheduleOf(tc config.Train) Schedule {
	s := Schedule{Total: tc.Steps, Warmup: tc.Warmup, Peak: tc.LR, MinRatio: tc.MinLRRatio}
	switch tc.Schedule {
	case "cosine":
		s.Cosine = true
	case "constant":
	default:
		panic("train: unknown train.schedule " + tc.Schedule)
	}
	return s
}

// LR returns the learning rate of 1-based step `step`.
func (s Schedule) LR(step int) float64 {
	if step <= s.Warmup {
		return s.Peak * float64(step) / float64(s.Warmup)
	}
	if !s.Cosine || s.Total <= s.Warmup {
		return s.Peak
	}
	p := float64(step-s.Warmup) / float64(s.Total-s.Warmup)
	return s.Peak * (s.MinRatio + (1-s.MinRatio)*0.5*(1+math.Cos(math.Pi*p)))
}
