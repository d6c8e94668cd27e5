// Command sample draws samples from a trained checkpoint by solving
// dx/dt = v(x, t) from noise (t=0) to data (t=1).
//
//	sample -ckpt FILE [-n N] [-batch B] [-solver euler|midpoint|heun|rk4|dopri5] [-steps K]
//	       [-rtol R -atol A] [-seed S] [-class C|all -cfg W -per-class K]
//	       [-npy OUT.npy] [-png OUT.png] [-ae FILE] [-classifier FILE]
//
// -npy writes float32 samples in data space: images (N, H, W) in [0,1] for an
// image run (decoded with the run's autoencoder.safetensors), latents
// (N, tokens, chans) for a run on imported latents, points (N, 2) for 2D data.
// -class all draws every class in turn (a grid with one row per class). For an
// image run with a classifier.safetensors, the fraction of class-conditional
// samples the classifier assigns to the class asked for is printed. The number
// of function evaluations (NFE) is printed. Exit status: 0 ok, 2 bad input, 1
// other failure.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/generate"
	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/internal/cli"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/plots"
	"github.com/latentflow/latentflow/sample"
)

func main() { cli.Exit("sample", run(os.Args[1:])) }

func run(args []string) error {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	ckpt := fs.String("ckpt", "", "checkpoint `file` (ckpt.safetensors of a run)")
	n := fs.Int("n", 1000, "number of samples")
	solver := fs.String("solver", "", "ODE solver: euler, midpoint, heun, rk4, dopri5 (default: the run's sample.solver)")
	steps := fs.Int("steps", 0, "steps of a fixed-step solver (default: the run's sample.steps)")
	rtol := fs.Float64("rtol", 0, "dopri5 relative tolerance (default: the run's sample.rtol)")
	atol := fs.Float64("atol", 0, "dopri5 absolute tolerance (default: the run's sample.atol)")
	maxSteps := fs.Int("max-steps", 0, "dopri5 step budget (default: the run's sample.max_steps)")
	batch := fs.Int("batch", 0, "samples solved at once, bounding memory (default: the run's sample.batch)")
	seed := fs.Uint64("seed", 0, "seed of the initial noise")
	class := fs.String("class", "", "class `C` to sample, or \"all\" for every class in turn (class-conditional models)")
	cfgW := fs.Float64("cfg", -1, "classifier-free guidance weight `W` (1 = none; default: the run's sample.cfg with -class, else 1)")
	perClass := fs.Int("per-class", 10, "with -class all and -png: samples per class (columns of the grid)")
	aeFile := fs.String("ae", "", "autoencoder `file` of an image run (default: autoencoder.safetensors beside -ckpt)")
	clsFile := fs.String("classifier", "", "classifier `file` that scores class-conditional image samples (default: classifier.safetensors beside -ckpt, if present)")
	raw := fs.Bool("raw", false, "use the raw weights instead of the EMA weights")
	npyOut := fs.String("npy", "", "write the samples as float32 .npy `file` (data space)")
	pngOut := fs.String("png", "", "write a picture of the samples (2D data or images) to `file`")
	device := fs.String("device", "", "auto, cpu or cuda (default: the run's device)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *ckpt == "" {
		return cli.Inputf("-ckpt FILE is required")
	}
	if *n <= 0 {
		return cli.Inputf("-n %d: must be a positive number of samples", *n)
	}
	st, err := model.LoadCheckpoint(*ckpt)
	if err != nil {
		return cli.Input(err)
	}
	s := &st.Config.Sample
	if *solver != "" {
		s.Solver = *solver
	}
	if *steps != 0 {
		s.Steps = *steps
	}
	if *rtol != 0 {
		s.RTol = *rtol
	}
	if *atol != 0 {
		s.ATol = *atol
	}
	if *maxSteps != 0 {
		s.MaxSteps = *maxSteps
	}
	switch {
	case *batch < 0:
		return cli.Inputf("-batch %d: must be a positive number of samples", *batch)
	case *batch > 0:
		s.Batch = *batch
	case s.Batch <= 0: // a checkpoint written before sample.batch
		s.Batch = sample.DefaultBatch
	}
	o, err := generate.SolverOptions(st.Config.Sample)
	if err != nil {
		return cli.Input(err)
	}
	if err := o.Validate(); err != nil {
		return cli.Input(err)
	}
	m := st.Model
	if *class != "" && m.Cfg.NumClasses == 0 {
		return cli.Inputf("-class %s: %s is an unconditional model", *class, *ckpt)
	}
	all, c := *class == "all", 0
	if *class != "" && !all {
		c, err = strconv.Atoi(*class)
		if err != nil || c < 0 || c >= m.Cfg.NumClasses {
			return cli.Inputf("-class %q: want a class number in 0..%d or \"all\"", *class, m.Cfg.NumClasses-1)
		}
	}
	switch {
	case *cfgW < 0 && *class != "":
		*cfgW = st.Config.Sample.CFG
	case *cfgW < 0:
		*cfgW = 1
	case *cfgW != 1 && *class == "":
		return cli.Inputf("-cfg %g needs -class", *cfgW)
	}
	if *perClass <= 0 {
		return cli.Inputf("-per-class %d: must be positive", *perClass)
	}
	dev := st.Config.Device
	if *device != "" {
		dev = *device
	}
	be, err := gpu.Open(dev)
	if err != nil {
		return cli.Input(err)
	}
	if *raw {
		st.Config.Sample.EMA = false
	}
	if st.Config.Data.Images() {
		return sampleImages(be, st, *ckpt, *aeFile, *clsFile, generate.SampleRequest{N: *n, Class: c, AllClasses: all,
			PerClass: *perClass, CFG: *cfgW, Seed: *seed}, *npyOut, *pngOut)
	}
	var labels []float32
	if *class != "" {
		labels = make([]float32, *n)
		for i := range labels {
			labels[i] = float32(c)
			if all {
				labels[i] = float32(i % m.Cfg.NumClasses)
			}
		}
	}
	st.Config.Sample.EMA = !*raw // the EMA weights unless -raw, whatever the run's sample.ema
	xs, stats, err := generate.Flow(be, st, *n, labels, *cfgW, *seed, o)
	if err != nil {
		return err
	}
	fmt.Printf("%d samples with %s: NFE %d", *n, o.Method, stats.NFE)
	if o.Method.Adaptive() {
		fmt.Printf(" (%d steps accepted, %d rejected)", stats.Accepted, stats.Rejected)
	}
	fmt.Println()
	shape := []int{*n, 2} // the built-in 2D data sets
	if st.Config.Data.Latents() {
		shape = []int{*n, m.Cfg.T, m.Cfg.C}
	}
	if *npyOut != "" {
		if err := data.WriteNPY(*npyOut, shape, xs); err != nil {
			return err
		}
		fmt.Printf("wrote %s (float32, shape %v)\n", *npyOut, shape)
	}
	if *pngOut != "" {
		if m.Cfg.T*m.Cfg.C != 2 {
			return cli.Inputf("-png: pictures are drawn for 2-dimensional data only (this model has %d dimensions)", m.Cfg.T*m.Cfg.C)
		}
		title := fmt.Sprintf("%s: %d samples, %s, NFE %d", st.Config.Data.Kind, *n, o.Method, stats.NFE)
		if err := plots.Scatter2D(*pngOut, title, []plots.Panel{{Title: "samples", XY: xs}}); err != nil {
			return err
		}
		fmt.Printf("wrote %s\n", *pngOut)
	}
	if st.Config.Data.Kind == "checkerboard" && m.Cfg.T*m.Cfg.C == 2 {
		fmt.Printf("%.1f%% of the samples lie inside the filled checkerboard cells\n", 100*data.CheckerboardFraction(xs))
	}
	return nil
}

