package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/flow"
	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/internal/atomicfile"
	"github.com/latentflow/latentflow/internal/cli"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
)

// Options are the run's files and terminal.
type Options struct {
	Out      string    // run directory (created if needed)
	Resume   bool      // continue from Out/ckpt.safetensors
	Log      io.Writer // one-line messages (nil: discarded)
	Progress io.Writer // the live progress line, rewritten with \r (nil: none)
}

// Result summarises a finished run.
type Result struct {
	Steps     int
	FinalLoss float64 // mean loss of the last log interval
	Seconds   float64 // wall time of the training loop
	Ckpt      string
	Files     []string // every file written
}

// OpenBackend returns the compute backend for config key device.
func OpenBackend(device string) (compute.Backend, error) {
	return gpu.Open(device)
}

// Run trains the velocity field described by cfg (already validated).
func Run(cfg config.Config, o Options) (*Result, error) {
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	be, err := OpenBackend(cfg.Device)
	if err != nil {
		return nil, cli.Input(err)
	}
	mc := ModelConfig(cfg)
	if err := mc.Validate(); err != nil {
		return nil, cli.Input(err)
	}
	obj, err := flow.NewObjective(cfg.Flow.Path, cfg.Flow.SigmaMin, cfg.Flow.BetaMin, cfg.Flow.BetaMax,
		cfg.Flow.TimeSampling, cfg.Flow.LogitMean, cfg.Flow.LogitStd)
	if err != nil {
		return nil, cli.Input(err)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("creating run directory: %w", err)
	}
	var (
		src *source
		img *imageStage
	)
	switch {
	case cfg.Data.Latents():
		rows, labels, err := LoadLatents(cfg)
		if err != nil {
			return nil, cli.Input(err)
		}
		logf("imported latents: %d rows of %d x %d from %s", len(rows)/(mc.T*mc.C), mc.T, mc.C, cfg.Data.NPY)
		src = newArraySource(rows, labels, mc)
	case cfg.Data.Images():
		if img, err = prepareImages(be, cfg, o, logf); err != nil {
			return nil, err
		}
		src = newArraySource(img.latents, floats(img.images.YTrain), mc)
		if mc.NumClasses == 0 {
			src.labels = nil
		} else if mc.NumClasses < img.images.Classes {
			return nil, cli.Inputf("model.num_classes = %d, but %s has %d classes", mc.NumClasses, img.images.Name, img.images.Classes)
		}
		src.mean, src.std = img.ae.Mean, img.ae.Std
	default:
		if src, err = newSource(cfg, mc); err != nil {
			return nil, cli.Input(err)
		}
	}
	ckptPath := filepath.Join(o.Out, "ckpt.safetensors")

	m := model.NewDiT(mc)
	st := &Checkpoint{Config: cfg, Model: m, Mean: src.mean, Std: src.std}
	if o.Resume {
		old, err := LoadCheckpoint(ckptPath)
		if err != nil {
			return nil, cli.Inputf("resuming: %w", err)
		}
		if old.Model.NParams != m.NParams || len(old.Model.Layout) != len(m.Layout) {
			return nil, cli.Inputf("resuming: %s was trained with a different model shape", ckptPath)
		}
		if old.M == nil {
			return nil, cli.Inputf("resuming: %s holds no optimizer state", ckptPath)
		}
		if old.Step > cfg.Train.Steps {
			return nil, cli.Inputf("resuming: %s is at step %d, beyond train.steps = %d", ckptPath, old.Step, cfg.Train.Steps)
		}
		st.Step, st.Params, st.EMA, st.M, st.V = old.Step, old.Params, old.EMA, old.M, old.V
		st.Mean, st.Std = old.Mean, old.Std // keep the normalisation the weights were trained with
		src.mean, src.std = old.Mean, old.Std
		logf("resuming %s at step %d", ckptPath, st.Step)
	} else {
		st.Params = m.Init(cfg.Seed)
		st.EMA = append([]float32(nil), st.Params...)
		st.M, st.V = make([]float32, m.NParams), make([]float32, m.NParams)
	}
	cfgText, err := cfg.Encode()
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(o.Out, "config.toml")
	if err := atomicfile.WriteBytes(cfgPath, cfgText); err != nil {
		return nil, fmt.Errorf("writing %s: %w", cfgPath, err)
	}
	res := &Result{Ckpt: ckptPath, Files: []string{cfgPath}}

	tr := NewTrainer(be, m, obj, cfg.Train, cfg.Seed, st)
	defer tr.Free()
	tr.ClassDropout = float32(cfg.Model.ClassDropout)
	params, ema, mom, vel, lossAcc := tr.Params, tr.EMA, tr.M, tr.V, tr.Loss
	B, X := cfg.Train.Batch, mc.T*mc.C
	src.upload(be)

	metricsPath := filepath.Join(o.Out, "metrics.jsonl")
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if o.Resume {
		// Lines logged after the checkpoint (by a run that then died) are dropped:
		// those steps are about to be run again.
		if err := truncateMetrics(metricsPath, st.Step); err != nil {
			return nil, err
		}
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	mf, err := os.OpenFile(metricsPath, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening metrics: %w", err)
	}
	defer mf.Close()
	res.Files = append(res.Files, metricsPath)
	enc := json.NewEncoder(mf)

	save := func() error {
		// Never checkpoint diverged weights (a NaN or infinite gradient norm
		// between two logs shows only in the divergence flag).
		if _, _, err := tr.GradNorm(); err != nil {
			return err
		}
		for _, p := range []struct {
			dst *[]float32
			b   compute.Buffer
		}{{&st.Params, params}, {&st.EMA, ema}, {&st.M, mom}, {&st.V, vel}} {
			be.Download(*p.dst, p.b)
		}
		if err := be.Sync(); err != nil {
			return err
		}
		return st.Save(ckptPath)
	}

	tc := cfg.Train
	logf("training %d parameters on %s: %d steps of batch %d, data %s (dimension %d = %d tokens x %d channels)",
		m.NParams, be.Name(), tc.Steps, B, cfg.Data.Kind, X, mc.T, mc.C)
	start := time.Now()
	lastLog, logStart, first := start, st.Step, st.Step+1
	var progressAt time.Time
	losses := 0
	for step := st.Step + 1; step <= tc.Steps; step++ {
		src.batch(be, tr.Batch.X1, tr.Y, cfg.Seed, uint64(step))
		lr := tr.Step(step)
		losses++
		st.Step = step

		if step%tc.LogEvery == 0 || step == tc.Steps {
			// The only reads from the device: the gradient norm (and the
			// divergence flag) and the summed loss, at log intervals.
			gnorm, _, err := tr.GradNorm()
			if err != nil {
				return nil, err
			}
			var l [1]float32
			be.Download(l[:], lossAcc)
			be.Fill(lossAcc, 0)
			if err := be.Sync(); err != nil {
				return nil, err
			}
			now := time.Now()
			ips := float64(step-logStart) / now.Sub(lastLog).Seconds()
			res.FinalLoss = float64(l[0]) / float64(losses)
			if err := enc.Encode(map[string]any{"step": step, "loss": res.FinalLoss, "grad_norm": gnorm, "lr": lr,
				"it_per_s": ips, "elapsed_s": now.Sub(start).Seconds()}); err != nil {
				return nil, fmt.Errorf("writing metrics: %w", err)
			}
			lastLog, logStart, losses = now, step, 0
			if math.IsNaN(res.FinalLoss) {
				return nil, fmt.Errorf("step %d: loss is NaN (training diverged)", step)
			}
		}
		if o.Progress != nil && (time.Since(progressAt) > 500*time.Millisecond || step == tc.Steps) {
			progressAt = time.Now()
			rate := float64(step-first+1) / time.Since(start).Seconds()
			eta := time.Duration(float64(tc.Steps-step)/rate) * time.Second
			fmt.Fprintf(o.Progress, "\rstep %d/%d  loss %.4f  %.1f it/s  ETA %s   ", step, tc.Steps, res.FinalLoss, rate, eta.Round(time.Second))
		}
		if tc.CkptEvery > 0 && step%tc.CkptEvery == 0 && step != tc.Steps {
			if err := save(); err != nil {
				return nil, err
			}
			if step == stopAt {
				return res, nil
			}
		}
	}
	if o.Progress != nil {
		fmt.Fprintln(o.Progress)
	}
	res.Steps, res.Seconds = st.Step, time.Since(start).Seconds()
	if err := save(); err != nil {
		return nil, err
	}
	res.Files = append(res.Files, ckptPath)
	logf("trained %d steps in %.1f s; final loss %.4f", res.Steps, res.Seconds, res.FinalLoss)
	if img != nil {
		files, err := img.finish(be, st, o.Out, logf)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, files...)
	}
	if tc.Plots {
		files, err := Figures(be, st, metricsPath, o.Out, logf)
		if err != nil {
			return nil, fmt.Errorf("drawing figures: %w", err)
		}
		res.Files = append(res.Files, files...)
	}
	return res, nil
}

