package train

import (
	"fmt"
	"math"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/flow"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
)

// Trainer holds the device state of training: weights, EMA, AdamW moments,
// gradients, the batch and the activations. Step runs one optimizer step on
// the data already in Batch.X1. bin/bench times exactly this.
type Trainer struct {
	be     compute.Backend
	m      *model.DiT
	obj    flow.Objective
	tc     config.Train
	seed   uint64
	Params compute.Buffer // (P) weights
	EMA    compute.Buffer // (P) EMA of the weights
	M, V   compute.Buffer // (P) AdamW moments
	Grads  compute.Buffer // (P)
	Batch  *flow.Batch    // X1 (B, X) is filled by the caller before Step
	// Y (B) holds the class labels of the batch (class-conditional models;
	// filled by the caller before Step, then dropped to the null class with
	// probability ClassDropout by Step).
	Y            compute.Buffer
	ClassDropout float32
	Acts         *model.Activations
	DPred        compute.Buffer // (B*T, C)
	Loss         compute.Buffer // (1) sum of step losses since the last reset
	// Clip (3) is GradClipScale's output of the last step: the clipping
	// factor, the gradient norm and the sticky divergence flag (read by GradNorm).
	Clip compute.Buffer
	last int // the last step run (for GradNorm's messages)
}

// NewTrainer uploads the state in st (Params, EMA, M, V) to be.
func NewTrainer(be compute.Backend, m *model.DiT, obj flow.Objective, tc config.Train, seed uint64, st *Checkpoint) *Trainer {
	up := func(v []float32) compute.Buffer {
		if len(v) != m.NParams {
			panic(fmt.Sprintf("train: state of %d values for %d parameters", len(v), m.NParams))
		}
		b := be.Alloc(len(v))
		be.Upload(b, v)
		return b
	}
	B, X := tc.Batch, m.Cfg.T*m.Cfg.C
	var y compute.Buffer
	if m.Cfg.NumClasses > 0 {
		y = be.Alloc(B)
	}
	return &Trainer{
		be: be, m: m, obj: obj, tc: tc, seed: seed,
		Params: up(st.Params), EMA: up(st.EMA), M: up(st.M), V: up(st.V),
		Grads: be.Alloc(m.NParams), Batch: flow.NewBatch(be, B, X), Acts: m.NewActivations(be, B),
		DPred: be.Alloc(B * X), Loss: be.Alloc(1), Clip: be.Alloc(3), Y: y,
	}
}

// Free releases the device state.
func (tr *Trainer) Free() {
	for _, b := range []compute.Buffer{tr.Params, tr.EMA, tr.M, tr.V, tr.Grads, tr.DPred, tr.Loss, tr.Clip} {
		tr.be.Free(b)
	}
	if tr.Y != nil {
		tr.be.Free(tr.Y)
	}
	tr.Batch.Free(tr.be)
	tr.Acts.Free()
}

// Step runs optimizer step `step` (1-based): noise and times from the Philox
// streams of (seed, step), forward, CFM loss (added to Loss), backward, global
// gradient-norm clipping (GradClipScale: the factor stays on the device),
// AdamW with the scheduled learning rate (AdamWStepDev), and the EMA. It
// reads nothing back from the device: the loss (Loss) and the gradient norm
// (GradNorm) are read by the caller when it logs. It returns the learning rate.
func (tr *Trainer) Step(step int) (lr float64) {
	be, tc := tr.be, tr.tc
	tr.obj.Prepare(be, tr.Batch, tr.seed, uint64(step))
	be.Fill(tr.Grads, 0)
	if tr.Y != nil && tr.ClassDropout > 0 {
		be.DropLabels(tr.Y, philox.Key{Seed: tr.seed, Step: uint64(step), Stream: flow.StreamLabelDrop},
			tr.ClassDropout, float32(tr.m.Cfg.NumClasses))
	}
	tr.m.Forward(be, tr.Params, tr.Acts, tr.Batch.Xt, tr.Batch.T, tr.Y)
	tr.obj.Loss(be, tr.Loss, tr.DPred, tr.Acts.Out, tr.Batch)
	tr.m.Backward(be, tr.Params, tr.Grads, tr.Acts, tr.Batch.Xt, tr.DPred)
	lr = adamUpdate(be, tc, step, tr.Params, tr.Grads, tr.M, tr.V, tr.Clip)
	tr.last = step
	if tc.EMADecay > 0 {
		// EMA warm-up: the decay grows as (1+step)/(10+step) up to ema_decay, so early
		// averages are not dominated by the initial weights.
		be.EMA(tr.EMA, tr.Params, float32(math.Min(tc.EMADecay, float64(1+step)/float64(10+step))))
	} else {
		be.Copy(tr.EMA, tr.Params)
	}
	return lr
}

// CaptureStep records optimizer step `step` into a graph on a backend that
// can capture (compute.Capturer: the CUDA backend) without running it. Each
// Launch replays that very step: the same noise, times, label dropout, learning
// rate, bias corrections and EMA decay, on the current weights and batch. That
// times the step's work exactly (bin/bench -graph); a training loop needs the
// per-step values on the device first (docs/gpu-notes.md). Run at least one
// Step before, so scratch buffers have their final sizes.
func (tr *Trainer) CaptureStep(step int) (compute.Graph, error) {
	c, ok := tr.be.(compute.Capturer)
	if !ok {
		return nil, fmt.Errorf("train: the %s backend cannot capture a step (CUDA graphs only)", tr.be.Name())
	}
	return c.CaptureGraph(func() { tr.Step(step) })
}

// GradNorm downloads the gradient norm of the last step (before clipping)
// and whether that step clipped (norm > grad_clip); it waits for the queued
// work. It returns an error when the gradient norm of any step since
// NewTrainer was NaN or infinite (training diverged).
func (tr *Trainer) GradNorm() (gnorm float64, clipped bool, err error) {
	return readClip(tr.be, tr.tc, tr.Clip, tr.last)
}

// adamUpdate queues one optimiser update of params from grads with the
// [train] settings tc: global-norm clipping computed on the device into clip
// (3 floats, see compute.Backend.GradClipScale), the LR schedule and AdamW.
// It reads nothing back and returns the learning rate.
func adamUpdate(be compute.Backend, tc config.Train, step int, params, grads, m, v, clip compute.Buffer) (lr float64) {
	be.GradClipScale(clip, grads, float32(tc.GradClip))
	lr = LR(step, tc.Steps, tc.Warmup, tc.LR, tc.Schedule == "cosine", tc.MinLRRatio)
	be.AdamWStepDev(params, grads, m, v, clip, compute.AdamW{LR: float32(lr), Beta1: float32(tc.Beta1), Beta2: float32(tc.Beta2),
		Eps: float32(tc.Eps), WeightDecay: float32(tc.WeightDecay), Step: step, GradScale: 1})
	return lr
}

// readClip downloads clip (written by adamUpdate at step `step`): the
// gradient norm of that step, whether it was clipped, and an error when the
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
