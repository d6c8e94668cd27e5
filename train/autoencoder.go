package train

import (
	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
)

// AEStepper is the autoencoder's stepper (stage 1 of an image run): the MSE
// reconstruction loss plus the weighted KL term, with the
// reparameterisation noise from the Philox stream (seed, step, StreamAENoise).
type AEStepper struct {
	*Optim
	be   compute.Backend
	m    *model.Autoencoder
	seed uint64
	acts *model.AEActivations
	x    compute.Buffer // (B, Pixels) the batch
	drec compute.Buffer // (B, Pixels)
}

// NewAEStepper uploads the initial parameters init for training m with tc.
func NewAEStepper(be compute.Backend, m *model.Autoencoder, tc config.Train, seed uint64, init []float32) *AEStepper {
	B, P := tc.Batch, m.Cfg.Pixels
	return &AEStepper{Optim: newState(be, tc, init, nil, nil), be: be, m: m, seed: seed,
		acts: m.NewActivations(be, B), x: be.Alloc(B * P), drec: be.Alloc(B * P)}
}

// Inputs returns the batch buffer (no labels).
func (s *AEStepper) Inputs() (x, y compute.Buffer) { return s.x, nil }

// State is the optimiser state.
func (s *AEStepper) State() *Optim { return s.Optim }

// Step queues optimiser step `step`; the logged loss includes the KL term.
func (s *AEStepper) Step(step int) (lr float64) {
	be, m := s.be, s.m
	be.Fill(s.Grads, 0)
	m.Forward(be, s.Params, s.acts, s.x, philox.Key{Seed: s.seed, Step: uint64(step), Stream: philox.StreamAENoise})
	be.MSELoss(s.Loss, s.drec, s.acts.Recon, s.x)
	if m.Cfg.KL > 0 {
		be.Axpy(1, s.acts.KL, s.Loss)
		be.Fill(s.acts.KL, 0)
	}
	m.Backward(be, s.Params, s.Grads, s.acts, s.x, s.drec)
	return s.update(step)
}

// Free releases the device state.
func (s *AEStepper) Free() {
	s.Optim.free()
	s.acts.Free()
	s.be.Free(s.x)
	s.be.Free(s.drec)
}

// StageTrain is the optimiser setting of an autoencoder or classifier job:
// AdamW (0.9, 0.999, 1e-8, no weight decay), warmup then cosine decay to 5%,
// clipping at norm 1.
func StageTrain(steps, batch, warmup int, lr float64, logEvery int) config.Train {
	return config.Train{Steps: steps, Batch: batch, LR: lr, Warmup: warmup, Schedule: "cosine", MinLRRatio: 0.05,
		Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, GradClip: 1, LogEvery: logEvery}
}
