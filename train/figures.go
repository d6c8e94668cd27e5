package train

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/eval"
	"github.com/latentflow/latentflow/flow"
	"github.com/latentflow/latentflow/philox"
	"github.com/latentflow/latentflow/plots"
	"github.com/latentflow/latentflow/sample"
)

// SolverOptions maps the [sample] section to solver options.
func SolverOptions(c Checkpoint) (sample.Options, error) {
	s := c.Config.Sample
	m, err := sample.ParseMethod(s.Solver)
	if err != nil {
		return sample.Options{}, err
	}
	return sample.Options{Method: m, Steps: s.Steps, Rtol: float32(s.RTol), Atol: float32(s.ATol), MaxSteps: s.MaxSteps}, nil
}

// Figures draws the loss curve and, for 2D data, samples beside the target and
// the sample trajectories; it logs the sample quality (exact W2 to fresh data,
// and the in-cell fraction for the checkerboard). It returns the files written.
func Figures(be compute.Backend, st *Checkpoint, metricsPath, dir string, logf func(string, ...any)) ([]string, error) {
	var files []string
	steps, losses, err := readLoss(metricsPath)
	if err != nil {
		return nil, err
	}
	if len(steps) > 0 {
		p := filepath.Join(dir, "loss.png")
		if err := plots.LossCurve(p, "CFM training loss", steps, losses, true); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	cfg := st.Config
	n := cfg.Sample.N
	if n <= 0 || st.Model.Cfg.T*st.Model.Cfg.C != 2 {
		return files, nil
	}
	o, err := SolverOptions(*st)
	if err != nil {
		return nil, err
	}
	w := st.EMA
	if !cfg.Sample.EMA {
		w = st.Params
	}
	params := be.Alloc(len(w))
	defer be.Free(params)
	be.Upload(params, w)
	var traj [][]float32
	o.Observe = func(_ int, _ float32, x compute.Buffer) {
		v := make([]float32, x.Len())
		be.Download(v, x)
		Denormalise(v, st.Mean, st.Std)
		traj = append(traj, v)
	}
	xs, stats, err := sample.Generate(be, st.Model, params, n, nil, 1, cfg.Seed, o)
	if err != nil {
		return nil, err
	}
	Denormalise(xs, st.Mean, st.Std)
	target, err := data.Toy(cfg.Data.Kind, n, philox.Key{Seed: cfg.Seed ^ 0x5eed, Step: 1, Stream: flow.StreamData})
	if err != nil {
		return nil, err
	}
	w2, err := eval.W2(xs, target, 2)
	if err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("%d samples (%s, NFE %d): exact W2 to %d fresh data points %.3f", n, o.Method, stats.NFE, n, w2)
	if cfg.Data.Kind == "checkerboard" {
		msg += fmt.Sprintf(", %.1f%% inside the filled cells", 100*data.CheckerboardFraction(xs))
	}
	logf("%s", msg)
	p := filepath.Join(dir, "samples.png")
	title := fmt.Sprintf("%s: %s, %d steps, NFE %d", cfg.Data.Kind, o.Method, o.Steps, stats.NFE)
	if err := plots.Scatter2D(p, title, []plots.Panel{{Title: "samples", XY: xs}, {Title: "target", XY: target}}); err != nil {
		return nil, err
	}
	files = append(files, p)
	p = filepath.Join(dir, "trajectories.png")
	if err := plots.Trajectories(p, "trajectories from noise (t=0) to data (t=1)", traj, min(n, 300)); err != nil {
		return nil, err
	}
	return append(files, p), nil
}

func readLoss(path string) ([]int, []float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var steps []int
	var losses []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r struct {
			Step int     `json:"step"`
			Loss float64 `json:"loss"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		steps = append(steps, r.Step)
		losses = append(losses, r.Loss)
	}
	return steps, losses, sc.Err()
}
