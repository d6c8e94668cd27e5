package train

import (
	"fmt"
	"math"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/philox"
)

// The per-step values on the device: a step counter, a schedule table
// computed by the host (one row per step: learning rate, AdamW's bias
// corrections, EMA decay) and the step block that StepAdvance fills from
// them at the start of every step. A step that reads its values from the
// block is the same work for every step, so the loop captures it once
// (a CUDA graph) and replays it (Loop.Graph).
//
// The table is computed on the host, by the same Go code as the direct step
// (Schedule.LR, compute.BiasCorrections, the EMA warm-up), and uploaded once
// per run: its values equal the direct step's bit for bit by construction.
// Computing them on the device in float64 would need the device's pow and
// cos to round as Go's math.Pow and math.Cos do, which CUDA does not promise.
// The table costs 16 bytes a step (1.6 MB for 100,000 steps).

// DevStepper is a Stepper whose step can read its per-step values from a
// step block on the device.
type DevStepper interface {
	Stepper
	// StepAt queues the step of the block: the same work as Step(s) for the
	// block's step s, with every step-dependent value read on the device.
	StepAt(block compute.Buffer)
	// Schedule is the row of step s of the StepAdvance table.
	Schedule(s int) compute.ScheduleRow
}

// DevSource is a Source that can fill the batch of the block's step on the
// device.
type DevSource interface {
	Source
	// FillAt fills x and y (nil: none) with the batch of the block's step,
	// equal to Fill(be, x, y, step of block).
	FillAt(be compute.Backend, x, y, block compute.Buffer)
}

// stepValues is the device state of the per-step values of one run.
type stepValues struct {
	be                    compute.Backend
	table, counter, block compute.Buffer
}

// newStepValues uploads the table of steps 1..steps of s and sets the
// counter to first.
func newStepValues(be compute.Backend, s DevStepper, first, steps int) *stepValues {
	tab := make([]float32, 4*steps)
	for i := 1; i <= steps; i++ {
		r := s.Schedule(i)
		copy(tab[4*(i-1):], []float32{r.LR, r.BC1, r.BC2, r.Decay})
	}
	v := &stepValues{be: be, table: be.Alloc(len(tab)), counter: be.Alloc(1), block: be.Alloc(compute.StepBlockLen)}
	be.Upload(v.table, tab)
	be.Upload(v.counter, []float32{compute.StepBits(uint64(first))})
	return v
}

// step queues one whole step: advance the counter, fill the batch, train.
func (v *stepValues) step(s DevStepper, src DevSource) {
	be := v.be
	be.StepAdvance(v.block, v.table, v.counter)
	x, y := s.Inputs()
	src.FillAt(be, x, y, v.block)
	s.StepAt(v.block)
}

func (v *stepValues) free() {
	for _, b := range []compute.Buffer{v.table, v.counter, v.block} {
		v.be.Free(b)
	}
}

// scheduleRow is the row of step s for the optimiser settings of st and an
// EMA decay.
func (s *Optim) scheduleRow(step int, decay float32) compute.ScheduleRow {
	bc1, bc2 := compute.BiasCorrections(float32(s.tc.Beta1), float32(s.tc.Beta2), step)
	return compute.ScheduleRow{LR: float32(s.lr.LR(step)), BC1: bc1, BC2: bc2, Decay: decay}
}

// updateAt is update with the learning rate and the bias corrections of the block.
func (s *Optim) updateAt(block compute.Buffer) {
	be, tc := s.be, s.tc
	be.GradClipScale(s.Clip, s.Grads, float32(tc.GradClip))
	be.AdamWStepAt(s.Params, s.Grads, s.M, s.V, s.Clip, block, compute.AdamW{Beta1: float32(tc.Beta1), Beta2: float32(tc.Beta2),
		Eps: float32(tc.Eps), WeightDecay: float32(tc.WeightDecay), GradScale: 1})
}

// emaDecay is the EMA decay of step `step`: the warm-up (1+step)/(10+step),
// capped at ema_decay, so early averages are not dominated by the initial
// weights.
func emaDecay(max float64, step int) float32 {
	return float32(math.Min(max, float64(1+step)/float64(10+step)))
}

// Schedule is the StepAdvance row of step s (DevStepper).
func (tr *Trainer) Schedule(s int) compute.ScheduleRow {
	return tr.scheduleRow(s, emaDecay(tr.tc.EMADecay, s))
}

// StepAt is Step with the step read from the block (DevStepper): the same
// noise, times, label dropout, learning rate, bias corrections and EMA decay.
func (tr *Trainer) StepAt(block compute.Buffer) {
	be, tc := tr.be, tr.tc
	tr.obj.PrepareAt(be, tr.Batch, tr.seed, block)
	be.Fill(tr.Grads, 0)
	if tr.Y != nil && tr.ClassDropout > 0 {
		be.DropLabelsAt(tr.Y, block, tr.seed, philox.StreamLabelDrop, tr.ClassDropout, float32(tr.m.Cfg.NumClasses))
	}
	tr.m.Forward(be, tr.Params, tr.Acts, tr.Batch.Xt, tr.Batch.T, tr.Y)
	tr.obj.Loss(be, tr.Loss, tr.DPred, tr.Acts.Out, tr.Batch)
	tr.m.Backward(be, tr.Params, tr.Grads, tr.Acts, tr.Batch.Xt, tr.DPred)
	tr.updateAt(block)
	if tc.EMADecay > 0 {
		be.EMAAt(tr.EMA, tr.Params, block)
	} else {
		be.Copy(tr.EMA, tr.Params)
	}
}

// FillAt gathers the rows of the block's step (DevSource).
func (r *Rows) FillAt(be compute.Backend, x, y, block compute.Buffer) {
	B := x.Len() / r.Width
	if r.idx == nil {
		r.idx = be.Alloc(B)
	}
	be.UniformIndexAt(r.idx, r.N, block, r.Seed, r.Stream)
	be.GatherRows(x, r.X, r.idx, r.Width)
	if y != nil {
		be.GatherRows(y, r.Y, r.idx, 1)
	}
}

// runAt is the loop body of Run with the per-step values on the device:
// step First runs directly (so scratch buffers reach their final sizes),
// the next is captured when the backend can capture, and every later step
// replays it (or, on a backend that cannot, queues the same ops directly).
// It returns a function that queues step `step`, and a release function.
func (l *Loop) runAt(be compute.Backend, s Stepper, src Source, first int) (func(step int) error, func() error, error) {
	ds, ok := s.(DevStepper)
	if !ok {
		return nil, nil, fmt.Errorf("train.graph: the %T stepper cannot read its step from the device", s)
	}
	dsrc, ok := src.(DevSource)
	if !ok {
		return nil, nil, fmt.Errorf("train.graph: the %T data source cannot fill a batch on the device", src)
	}
	v := newStepValues(be, ds, first, l.Steps)
	var g compute.Graph
	c, canCapture := be.(compute.Capturer)
	step := func(step int) error {
		st := s.State()
		st.last = step
		if step == first || !canCapture {
			v.step(ds, dsrc)
			return nil
		}
		if g == nil {
			var err error
			if g, err = c.CaptureGraph(func() { v.step(ds, dsrc) }); err != nil {
				return fmt.Errorf("capturing the train step: %w", err)
			}
		}
		return g.Launch()
	}
	release := func() error {
		var err error
		if g != nil {
			err = g.Close()
		}
		v.free()
		return err
	}
	return step, release, nil
}
