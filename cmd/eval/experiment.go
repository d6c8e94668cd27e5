package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/eval"
	"github.com/latentflow/latentflow/generate"
	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/internal/atomicfile"
	"github.com/latentflow/latentflow/internal/cli"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
	"github.com/latentflow/latentflow/pipeline"
	"github.com/latentflow/latentflow/plots"
	"github.com/latentflow/latentflow/sample"
)

// checkerboardTOML is the experiments' model: examples/checkerboard.toml's
// DiT (d 64, 2 layers, each coordinate a token) with a shorter schedule
// (steps and batch are set per experiment), sized for a 2-core CPU.
const checkerboardTOML = `seed = 0
device = "cpu"
[data]
kind = "checkerboard"
size = 0
[model]
d = 64
layers = 2
heads = 2
mlp_ratio = 4
tokens = 2
chans = 1
num_classes = 0
time_scale = 10.0
[flow]
path = "ot"
sigma_min = 1e-4
[train]
lr = 3e-3
warmup = 200
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
n = 2000
`

// expModel is one trained model of an experiment: a path and a coupling.
type expModel struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	Coupling string `json:"coupling"`
}

// expSizes are the NFE experiment's sizes (default, or -quick).
type expSizes struct {
	Steps, Batch, N int       // checkerboard: flow steps and batch per model, samples per evaluation
	Tols            []float64 // Dopri5 rtol = atol
	MaxNFE          int       // fixed-step solvers up to this NFE
	Seeds           []uint64  // one model per (data, path, seed)
	Image           imageSizes
}

// seedList is seeds 0 ... k-1.
func seedList(k int) []uint64 {
	s := make([]uint64, k)
	for i := range s {
		s[i] = uint64(i)
	}
	return s
}

// nfeSizes are the default sizes, chosen so that the whole default run
// (stage 1 on Fashion-MNIST, 3 models x 3 seeds on each data set, 21 solves
// each) takes about 15 minutes on an unshared 2-core machine; or -quick's
// (toy sizes, for the tests). seeds > 0 sets the number of seeds; images
// and imagesPath choose the image set ("none": the checkerboard only).
func nfeSizes(quick bool, seeds int, images, imagesPath string) expSizes {
	s := expSizes{Steps: 1000, Batch: 256, N: 1000, Tols: []float64{1e-2, 1e-3, 1e-4}, MaxNFE: 64, Seeds: seedList(3),
		Image: imageSizes{Kind: images, Path: imagesPath, AESteps: 1500, ClsSteps: 1000, Steps: 1000, Batch: 128, N: 500}}
	if quick {
		s = expSizes{Steps: 30, Batch: 64, N: 200, Tols: []float64{1e-2, 1e-4}, MaxNFE: 8, Seeds: seedList(2),
			Image: imageSizes{Kind: images, Path: imagesPath, Size: 600, TestSize: 200, AESteps: 40, ClsSteps: 30, Steps: 30, Batch: 32, N: 50}}
	}
	if seeds > 0 {
		s.Seeds = seedList(seeds)
	}
	if images == "none" {
		s.Image.Kind = ""
	}
	return s
}

// runExperiment runs experiment name, writing its report into out and
// training (or loading) its models under runs.
func runExperiment(name, out, runs string, quick bool, seeds int, images, imagesPath string, stdout, stderr io.Writer) error {
	switch images {
	case "fashion-mnist", "mnist", "digits", "none":
	default:
		return cli.Inputf("-images %q: want fashion-mnist, mnist, digits or none", images)
	}
	switch name {
	case "nfe":
		return nfeExperiment(out, runs, nfeSizes(quick, seeds, images, imagesPath), stdout, stderr)
	case "convergence":
		return convergenceExperiment(out, runs, convergenceSizes(quick, seeds, images, imagesPath), stdout, stderr)
	default:
		return cli.Inputf("-experiment %q: want nfe or convergence", name)
	}
}

