// Command eval measures how far samples are from data, each distance beside
// its floor (the same estimator between two independent sets of true samples
// of the same size), and runs the experiments of docs/experiments.md.
//
//	eval -a GEN.npy -b REF.npy [-b2 REF2.npy] [-train TRAIN.npy] [-n N] [-json OUT.json]
//	eval -ckpt RUN/ckpt.safetensors [-n N] [-solver S -steps K] [-b REF.npy ...]
//	eval -experiment nfe|convergence -out DIR [-runs DIR] [-seeds K] [-images SET] [-quick]
//
// The measures: exact W2 (optimal assignment), debiased Sinkhorn, sliced W2,
// RBF MMD^2, Frechet in data space (and in the classifier's feature space
// with -classifier, for images), the checkerboard's in-cell fraction (2D,
// with -checkerboard or -ckpt of a checkerboard run), and with -train the
// mean distance to the nearest training point (memorisation). Each set is an .npy of shape (n, ...), float32 or float64;
// a point is one row. The floor needs a second true set: -b2, or else the
// rows of -b beyond the first N (so -b needs 2N rows). With -ckpt on a 2D
// run, the true sets are fresh draws of the run's distribution. A table goes
// to stdout, the same numbers as JSON to -json. Exit status: 0 ok, 2 bad
// input (one line naming the file or flag), 1 other failure.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/eval"
	"github.com/latentflow/latentflow/generate"
	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/internal/atomicfile"
	"github.com/latentflow/latentflow/internal/cli"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
)

func main() { cli.Exit("eval", run(os.Args[1:], os.Stdout, os.Stderr)) }

