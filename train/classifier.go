package train

import (
	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/model"
)

// ClassifierStepper is the evaluation classifier's stepper: softmax
// cross-entropy of an MLP on labelled images.
type ClassifierStepper struct {
	*Optim
	be      compute.Backend
	m       *model.MLP
	acts    *model.MLPActivations
	x, y    compute.Buffer // (B, In), (B) the batch
	dlogits compute.Buffer // (B, K)
}

// NewClassifierStepper uploads the initial parameters init for training m with tc.
func NewClassifierStepper(be compute.Backend, m *model.MLP, tc config.Train, init []float32) *ClassifierStepper {
	B := tc.Batch
	return &ClassifierStepper{Optim: newState(be, tc, init, nil, nil), be: be, m: m, acts: m.NewActivations(be, B),
		x: be.Alloc(B * m.In()), y: be.Alloc(B), dlogits: be.Alloc(B * m.Out())}
}

// Inputs returns the batch buffers: images and labels.
func (s *ClassifierStepper) Inputs() (x, y compute.Buffer) { return s.x, s.y }

// State is the optimiser state.
func (s *ClassifierStepper) State() *Optim { return s.Optim }

// Step queues optimiser step `step`.
func (s *ClassifierStepper) Step(step int) (lr float64) {
	be, m := s.be, s.m
	be.Fill(s.Grads, 0)
	m.Forward(be, s.Params, s.acts, s.x)
	be.SoftmaxCrossEntropy(s.Loss, s.dlogits, s.acts.Out, s.y, m.Out())
	m.Backward(be, s.Params, s.Grads, s.acts, s.x, s.dlogits, nil)
	return s.update(step)
}

// Free releases the device state.
func (s *ClassifierStepper) Free() {
	s.Optim.free()
	s.acts.Free()
	for _, b := range []compute.Buffer{s.x, s.y, s.dlogits} {
		s.be.Free(b)
	}
}