// expConfig is the checkerboard configuration of model m at sizes s.
func expConfig(m expModel, s expSizes, seed uint64) (config.Config, error) {
	cfg, err := config.Parse("experiment", []byte(checkerboardTOML))
	if err != nil {
		return cfg, err
	}
	cfg.Seed = seed
	cfg.Flow.Path, cfg.Flow.Coupling = m.Path, m.Coupling
	cfg.Train.Steps, cfg.Train.Batch = s.Steps, s.Batch
	cfg.Train.Warmup = min(cfg.Train.Warmup, s.Steps/10)
	cfg.Train.CkptEvery = min(cfg.Train.CkptEvery, s.Steps)
	return cfg, cfg.Validate()
}

// latentConfig is the configuration of flow model m on the latents of ls
// (data.npy = npy with labels, or unconditional when labels is "").
func latentConfig(ls *latentSet, m expModel, seed uint64, npy, labels string) (config.Config, error) {
	cfg := ls.cfg
	cfg.Seed = seed
	cfg.Data.NPY, cfg.Data.Labels = npy, labels
	if labels == "" {
		cfg.Model.NumClasses = 0
	}
	cfg.Flow.Path, cfg.Flow.Coupling = m.Path, m.Coupling
	return cfg, cfg.Validate()
}

// trainOrLoad returns the finished checkpoint of cfg in dir: loaded when dir
// holds one of the same data, model, flow and schedule trained to the last
// step, else trained there by pipeline.Run (the one training loop).
func trainOrLoad(cfg config.Config, dir string, stderr io.Writer) (*model.Checkpoint, bool, error) {
	path := filepath.Join(dir, "ckpt.safetensors")
	if st, err := model.LoadCheckpoint(path); err == nil {
		c := st.Config
		if st.Step == cfg.Train.Steps && c.Seed == cfg.Seed && reflect.DeepEqual(c.Data, cfg.Data) && reflect.DeepEqual(c.Model, cfg.Model) &&
			reflect.DeepEqual(c.Flow, cfg.Flow) && c.Train.Batch == cfg.Train.Batch && c.Train.LR == cfg.Train.LR &&
			c.Train.Schedule == cfg.Train.Schedule && c.Train.EMADecay == cfg.Train.EMADecay {
			return st, true, nil
		}
		fmt.Fprintf(stderr, "eval: %s is not this experiment's model (step %d of %d, or another configuration): training it again\n", path, st.Step, cfg.Train.Steps)
	}
	term := false
	if f, ok := stderr.(*os.File); ok {
		term = cli.IsTerminal(f)
	}
	if _, err := pipeline.Run(cfg, pipeline.Options{Out: dir, Log: io.Discard, Progress: stderr, Terminal: term}); err != nil {
		return nil, false, err
	}
	st, err := model.LoadCheckpoint(path)
	return st, false, err
}

// nfeRow is one solve of the NFE experiment.
type nfeRow struct {
	Data    string  `json:"data"`
	Model   string  `json:"model"`
	Seed    uint64  `json:"seed"`
	Solver  string  `json:"solver"`
	Steps   int     `json:"steps,omitempty"`
	Tol     float64 `json:"tol,omitempty"`
	NFE     int     `json:"nfe"`
	W2      float64 `json:"w2"`
	InCell  float64 `json:"in_cell,omitempty"`        // checkerboard
	FD      float64 `json:"fd_features,omitempty"`    // images: squared Frechet distance in classifier features
	Acc     float64 `json:"class_accuracy,omitempty"` // images: share classified as the class asked for
	Seconds float64 `json:"seconds"`
}

