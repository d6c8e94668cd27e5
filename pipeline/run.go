package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/flow"
	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/internal/atomicfile"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/train"
)

// Options are the run's files and terminal.
type Options struct {
	Out    string // run directory (created if needed)
	Resume bool   // continue from Out/ckpt.safetensors
	// Interrupt, when closed (SIGINT, SIGTERM), ends the stage that is
	// training after its current step, with a checkpoint (Result.Interrupted).
	Interrupt <-chan struct{}
	Log       io.Writer // one-line messages (nil: discarded)
	Progress  io.Writer // the progress display of the long stages (nil: none)
	Terminal  bool      // Progress is a terminal (a line rewritten in place; else a line every 30 s)

	stopAt int // tests: end abruptly after the checkpoint of this step (0: never)
}

// Result summarises a finished run.
type Result struct {
	Steps     int
	FinalLoss float64 // mean loss of the last log interval
	Seconds   float64 // wall time of the flow's training loop
	Ckpt      string
	Files     []string // every file written, in the order written
	// Interrupted names the stage that Options.Interrupt ended ("" when the
	// run finished); Steps is then its last step run.
	Interrupted string
}

// Run trains the velocity field described by cfg (already validated) and
// writes the run directory: the stages of an image run before the flow, the
// figures and samples after it. Failures caused by input are *InputError.
func Run(cfg config.Config, o Options) (*Result, error) {
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	// Every check before anything is allocated or written: the model, the
	// path, the memory of the whole run, the state to resume, the run
	// directory.
	be, err := openBackend(cfg.Device)
	if err != nil {
		return nil, err
	}
	mc := model.ConfigFrom(cfg)
	if err := mc.Validate(); err != nil {
		return nil, input("", err)
	}
	obj, err := flow.NewObjective(cfg.Flow)
	if err != nil {
		return nil, input("", err)
	}
	if err := CheckMemory(be, cfg); err != nil {
		return nil, err
	}
	res := &Result{Ckpt: filepath.Join(o.Out, "ckpt.safetensors")}
	m := model.NewDiT(mc)
	var old *model.Checkpoint // the state to resume, checked before any stage runs
	if o.Resume && exists(res.Ckpt) {
		if old, err = loadResume(res.Ckpt, cfg, m); err != nil {
			return nil, err
		}
	}
	// The data (and a given autoencoder) are read and checked before the
	// run directory is touched.
	var (
		src  *source
		img  *imageStage
		rows []float32
		ys   []float32
	)
	switch {
	case cfg.Data.Latents():
		if rows, ys, err = LoadLatents(cfg); err != nil {
			return nil, input("", err)
		}
	case cfg.Data.Images():
		if img, err = loadImageInputs(cfg); err != nil {
			return nil, err
		}
	default:
		if src, err = newToySource(cfg, mc); err != nil {
			return nil, input("", err)
		}
	}
	if err := prepareDir(o.Out); err != nil {
		return nil, err
	}
	if o.Resume && old == nil {
		logf("resuming %s: no checkpoint of the flow yet, so it starts at step 1", o.Out)
	}
	// The resolved configuration first, so that a run interrupted in any
	// stage can be resumed with -resume -out DIR.
	cfgText, err := cfg.Encode()
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(o.Out, "config.toml")
	if err := atomicfile.WriteBytes(cfgPath, cfgText); err != nil {
		return nil, fmt.Errorf("writing %s: %w", cfgPath, err)
	}
	res.Files = append(res.Files, cfgPath)
	switch {
	case cfg.Data.Latents():
		logf("imported latents: %d rows of %d x %d from %s", len(rows)/(mc.T*mc.C), mc.T, mc.C, cfg.Data.NPY)
		src = newArraySource(rows, ys, mc, cfg.Seed)
	case cfg.Data.Images():
		if img, err = prepareImages(be, img, o, logf); err != nil {
			var ie *interruptedError
			if errors.As(err, &ie) {
				res.Interrupted, res.Steps = ie.stage, ie.step
				return res, nil
			}
			return nil, err
		}
		res.Files = append(res.Files, img.files...)
		src = newArraySource(img.latents, floats(img.images.YTrain), mc, cfg.Seed)
		if mc.NumClasses == 0 {
			src.labels = nil
		}
		src.mean, src.std = img.ae.Mean, img.ae.Std
	}

	st := &model.Checkpoint{Config: cfg, Model: m, Mean: src.mean, Std: src.std}
	if old != nil {
		st.Step, st.Params, st.EMA, st.M, st.V, st.Elapsed = old.Step, old.Params, old.EMA, old.M, old.V, old.Elapsed
		st.LossSum, st.LossSteps = old.LossSum, old.LossSteps
		st.Mean, st.Std = old.Mean, old.Std
		src.mean, src.std = old.Mean, old.Std // keep the normalisation the weights were trained with
		logf("resuming %s at step %d", res.Ckpt, st.Step)
	} else {
		st.Params = m.Init(cfg.Seed)
		st.EMA = append([]float32(nil), st.Params...)
		st.M, st.V = make([]float32, m.NParams), make([]float32, m.NParams)
	}

	tr := train.NewTrainer(be, m, obj, cfg.Train, cfg.Seed, st)
	defer tr.Free()
	tr.ClassDropout = float32(cfg.Model.ClassDropout)
	src.upload(be)
	defer src.free(be)

	metricsPath := filepath.Join(o.Out, "metrics.jsonl")
	mf, err := openMetrics(metricsPath, o.Resume, st.Step)
	if err != nil {
		return nil, err
	}
	defer mf.Close()
	res.Files = append(res.Files, metricsPath)

	tc := cfg.Train
	logf("training %d parameters on %s: %d steps of batch %d, data %s (dimension %d = %d tokens x %d channels)",
		m.NParams, be.Name(), tc.Steps, tc.Batch, cfg.Data.Kind, mc.T*mc.C, mc.T, mc.C)
	elapsed0, loopStart := st.Elapsed, time.Now()
	var loop train.Loop
	loop = train.Loop{Steps: tc.Steps, First: st.Step + 1, LogEvery: tc.LogEvery, CkptEvery: tc.CkptEvery,
		CkptInterval: ckptInterval(tc), Interrupt: o.Interrupt, ElapsedStart: elapsed0,
		Resume:  train.Carry{Loss: st.LossSum, Steps: st.LossSteps},
		Metrics: mf, Progress: o.Progress, Terminal: o.Terminal, StopAfter: o.stopAt, Graph: graphLoop(be, tc),
		Checkpoint: func(step int) error {
			st.Step, st.Elapsed = step, elapsed0+time.Since(loopStart).Seconds()
			c := loop.Carry()
			st.LossSum, st.LossSteps = c.Loss, c.Steps
			if err := tr.Download(st); err != nil {
				return err
			}
			return st.Save(res.Ckpt)
		}}
	sum, err := loop.Run(be, tr, src)
	if err != nil {
		return nil, err
	}
	if sum.Interrupted {
		res.Interrupted, res.Steps = "stage 2 (the flow)", sum.Steps
		return res, nil
	}
	if sum.Stopped {
		return res, nil
	}
	res.Steps, res.Seconds, res.FinalLoss = sum.Steps, sum.Seconds, sum.FinalLoss
	res.Files = append(res.Files, res.Ckpt)
	logf("trained %d steps in %.1f s; final loss %.4f", res.Steps, res.Seconds, res.FinalLoss)
	if img != nil {
		files, err := img.finish(be, st, o, logf)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, files...)
	}
	if tc.Plots {
		files, err := Figures(be, st, metricsPath, o, logf)
		if err != nil {
			return nil, fmt.Errorf("drawing figures: %w", err)
		}
		res.Files = append(res.Files, files...)
	}
	return res, nil
}

