package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/eval"
	"github.com/latentflow/latentflow/internal/cli"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/pipeline"
)

// imageTOML is the experiments' latent model: the dense autoencoder of
// examples/fashion-mnist.toml (784 -> 512 -> 512 -> 7 x 14) with a shorter
// stage 1, its evaluation classifier, and a small DiT (d 64, 2 layers) on
// the 7 x 14 latents; steps, batch and the stage-1 sizes are set per
// experiment.
const imageTOML = `seed = 0
device = "cpu"
[data]
kind = "fashion-mnist"
size = 0
test_size = 0
[autoencoder]
width = 512
depth = 2
steps = 1500
batch = 128
lr = 1e-3
warmup = 100
[classifier]
width = 256
depth = 1
steps = 1000
batch = 128
lr = 1e-3
[model]
d = 64
layers = 2
heads = 2
mlp_ratio = 4
tokens = 7
chans = 14
num_classes = 10
class_dropout = 0.0
time_scale = 10.0
[flow]
path = "ot"
sigma_min = 1e-4
[train]
lr = 1e-3
warmup = 100
schedule = "cosine"
min_lr_ratio = 0.05
grad_clip = 1.0
ema_decay = 0.999
log_every = 100
ckpt_every = 1000
plots = false
[sample]
solver = "rk4"
steps = 20
n = 500
cfg = 1.0
`

// imageSizes are the latent (image) half of an experiment.
type imageSizes struct {
	Kind     string // data.kind of the image set ("" = none)
	Path     string // data.path ("" = the default location)
	Size     int    // training images (0 = all)
	TestSize int    // test images (0 = all)
	AESteps  int    // stage 1
	ClsSteps int    // the evaluation classifier
	Steps    int    // flow training steps per model
	Batch    int    // flow batch
	N        int    // samples (and held-out points) per evaluation
}

// latentSet is stage 1 of the experiments' latent half: the trained
// autoencoder and classifier, the training latents (the flow's data, in
// trainNPY / labelsNPY) and the encoded test set (the held-out latents).
type latentSet struct {
	name       string
	cfg        config.Config // the stage-1 configuration (flow keys are set per model)
	im         *pipeline.Images
	ae         *model.AE
	cls        *model.Classifier
	train      []float32 // (n, L) training latents, unnormalised
	test       []float32 // (m, L) test latents, unnormalised
	L          int       // floats per latent
	trainNPY   string
	labelsNPY  string
	testFeat   []float32 // classifier features of the test images
	F          int       // features per image
	aeTestPSNR float64
	clsTestAcc float64
}

// imageConfig is the latent configuration of the image set of s.
func imageConfig(s imageSizes) (config.Config, error) {
	cfg, err := config.Parse("experiment", []byte(imageTOML))
	if err != nil {
		return cfg, err
	}
	cfg.Data.Kind, cfg.Data.Path, cfg.Data.Size, cfg.Data.TestSize = s.Kind, s.Path, s.Size, s.TestSize
	cfg.Autoencoder.Steps, cfg.Classifier.Steps = s.AESteps, s.ClsSteps
	cfg.Autoencoder.Warmup = min(cfg.Autoencoder.Warmup, s.AESteps/10)
	cfg.Train.Steps, cfg.Train.Batch = s.Steps, s.Batch
	cfg.Train.Warmup = min(cfg.Train.Warmup, s.Steps/10)
	cfg.Train.CkptEvery = min(cfg.Train.CkptEvery, s.Steps)
	return cfg, cfg.Validate()
}