// nfeData is what the NFE experiment knows about one data set.
type nfeData struct {
	Name    string  `json:"name"`
	Dim     int     `json:"dim"`
	N       int     `json:"n"`
	Steps   int     `json:"train_steps"`
	Batch   int     `json:"train_batch"`
	W2Floor float64 `json:"w2_floor"`
	// Images: the floors of the feature-space Frechet distance (two real
	// test sets) and of a perfect latent model (the autoencoder's
	// reconstructions of held-out images), the classifier's accuracy on
	// real test images and the autoencoder's test PSNR.
	FDFloor   float64 `json:"fd_floor,omitempty"`
	FDRecon   float64 `json:"fd_reconstructions,omitempty"`
	AccReal   float64 `json:"classifier_test_accuracy,omitempty"`
	AEPSNR    float64 `json:"ae_test_psnr_db,omitempty"`
	Stage1Sec float64 `json:"stage1_seconds,omitempty"`
	// Per model, per seed: sum of path lengths / sum of chords - 1 (RK4, 16
	// steps, 300 paths) and the training seconds.
	Curvature [][]float64 `json:"curvature"`
	TrainSecs [][]float64 `json:"train_seconds"`
}

// nfeReport is nfe.json.
type nfeReport struct {
	Command string     `json:"command"`
	Seeds   []uint64   `json:"seeds"`
	Models  []expModel `json:"models"`
	Data    []nfeData  `json:"data"`
	Rows    []nfeRow   `json:"rows"`
	Seconds float64    `json:"wall_seconds"`
	Trained int        `json:"models_trained"`
	Loaded  int        `json:"models_loaded"` // from -runs: their training is not in Seconds
}

var nfeModels = []expModel{{"ot", "ot", "independent"}, {"vp", "vp", "independent"}, {"ot-coupled", "ot", "ot"}}

// nfeTarget is one data set of the NFE experiment: how its models are
// configured and how a set of samples is scored.
type nfeTarget struct {
	info   nfeData
	dir    string
	config func(m expModel, seed uint64) (config.Config, error)
	labels []float32                                      // classes asked for (nil: unconditional)
	score  func(r *nfeRow, xs []float32, keep bool) error // fills the row's measures
	picks  func(pix []float32) []float32                  // images: one sample per class, for the figure
	pix    [][]float32                                    // images: the figure's rows
	pixTag []string
	h, w   int // images: the image size
}