// sampleImages samples an image run: latents decoded by the autoencoder,
// scored by the classifier.
func sampleImages(be compute.Backend, st *model.Checkpoint, ckpt, aeFile, clsFile string, r generate.SampleRequest, npyOut, pngOut string) error {
	dir := filepath.Dir(ckpt)
	if aeFile == "" {
		aeFile = filepath.Join(dir, generate.AEFile)
	}
	ae, err := model.LoadAE(aeFile, 0, 0, st.Model.Cfg.T, st.Model.Cfg.C)
	if err != nil {
		return cli.Inputf("-ae: %w", err)
	}
	var cls *model.Classifier
	if clsFile == "" {
		if p := filepath.Join(dir, generate.ClassifierFile); fileExists(p) {
			clsFile = p
		}
	}
	if clsFile != "" {
		if cls, err = model.LoadClassifier(clsFile); err != nil {
			return cli.Inputf("-classifier: %w", err)
		}
		if cls.Model.In() != ae.H*ae.W {
			return cli.Inputf("-classifier %s takes %d pixels, the autoencoder makes %dx%d images", clsFile, cls.Model.In(), ae.H, ae.W)
		}
	}
	res, err := generate.SampleImages(be, st, ae, cls, r)
	if err != nil {
		return err
	}
	fmt.Println(res.Summary())
	n := len(res.Pix) / (ae.H * ae.W)
	if npyOut != "" {
		if err := data.WriteNPY(npyOut, []int{n, ae.H, ae.W}, res.Pix); err != nil {
			return err
		}
		fmt.Printf("wrote %s (float32 images in [0,1], shape [%d %d %d])\n", npyOut, n, ae.H, ae.W)
	}
	if pngOut != "" {
		tmp, err := os.MkdirTemp(filepath.Dir(pngOut), ".sample-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if _, err := res.Write(tmp, "grid", true); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(tmp, "grid.png"), pngOut); err != nil {
			return err
		}
		fmt.Printf("wrote %s\n", pngOut)
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
