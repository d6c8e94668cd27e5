package train

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/config"
)

// fakeStepper adds a fixed loss each step and sets every gradient to g
// (NaN from step nanAt on, when nanAt > 0).
type fakeStepper struct {
	*Optim
	be    compute.Backend
	x     compute.Buffer
	loss  compute.Buffer // (1) the loss of every step
	g     float32
	nanAt int
	fills []uint64 // the steps the source filled
}

func (s *fakeStepper) Inputs() (x, y compute.Buffer) { return s.x, nil }
func (s *fakeStepper) State() *Optim                 { return s.Optim }
func (s *fakeStepper) Step(step int) float64 {
	g := s.g
	if s.nanAt > 0 && step >= s.nanAt {
		g = float32(math.NaN())
	}
	s.be.Fill(s.Grads, g)
	s.be.Axpy(1, s.loss, s.Loss)
	return s.update(step)
}

// Fill records the step (the stepper is its own source).
func (s *fakeStepper) Fill(_ compute.Backend, _, _ compute.Buffer, step uint64) {
	s.fills = append(s.fills, step)
}

func newFake(be compute.Backend, tc config.Train, loss float32) *fakeStepper {
	s := &fakeStepper{Optim: newState(be, tc, make([]float32, 4), nil, nil), be: be, x: be.Alloc(4), loss: be.Alloc(1), g: 0.1}
	be.Fill(s.loss, loss)
	return s
}

// The loop fills every batch, writes one Record per log step (and the last),
// checkpoints every CkptEvery steps and after the last, and stops after
// the checkpoint of StopAfter.
func TestLoopRecordsAndCheckpoints(t *testing.T) {
	be := cpu.New(1)
	tc := StageTrain(10, 1, 2, 1e-3, 4)
	s := newFake(be, tc, 0.5)
	var metrics bytes.Buffer
	var saved []int
	l := Loop{Steps: 10, First: 1, LogEvery: 4, CkptEvery: 3, Metrics: &metrics,
		Checkpoint: func(step int) error { saved = append(saved, step); return nil }}
	sum, err := l.Run(be, s, s)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; !slices.Equal(s.fills, want) {
		t.Errorf("filled steps %v, want %v", s.fills, want)
	}
	if want := []int{3, 6, 9, 10}; !slices.Equal(saved, want) {
		t.Errorf("checkpoints at %v, want %v", saved, want)
	}
	var steps []int
	for _, line := range strings.Split(strings.TrimSpace(metrics.String()), "\n") {
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, r.Step)
		if r.Loss != 0.5 || math.Abs(r.GradNorm-0.2) > 1e-6 || r.LR != ScheduleOf(tc).LR(r.Step) {
			t.Errorf("record %+v: want loss 0.5, grad_norm 0.2 (4 x 0.1), the schedule's lr", r)
		}
	}
	if want := []int{4, 8, 10}; !slices.Equal(steps, want) {
		t.Errorf("records at steps %v, want %v", steps, want)
	}
	if sum.Steps != 10 || sum.FinalLoss != 0.5 || sum.Stopped {
		t.Errorf("summary %+v", sum)
	}

	// Resumed at step 7 and stopped after the checkpoint of step 9.
	s = newFake(be, tc, 0.5)
	saved = nil
	l.First, l.StopAfter, l.Metrics = 7, 9, nil
	if sum, err = l.Run(be, s, s); err != nil || !sum.Stopped || sum.Steps != 9 || !slices.Equal(saved, []int{9}) {
		t.Errorf("stop after 9: summary %+v, checkpoints %v, err %v", sum, saved, err)
	}
}

// A NaN gradient between two logs stops the loop at the next checkpoint,
// before the hook runs: diverged weights are never saved.
func TestLoopStopsOnDivergence(t *testing.T) {
	be := cpu.New(1)
	tc := StageTrain(10, 1, 2, 1e-3, 4)
	s := newFake(be, tc, 0.5)
	s.nanAt = 5
	var saved []int
	l := Loop{Name: "fake", Steps: 10, First: 1, LogEvery: 4, CkptEvery: 3,
		Checkpoint: func(step int) error { saved = append(saved, step); return nil }}
	_, err := l.Run(be, s, s)
	if err == nil || !strings.Contains(err.Error(), "fake: step 6: gradient norm is NaN") {
		t.Errorf("error %v, want the divergence at step 6", err)
	}
	if !slices.Equal(saved, []int{3}) {
		t.Errorf("checkpoints at %v, want only step 3", saved)
	}
}

// CkptInterval checkpoints by wall time (here after every step); a closed
// Interrupt ends the loop after the running step with a checkpoint and the
// carry of the cut log interval; Resume continues that interval.
func TestLoopTimedCheckpointsAndInterrupt(t *testing.T) {
	be := cpu.New(1)
	tc := StageTrain(10, 1, 2, 1e-3, 4)
	s := newFake(be, tc, 0.5)
	var saved []int
	l := Loop{Steps: 10, First: 1, LogEvery: 4, CkptInterval: time.Nanosecond,
		Checkpoint: func(step int) error { saved = append(saved, step); return nil }}
	if _, err := l.Run(be, s, s); err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; !slices.Equal(saved, want) {
		t.Errorf("timed checkpoints at %v, want %v", saved, want)
	}

	stop := make(chan struct{})
	close(stop)
	s = newFake(be, tc, 0.5)
	saved = nil
	var carry Carry
	l = Loop{Steps: 10, First: 7, LogEvery: 4, Interrupt: stop}
	l.Checkpoint = func(step int) error { saved, carry = append(saved, step), l.Carry(); return nil }
	sum, err := l.Run(be, s, s)
	if err != nil || !sum.Interrupted || sum.Steps != 7 || !slices.Equal(saved, []int{7}) || carry.Steps != 1 || carry.Loss != 0.5 {
		t.Fatalf("interrupt: summary %+v, checkpoints %v, carry %+v, err %v", sum, saved, carry, err)
	}
	// Resumed after step 7 with the carry: the record at step 8 is the mean
	// over steps 5..8: three carried (sum 1.5) and step 8.
	s = newFake(be, tc, 0.5)
	var metrics bytes.Buffer
	l = Loop{Steps: 10, First: 8, LogEvery: 4, Metrics: &metrics, Resume: Carry{Loss: 1.5, Steps: 3}}
	if _, err := l.Run(be, s, s); err != nil {
		t.Fatal(err)
	}
	var r Record
	if err := json.Unmarshal([]byte(strings.Split(metrics.String(), "\n")[0]), &r); err != nil || r.Step != 8 || r.Loss != 0.5 {
		t.Errorf("first record after resume %+v (%v), want step 8, loss (1.5 + 0.5) / 4 = 0.5", r, err)
	}
}