func nfeExperiment(out, runs string, s expSizes, stdout, stderr io.Writer) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return cli.Inputf("-out %s: %v", out, err)
	}
	be, err := gpu.Open("cpu")
	if err != nil {
		return err
	}
	start := time.Now()
	rep := nfeReport{Command: strings.Join(os.Args, " "), Models: nfeModels, Seeds: s.Seeds}
	targets := []*nfeTarget{}
	// The checkerboard: W2 and the in-cell fraction against fresh data.
	k := philox.Key{Seed: philox.SaltEvalTarget.Seed(0), Stream: philox.StreamData, Step: 1}
	ref, err := data.Toy("checkerboard", s.N, k)
	if err != nil {
		return err
	}
	k.Step = 2
	ref2, err := data.Toy("checkerboard", s.N, k)
	if err != nil {
		return err
	}
	floor, err := eval.W2(ref2, ref, 2)
	if err != nil {
		return err
	}
	targets = append(targets, &nfeTarget{
		info: nfeData{Name: "checkerboard", Dim: 2, N: s.N, Steps: s.Steps, Batch: s.Batch, W2Floor: floor},
		dir:  filepath.Join(runs, "checkerboard"),
		config: func(m expModel, seed uint64) (config.Config, error) {
			return expConfig(m, s, seed)
		},
		score: func(r *nfeRow, xs []float32, _ bool) error {
			r.W2 = math.NaN() // stays NaN when a sample is not finite
			if v, err := eval.W2(xs, ref, 2); err == nil {
				r.W2 = v
			}
			r.InCell = data.CheckerboardFraction(xs)
			return nil
		},
	})
	fmt.Fprintf(stderr, "nfe: checkerboard W2 floor (two sets of %d true points): %.4f\n", s.N, floor)
	if s.Image.Kind != "" {
		t0 := time.Now()
		ls, err := prepareLatents(be, s.Image, filepath.Join(runs, s.Image.Kind+"-stage1"), stderr)
		if err != nil {
			return err
		}
		t, err := imageTarget(be, ls, s.Image, filepath.Join(runs, s.Image.Kind))
		if err != nil {
			return err
		}
		t.info.Stage1Sec = time.Since(t0).Seconds()
		targets = append(targets, t)
		fmt.Fprintf(stderr, "nfe: %s latents: W2 floor %.4f, feature Frechet floor %.2f (autoencoder reconstructions %.2f), classifier on real test images %.1f%%\n",
			ls.name, t.info.W2Floor, t.info.FDFloor, t.info.FDRecon, 100*t.info.AccReal)
	}
	var panels []trajPanel
	var scatter [][]float32
	total, done := len(targets)*len(nfeModels)*len(s.Seeds), 0
	for _, tg := range targets {
		info := &tg.info
		for _, m := range nfeModels {
			var curv, secs []float64
			for _, seed := range s.Seeds {
				cfg, err := tg.config(m, seed)
				if err != nil {
					return err
				}
				t0 := time.Now()
				dir := filepath.Join(tg.dir, fmt.Sprintf("%s-seed%d", m.Name, seed))
				st, loaded, err := trainOrLoad(cfg, dir, stderr)
				if err != nil {
					return fmt.Errorf("%s model %s seed %d: %w", info.Name, m.Name, seed, err)
				}
				sec := time.Since(t0).Seconds()
				if loaded {
					sec = trainSeconds(filepath.Join(dir, "metrics.jsonl"))
				}
				secs = append(secs, sec)
				done++
				if loaded {
					rep.Loaded++
				} else {
					rep.Trained++
				}
				fmt.Fprintf(stderr, "nfe: [%d/%d, %s elapsed] %s %s seed %d (path %s, coupling %s): %s in %.0f s; solving\n", done, total,
					time.Since(start).Round(time.Second), info.Name, m.Name, seed, m.Path, m.Coupling, map[bool]string{true: "loaded", false: "trained"}[loaded], sec)
				first := seed == s.Seeds[0]
				add := func(solver string, steps int, tol float64, o sample.Options) error {
					o.Batch = info.N
					t := time.Now()
					xs, stats, err := generate.Flow(be, st, info.N, tg.labels, 1, seed+1, o)
					if err != nil {
						return fmt.Errorf("%s model %s seed %d, %s: %w", info.Name, m.Name, seed, solver, err)
					}
					row := nfeRow{Data: info.Name, Model: m.Name, Seed: seed, Solver: solver, Steps: steps, Tol: tol, NFE: stats.NFE, Seconds: time.Since(t).Seconds()}
					keep := first && (solver == "euler" && (steps == 2 || steps == 8) || solver == "rk4" && steps == s.MaxNFE/4)
					if err := tg.score(&row, xs, keep); err != nil {
						return err
					}
					if keep && tg.picks != nil {
						tg.pixTag[len(tg.pixTag)-1] = fmt.Sprintf("%s, %s NFE %d", m.Name, solver, row.NFE)
					}
					rep.Rows = append(rep.Rows, row)
					if first && tg.labels == nil && solver == "euler" && steps == 4 {
						scatter = append(scatter, xs)
					}
					return nil
				}
				for _, fam := range []struct {
					m      sample.Method
					stages int
				}{{sample.Euler, 1}, {sample.Midpoint, 2}, {sample.RK4, 4}} {
					for nfe := fam.stages; nfe <= s.MaxNFE; nfe *= 2 {
						steps := nfe / fam.stages
						if err := add(string(fam.m), steps, 0, sample.Options{Method: fam.m, Steps: steps}); err != nil {
							return err
						}
					}
				}
				for _, tol := range s.Tols {
					if err := add("dopri5", 0, tol, sample.Options{Method: sample.Dopri5, Rtol: float32(tol), Atol: float32(tol)}); err != nil {
						return err
					}
				}
				// The trajectories: 300 paths by RK4 with 16 steps, and their curvature.
				var traj [][]float32
				o := sample.Options{Method: sample.RK4, Steps: 16, Observe: func(_ int, _ float32, x compute.Buffer) {
					v := make([]float32, x.Len())
					be.Download(v, x)
					data.Denormalise(v, st.Mean, st.Std)
					traj = append(traj, v)
				}}
				np := min(300, info.N)
				var lab []float32
				if tg.labels != nil {
					lab = tg.labels[:np]
				}
				if _, _, err := generate.Flow(be, st, np, lab, 1, seed+1, o); err != nil {
					return fmt.Errorf("%s model %s, trajectories: %w", info.Name, m.Name, err)
				}
				c := curvature(traj, info.Dim)
				curv = append(curv, c)
				if first && tg.labels == nil {
					panels = append(panels, trajPanel{title: fmt.Sprintf("%s: length/chord - 1 = %.3f", m.Name, c), traj: traj})
				}
				w2, _ := lastRow(rep.Rows, info.Name, m.Name, seed, "euler", 4)
				fmt.Fprintf(stderr, "nfe:   %s %s seed %d: Euler NFE 4 W2 %.4f (floor %.4f), path length/chord - 1 = %.4f\n", info.Name, m.Name, seed, w2, info.W2Floor, c)
			}
			info.Curvature = append(info.Curvature, curv)
			info.TrainSecs = append(info.TrainSecs, secs)
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	for _, tg := range targets {
		rep.Data = append(rep.Data, tg.info)
	}
	files, err := nfeFigures(out, rep, panels, scatter)
	if err != nil {
		return err
	}
	var sampleRows []string // the rows of the image-samples figure
	for _, tg := range targets {
		if tg.picks == nil || len(tg.pix) == 0 {
			continue
		}
		f := tg.info.Name + "-samples.png"
		var grid []float32
		for _, p := range tg.pix {
			grid = append(grid, p...)
		}
		P := tg.h * tg.w
		if err := plots.ImageGrid(filepath.Join(out, f), grid, len(grid)/P, tg.h, tg.w, 10, 3); err != nil {
			return err
		}
		files = append(files, f)
		sampleRows = tg.pixTag
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	jsonPath := filepath.Join(out, "nfe.json")
	if err := atomicfile.WriteBytes(jsonPath, append(b, '\n')); err != nil {
		return err
	}
	mdPath := filepath.Join(out, "nfe.md")
	if err := atomicfile.WriteBytes(mdPath, []byte(nfeMarkdown(rep, files, sampleRows))); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "nfe: done in %s\n", time.Since(start).Round(time.Second))
	fmt.Fprintf(stdout, "nfe experiment: %s, %s", mdPath, jsonPath)
	for _, f := range files {
		fmt.Fprintf(stdout, ", %s", filepath.Join(out, f))
	}
	fmt.Fprintln(stdout)
	return nil
}

// imageTarget is the NFE experiment's latent data set: class-conditional
// models (no guidance) asked for the classes of the first N test images,
// scored against their latents (W2), their images (Frechet distance in the
// classifier's features) and the classes asked for.
func imageTarget(be compute.Backend, ls *latentSet, s imageSizes, dir string) (*nfeTarget, error) {
	N, L, F := s.N, ls.L, ls.F
	ref, ref2 := ls.test[:N*L], ls.test[N*L:2*N*L]
	floor, err := eval.W2(ref2, ref, L)
	if err != nil {
		return nil, err
	}
	fdFloor, err := eval.Frechet(ls.testFeat[N*F:2*N*F], ls.testFeat[:N*F], F)
	if err != nil {
		return nil, err
	}
	recon, err := ls.ae.Decode(be, ref2)
	if err != nil {
		return nil, err
	}
	rf, _, err := ls.cls.Features(be, recon)
	if err != nil {
		return nil, err
	}
	fdRecon, err := eval.Frechet(rf, ls.testFeat[:N*F], F)
	if err != nil {
		return nil, err
	}
	want := ls.im.YTest[:N]
	labels := make([]float32, N)
	for i, y := range want {
		labels[i] = float32(y)
	}
	t := &nfeTarget{
		info: nfeData{Name: ls.name, Dim: L, N: N, Steps: s.Steps, Batch: s.Batch, W2Floor: floor, FDFloor: fdFloor, FDRecon: fdRecon,
			AccReal: ls.clsTestAcc, AEPSNR: ls.aeTestPSNR},
		dir:    dir,
		labels: labels,
		h:      ls.im.H,
		w:      ls.im.W,
		config: func(m expModel, seed uint64) (config.Config, error) {
			return latentConfig(ls, m, seed, ls.trainNPY, ls.labelsNPY)
		},
	}
	// picks: the first sample asked for each class, classes 0..9 in order.
	P := ls.im.H * ls.im.W
	var first []int
	for c := 0; c < ls.im.Classes; c++ {
		for i, y := range want {
			if y == c {
				first = append(first, i)
				break
			}
		}
	}
	t.picks = func(pix []float32) []float32 {
		out := make([]float32, 0, len(first)*P)
		for _, i := range first {
			out = append(out, pix[i*P:(i+1)*P]...)
		}
		return out
	}
	t.score = func(r *nfeRow, xs []float32, keep bool) error {
		r.W2 = math.NaN()
		if v, err := eval.W2(xs, ref, L); err == nil {
			r.W2 = v
		}
		fd, acc, pix, err := ls.imageScores(be, xs, want)
		if err != nil {
			return err
		}
		r.FD, r.Acc = fd, acc
		if keep && len(first) == 10 {
			t.pix = append(t.pix, t.picks(pix))
			t.pixTag = append(t.pixTag, "")
		}
		return nil
	}
	return t, nil
}

// lastRow is the W2 of a row of the report (NaN, false when absent).
func lastRow(rows []nfeRow, dataName, model string, seed uint64, solver string, nfe int) (float64, bool) {
	for i := len(rows) - 1; i >= 0; i-- {
		r := rows[i]
		if r.Data == dataName && r.Model == model && r.Seed == seed && r.Solver == solver && r.NFE == nfe {
			return r.W2, true
		}
	}
	return math.NaN(), false
}

// curvature is sum_i length_i / sum_i chord_i - 1 over the paths i (length
// of the polyline through a path's positions, chord from its start to its
// end, in d dimensions): 0 for straight paths. A ratio of sums, not a mean of ratios, which
// the few paths with a short chord would dominate. Paths with a non-finite
// point are skipped.
func curvature(traj [][]float32, d int) float64 {
	if len(traj) < 2 {
		return math.NaN()
	}
	n := len(traj[0]) / d
	dist := func(a, b []float32, i int) float64 {
		var s float64
		for j := i * d; j < (i+1)*d; j++ {
			e := float64(a[j]) - float64(b[j])
			s += e * e
		}
		return math.Sqrt(s)
	}
	var sl, sc float64
	for i := 0; i < n; i++ {
		var l float64
		for s := 1; s < len(traj); s++ {
			l += dist(traj[s], traj[s-1], i)
		}
		c := dist(traj[len(traj)-1], traj[0], i)
		if !math.IsNaN(l) && !math.IsInf(l, 0) && !math.IsNaN(c) && !math.IsInf(c, 0) {
			sl += l
			sc += c
		}
	}
	return sl/sc - 1
}

// trainSeconds reads the elapsed time of the last record of a run's metrics.
func trainSeconds(path string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return math.NaN()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var rec struct {
		Elapsed float64 `json:"elapsed_s"`
	}
	if json.Unmarshal([]byte(lines[len(lines)-1]), &rec) != nil {
		return math.NaN()
	}
	return rec.Elapsed
}
