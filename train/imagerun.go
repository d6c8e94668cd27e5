package train

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
	"github.com/latentflow/latentflow/internal/atomicfile"
	"github.com/latentflow/latentflow/internal/cli"
	"github.com/latentflow/latentflow/plots"
	"github.com/latentflow/latentflow/sample"
)

// Files of an image run, beside ckpt.safetensors in the run directory.
const (
	AEFile         = "autoencoder.safetensors"
	ClassifierFile = "classifier.safetensors"
	EvalFile       = "eval.json"
)

// imageStage is the image side of a latent run: the data, stage 1 and the
// evaluation classifier.
type imageStage struct {
	cfg     config.Config
	images  *Images
	ae      *AE
	cls     *Classifier // nil: no classifier
	latents []float32   // (n, T*C) training latents, unnormalised
	eval    map[string]any
}

// prepareImages loads the images, runs stage 1 (or loads the autoencoder),
// encodes the training set once (the flow never runs the encoder), scores the
// reconstructions and trains the classifier.
func prepareImages(be compute.Backend, cfg config.Config, o Options, logf func(string, ...any)) (*imageStage, error) {
	im, err := LoadImages(cfg)
	if err != nil {
		return nil, cli.Input(err)
	}
	logf("%s: %d training and %d test images of %dx%d", im.Name, im.NTrain(), im.NTest(), im.H, im.W)
	s := &imageStage{cfg: cfg, images: im, eval: map[string]any{"data": im.Name}}
	T, C := cfg.Model.Tokens, cfg.Model.Chans
	aePath := filepath.Join(o.Out, AEFile)
	switch {
	case cfg.Autoencoder.Checkpoint != "":
		if s.ae, err = LoadAE(cfg.Autoencoder.Checkpoint, im.H, im.W, T, C); err != nil {
			return nil, cli.Inputf("autoencoder.checkpoint: %w", err)
		}
		logf("stage 1: loaded the autoencoder %s (%d parameters)", cfg.Autoencoder.Checkpoint, s.ae.Model.NParams)
	case o.Resume && exists(aePath):
		if s.ae, err = LoadAE(aePath, im.H, im.W, T, C); err != nil {
			return nil, cli.Inputf("resuming: %w", err)
		}
		logf("stage 1: resuming with %s", aePath)
	default:
		mc := AEConfig(cfg, im.H, im.W)
		logf("stage 1: training the autoencoder %d -> %v -> %d x %d (%.1fx compression), %d steps of batch %d",
			mc.Pixels, mc.Hidden, T, C, float64(mc.Pixels)/float64(T*C), cfg.Autoencoder.Steps, cfg.Autoencoder.Batch)
		start := time.Now()
		if s.ae, err = TrainAE(be, cfg, im, filepath.Join(o.Out, "ae_metrics.jsonl"), o.Progress); err != nil {
			return nil, err
		}
		logf("stage 1: trained in %.1f s", time.Since(start).Seconds())
	}
	if err := s.ae.Save(aePath); err != nil {
		return nil, err
	}
	if s.latents, err = s.ae.Encode(be, im.Train); err != nil {
		return nil, err
	}
	// The latent cache: the encoded training set, reusable as data.npy.
	lat := filepath.Join(o.Out, "latents.npy")
	if err := data.WriteNPY(lat, []int{im.NTrain(), T, C}, s.latents); err != nil {
		return nil, err
	}
	if im.YTrain != nil {
		if err := data.WriteNPYInt64(filepath.Join(o.Out, "labels.npy"), []int{im.NTrain()}, int64s(im.YTrain)); err != nil {
			return nil, err
		}
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
			if err := plots.ImageGrid(filepath.Join(o.Out, "reconstructions.png"), grid, len(grid)/P, im.H, im.W, 8, 3); err != nil {
				return nil, err
			}
		}
	}
	if cfg.Classifier.Steps > 0 && im.YTrain != nil {
		clsPath := filepath.Join(o.Out, ClassifierFile)
		if o.Resume && exists(clsPath) {
			if s.cls, err = LoadClassifier(clsPath); err != nil {
				return nil, cli.Inputf("resuming: %w", err)
			}
		} else {
			logf("training the evaluation classifier on the training images (%d steps)", cfg.Classifier.Steps)
			start := time.Now()
			if s.cls, err = TrainClassifier(be, cfg, im, filepath.Join(o.Out, "classifier_metrics.jsonl"), o.Progress); err != nil {
				return nil, err
			}
			logf("classifier: trained in %.1f s", time.Since(start).Seconds())
			if err := s.cls.Save(clsPath); err != nil {
				return nil, err
			}
		}
		if im.YTest != nil && im.NTest() > 0 {
			pred, err := s.cls.Predict(be, im.Test)
			if err != nil {
				return nil, err
			}
			acc := Accuracy(pred, im.YTest)
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
func (s *imageStage) finish(be compute.Backend, st *Checkpoint, dir string, logf func(string, ...any)) ([]string, error) {
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
	res, err := SampleImages(be, st, s.ae, s.cls, SampleRequest{N: s.cfg.Sample.N, PerClass: s.cfg.Sample.Grid, CFG: s.cfg.Sample.CFG, AllClasses: true})
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
		return nil, err
	}
	return append(files, p), nil
}

// SampleRequest says what SampleImages draws.
type SampleRequest struct {
	N          int     // samples in all
	Class      int     // the class of every sample when !AllClasses (class-conditional models)
	AllClasses bool    // cycle through the classes: sample i has class i mod K
	PerClass   int     // columns of the class grid (AllClasses)
	CFG        float64 // guidance weight (1 = none)
	Seed       uint64  // offset added to the run seed
}

// ImageSamples are decoded samples and their scores.
type ImageSamples struct {
	Pix      []float32 // (n, H*W) in [0,1]
	Latents  []float32 // (n, T*C) in latent space (unnormalised)
	Labels   []int     // class asked for (nil: unconditional)
	Pred     []int     // classifier's classes (nil: no classifier)
	Accuracy float64   // fraction of Pred equal to Labels; -1 when not scored
	H, W, K  int
	CFG      float64
	NFE      int
	Method   string
	PerClass int
}

// SampleImages draws samples of an image run's flow (EMA weights unless
// sample.ema = false), decodes them with the autoencoder and scores them with
// the classifier when there is one and the samples are class-conditional.
func SampleImages(be compute.Backend, st *Checkpoint, ae *AE, cls *Classifier, r SampleRequest) (*ImageSamples, error) {
	mc := st.Model.Cfg
	o, err := SolverOptions(*st)
	if err != nil {
		return nil, err
	}
	n := r.N
	var labels []float32
	out := &ImageSamples{H: ae.H, W: ae.W, K: mc.NumClasses, CFG: r.CFG, Accuracy: -1, Method: string(o.Method), PerClass: r.PerClass}
	if mc.NumClasses > 0 {
		if r.AllClasses {
			n = max(n, mc.NumClasses*max(1, r.PerClass))
			n -= n % mc.NumClasses
		}
		labels = make([]float32, n)
		out.Labels = make([]int, n)
		for i := range labels {
			y := r.Class
			if r.AllClasses {
				y = i % mc.NumClasses
			}
			if y < 0 || y >= mc.NumClasses {
				return nil, cli.Inputf("class %d: the model has classes 0..%d", y, mc.NumClasses-1)
			}
			labels[i], out.Labels[i] = float32(y), y
		}
	} else {
		out.CFG = 1
	}
	w := st.EMA
	if !st.Config.Sample.EMA {
		w = st.Params
	}
	params := be.Alloc(len(w))
	defer be.Free(params)
	be.Upload(params, w)
	xs, stats, err := sample.Generate(be, st.Model, params, n, labels, float32(out.CFG), st.Config.Seed+r.Seed, o)
	if err != nil {
		return nil, err
	}
	out.NFE = stats.NFE
	Denormalise(xs, st.Mean, st.Std)
	out.Latents = xs
	if out.Pix, err = ae.Decode(be, xs); err != nil {
		return nil, err
	}
	if cls != nil && labels != nil {
		if out.Pred, err = cls.Predict(be, out.Pix); err != nil {
			return nil, err
		}
		out.Accuracy = Accuracy(out.Pred, out.Labels)
	}
	return out, nil
}

// Summary is a one-line report.
func (s *ImageSamples) Summary() string {
	n := len(s.Pix) / (s.H * s.W)
	msg := fmt.Sprintf("%d samples (%s, NFE %d)", n, s.Method, s.NFE)
	if s.Labels != nil {
		msg += fmt.Sprintf(", class-conditional with guidance %g", s.CFG)
	}
	if s.Accuracy >= 0 {
		msg += fmt.Sprintf(": the classifier assigns %.1f%% to the class asked for", 100*s.Accuracy)
	}
	return msg
}

// Write writes name.npy (n, H, W) float32 images in [0,1], name_latents.npy,
// name_labels.npy (class-conditional) and, with png, name.png: a grid with
// one row per class (PerClass columns) or 10 columns.
func (s *ImageSamples) Write(dir, name string, png bool) ([]string, error) {
	P := s.H * s.W
	n := len(s.Pix) / P
	var files []string
	p := filepath.Join(dir, name+".npy")
	if err := data.WriteNPY(p, []int{n, s.H, s.W}, s.Pix); err != nil {
		return nil, err
	}
	files = append(files, p)
	p = filepath.Join(dir, name+"_latents.npy")
	if err := data.WriteNPY(p, []int{n, len(s.Latents) / n}, s.Latents); err != nil {
		return nil, err
	}
	files = append(files, p)
	if s.Labels != nil {
		p = filepath.Join(dir, name+"_labels.npy")
		if err := data.WriteNPYInt64(p, []int{n}, int64s(s.Labels)); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	if !png {
		return files, nil
	}
	grid, cols := s.Pix, 10
	if s.Labels != nil && s.PerClass > 0 && s.K > 0 && n >= s.K*s.PerClass && s.Labels[1%n] != s.Labels[0] {
		// rows = classes: sample j*K + k is the j-th of class k
		cols = s.PerClass
		grid = make([]float32, 0, s.K*cols*P)
		for k := 0; k < s.K; k++ {
			for j := 0; j < cols; j++ {
				i := j*s.K + k
				grid = append(grid, s.Pix[i*P:(i+1)*P]...)
			}
		}
	} else if n > 100 {
		grid = s.Pix[:100*P]
	}
	p = filepath.Join(dir, name+".png")
	if err := plots.ImageGrid(p, grid, len(grid)/P, s.H, s.W, cols, 3); err != nil {
		return nil, err
	}
	return append(files, p), nil
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}
