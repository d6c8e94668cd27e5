package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/generate"
	"github.com/latentflow/latentflow/internal/atomicfile"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/plots"
)

// EvalFile is the scores of an image run (JSON), beside ckpt.safetensors.
const EvalFile = "eval.json"

// imageStage is the image side of a latent run: the data, stage 1 and the
// evaluation classifier.
type imageStage struct {
	cfg     config.Config
	images  *Images
	ae      *model.AE
	cls     *model.Classifier // nil: no classifier
	latents []float32         // (n, T*C) training latents, unnormalised
	eval    map[string]any
	files   []string // the files written before the flow trains
}

// loadImageInputs loads what an image run reads before it writes anything:
// the images and, when autoencoder.checkpoint names one, the autoencoder,
// checked against the model (num_classes, latent shape).
func loadImageInputs(cfg config.Config) (*imageStage, error) {
	im, err := LoadImages(cfg)
	if err != nil {
		return nil, input("", err)
	}
	if mc := cfg.Model.NumClasses; mc > 0 && mc < im.Classes {
		return nil, input("", fmt.Errorf("model.num_classes = %d, but %s has %d classes", mc, im.Name, im.Classes))
	}
	s := &imageStage{cfg: cfg, images: im, eval: map[string]any{"data": im.Name}}
	if p := cfg.Autoencoder.Checkpoint; p != "" {
		if s.ae, err = model.LoadAE(p, im.H, im.W, cfg.Model.Tokens, cfg.Model.Chans); err != nil {
			return nil, input("autoencoder.checkpoint", err)
		}
	}
	return s, nil
}

// prepareImages runs stage 1 of s (loadImageInputs) or loads its
// autoencoder, encodes the training set once (the flow never runs the
// encoder), scores the reconstructions and trains the classifier.
func prepareImages(be compute.Backend, s *imageStage, o Options, logf func(string, ...any)) (*imageStage, error) {
	cfg, im := s.cfg, s.images
	var err error
	logf("%s: %d training and %d test images of %dx%d", im.Name, im.NTrain(), im.NTest(), im.H, im.W)
	T, C := cfg.Model.Tokens, cfg.Model.Chans
	aePath := filepath.Join(o.Out, generate.AEFile)
	switch {
	case cfg.Autoencoder.Checkpoint != "": // loaded by loadImageInputs
		logf("stage 1: loaded the autoencoder %s (%d parameters)", cfg.Autoencoder.Checkpoint, s.ae.Model.NParams)
	case o.Resume && exists(aePath):
		if s.ae, err = model.LoadAE(aePath, im.H, im.W, T, C); err != nil {
			return nil, input("resuming", err)
		}
		logf("stage 1: resuming with %s", aePath)
	default:
		mc := model.AEConfigFrom(cfg, im.H, im.W)
		logf("stage 1: training the autoencoder %d -> %v -> %d x %d (%.1fx compression), %d steps of batch %d",
			mc.Pixels, mc.Hidden, T, C, float64(mc.Pixels)/float64(T*C), cfg.Autoencoder.Steps, cfg.Autoencoder.Batch)
		start := time.Now()
		metrics := filepath.Join(o.Out, "ae_metrics.jsonl")
		if s.ae, err = TrainAE(be, cfg, im, metrics, o); err != nil {
			return nil, err
		}
		s.files = append(s.files, metrics)
		logf("stage 1: trained in %.1f s", time.Since(start).Seconds())
	}
	if err := s.ae.Save(aePath); err != nil {
		return nil, err
	}
	removeState(o.Out, "autoencoder")
	s.files = append(s.files, aePath)
	if s.latents, err = s.ae.Encode(be, im.Train); err != nil {
		return nil, err
	}
	// The latent cache: the encoded training set, reusable as data.npy.
	lat := filepath.Join(o.Out, "latents.npy")
	if err := data.WriteNPY(lat, []int{im.NTrain(), T, C}, s.latents); err != nil {
		return nil, err
	}
	s.files = append(s.files, lat)
	if im.YTrain != nil {
		p := filepath.Join(o.Out, "labels.npy")
		if err := data.WriteNPYInt64(p, []int{im.NTrain()}, int64s(im.YTrain)); err != nil {
			return nil, err
		}
		s.files = append(s.files, p)
	}
	if im.NTest() > 0 {
		z, err := s.ae.Encode(be, im.Test)
		if err != nil {
			return nil, err
		}
		rec, err := s.ae.Decode(be, z)
		if err != nil {
			return nil, err
		}
		psnr := PSNR(rec, im.Test)
		s.eval["ae_test_psnr_db"] = psnr
		logf("stage 1: test-set reconstruction PSNR %.2f dB (%d images)", psnr, im.NTest())
		if cfg.Train.Plots {
			k := min(32, im.NTest())
			P := im.H * im.W
			grid := make([]float32, 0, 2*k*P)
			for r := 0; r < k; r += 8 { // rows of 8 originals above their 8 reconstructions
				e := min(r+8, k)
				grid = append(grid, im.Test[r*P:e*P]...)
				grid = append(grid, rec[r*P:e*P]...)
			}
			p := filepath.Join(o.Out, "reconstructions.png")
			if err := plots.ImageGrid(p, grid, len(grid)/P, im.H, im.W, 8, 3); err != nil {
				return nil, err
			}
			s.files = append(s.files, p)
		}
	}
	if cfg.Classifier.Steps > 0 && im.YTrain != nil {
		clsPath := filepath.Join(o.Out, generate.ClassifierFile)
		if o.Resume && exists(clsPath) {
			if s.cls, err = model.LoadClassifier(clsPath); err != nil {
				return nil, input("resuming", err)
			}
		} else {
			logf("training the evaluation classifier on the training images (%d steps)", cfg.Classifier.Steps)
			start := time.Now()
			metrics := filepath.Join(o.Out, "classifier_metrics.jsonl")
			if s.cls, err = TrainClassifier(be, cfg, im, metrics, o); err != nil {
				return nil, err
			}
			s.files = append(s.files, metrics)
			logf("classifier: trained in %.1f s", time.Since(start).Seconds())
			if err := s.cls.Save(clsPath); err != nil {
				return nil, err
			}
			removeState(o.Out, "classifier")
			s.files = append(s.files, clsPath)
		}
		if im.YTest != nil && im.NTest() > 0 {
			pred, err := s.cls.Predict(be, im.Test)
			if err != nil {
				return nil, err
			}
			acc := model.Accuracy(pred, im.YTest)
			s.eval["classifier_test_accuracy"] = acc
			logf("classifier: %.1f%% accuracy on the %d test images", 100*acc, im.NTest())
		}
	}
	logf("stage 2: the flow trains on %d cached latents of %d x %d", im.NTrain(), T, C)
	return s, nil
}

