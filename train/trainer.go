package train

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/flow"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
)

// Trainer is the flow's stepper: the device state of training the DiT
// (weights, EMA, AdamW moments, gradients), the batch and the activations.
// Step runs one optimizer step on the data already in Batch.X1 (and Y).
// bin/bench times exactly this.
type Trainer struct {
	*Optim
	be    compute.Backend
	m     *model.DiT
	obj   flow.Objective
	tc    config.Train
	seed  uint64
	EMA   compute.Buffer // (P) EMA of the weights
	Batch *flow.Batch    // X1 (B, X) is filled by the caller before Step
	// Y (B) holds the class labels of the batch (class-conditional models;
	// filled by the caller before Step, then dropped to the null class with
	// probability ClassDropout by Step).
	Y            compute.Buffer
	ClassDropout float32
	Acts         *model.Activations
	DPred        compute.Buffer // (B*T, C)
}

// NewTrainer uploads the state in st (Params, EMA, M, V) to be.
func NewTrainer(be compute.Backend, m *model.DiT, obj flow.Objective, tc config.Train, seed uint64, st *model.Checkpoint) *Trainer {
	if len(st.EMA) != m.NParams {
		panic(fmt.Sprintf("train: EMA of %d values for %d parameters", len(st.EMA), m.NParams))
	}
	B, X := tc.Batch, m.Cfg.T*m.Cfg.C
	var y compute.Buffer
	if m.Cfg.NumClasses > 0 {
		y = be.Alloc(B)
	}
	ema := be.Alloc(m.NParams)
	be.Upload(ema, st.EMA)
	return &Trainer{
		Optim: newState(be, tc, st.Params, st.M, st.V),
		be:    be, m: m, obj: obj, tc: tc, seed: seed, EMA: ema,
		Batch: flow.NewBatch(be, B, X), Acts: m.NewActivations(be, B), DPred: be.Alloc(B * X), Y: y,
	}
}

// Free releases the device state.
func (tr *Trainer) Free() {
	tr.Optim.free()
	tr.be.Free(tr.EMA)
	tr.be.Free(tr.DPred)
	if tr.Y != nil {
		tr.be.Free(tr.Y)
	}
	tr.Batch.Free(tr.be)
	tr.Acts.Free()
}

// Inputs returns the buffers the loop fills: the data X1 and the labels Y.
func (tr *Trainer) Inputs() (x, y compute.Buffer) { return tr.Batch.X1, tr.Y }

// State is the optimiser state.
func (tr *Trainer) State() *Optim { return tr.Optim }

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
		be.DropLabels(tr.Y, philox.Key{Seed: tr.seed, Step: uint64(step), Stream: philox.StreamLabelDrop},
			tr.ClassDropout, float32(tr.m.Cfg.NumClasses))
	}
	tr.m.Forward(be, tr.Params, tr.Acts, tr.Batch.Xt, tr.Batch.T, tr.Y)
	tr.obj.Loss(be, tr.Loss, tr.DPred, tr.Acts.Out, tr.Batch)
	tr.m.Backward(be, tr.Params, tr.Grads, tr.Acts, tr.Batch.Xt, tr.DPred)
	lr = tr.update(step)
	if tc.EMADecay > 0 {
		// EMA warm-up: the decay grows as (1+step)/(10+step) up to ema_decay, so early
		// averages are not dominated by the initial weights.
		be.EMA(tr.EMA, tr.Params, emaDecay(tc.EMADecay, step))
	} else {
		be.Copy(tr.EMA, tr.Params)
	}
	return lr
}

// Download copies the whole training state into st (Params, EMA, M, V) and waits.
func (tr *Trainer) Download(st *model.Checkpoint) error {
	tr.be.Download(st.EMA, tr.EMA)
	return tr.Optim.Download(st.Params, st.M, st.V)
}

// CaptureStep records optimizer step `step` into a graph on a backend that
// can capture (compute.Capturer: the CUDA backend) without running it. Each
// Launch replays that very step: the same noise, times, label dropout, learning
// rate, bias corrections and EMA decay, on the current weights and batch. That
// times the step's work exactly (bin/bench -graph); the training loop captures
// StepAt instead, which reads those values from the device (Loop.Graph). Run at least one
// Step before, so scratch buffers have their final sizes.
func (tr *Trainer) CaptureStep(step int) (compute.Graph, error) {
	c, ok := tr.be.(compute.Capturer)
	if !ok {
		return nil, fmt.Errorf("train: the %s backend cannot capture a step (CUDA graphs only)", tr.be.Name())
	}
	return c.CaptureGraph(func() { tr.Step(step) })
}
