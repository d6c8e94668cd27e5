package train

import (
	"fmt"
	"math"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
)

// Optim is the optimiser's device state of one model: what every stepper
// has and what the loop reads at log time.
type Optim struct {
	Params compute.Buffer // (P) weights
	Grads  compute.Buffer // (P)
	M, V   compute.Buffer // (P) AdamW moments
	Loss   compute.Buffer // (1) sum of step losses since the loop last reset it
	// Clip (3) is GradClipScale's output of the last step: the clipping
	// factor, the gradient norm and the sticky divergence flag (read by GradNorm).
	Clip compute.Buffer
	be   compute.Backend
	tc   config.Train
	lr   Schedule
	last int // the last step run (for GradNorm's messages)
}

// newState uploads params, m and v (P each; m and v nil: zero) with the
// optimiser settings tc.
func newState(be compute.Backend, tc config.Train, params, m, v []float32) *Optim {
	P := len(params)
	up := func(x []float32) compute.Buffer {
		b := be.Alloc(P)
		switch {
		case x == nil: // Alloc zeroes
		case len(x) != P:
			panic(fmt.Sprintf("train: state of %d values for %d parameters", len(x), P))
		default:
			be.Upload(b, x)
		}
		return b
	}
	return &Optim{be: be, tc: tc, lr: ScheduleOf(tc), Params: up(params), Grads: be.Alloc(P), M: up(m), V: up(v),
		Loss: be.Alloc(1), Clip: be.Alloc(3)}
}

// free releases the buffers.
func (s *Optim) free() {
	for _, b := range []compute.Buffer{s.Params, s.Grads, s.M, s.V, s.Loss, s.Clip} {
		s.be.Free(b)
	}
}

// update queues one optimiser update of Params from Grads at step `step`:
// global-norm clipping computed on the device into Clip (see
// compute.Backend.GradClipScale), the LR schedule and AdamW. It reads nothing
// back and returns the learning rate.
func (s *Optim) update(step int) (lr float64) {
	be, tc := s.be, s.tc
	be.GradClipScale(s.Clip, s.Grads, float32(tc.GradClip))
	lr = s.lr.LR(step)
	be.AdamWStepDev(s.Params, s.Grads, s.M, s.V, s.Clip, compute.AdamW{LR: float32(lr), Beta1: float32(tc.Beta1), Beta2: float32(tc.Beta2),
		Eps: float32(tc.Eps), WeightDecay: float32(tc.WeightDecay), Step: step, GradScale: 1})
	s.last = step
	return lr
}

// GradNorm downloads the gradient norm of the last step (before clipping)
// and whether that step clipped (norm > grad_clip); it waits for the queued
// work. It returns an error when the gradient norm of any step since the
// state was made was NaN or infinite (training diverged).
func (s *Optim) GradNorm() (gnorm float64, clipped bool, err error) {
	return readClip(s.be, s.tc, s.Clip, s.last)
}

// Download copies the weights and the moments to the host (nil: skipped)
// and waits.
func (s *Optim) Download(params, m, v []float32) error {
	for _, p := range []struct {
		dst []float32
		b   compute.Buffer
	}{{params, s.Params}, {m, s.M}, {v, s.V}} {
		if p.dst != nil {
			s.be.Download(p.dst, p.b)
		}
	}
	return s.be.Sync()
}

// readClip downloads clip (written by update at step `step`): the gradient
// norm of that step, whether it was clipped, and an error when the
// divergence flag is set (a non-finite norm at any step since clip was zeroed).
func readClip(be compute.Backend, tc config.Train, clip compute.Buffer, step int) (gnorm float64, clipped bool, err error) {
	var c [3]float32
	be.Download(c[:], clip)
	if err := be.Sync(); err != nil {
		return 0, false, err
	}
	gnorm = float64(c[1])
	switch {
	case math.IsNaN(gnorm) || math.IsInf(gnorm, 0):
		return gnorm, false, fmt.Errorf("step %d: gradient norm is %g (training diverged; try a smaller learning rate)", step, gnorm)
	case c[2] != 0:
		return gnorm, false, fmt.Errorf("step %d: a gradient norm since the last log was NaN or infinite (training diverged; try a smaller learning rate)", step)
	}
	return gnorm, tc.GradClip > 0 && gnorm > tc.GradClip, nil
}

// NParams is the number of parameters.
func (s *Optim) NParams() int { return s.Params.Len() }
