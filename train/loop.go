package train

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/internal/progress"
	"github.com/latentflow/latentflow/philox"
)

// Stepper is one model's optimiser step: the flow (Trainer), the
// autoencoder and the classifier. The loop fills the batch, calls Step, and
// reads the State at log time.
type Stepper interface {
	// Inputs returns the buffers the loop fills before each Step: x (B, X)
	// and the labels y (B), nil for a model without labels.
	Inputs() (x, y compute.Buffer)
	// Step queues optimiser step `step` (1-based) on the batch, adding the
	// batch loss to State().Loss, and returns the learning rate. It reads
	// nothing back from the device.
	Step(step int) (lr float64)
	// State is the device state of the model.
	State() *Optim
}

// Source fills the batch of a training step.
type Source interface {
	// Fill fills x (B, X) and, when y is not nil, the labels y (B) with the
	// batch of step `step`.
	Fill(be compute.Backend, x, y compute.Buffer, step uint64)
}

// Rows is a Source of batches drawn from a fixed set of rows resident on the
// device: row indices uniform in [0, N) from the Philox stream
// (Seed, step, Stream), gathered by the device.
type Rows struct {
	X      compute.Buffer // (N, Width)
	Y      compute.Buffer // (N) labels, or nil
	N      int
	Width  int
	Seed   uint64
	Stream uint32
	idx    compute.Buffer // (B)
}

// Fill gathers the rows of step `step`.
func (r *Rows) Fill(be compute.Backend, x, y compute.Buffer, step uint64) {
	B := x.Len() / r.Width
	if r.idx == nil {
		r.idx = be.Alloc(B)
	}
	be.UniformIndex(r.idx, r.N, philox.Key{Seed: r.Seed, Step: step, Stream: r.Stream})
	be.GatherRows(x, r.X, r.idx, r.Width)
	if y != nil {
		be.GatherRows(y, r.Y, r.idx, 1)
	}
}

// Free releases the index buffer (X and Y belong to the caller).
func (r *Rows) Free(be compute.Backend) {
	if r.idx != nil {
		be.Free(r.idx)
		r.idx = nil
	}
}

// Record is one line of metrics.jsonl: the mean loss over the log interval
// that ends at Step, read at that step with the gradient norm.
type Record struct {
	Step     int     `json:"step"`
	Loss     float64 `json:"loss"`      // mean batch loss since the last record
	GradNorm float64 `json:"grad_norm"` // the gradient norm of Step, before clipping
	LR       float64 `json:"lr"`        // the learning rate of Step
	ItPerS   float64 `json:"it_per_s"`  // steps per second since the last record
	ElapsedS float64 `json:"elapsed_s"` // seconds since the loop started
}

// Loop is the training loop: it drives one Stepper from step First to
// Steps, fills every batch from a Source, reads the loss and the gradient
// norm at log steps (the only reads from the device, besides the progress
// display's loss), writes a Record per log step, stops when training
// diverges, and calls the checkpoint hook.
type Loop struct {
	Name     string // "" for the flow, else a prefix of errors and of the progress line
	Steps    int    // the last step
	First    int    // the first step (1, or the step after a resume)
	LogEvery int    // a Record every LogEvery steps and at the last step
	// CkptEvery > 0 calls Checkpoint every CkptEvery steps (but the last);
	// Checkpoint (nil: none) is also called after the last step. The loop
	// checks for divergence first: diverged weights are never saved.
	CkptEvery  int
	Checkpoint func(step int) error
	Metrics    io.Writer // JSON lines of Record (nil: none)
	Progress   io.Writer // the progress display (nil: none)
	Terminal   bool      // Progress is a terminal: one line rewritten in place
	// CkptInterval > 0 also calls Checkpoint after the step that ends
	// CkptInterval of wall time since the loop started or last checkpointed
	// (train.ckpt_minutes).
	CkptInterval time.Duration
	// Interrupt, when closed (a signal), ends the loop after the step that
	// is running: Checkpoint is called for that step and Run returns with
	// Summary.Interrupted.
	Interrupt <-chan struct{}
	// ElapsedStart is added to every Record's ElapsedS: the seconds the run
	// had trained before a resume.
	ElapsedStart float64
	// Resume is the log interval a resumed run was checkpointed in (the
	// Carry of its checkpoint), so that the first Record after First
	// averages the same steps as without the interruption.
	Resume Carry
	carry  Carry // the interval at the checkpoint being written
	// StopAfter > 0 ends the loop right after the checkpoint of that step,
	// as if the process had been killed (tests of resume).
	StopAfter int
	// Queued (nil: none) is called after each step has been queued, before
	// its log and checkpoint: bin/bench starts its clock there after the
	// warm-up steps (it may wait for the device; the loop reads nothing).
	Queued func(step int) error
	// Graph reads the per-step values (Philox keys, learning rate, bias
	// corrections, EMA decay) from a step counter on the device, and, on a
	// backend that can capture (compute.Capturer), captures one step and
	// replays it every step (train.graph). The Stepper must be a DevStepper
	// and the Source a DevSource. The numbers equal those of the direct loop
	// bit for bit.
	Graph bool
}

// Carry is the part of a log interval a checkpoint cuts: the sum of the
// step losses since the last Record and the number of those steps.
type Carry struct {
	Loss  float32
	Steps int
}

