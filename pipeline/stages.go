package pipeline

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
	"github.com/latentflow/latentflow/train"
)

// TrainAE is stage 1: it trains the autoencoder on the training images with
// the MSE reconstruction loss (plus the weighted KL term), writing its
// metrics to the file `metrics`, and computes the latent normalisation.
func TrainAE(be compute.Backend, c config.Config, im *Images, metrics string, o Options) (*model.AE, error) {
	m, err := model.NewAutoencoder(model.AEConfigFrom(c, im.H, im.W))
	if err != nil {
		return nil, input("", err)
	}
	ac := c.Autoencoder
	tc := train.StageTrain(ac.Steps, ac.Batch, ac.Warmup, ac.LR, c.Train.LogEvery)
	s := train.NewAEStepper(be, m, tc, c.Seed, m.Init(philox.SaltAEInit.Seed(c.Seed)))
	defer s.Free()
	params, err := fit(be, "autoencoder", tc, c.Train, s, &m.Layout, im, nil, philox.StreamAEIndex, c.Seed, metrics, o)
	if err != nil {
		return nil, err
	}
	a := &model.AE{Model: m, Params: params, H: im.H, W: im.W}
	z, err := a.Encode(be, im.Train)
	if err != nil {
		return nil, err
	}
	a.Mean, a.Std = data.ChannelStats(z, m.Cfg.C)
	return a, nil
}

// TrainClassifier trains the evaluation classifier on the labelled training
// images with softmax cross-entropy, writing its metrics to `metrics`.
func TrainClassifier(be compute.Backend, c config.Config, im *Images, metrics string, o Options) (*model.Classifier, error) {
	m, err := model.NewClassifier(c, im.H*im.W, im.Classes)
	if err != nil {
		return nil, input("", err)
	}
	k := c.Classifier
	tc := train.StageTrain(k.Steps, k.Batch, min(100, k.Steps/10), k.LR, c.Train.LogEvery)
	s := train.NewClassifierStepper(be, m, tc, m.Init(philox.SaltClassifierInit.Seed(c.Seed)))
	defer s.Free()
	params, err := fit(be, "classifier", tc, c.Train, s, &m.Layout, im, floats(im.YTrain), philox.StreamClsIndex, c.Seed, metrics, o)
	if err != nil {
		return nil, err
	}
	return &model.Classifier{Model: m, Params: params}, nil
}

// fit runs the training loop on stepper s (a model of layout l) over the
// training images (and labels y, or nil), drawing batch rows from the
// Philox stream, and returns the trained parameters. Like the flow, the
// stage is checkpointed every run.ckpt_every steps and train.ckpt_minutes
// (NAME.state.safetensors in the run directory, removed when the stage
// ends) and when interrupted; a resumed run continues from that state.
func fit(be compute.Backend, name string, tc, run config.Train, s train.Stepper, l *model.Layout, im *Images, y []float32, stream uint32,
	seed uint64, metrics string, o Options) ([]float32, error) {
	rows := &train.Rows{X: be.Alloc(len(im.Train)), N: im.NTrain(), Width: im.H * im.W, Seed: seed, Stream: stream}
	defer rows.Free(be)
	defer be.Free(rows.X)
	be.Upload(rows.X, im.Train)
	if y != nil {
		rows.Y = be.Alloc(len(y))
		defer be.Free(rows.Y)
		be.Upload(rows.Y, y)
	}
	statePath := filepath.Join(o.Out, name+".state.safetensors")
	opt := s.State()
	first, resumed := 1, &model.StageState{}
	if o.Resume && exists(statePath) {
		st, err := l.LoadStage(statePath, name)
		if err != nil {
			return nil, input("resuming", err)
		}
		if st.Step > tc.Steps {
			return nil, input("resuming", fmt.Errorf("%s is at step %d, beyond the stage's %d steps", statePath, st.Step, tc.Steps))
		}
		be.Upload(opt.Params, st.Params)
		be.Upload(opt.M, st.M)
		be.Upload(opt.V, st.V)
		first, resumed = st.Step+1, st
	}
	mf, err := openMetrics(metrics, first > 1, first-1)
	if err != nil {
		return nil, err
	}
	defer mf.Close()
	start := time.Now()
	var loop train.Loop
	loop = train.Loop{Name: name, Steps: tc.Steps, First: first, LogEvery: tc.LogEvery, Metrics: mf,
		Progress: o.Progress, Terminal: o.Terminal, Interrupt: o.Interrupt,
		CkptEvery: run.CkptEvery, CkptInterval: ckptInterval(run), ElapsedStart: resumed.Elapsed,
		Resume: train.Carry{Loss: resumed.LossSum, Steps: resumed.LossSteps},
		Checkpoint: func(step int) error {
			if step == tc.Steps || o.Out == "" {
				return nil // the stage's result is saved by the caller
			}
			P := opt.NParams()
			st := &model.StageState{Step: step, Params: make([]float32, P), M: make([]float32, P), V: make([]float32, P),
				LossSum: loop.Carry().Loss, LossSteps: loop.Carry().Steps, Elapsed: resumed.Elapsed + time.Since(start).Seconds()}
			if err := opt.Download(st.Params, st.M, st.V); err != nil {
				return err
			}
			return l.SaveStage(statePath, name, st)
		}}
	sum, err := loop.Run(be, s, rows)
	if err != nil {
		return nil, err
	}
	if sum.Interrupted {
		return nil, &interruptedError{stage: name, step: sum.Steps}
	}
	params := make([]float32, opt.NParams())
	if err := opt.Download(params, nil, nil); err != nil {
		return nil, err
	}
	return params, nil
}

// removeState removes the stage checkpoint of stage name once the stage's
// result is saved.
func removeState(dir, name string) {
	os.Remove(filepath.Join(dir, name+".state.safetensors"))
}

// PSNR is the peak signal-to-noise ratio in dB of images in [0,1]:
// 10 log10(1 / mean squared error).
func PSNR(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return 10 * math.Log10(float64(len(a))/s)
}

// interruptedError ends a stage that Options.Interrupt stopped before its
// end; Run turns it into Result.Interrupted.
type interruptedError struct {
	stage string
	step  int
}

func (e *interruptedError) Error() string {
	return fmt.Sprintf("%s interrupted after step %d", e.stage, e.step)
}