// stopAt lets tests end a run abruptly after the checkpoint of this step (0: never).
var stopAt int

// DataShape is the shape of one sample in data space: (2) for the built-in 2D
// data sets, whatever their tokenisation (T, C) inside the model.
func DataShape(c config.Config) []int {
	return []int{2}
}

// source delivers training batches of normalised data.
type source struct {
	kind      string
	size      int       // rows of a fixed set, 0 = fresh samples each step
	X         int       // floats per row
	mean, std []float32 // (C) per-channel normalisation
	host      []float32 // the fixed set (size, X), normalised
	labels    []float32 // (size) class labels of the fixed set, or nil
	dev       compute.Buffer
	ydev      compute.Buffer
	idx       compute.Buffer
}

// newArraySource serves batches of a fixed set of rows (latents) with
// optional labels, normalised per channel.
func newArraySource(rows, labels []float32, mc model.Config) *source {
	X := mc.T * mc.C
	s := &source{kind: "array", size: len(rows) / X, X: X, host: rows, labels: labels}
	s.mean, s.std = channelStats(rows, mc.C)
	return s
}

func newSource(cfg config.Config, mc model.Config) (*source, error) {
	const dim = 2 // every built-in data set is 2-dimensional
	X := mc.T * mc.C
	if X != dim {
		return nil, fmt.Errorf("model.tokens * model.chans = %d * %d = %d, but data.kind = %q has dimension %d", mc.T, mc.C, X, cfg.Data.Kind, dim)
	}
	if mc.NumClasses > 0 {
		return nil, fmt.Errorf("model.num_classes = %d, but data.kind = %q has no labels", mc.NumClasses, cfg.Data.Kind)
	}
	s := &source{kind: cfg.Data.Kind, size: cfg.Data.Size, X: X}
	// Normalisation statistics from the fixed set, or from 2^16 samples of the generator.
	n := s.size
	if n == 0 {
		n = 1 << 16
	}
	ref, err := data.Toy(s.kind, n, philox.Key{Seed: cfg.Seed, Step: math.MaxUint64, Stream: flow.StreamData})
	if err != nil {
		return nil, fmt.Errorf("data.kind: %w", err)
	}
	s.mean, s.std = channelStats(ref, mc.C)
	if s.size > 0 {
		s.host = ref
	}
	return s, nil
}

