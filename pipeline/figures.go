package pipeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/eval"
	"github.com/latentflow/latentflow/generate"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
	"github.com/latentflow/latentflow/plots"
)

// Figures draws the loss curve and, for 2D data, samples beside the target and
// the sample trajectories; it logs the sample quality (exact W2 to fresh data,
// and the in-cell fraction for the checkerboard). It returns the files written.
func Figures(be compute.Backend, st *model.Checkpoint, metricsPath string, o Options, logf func(string, ...any)) ([]string, error) {
	dir := o.Out
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
	so, err := generate.SolverOptions(cfg.Sample)
	if err != nil {
		return nil, err
	}
	// Observe sees each chunk of sample.batch samples in turn, each from
	// step 0 (and, with Dopri5, with its own steps): the figure draws the
	// paths of the first chunk.
	var traj [][]float32
	chunks := 0
	so.Observe = func(step int, _ float32, x compute.Buffer) {
		if step == 0 {
			chunks++
		}
		if chunks > 1 {
			return
		}
		v := make([]float32, x.Len())
		be.Download(v, x)
		data.Denormalise(v, st.Mean, st.Std)
		traj = append(traj, v)
	}
	xs, stats, err := generate.Flow(be, st, n, nil, 1, cfg.Seed, so)
	if err != nil {
		return nil, err
	}
	target, err := data.Toy(cfg.Data.Kind, n, philox.Key{Seed: philox.SaltEvalTarget.Seed(cfg.Seed), Step: 1, Stream: philox.StreamData})
	if err != nil {
		return nil, err
	}
	w2, err := eval.W2(xs, target, 2)
	if err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("%d samples (%s, NFE %d): exact W2 to %d fresh data points %.3f", n, so.Method, stats.NFE, n, w2)
	if cfg.Data.Kind == "checkerboard" {
		msg += fmt.Sprintf(", %.1f%% inside the filled cells", 100*data.CheckerboardFraction(xs))
	}
	logf("%s", msg)
	p := filepath.Join(dir, "samples.png")
	title := fmt.Sprintf("%s: %s, %d steps, NFE %d", cfg.Data.Kind, so.Method, so.Steps, stats.NFE)
	if err := plots.Scatter2D(p, title, []plots.Panel{{Title: "samples", XY: xs}, {Title: "target", XY: target}}); err != nil {
		return nil, err
	}
	files = append(files, p)
	p = filepath.Join(dir, "trajectories.png")
	if err := plots.Trajectories(p, "trajectories from noise (t=0) to data (t=1)", traj, min(len(traj[0])/2, 300)); err != nil {
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
