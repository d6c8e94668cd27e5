package train

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/philox"
)

// fitSpec is a supervised training job on a fixed data set resident on the
// device: stage 1 (the autoencoder) and the evaluation classifier.
type fitSpec struct {
	name    string       // for messages
	tc      config.Train // steps, batch, LR schedule, AdamW, clipping (EMA unused)
	init    []float32    // initial parameters
	x       compute.Buffer
	y       compute.Buffer // (n) labels or nil
	n, X    int            // rows and floats per row of x
	stream  uint32         // Philox stream of the batch indices
	metrics string         // metrics.jsonl path
	// step adds the batch loss to loss[0] and writes the gradient into grads
	// (zeroed before the call) for the batch xb (B, X) and labels yb (B or nil).
	step func(params, grads, xb, yb, loss compute.Buffer, step int)
}

// fit runs AdamW on spec and returns the trained parameters.
func fit(be compute.Backend, seed uint64, spec fitSpec, progress io.Writer) ([]float32, error) {
	tc := spec.tc
	P, B := len(spec.init), tc.Batch
	params, grads, m, v, loss, clip := be.Alloc(P), be.Alloc(P), be.Alloc(P), be.Alloc(P), be.Alloc(1), be.Alloc(3)
	xb, idx := be.Alloc(B*spec.X), be.Alloc(B)
	var yb compute.Buffer
	if spec.y != nil {
		yb = be.Alloc(B)
	}
	defer func() {
		for _, b := range []compute.Buffer{params, grads, m, v, loss, clip, xb, idx, yb} {
			if b != nil {
				be.Free(b)
			}
		}
	}()
	be.Upload(params, spec.init)
	mf, err := os.Create(spec.metrics)
	if err != nil {
		return nil, fmt.Errorf("opening metrics: %w", err)
	}
	defer mf.Close()
	enc := json.NewEncoder(mf)
	start, lastLog, losses := time.Now(), time.Now(), 0
	var progressAt time.Time
	var last float64
	for step := 1; step <= tc.Steps; step++ {
		be.UniformIndex(idx, spec.n, philox.Key{Seed: seed, Step: uint64(step), Stream: spec.stream})
		be.GatherRows(xb, spec.x, idx, spec.X)
		if yb != nil {
			be.GatherRows(yb, spec.y, idx, 1)
		}
		be.Fill(grads, 0)
		spec.step(params, grads, xb, yb, loss, step)
		lr := adamUpdate(be, tc, step, params, grads, m, v, clip)
		losses++
		if step%tc.LogEvery == 0 || step == tc.Steps {
			gnorm, _, err := readClip(be, tc, clip, step)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", spec.name, err)
			}
			var l [1]float32
			be.Download(l[:], loss)
			be.Fill(loss, 0)
			if err := be.Sync(); err != nil {
				return nil, err
			}
			last = float64(l[0]) / float64(losses)
			now := time.Now()
			if err := enc.Encode(map[string]any{"step": step, "loss": last, "grad_norm": gnorm, "lr": lr,
				"it_per_s": float64(losses) / now.Sub(lastLog).Seconds(), "elapsed_s": now.Sub(start).Seconds()}); err != nil {
				return nil, fmt.Errorf("writing metrics: %w", err)
			}
			lastLog, losses = now, 0
			if math.IsNaN(last) {
				return nil, fmt.Errorf("%s: step %d: loss is NaN (training diverged)", spec.name, step)
			}
		}
		if progress != nil && (time.Since(progressAt) > 500*time.Millisecond || step == tc.Steps) {
			progressAt = time.Now()
			rate := float64(step) / time.Since(start).Seconds()
			eta := time.Duration(float64(tc.Steps-step)/rate) * time.Second
			fmt.Fprintf(progress, "\r%s step %d/%d  loss %.4f  %.1f it/s  ETA %s   ", spec.name, step, tc.Steps, last, rate, eta.Round(time.Second))
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	out := make([]float32, P)
	be.Download(out, params)
	return out, be.Sync()
}

// stageTrain is the optimiser setting of a stage-1 or classifier job: AdamW
// (0.9, 0.999, 1e-8, no weight decay), warmup then cosine decay to 5%,
// clipping at norm 1.
func stageTrain(steps, batch, warmup int, lr float64, logEvery int) config.Train {
	return config.Train{Steps: steps, Batch: batch, LR: lr, Warmup: warmup, Schedule: "cosine", MinLRRatio: 0.05,
		Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, GradClip: 1, LogEvery: logEvery}
}