// upload normalises a fixed data set with (mean, std) and moves it to the device.
func (s *source) upload(be compute.Backend) {
	if s.host != nil {
		v := slices.Clone(s.host)
		normalise(v, s.mean, s.std)
		s.dev = be.Alloc(len(v))
		be.Upload(s.dev, v)
	}
	if s.labels != nil {
		s.ydev = be.Alloc(len(s.labels))
		be.Upload(s.ydev, s.labels)
	}
}

// batch fills x1 (B, X) with the batch of training step `step`, and y (B)
// with its labels when y is not nil.
func (s *source) batch(be compute.Backend, x1, y compute.Buffer, seed, step uint64) {
	B := x1.Len() / s.X
	if s.dev != nil {
		if s.idx == nil {
			s.idx = be.Alloc(B)
		}
		be.UniformIndex(s.idx, s.size, philox.Key{Seed: seed, Step: step, Stream: flow.StreamIndex})
		be.GatherRows(x1, s.dev, s.idx, s.X)
		if y != nil {
			be.GatherRows(y, s.ydev, s.idx, 1)
		}
		return
	}
	v, err := data.Toy(s.kind, B, philox.Key{Seed: seed, Step: step, Stream: flow.StreamData})
	if err != nil {
		panic(err) // the kind was checked in newSource
	}
	normalise(v, s.mean, s.std)
	be.Upload(x1, v)
}

// channelStats returns the per-channel mean and standard deviation of rows of
// interleaved channels (..., C).
func channelStats(v []float32, C int) (mean, std []float32) {
	s, s2 := make([]float64, C), make([]float64, C)
	for i, x := range v {
		s[i%C] += float64(x)
		s2[i%C] += float64(x) * float64(x)
	}
	n := float64(len(v) / C)
	mean, std = make([]float32, C), make([]float32, C)
	for c := range s {
		mu := s[c] / n
		mean[c] = float32(mu)
		std[c] = float32(math.Sqrt(math.Max(s2[c]/n-mu*mu, 1e-12)))
	}
	return mean, std
}

func normalise(v, mean, std []float32) {
	C := len(mean)
	for i := range v {
		v[i] = (v[i] - mean[i%C]) / std[i%C]
	}
}

// Denormalise maps model-space samples back to data space in place.
func Denormalise(v, mean, std []float32) {
	C := len(mean)
	for i := range v {
		v[i] = v[i]*std[i%C] + mean[i%C]
	}
}

// truncateMetrics keeps the lines of a metrics.jsonl file whose step is at most `step`.
func truncateMetrics(path string, step int) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading metrics: %w", err)
	}
	var keep []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		var r struct {
			Step int `json:"step"`
		}
		if len(bytes.TrimSpace(line)) == 0 || json.Unmarshal(line, &r) != nil || r.Step > step {
			continue
		}
		keep = append(keep, line...)
	}
	if err := atomicfile.WriteBytes(path, keep); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