// loadResume loads the checkpoint at path and checks that it can continue
// the run cfg of model m: the same model, data and optimisation (only the
// keys of config.Resumable may differ), and not beyond train.steps.
func loadResume(path string, cfg config.Config, m *model.DiT) (*model.Checkpoint, error) {
	old, err := model.LoadCheckpoint(path)
	if err != nil {
		return nil, input("resuming", err)
	}
	for _, k := range config.Changed(old.Config, cfg) {
		if !config.Resumable(k) {
			return nil, input("resuming", fmt.Errorf("%s was trained with another %s than this run's configuration has (see its embedded config); resume with the run's own config.toml", path, k))
		}
	}
	if old.Model.NParams != m.NParams || len(old.Model.Tensors) != len(m.Tensors) {
		return nil, input("resuming", fmt.Errorf("%s was trained with a different model shape", path))
	}
	if old.M == nil {
		return nil, input("resuming", fmt.Errorf("%s holds no optimizer state", path))
	}
	if old.Step > cfg.Train.Steps {
		return nil, input("resuming", fmt.Errorf("%s is at step %d, beyond train.steps = %d", path, old.Step, cfg.Train.Steps))
	}
	return old, nil
}

// prepareDir makes the run directory (an *InputError naming it when that
// fails or it cannot be written to) and removes the temporary files that a
// run killed while writing left in it.
func prepareDir(dir string) error {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return input("", fmt.Errorf("-out %s: is a file, want a run directory", dir))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return input("", fmt.Errorf("-out %s: cannot create the run directory: %v", dir, pathless(err)))
	}
	f, err := os.CreateTemp(dir, ".write-test.tmp-*")
	if err != nil {
		return input("", fmt.Errorf("-out %s: cannot write to the run directory: %v", dir, pathless(err)))
	}
	f.Close()
	os.Remove(f.Name())
	return atomicfile.Clean(dir)
}

// pathless drops the path of an *os.PathError (the message names the
// user's path instead).
func pathless(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ckptInterval is train.ckpt_minutes as a duration (0: none).
func ckptInterval(tc config.Train) time.Duration {
	return time.Duration(tc.CkptMinutes * float64(time.Minute))
}

// openMetrics opens a metrics.jsonl: truncated for a new run; for a resumed
// one, the lines logged after the checkpoint's step (by a run that then
// died) are dropped, since those steps are about to be run again, and the
// file is appended to.
func openMetrics(path string, resume bool, step int) (*os.File, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if resume {
		if err := truncateMetrics(path, step); err != nil {
			return nil, err
		}
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening metrics: %w", err)
	}
	return f, nil
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
		var r train.Record
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

// openBackend returns the compute backend for config key device; a failure
// (no GPU, a build without CUDA) is an *InputError.
func openBackend(device string) (compute.Backend, error) {
	be, err := gpu.Open(device)
	if err != nil {
		return nil, input("", err)
	}
	return be, nil
}

func floats(v []int) []float32 {
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return f
}

// graphLoop reports whether the flow's loop captures its step (train.graph
// on a backend that can capture): the CPU always queues steps directly, so
// its numbers are those of the direct loop.
func graphLoop(be compute.Backend, tc config.Train) bool {
	_, ok := be.(compute.Capturer)
	return tc.Graph && ok
}