// prepareLatents runs (or loads, when dir holds the result of the same
// configuration) stage 1 on the image set of s through the pipeline's
// stage functions (the one training loop): the autoencoder, the classifier,
// the latent cache of the training images and the encoded test images.
func prepareLatents(be compute.Backend, s imageSizes, dir string, stderr io.Writer) (*latentSet, error) {
	cfg, err := imageConfig(s)
	if err != nil {
		return nil, err
	}
	im, err := pipeline.LoadImages(cfg)
	if err != nil {
		return nil, cli.Inputf("-images %s: %v", s.Kind, err)
	}
	if im.YTrain == nil || im.NTest() < 2*s.N {
		return nil, cli.Inputf("-images %s: need labels and at least %d test images (two held-out sets of %d), have %d", s.Kind, 2*s.N, s.N, im.NTest())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, cli.Inputf("-runs: %v", err)
	}
	// The stage-1 keys decide whether the saved stage 1 can be reused.
	key := cfg
	key.Model, key.Flow, key.Train, key.Sample = config.Config{}.Model, config.Config{}.Flow, config.Config{}.Train, config.Config{}.Sample
	key.Model.Tokens, key.Model.Chans = cfg.Model.Tokens, cfg.Model.Chans
	keyText, err := key.Encode()
	if err != nil {
		return nil, err
	}
	ls := &latentSet{name: s.Kind, cfg: cfg, im: im, L: cfg.Model.Tokens * cfg.Model.Chans}
	aePath, clsPath, keyPath := filepath.Join(dir, "autoencoder.safetensors"), filepath.Join(dir, "classifier.safetensors"), filepath.Join(dir, "stage1.toml")
	old, _ := os.ReadFile(keyPath)
	loaded := false
	if bytes.Equal(old, keyText) {
		ls.ae, err = model.LoadAE(aePath, im.H, im.W, cfg.Model.Tokens, cfg.Model.Chans)
		if err == nil {
			ls.cls, err = model.LoadClassifier(clsPath)
		}
		loaded = err == nil
	}
	if !loaded {
		term := false
		if f, ok := stderr.(*os.File); ok {
			term = cli.IsTerminal(f)
		}
		o := pipeline.Options{Out: dir, Progress: stderr, Terminal: term}
		fmt.Fprintf(stderr, "%s: stage 1: training the autoencoder (%d steps) and the classifier (%d steps) on %d images\n", s.Kind, s.AESteps, s.ClsSteps, im.NTrain())
		if ls.ae, err = pipeline.TrainAE(be, cfg, im, filepath.Join(dir, "ae_metrics.jsonl"), o); err != nil {
			return nil, err
		}
		if ls.cls, err = pipeline.TrainClassifier(be, cfg, im, filepath.Join(dir, "classifier_metrics.jsonl"), o); err != nil {
			return nil, err
		}
		if err := ls.ae.Save(aePath); err != nil {
			return nil, err
		}
		if err := ls.cls.Save(clsPath); err != nil {
			return nil, err
		}
		if err := os.WriteFile(keyPath, keyText, 0o644); err != nil {
			return nil, err
		}
	} else {
		fmt.Fprintf(stderr, "%s: stage 1: loaded %s and %s\n", s.Kind, aePath, clsPath)
	}
	if ls.train, err = ls.ae.Encode(be, im.Train); err != nil {
		return nil, err
	}
	if ls.test, err = ls.ae.Encode(be, im.Test); err != nil {
		return nil, err
	}
	ls.trainNPY, ls.labelsNPY = filepath.Join(dir, "latents.npy"), filepath.Join(dir, "labels.npy")
	if err := data.WriteNPY(ls.trainNPY, []int{im.NTrain(), cfg.Model.Tokens, cfg.Model.Chans}, ls.train); err != nil {
		return nil, err
	}
	ys := make([]int64, len(im.YTrain))
	for i, y := range im.YTrain {
		ys[i] = int64(y)
	}
	if err := data.WriteNPYInt64(ls.labelsNPY, []int{len(ys)}, ys); err != nil {
		return nil, err
	}
	rec, err := ls.ae.Decode(be, ls.test)
	if err != nil {
		return nil, err
	}
	ls.aeTestPSNR = pipeline.PSNR(rec, im.Test)
	pred, err := ls.cls.Predict(be, im.Test)
	if err != nil {
		return nil, err
	}
	ls.clsTestAcc = model.Accuracy(pred, im.YTest)
	if ls.testFeat, ls.F, err = ls.cls.Features(be, im.Test[:2*s.N*im.H*im.W]); err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "%s: stage 1: %d training latents of %d; test reconstruction PSNR %.2f dB, classifier test accuracy %.1f%%\n",
		s.Kind, im.NTrain(), ls.L, ls.aeTestPSNR, 100*ls.clsTestAcc)
	return ls, nil
}

// subsetNPY writes the first n training latents (and their labels when
// labels) to dir and returns the file names: the fixed training set of size
// n of the convergence experiment.
func (ls *latentSet) subsetNPY(dir string, n int, labels bool) (string, string, error) {
	if n > len(ls.train)/ls.L {
		return "", "", cli.Inputf("%s: %d training latents, fewer than n = %d", ls.name, len(ls.train)/ls.L, n)
	}
	c := ls.cfg.Model
	p := filepath.Join(dir, fmt.Sprintf("latents-n%d.npy", n))
	if err := data.WriteNPY(p, []int{n, c.Tokens, c.Chans}, ls.train[:n*ls.L]); err != nil {
		return "", "", err
	}
	if !labels {
		return p, "", nil
	}
	ys := make([]int64, n)
	for i := range ys {
		ys[i] = int64(ls.im.YTrain[i])
	}
	q := filepath.Join(dir, fmt.Sprintf("labels-n%d.npy", n))
	return p, q, data.WriteNPYInt64(q, []int{n}, ys)
}

// imageScores are the image measures of a set of generated latents asked
// for classes labels: the Frechet distance of the decoded images to the
// first N test images in the classifier's penultimate features, and the
// share classified as the class asked for.
func (ls *latentSet) imageScores(be compute.Backend, z []float32, labels []int) (fd, acc float64, pix []float32, err error) {
	if pix, err = ls.ae.Decode(be, z); err != nil {
		return 0, 0, nil, err
	}
	feat, F, err := ls.cls.Features(be, pix)
	if err != nil {
		return 0, 0, nil, err
	}
	n := len(z) / ls.L
	if fd, err = eval.Frechet(feat, ls.testFeat[:n*F], F); err != nil {
		fd = math.NaN()
	}
	pred, err := ls.cls.Predict(be, pix)
	if err != nil {
		return 0, 0, nil, err
	}
	return fd, model.Accuracy(pred, labels), pix, nil
}
