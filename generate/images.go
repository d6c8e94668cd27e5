package generate

import (
	"fmt"
	"path/filepath"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/plots"
	"github.com/latentflow/latentflow/sample"
)

// Files of an image run, beside ckpt.safetensors in the run directory.
const (
	AEFile         = "autoencoder.safetensors"
	ClassifierFile = "classifier.safetensors"
)

// SolverOptions maps a [sample] section to solver options.
func SolverOptions(s config.Sample) (sample.Options, error) {
	m, err := sample.ParseMethod(s.Solver)
	if err != nil {
		return sample.Options{}, err
	}
	return sample.Options{Method: m, Steps: s.Steps, Rtol: float32(s.RTol), Atol: float32(s.ATol), MaxSteps: s.MaxSteps, Batch: s.Batch}, nil
}

// Flow draws n samples of the checkpoint's flow with the sampling weights
// (Checkpoint.SampleWeights: EMA unless sample.ema = false), labels (nil:
// unconditional) and guidance weight cfg, from the noise of seed, solved
// with o; it returns them in data space (denormalised), (n, T*C).
func Flow(be compute.Backend, st *model.Checkpoint, n int, labels []float32, cfg float64, seed uint64, o sample.Options) ([]float32, sample.Stats, error) {
	params := st.SampleWeights(be)
	defer be.Free(params)
	xs, stats, err := sample.Generate(be, st.Model, params, n, labels, float32(cfg), seed, o)
	if err != nil {
		return nil, stats, err
	}
	data.Denormalise(xs, st.Mean, st.Std)
	return xs, stats, nil
}

// SampleRequest says what SampleImages draws.
type SampleRequest struct {
	N          int  // samples in all
	Class      int  // the class of every sample when !AllClasses (class-conditional models)
	AllClasses bool // cycle through the classes: sample i has class i mod K
	// Unconditional samples a class-conditional model with the null class
	// (no class asked for, no guidance, not scored); Class and AllClasses
	// are ignored.
	Unconditional bool
	PerClass      int     // columns of the class grid (AllClasses)
	CFG           float64 // guidance weight (1 = none)
	Seed          uint64  // seed of the initial noise (the run's seed in a run)
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
func SampleImages(be compute.Backend, st *model.Checkpoint, ae *model.AE, cls *model.Classifier, r SampleRequest) (*ImageSamples, error) {
	mc := st.Model.Cfg
	o, err := SolverOptions(st.Config.Sample)
	if err != nil {
		return nil, err
	}
	n := r.N
	var labels []float32
	out := &ImageSamples{H: ae.H, W: ae.W, K: mc.NumClasses, CFG: r.CFG, Accuracy: -1, Method: string(o.Method), PerClass: r.PerClass}
	if mc.NumClasses > 0 && !r.Unconditional {
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
				panic(fmt.Sprintf("generate: class %d: the model has classes 0..%d", y, mc.NumClasses-1))
			}
			labels[i], out.Labels[i] = float32(y), y
		}
	} else {
		out.CFG = 1
	}
	xs, stats, err := Flow(be, st, n, labels, out.CFG, r.Seed, o)
	if err != nil {
		return nil, err
	}
	out.NFE = stats.NFE
	out.Latents = xs
	if out.Pix, err = ae.Decode(be, xs); err != nil {
		return nil, err
	}
	if cls != nil && labels != nil {
		if out.Pred, err = cls.Predict(be, out.Pix); err != nil {
			return nil, err
		}
		out.Accuracy = model.Accuracy(out.Pred, out.Labels)
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
