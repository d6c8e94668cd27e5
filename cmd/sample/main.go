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
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/generate"
	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/internal/atomicfile"
	"github.com/latentflow/latentflow/internal/cli"
	"github.com/latentflow/latentflow/internal/sysmem"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/plots"
	"github.com/latentflow/latentflow/sample"
)

func main() { cli.Exit("sample", run(os.Args[1:])) }

func run(args []string) error {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	ckpt := fs.String("ckpt", "", "checkpoint `file` (ckpt.safetensors of a run)")
	n := fs.Int("n", 1000, "number of samples (with -class all: classes x -per-class)")
	solver := fs.String("solver", "", "ODE solver: euler, midpoint, heun, rk4, dopri5 (default: the run's sample.solver)")
	steps := fs.Int("steps", 0, "steps of a fixed-step solver, 1.."+strconv.Itoa(config.MaxSolverSteps)+" (default: the run's sample.steps)")
	rtol := fs.Float64("rtol", 0, "dopri5 relative tolerance, > 0 (default: the run's sample.rtol)")
	atol := fs.Float64("atol", 0, "dopri5 absolute tolerance, > 0 (default: the run's sample.atol)")
	maxSteps := fs.Int("max-steps", 0, "dopri5 step budget (default: the run's sample.max_steps)")
	batch := fs.Int("batch", 0, "samples solved at once, bounding memory (default: the run's sample.batch)")
	seed := fs.Uint64("seed", 0, "seed of the initial noise")
	class := fs.String("class", "", "class `C` to sample, or \"all\" for every class in turn (class-conditional models; default: unconditional, the null class)")
	cfgW := fs.Float64("cfg", 0, "classifier-free guidance weight `W` >= 0, with -class (1 = none; default: the run's sample.cfg)")
	perClass := fs.Int("per-class", 10, "with -class all: samples per class (columns of the grid)")
	aeFile := fs.String("ae", "", "autoencoder `file` of an image run (default: autoencoder.safetensors beside -ckpt)")
	clsFile := fs.String("classifier", "", "classifier `file` that scores class-conditional image samples (default: classifier.safetensors beside -ckpt, if present)")
	raw := fs.Bool("raw", false, "use the raw weights instead of the EMA weights")
	npyOut := fs.String("npy", "", "write the samples as float32 .npy `file` (data space)")
	pngOut := fs.String("png", "", "write a picture of the samples (2D data or images) to `file`")
	device := fs.String("device", "", "auto, cpu or cuda (default: the run's device)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	// The flags alone, before the checkpoint is read.
	if *ckpt == "" {
		return cli.Inputf("-ckpt FILE is required")
	}
	checks := []struct {
		name string
		ok   bool
		want string
	}{
		{"n", *n > 0 && *n <= config.MaxSamples, fmt.Sprintf("a number of samples in 1..%d", config.MaxSamples)},
		{"steps", *steps > 0 && *steps <= config.MaxSolverSteps, fmt.Sprintf("a number of steps in 1..%d", config.MaxSolverSteps)},
		{"rtol", *rtol > 0 && !math.IsInf(*rtol, 0), "a finite tolerance > 0"},
		{"atol", *atol > 0 && !math.IsInf(*atol, 0), "a finite tolerance > 0"},
		{"max-steps", *maxSteps > 0 && *maxSteps <= config.MaxAdaptiveSteps, fmt.Sprintf("a step budget in 1..%d", config.MaxAdaptiveSteps)},
		{"batch", *batch > 0 && *batch <= config.MaxBatch, fmt.Sprintf("a number of samples in 1..%d", config.MaxBatch)},
		{"cfg", *cfgW >= 0 && !math.IsInf(*cfgW, 0), "a finite guidance weight >= 0 (1 = none)"},
		{"per-class", *perClass > 0 && *perClass <= config.MaxSamples, fmt.Sprintf("a number of samples per class in 1..%d", config.MaxSamples)},
	}
	for _, c := range checks {
		if given[c.name] && !c.ok {
			return cli.Inputf("-%s %s: want %s", c.name, fs.Lookup(c.name).Value, c.want)
		}
	}
	all := *class == "all"
	switch {
	case given["cfg"] && *class == "":
		return cli.Inputf("-cfg %g needs -class C or -class all (without -class the samples are unconditional)", *cfgW)
	case given["per-class"] && !all:
		return cli.Inputf("-per-class %d needs -class all", *perClass)
	case given["n"] && all && given["per-class"]:
		return cli.Inputf("-n %d with -class all -per-class %d: give one of them (-class all draws classes x -per-class samples)", *n, *perClass)
	}
	for _, out := range []struct{ flag, path string }{{"npy", *npyOut}, {"png", *pngOut}} {
		if err := writable(out.flag, out.path); err != nil {
			return err
		}
	}

	st, err := model.LoadCheckpoint(*ckpt)
	if err != nil {
		return cli.Input(err)
	}
	s := &st.Config.Sample
	if given["solver"] {
		s.Solver = *solver
	}
	if given["steps"] {
		s.Steps = *steps
	}
	if given["rtol"] {
		s.RTol = *rtol
	}
	if given["atol"] {
		s.ATol = *atol
	}
	if given["max-steps"] {
		s.MaxSteps = *maxSteps
	}
	if given["batch"] {
		s.Batch = *batch
	} else if s.Batch <= 0 { // a checkpoint written before sample.batch
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
	K := m.Cfg.NumClasses
	if *class != "" && K == 0 {
		return cli.Inputf("-class %s: %s is an unconditional model", *class, *ckpt)
	}
	c := 0
	if *class != "" && !all {
		c, err = strconv.Atoi(*class)
		if err != nil || c < 0 || c >= K {
			return cli.Inputf("-class %q: want a class number in 0..%d or \"all\"", *class, K-1)
		}
	}
	if all {
		if *perClass > config.MaxSamples/K {
			return cli.Inputf("-per-class %d: %d classes x %d samples is more than %d", *perClass, K, *perClass, config.MaxSamples)
		}
		if given["n"] { // -n without -per-class: the classes in turn, as many per class as fit
			if *n < K || *n%K != 0 {
				return cli.Inputf("-n %d with -class all: want a multiple of the %d classes (or -per-class K for classes x K)", *n, K)
			}
			*perClass = *n / K
		}
		*n = K * *perClass
	}
	switch {
	case !given["cfg"] && *class != "":
		*cfgW = st.Config.Sample.CFG
	case !given["cfg"]:
		*cfgW = 1
	}
	if K > 0 && *class == "" {
		fmt.Printf("no -class: sampling unconditionally (the null class of this class-conditional model, no guidance); -class C or -class all -per-class K draws classes\n")
	}
	dev := st.Config.Device
	if *device != "" {
		dev = *device
	}
	be, err := gpu.Open(dev)
	if err != nil {
		return cli.Input(err)
	}
	if err := fitsHost(be, st, *n); err != nil {
		return err
	}
	if *raw {
		st.Config.Sample.EMA = false
	}
	if st.Config.Data.Images() {
		return sampleImages(be, st, *ckpt, *aeFile, *clsFile, generate.SampleRequest{N: *n, Class: c, AllClasses: all,
			Unconditional: *class == "", PerClass: *perClass, CFG: *cfgW, Seed: *seed}, *npyOut, *pngOut)
	}
	if *pngOut != "" && m.Cfg.T*m.Cfg.C != 2 {
		return cli.Inputf("-png: pictures are drawn for 2-dimensional data and images only (this model samples %d-dimensional latents: use -npy)", m.Cfg.T*m.Cfg.C)
	}
	var labels []float32 // nil: the null class (unconditional)
	if *class != "" {
		labels = make([]float32, *n)
		for i := range labels {
			labels[i] = float32(c)
			if all {
				labels[i] = float32(i % K)
			}
		}
	}
	st.Config.Sample.EMA = !*raw // the EMA weights unless -raw, whatever the run's sample.ema
	xs, stats, err := generate.Flow(be, st, *n, labels, *cfgW, *seed, o)
	if err != nil {
		return solveError(err)
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

// writable checks, before any work, that the output file of -flag can be
// created: its directory exists and takes a new file, and path is not a
// directory ("" is no output).
func writable(flag, path string) error {
	if path == "" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return cli.Inputf("-%s %s: is a directory, want a file name", flag, path)
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return cli.Inputf("-%s %s: the directory %s does not exist", flag, path, dir)
	}
	f, err := os.CreateTemp(dir, atomicfile.TempPrefix(filepath.Base(path)))
	if err != nil {
		return cli.Inputf("-%s %s: cannot write to the directory %s", flag, path, dir)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// fitsHost refuses -n samples whose results (the samples, and for an
// image run their latents and the decoded images with their copies for the
// files) and, on a backend without device memory of its own (the CPU), the
// forward pass of a chunk of sample.batch need more host memory than is
// available. (On CUDA, sample.Generate checks the chunk against the
// device's free memory.)
func fitsHost(be compute.Backend, st *model.Checkpoint, n int) error {
	avail, ok := sysmem.Available()
	if !ok {
		return nil
	}
	X := float64(st.Model.Cfg.T * st.Model.Cfg.C)
	floats := 2 * float64(n) * X
	if st.Config.Data.Images() {
		floats += 2 * float64(n) * 28 * 28
	}
	if need := 4 * floats; need > float64(avail) {
		return cli.Inputf("-n %d: the samples need about %.1f GiB of host memory, but %.1f GiB are available: lower -n (or draw several times with -seed)",
			n, need/(1<<30), float64(avail)/(1<<30))
	}
	if _, device := be.(interface{ MemInfo() (int64, int64, error) }); !device {
		b := min(n, st.Config.Sample.Batch)
		chunk := 4 * float64(sample.SampleFloats(st.Model, 1)) * float64(b)
		if need := 4*floats + chunk; need > float64(avail) {
			return cli.Inputf("sample.batch = %d: solving %d samples at once needs about %.1f GiB of host memory, but %.1f GiB are available: lower -batch",
				st.Config.Sample.Batch, b, chunk/(1<<30), float64(avail)/(1<<30))
		}
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
		return solveError(err)
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

// solveError marks the failures of sampling that the user's settings cause
// as input errors (exit status 2): dopri5 giving up or underflowing at the
// tolerances and step budget asked for (or on a checkpoint whose velocity is
// not finite), and a chunk (-batch) larger than the device's free memory.
func solveError(err error) error {
	msg := err.Error()
	if strings.HasPrefix(msg, "sample: dopri5: ") || (strings.HasPrefix(msg, "sample: ") && strings.Contains(msg, "samples at once need")) {
		return cli.Input(err)
	}
	return err
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
