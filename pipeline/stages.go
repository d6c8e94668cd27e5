package pipeline

import (
	"fmt"
	"math"
	"os"

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
	params, err := fit(be, "autoencoder", tc, s, im, nil, philox.StreamAEIndex, c.Seed, metrics, o)
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
	params, err := fit(be, "classifier", tc, s, im, floats(im.YTrain), philox.StreamClsIndex, c.Seed, metrics, o)
	if err != nil {
		return nil, err
	}
	return &model.Classifier{Model: m, Params: params}, nil
}

// fit runs the training loop on stepper s over the training images (and
// labels y, or nil), drawing batch rows from the Philox stream, and returns
// the trained parameters.
func fit(be compute.Backend, name string, tc config.Train, s train.Stepper, im *Images, y []float32, stream uint32,
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
	mf, err := os.Create(metrics)
	if err != nil {
		return nil, fmt.Errorf("opening metrics: %w", err)
	}
	defer mf.Close()
	loop := train.Loop{Name: name, Steps: tc.Steps, First: 1, LogEvery: tc.LogEvery, Metrics: mf,
		Progress: o.Progress, Terminal: o.Terminal, Interrupt: o.Interrupt}
	sum, err := loop.Run(be, s, rows)
	if err != nil {
		return nil, err
	}
	if sum.Interrupted {
		return nil, &interruptedError{stage: name, step: sum.Steps}
	}
	params := make([]float32, s.State().NParams())
	return params, s.State().Download(params, nil, nil)
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