// Carry returns the log interval cut by the checkpoint being written; the
// Checkpoint hook stores it (model.Checkpoint.Carry) for Loop.Resume.
func (l *Loop) Carry() Carry { return l.carry }

// Summary is what a finished loop reports.
type Summary struct {
	Steps     int     // the last step run
	FinalLoss float64 // mean loss of the last log interval
	Seconds   float64 // wall time of the loop
	Stopped   bool    // ended by StopAfter
	// Interrupted: ended by Interrupt after step Steps (checkpointed when
	// the loop has a Checkpoint hook).
	Interrupted bool
}

// Run trains s on the batches of src.
func (l *Loop) Run(be compute.Backend, s Stepper, src Source) (Summary, error) {
	fail := func(err error) (Summary, error) {
		if l.Name != "" {
			err = fmt.Errorf("%s: %w", l.Name, err)
		}
		return Summary{}, err
	}
	st := s.State()
	x, y := s.Inputs()
	first := max(l.First, 1)
	var enc *json.Encoder
	if l.Metrics != nil {
		enc = json.NewEncoder(l.Metrics)
	}
	pr := progress.New(l.Progress, l.Terminal, l.Name, first, l.Steps)
	defer pr.Done()
	start := time.Now()
	lastLog, logStart, lastCkpt := start, first-1, start
	res := Summary{Steps: first - 1}
	losses := 0 // steps whose loss is in st.Loss
	if first > 1 && l.Resume.Steps > 0 {
		be.Upload(st.Loss, []float32{l.Resume.Loss})
		losses = l.Resume.Steps
	}
	queue := func(step int) (lr float64, err error) {
		src.Fill(be, x, y, uint64(step))
		return s.Step(step), nil
	}
	if l.Graph {
		q, release, err := l.runAt(be, s, src, first)
		if err != nil {
			return fail(err)
		}
		defer release()
		queue = func(step int) (float64, error) { return st.lr.LR(step), q(step) }
	}
	for step := first; step <= l.Steps; step++ {
		lr, err := queue(step)
		if err != nil {
			return fail(err)
		}
		if l.Queued != nil {
			if err := l.Queued(step); err != nil {
				return fail(err)
			}
		}
		losses++
		res.Steps = step

		if step%l.LogEvery == 0 || step == l.Steps {
			gnorm, _, err := st.GradNorm()
			if err != nil {
				return fail(err)
			}
			var sum [1]float32
			be.Download(sum[:], st.Loss)
			be.Fill(st.Loss, 0)
			if err := be.Sync(); err != nil {
				return Summary{}, err
			}
			now := time.Now()
			res.FinalLoss = float64(sum[0]) / float64(losses)
			r := Record{Step: step, Loss: res.FinalLoss, GradNorm: gnorm, LR: lr,
				ItPerS: float64(step-logStart) / now.Sub(lastLog).Seconds(), ElapsedS: l.ElapsedStart + now.Sub(start).Seconds()}
			if enc != nil {
				if err := enc.Encode(r); err != nil {
					return Summary{}, fmt.Errorf("writing metrics: %w", err)
				}
			}
			lastLog, logStart, losses = now, step, 0
			if math.IsNaN(res.FinalLoss) {
				return fail(fmt.Errorf("step %d: loss is NaN (training diverged)", step))
			}
		}
		if pr.Due(step) {
			loss := res.FinalLoss
			if losses > 0 { // the rolling mean of the interval so far
				var sum [1]float32
				be.Download(sum[:], st.Loss)
				if err := be.Sync(); err != nil {
					return Summary{}, err
				}
				loss = float64(sum[0]) / float64(losses)
			}
			pr.Print(step, loss)
		}
		if interrupted(l.Interrupt) && step != l.Steps {
			if l.Checkpoint != nil {
				if err := l.save(st, step, losses); err != nil {
					return fail(err)
				}
			}
			res.Interrupted = true
			res.Seconds = time.Since(start).Seconds()
			return res, nil
		}
		byTime := l.CkptInterval > 0 && time.Since(lastCkpt) >= l.CkptInterval
		if l.Checkpoint != nil && step != l.Steps && (byTime || l.CkptEvery > 0 && step%l.CkptEvery == 0) {
			if err := l.save(st, step, losses); err != nil {
				return fail(err)
			}
			lastCkpt = time.Now()
			if step == l.StopAfter {
				res.Stopped = true
				return res, nil
			}
		}
	}
	pr.Done()
	res.Seconds = time.Since(start).Seconds()
	if l.Checkpoint != nil {
		if err := l.save(st, res.Steps, losses); err != nil {
			return fail(err)
		}
	}
	return res, nil
}

// interrupted reports whether c is closed (never for nil).
func interrupted(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// save checks for divergence, then calls the checkpoint hook with the
// carry of the log interval (losses steps in st.Loss).
func (l *Loop) save(st *Optim, step, losses int) error {
	// A NaN or infinite gradient norm between two logs shows only in the
	// divergence flag.
	if _, _, err := st.GradNorm(); err != nil {
		return err
	}
	l.carry = Carry{Steps: losses}
	if losses > 0 {
		var sum [1]float32
		st.be.Download(sum[:], st.Loss)
		if err := st.be.Sync(); err != nil {
			return err
		}
		l.carry.Loss = sum[0]
	}
	return l.Checkpoint(step)
}