// finish draws class-conditional samples with guidance, decodes them, scores
// them with the classifier and writes the grid, the .npy files, the stage-1
// loss curve and eval.json.
func (s *imageStage) finish(be compute.Backend, st *model.Checkpoint, o Options, logf func(string, ...any)) ([]string, error) {
	dir := o.Out
	var files []string
	if s.cfg.Train.Plots && exists(filepath.Join(dir, "ae_metrics.jsonl")) {
		steps, losses, err := readLoss(filepath.Join(dir, "ae_metrics.jsonl"))
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, "ae_loss.png")
		if err := plots.LossCurve(p, "autoencoder reconstruction loss (MSE)", steps, losses, true); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	res, err := generate.SampleImages(be, st, s.ae, s.cls, generate.SampleRequest{N: s.cfg.Sample.N, PerClass: s.cfg.Sample.Grid, CFG: s.cfg.Sample.CFG,
		AllClasses: true, Seed: s.cfg.Seed})
	if err != nil {
		return nil, err
	}
	written, err := res.Write(dir, "samples", s.cfg.Train.Plots)
	if err != nil {
		return nil, err
	}
	files = append(files, written...)
	logf("%s", res.Summary())
	if res.Accuracy >= 0 {
		s.eval["sample_class_accuracy"] = res.Accuracy
		s.eval["sample_cfg"] = res.CFG
		s.eval["sample_n"] = len(res.Labels)
	}
	s.eval["sample_nfe"] = res.NFE
	b, err := json.MarshalIndent(s.eval, "", "  ")
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, EvalFile)
	if err := atomicfile.WriteBytes(p, append(b, '\n')); err != nil {
		return nil, fmt.Errorf("writing %s: %w", p, err)
	}
	return append(files, p), nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