// report is the JSON output.
type report struct {
	N       int           `json:"n"`
	D       int           `json:"d"`
	Gen     string        `json:"gen"`
	Ref     string        `json:"ref"`
	Ref2    string        `json:"ref2"`
	Train   string        `json:"train,omitempty"`
	NFE     int           `json:"nfe,omitempty"`
	Results []eval.Result `json:"results"`
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	aPath := fs.String("a", "", "generated samples, .npy `file` of shape (n, ...)")
	bPath := fs.String("b", "", "true samples, .npy `file` (the reference set; also the floor's set when -b2 is not given)")
	b2Path := fs.String("b2", "", "more true samples, independent of -b, .npy `file` (the floor's second set)")
	trainPath := fs.String("train", "", "training points, .npy `file`: adds the nearest-training-point distance (memorisation)")
	ckpt := fs.String("ckpt", "", "checkpoint `file`: evaluate samples drawn from it instead of -a")
	n := fs.Int("n", 0, "points per set (default: as many as the files allow; 2000 with -ckpt)")
	solver := fs.String("solver", "", "with -ckpt: ODE solver (default: the run's sample.solver)")
	steps := fs.Int("steps", 0, "with -ckpt: steps of a fixed-step solver (default: the run's sample.steps)")
	clsPath := fs.String("classifier", "", "classifier `file` (classifier.safetensors of an image run): Frechet in its feature space; the sets are then images (n, H, W) in [0,1]")
	checkerFlag := fs.Bool("checkerboard", false, "add the checkerboard's in-cell fraction (2D sets; automatic with -ckpt of a checkerboard run)")
	only := fs.String("only", "", "comma-separated measures to compute (default all): w2, sinkhorn, sliced_w2, mmd2, frechet, frechet_features, in_cell, nearest_train")
	sigma := fs.Float64("sigma", 0, "RBF bandwidth of MMD^2 (default: the median distance between reference points)")
	eps := fs.Float64("eps", 0, "Sinkhorn regularisation in squared-distance units (default 1e-3 x the trace of the reference covariance)")
	seed := fs.Uint64("seed", 0, "seed of the sliced-W2 directions, the -ckpt samples and the fresh 2D sets")
	jsonPath := fs.String("json", "", "write the results as JSON to `file`")
	experiment := fs.String("experiment", "", "run an experiment: nfe or convergence (with -out)")
	out := fs.String("out", "", "with -experiment: the report `directory`")
	runs := fs.String("runs", "", "with -experiment: where the models are trained, or loaded when already trained (default OUT/runs)")
	seeds := fs.Int("seeds", 0, "with -experiment: models per setting, seeds 0, 1, ... (default: nfe 3, convergence 2; -quick 2)")
	images := fs.String("images", "fashion-mnist", "with -experiment: the image set whose latents the experiment adds to the checkerboard: fashion-mnist, mnist, digits (procedural) or none")
	imagesPath := fs.String("images-path", "", "with -experiment: the directory of the IDX files of -images (default: Debian's dataset-fashion-mnist location)")
	quick := fs.Bool("quick", false, "with -experiment: a much smaller run (a smoke test, not for conclusions)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *experiment != "" {
		if *out == "" {
			return cli.Inputf("-experiment %s needs -out DIR", *experiment)
		}
		if *runs == "" {
			*runs = filepath.Join(*out, "runs")
		}
		if *seeds < 0 {
			return cli.Inputf("-seeds %d: must be a positive number of seeds", *seeds)
		}
		return runExperiment(*experiment, *out, *runs, *quick, *seeds, *images, *imagesPath, stdout, stderr)
	}
	if *n < 0 {
		return cli.Inputf("-n %d: must be a positive number of points", *n)
	}
	if *eps < 0 || *eps != *eps {
		return cli.Inputf("-eps %g: must be positive", *eps)
	}
	if *sigma < 0 || *sigma != *sigma {
		return cli.Inputf("-sigma %g: must be positive", *sigma)
	}
	var onlyNames []string
	if *only != "" {
		var err error
		if onlyNames, err = parseOnly(*only); err != nil {
			return err
		}
	}
	if (*aPath == "") == (*ckpt == "") {
		return cli.Inputf("give exactly one of -a GEN.npy and -ckpt FILE")
	}

	var (
		gen, ref, ref2, trainSet []float32
		d, nfe                   int
		genName                  = *aPath
		refName, ref2Name        = *bPath, *b2Path
		checker                  bool
	)
	readSet := func(path, flagName string) ([]float32, int, error) {
		shape, v, err := data.ReadNPY(path)
		if err != nil {
			return nil, 0, cli.Inputf("-%s %s: %v", flagName, path, err)
		}
		if len(shape) < 2 || shape[0] == 0 {
			return nil, 0, cli.Inputf("-%s %s: shape %v, want (n, ...) with n >= 1 points of at least one coordinate", flagName, path, shape)
		}
		dim := 1
		for _, s := range shape[1:] {
			dim *= s
		}
		if dim == 0 {
			return nil, 0, cli.Inputf("-%s %s: shape %v has points of no coordinates", flagName, path, shape)
		}
		if d != 0 && dim != d {
			return nil, 0, cli.Inputf("-%s %s: points of %d coordinates (shape %v), but the other sets have %d", flagName, path, dim, shape, d)
		}
		d = dim
		return v, dim, nil
	}
	if *aPath != "" {
		var err error
		if gen, _, err = readSet(*aPath, "a"); err != nil {
			return err
		}
	}
	var be compute.Backend
	if *ckpt != "" {
		st, err := model.LoadCheckpoint(*ckpt)
		if err != nil {
			return cli.Inputf("-ckpt %s: %v", *ckpt, err)
		}
		s := &st.Config.Sample
		if *solver != "" {
			s.Solver = *solver
		}
		if *steps != 0 {
			s.Steps = *steps
		}
		so, err := generate.SolverOptions(*s)
		if err != nil {
			return cli.Inputf("-solver: %v", err)
		}
		if err := so.Validate(); err != nil {
			return cli.Inputf("-solver/-steps: %v", err)
		}
		if st.Config.Data.Images() {
			return cli.Inputf("-ckpt %s: an image run; sample it with bin/sample -npy and compare the images with -a and -classifier", *ckpt)
		}
		if *n == 0 {
			*n = 2000
		}
		if be, err = gpu.Open("cpu"); err != nil {
			return err
		}
		xs, stats, err := generate.Flow(be, st, *n, nil, 1, *seed, so)
		if err != nil {
			return err
		}
		gen, d, nfe = xs, st.Model.Cfg.T*st.Model.Cfg.C, stats.NFE
		genName = fmt.Sprintf("%s (%s, %d steps, NFE %d, seed %d)", *ckpt, so.Method, so.Steps, nfe, *seed)
		if kind := st.Config.Data.Kind; !st.Config.Data.Latents() && *bPath == "" {
			// Fresh true sets of the run's 2D distribution (the evaluation target's salt).
			k := philox.Key{Seed: philox.SaltEvalTarget.Seed(st.Config.Seed), Stream: philox.StreamData}
			k.Step = 1
			if ref, err = data.Toy(kind, *n, k); err != nil {
				return err
			}
			k.Step = 2
			if ref2, err = data.Toy(kind, *n, k); err != nil {
				return err
			}
			refName = fmt.Sprintf("%d fresh %s points", *n, kind)
			ref2Name = "another " + refName
			checker = kind == "checkerboard"
		}
	}
	if ref == nil {
		if *bPath == "" {
			return cli.Inputf("-b REF.npy is required (the true samples)")
		}
		var err error
		if ref, _, err = readSet(*bPath, "b"); err != nil {
			return err
		}
		if *b2Path != "" {
			if ref2, _, err = readSet(*b2Path, "b2"); err != nil {
				return err
			}
		} else {
			// The floor's second set from the rows of -b beyond the first half.
			half := len(ref) / d / 2
			ref, ref2 = ref[:half*d], ref[half*d:2*half*d]
			refName, ref2Name = *bPath+" (first half)", *bPath+" (second half)"
		}
	}
	if *trainPath != "" {
		var err error
		if trainSet, _, err = readSet(*trainPath, "train"); err != nil {
			return err
		}
	}
	avail := min(len(gen), len(ref), len(ref2)) / d
	if *n == 0 {
		*n = avail
	}
	if *n > avail {
		return cli.Inputf("-n %d: the sets allow at most %d points each (-a %d, -b %d, floor set %d; without -b2, -b needs 2n rows)",
			*n, avail, len(gen)/d, len(ref)/d, len(ref2)/d)
	}
	if *n < 2 {
		return cli.Inputf("the sets allow %d point each; at least 2 are needed (without -b2, -b needs 2n rows)", *n)
	}
	gen, ref, ref2 = gen[:*n*d], ref[:*n*d], ref2[:*n*d]
	sets := eval.Sets{D: d, Gen: gen, Ref: ref, Ref2: ref2, Train: trainSet, Checkerboard: checker}
	if *checkerFlag {
		if d != 2 {
			return cli.Inputf("-checkerboard: the sets have %d coordinates, not 2", d)
		}
		sets.Checkerboard = true
	}
	if *clsPath != "" {
		cls, err := model.LoadClassifier(*clsPath)
		if err != nil {
			return cli.Inputf("-classifier %s: %v", *clsPath, err)
		}
		if cls.Model.In() != d {
			return cli.Inputf("-classifier %s: takes images of %d pixels, the sets have %d coordinates", *clsPath, cls.Model.In(), d)
		}
		if be == nil {
			if be, err = gpu.Open("cpu"); err != nil {
				return err
			}
		}
		sets.Features = func(x []float32) ([]float32, int, error) { return cls.Features(be, x) }
	}
	for _, c := range []struct {
		v    []float32
		name string
	}{{gen, genName}, {ref, refName}, {ref2, ref2Name}, {trainSet, *trainPath}} {
		for k, x := range c.v {
			if x != x || x > 3.4e38 || x < -3.4e38 {
				return cli.Inputf("%s: point %d has coordinate %v", c.name, k/d, x)
			}
		}
	}
	if *n > eval.MaxW2Points {
		fmt.Fprintf(stderr, "eval: %d points: exact W2 skipped (at most %d)\n", *n, eval.MaxW2Points)
	}
	rs, err := eval.Measure(sets, eval.Options{SinkhornEps: *eps, Sigma: *sigma, Key: philox.Key{Seed: *seed, Stream: philox.StreamEvalDirections}, Only: onlyNames})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d points of %d coordinates\n  generated: %s\n  reference: %s\n  floor set: %s\n", *n, d, genName, refName, ref2Name)
	if *trainPath != "" {
		fmt.Fprintf(stdout, "  training:  %s (%d points)\n", *trainPath, len(trainSet)/d)
	}
	if err := eval.WriteTable(stdout, rs); err != nil {
		return err
	}
	if *jsonPath != "" {
		b, err := json.MarshalIndent(report{N: *n, D: d, Gen: genName, Ref: refName, Ref2: ref2Name, Train: *trainPath, NFE: nfe, Results: rs}, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(*jsonPath, append(b, '\n')); err != nil {
			return cli.Inputf("-json %s: %v", *jsonPath, err)
		}
	}
	return nil
}

// parseOnly checks a comma-separated list of measure names.
func parseOnly(s string) ([]string, error) {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			name := s[start:i]
			start = i + 1
			ok := false
			for _, m := range eval.Names {
				ok = ok || m == name
			}
			if !ok {
				return nil, cli.Inputf("-only: unknown measure %q (valid: %v)", name, eval.Names)
			}
			out = append(out, name)
		}
	}
	return out, nil
}
