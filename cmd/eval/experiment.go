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

// expSizes are an experiment's sizes (default, or -quick).
type expSizes struct {
	Steps, Batch, N int
	Tols            []float64 // Dopri5 rtol = atol
	MaxNFE          int       // fixed-step solvers up to this NFE
}

func nfeSizes(quick bool) expSizes {
	if quick {
		return expSizes{Steps: 30, Batch: 64, N: 200, Tols: []float64{1e-2, 1e-4}, MaxNFE: 8}
	}
	return expSizes{Steps: 3000, Batch: 256, N: 1000, Tols: []float64{1e-2, 1e-3, 1e-4}, MaxNFE: 64}
}

// runExperiment runs experiment name, writing its report into out and
// training (or loading) its models under runs.
func runExperiment(name, out, runs string, quick bool, seeds int, stdout, stderr io.Writer) error {
	switch name {
	case "nfe":
		return nfeExperiment(out, runs, nfeSizes(quick), stdout, stderr)
	case "convergence":
		return convergenceExperiment(out, runs, convergenceSizes(quick, seeds), stdout, stderr)
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
	if _, err := pipeline.Run(cfg, pipeline.Options{Out: dir, Log: stderr, Progress: stderr, Terminal: term}); err != nil {
		return nil, false, err
	}
	st, err := model.LoadCheckpoint(path)
	return st, false, err
}

// nfeRow is one solve of the NFE experiment.
type nfeRow struct {
	Model   string  `json:"model"`
	Solver  string  `json:"solver"`
	Steps   int     `json:"steps,omitempty"`
	Tol     float64 `json:"tol,omitempty"`
	NFE     int     `json:"nfe"`
	W2      float64 `json:"w2"`
	InCell  float64 `json:"in_cell"`
	Seconds float64 `json:"seconds"`
}

// nfeReport is nfe.json.
type nfeReport struct {
	Command   string     `json:"command"`
	N         int        `json:"n"`
	Steps     int        `json:"train_steps"`
	Batch     int        `json:"train_batch"`
	Models    []expModel `json:"models"`
	W2Floor   float64    `json:"w2_floor"`
	Curvature []float64  `json:"curvature"` // per model: sum of path lengths / sum of chords - 1 (RK4, 16 steps)
	TrainSecs []float64  `json:"train_seconds"`
	Rows      []nfeRow   `json:"rows"`
}

var nfeModels = []expModel{{"ot", "ot", "independent"}, {"vp", "vp", "independent"}, {"ot-coupled", "ot", "ot"}}

func nfeExperiment(out, runs string, s expSizes, stdout, stderr io.Writer) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return cli.Inputf("-out %s: %v", out, err)
	}
	be, err := gpu.Open("cpu")
	if err != nil {
		return err
	}
	const seed = 0
	k := philox.Key{Seed: philox.SaltEvalTarget.Seed(seed), Stream: philox.StreamData, Step: 1}
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
	rep := nfeReport{Command: strings.Join(os.Args, " "), N: s.N, Steps: s.Steps, Batch: s.Batch, Models: nfeModels, W2Floor: floor}
	fmt.Fprintf(stderr, "nfe: W2 floor (two sets of %d true points): %.4f\n", s.N, floor)
	var panels []trajPanel
	var scatter [][]float32
	for mi, m := range nfeModels {
		cfg, err := expConfig(m, s, seed)
		if err != nil {
			return err
		}
		t0 := time.Now()
		st, loaded, err := trainOrLoad(cfg, filepath.Join(runs, m.Name), stderr)
		if err != nil {
			return fmt.Errorf("model %s: %w", m.Name, err)
		}
		secs := time.Since(t0).Seconds()
		if loaded {
			secs = trainSeconds(filepath.Join(runs, m.Name, "metrics.jsonl"))
		}
		rep.TrainSecs = append(rep.TrainSecs, secs)
		fmt.Fprintf(stderr, "nfe: model %d/%d %s (path %s, coupling %s): %s\n", mi+1, len(nfeModels), m.Name, m.Path, m.Coupling,
			map[bool]string{true: "loaded", false: "trained"}[loaded])
		solve := func(o sample.Options) ([]float32, sample.Stats, float64, error) {
			o.Batch = s.N
			t := time.Now()
			xs, stats, err := generate.Flow(be, st, s.N, nil, 1, seed+1, o)
			return xs, stats, time.Since(t).Seconds(), err
		}
		add := func(solver string, steps int, tol float64, o sample.Options) error {
			xs, stats, secs, err := solve(o)
			if err != nil {
				return fmt.Errorf("model %s, %s: %w", m.Name, solver, err)
			}
			w2 := math.NaN() // stays NaN when a sample is not finite (reported as such)
			if v, err := eval.W2(xs, ref, 2); err == nil {
				w2 = v
			}
			row := nfeRow{Model: m.Name, Solver: solver, Steps: steps, Tol: tol, NFE: stats.NFE, W2: w2, InCell: data.CheckerboardFraction(xs), Seconds: secs}
			rep.Rows = append(rep.Rows, row)
			fmt.Fprintf(stderr, "nfe:   %-10s %-8s NFE %4d  W2 %.4f (floor %.4f)  in-cell %.3f\n", m.Name, solver, row.NFE, row.W2, floor, row.InCell)
			if solver == "euler" && steps == 4 {
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
		if _, _, err := generate.Flow(be, st, min(300, s.N), nil, 1, seed+1, o); err != nil {
			return fmt.Errorf("model %s, trajectories: %w", m.Name, err)
		}
		curv := curvature(traj)
		rep.Curvature = append(rep.Curvature, curv)
		panels = append(panels, trajPanel{title: fmt.Sprintf("%s: length/chord - 1 = %.3f", m.Name, curv), traj: traj})
	}
	files, err := nfeFigures(out, rep, panels, scatter)
	if err != nil {
		return err
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
	if err := atomicfile.WriteBytes(mdPath, []byte(nfeMarkdown(rep, files))); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "nfe experiment: %s, %s", mdPath, jsonPath)
	for _, f := range files {
		fmt.Fprintf(stdout, ", %s", filepath.Join(out, f))
	}
	fmt.Fprintln(stdout)
	return nil
}

// curvature is sum_i length_i / sum_i chord_i - 1 over the paths i (length
// of the polyline through a path's positions, chord from its start to its
// end): 0 for straight paths. A ratio of sums, not a mean of ratios, which
// the few paths with a short chord would dominate. Paths with a non-finite
// point are skipped.
func curvature(traj [][]float32) float64 {
	if len(traj) < 2 {
		return math.NaN()
	}
	n := len(traj[0]) / 2
	var sl, sc float64
	for i := 0; i < n; i++ {
		var l float64
		for s := 1; s < len(traj); s++ {
			dx := float64(traj[s][2*i]) - float64(traj[s-1][2*i])
			dy := float64(traj[s][2*i+1]) - float64(traj[s-1][2*i+1])
			l += math.Hypot(dx, dy)
		}
		last := traj[len(traj)-1]
		c := math.Hypot(float64(last[2*i])-float64(traj[0][2*i]), float64(last[2*i+1])-float64(traj[0][2*i+1]))
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
