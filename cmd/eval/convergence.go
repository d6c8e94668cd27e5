package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/eval"
	"github.com/latentflow/latentflow/generate"
	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/internal/atomicfile"
	"github.com/latentflow/latentflow/internal/cli"
	"github.com/latentflow/latentflow/philox"
	"github.com/latentflow/latentflow/plots"
	"github.com/latentflow/latentflow/sample"
)

// convSizes are the convergence experiment's sizes.
type convSizes struct {
	Sizes []int    // training-set sizes n
	Seeds []uint64 // one model per (data, n, seed)
	Steps int      // checkerboard flow steps per model
	Batch int
	M     int // generated and held-out points per evaluation
	Image imageSizes
	// ImageSizes are the latent half's training-set sizes (nil: Sizes).
	ImageSizes []int
}

// convergenceSizes are the default sizes (two seeds: 16 models, with stage
// 1 on Fashion-MNIST about 15 minutes on an unshared 2-core machine), or
// -quick's; seeds > 0 sets the number of seeds, images the image set.
func convergenceSizes(quick bool, seeds int, images, imagesPath string) convSizes {
	s := convSizes{Sizes: []int{500, 2000, 8000, 32000}, Seeds: seedList(2), Steps: 1500, Batch: 256, M: 2000,
		Image: imageSizes{Kind: images, Path: imagesPath, AESteps: 1500, ClsSteps: 1000, Steps: 1500, Batch: 128, N: 2000}}
	if quick {
		s = convSizes{Sizes: []int{50, 200}, Seeds: seedList(2), Steps: 30, Batch: 64, M: 100,
			Image:      imageSizes{Kind: images, Path: imagesPath, Size: 600, TestSize: 200, AESteps: 40, ClsSteps: 30, Steps: 30, Batch: 32, N: 50},
			ImageSizes: []int{100, 400}}
	}
	if seeds > 0 {
		s.Seeds = seedList(seeds)
	}
	if images == "none" {
		s.Image.Kind = ""
	}
	return s
}

// convRow is one trained model of the convergence experiment.
type convRow struct {
	Data     string  `json:"data"`
	N        int     `json:"n"`
	Seed     uint64  `json:"seed"`
	W2       float64 `json:"w2"`        // generated vs held-out
	W2Memo   float64 `json:"w2_memo"`   // the memorising baseline vs held-out
	NearGen  float64 `json:"near_gen"`  // mean distance of a sample to its nearest training point
	NearHeld float64 `json:"near_held"` // the same for held-out true points
	InCell   float64 `json:"in_cell,omitempty"`
	TrainSec float64 `json:"train_seconds"`
}

// convData is one data set of the convergence experiment.
type convData struct {
	Name     string  `json:"name"`
	Dim      int     `json:"dim"`
	Steps    int     `json:"train_steps"`
	Batch    int     `json:"train_batch"`
	M        int     `json:"m"`
	W2Floor  float64 `json:"w2_floor"`
	Slope    float64 `json:"slope"`    // of log(W2^2 - floor^2) against log n
	SlopeCI  float64 `json:"slope_ci"` // half width of its 95% interval
	UsedFits int     `json:"points_fitted"`
	// The same fit for the memoriser.
	MemoSlope   float64 `json:"memo_slope"`
	MemoSlopeCI float64 `json:"memo_slope_ci"`
	MemoFits    int     `json:"memo_points_fitted"`
	Stage1Sec   float64 `json:"stage1_seconds,omitempty"`
}

// convReport is convergence.json.
type convReport struct {
	Command string     `json:"command"`
	Seeds   []uint64   `json:"seeds"`
	Data    []convData `json:"data"`
	Rows    []convRow  `json:"rows"`
	Seconds float64    `json:"wall_seconds"`
	Trained int        `json:"models_trained"`
	Loaded  int        `json:"models_loaded"` // from -runs: their training is not in Seconds
}

// convTarget is one data set: its held-out sets, its sizes and how a model
// of size n is configured and its training set found.
type convTarget struct {
	info       convData
	dir        string
	sizes      []int
	held       []float32
	config     func(n int, seed uint64) (config.Config, error)
	trainSet   func(n int, seed uint64) ([]float32, error)
	checkboard bool
}

// convergenceExperiment trains the OT-path model on fixed training sets of
// each size and seed, on the checkerboard (data.size = n) and on the first n
// training latents of the image set (unconditional), and scores it against
// held-out data beside the floor and the memorising baseline: the training
// points themselves, resampled (the empirical CFM minimiser with a tiny
// sigma_min is a kernel density estimate of width about sigma_min on them).
func convergenceExperiment(out, runs string, s convSizes, stdout, stderr io.Writer) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return cli.Inputf("-out %s: %v", out, err)
	}
	be, err := gpu.Open("cpu")
	if err != nil {
		return err
	}
	start := time.Now()
	k := philox.Key{Seed: philox.SaltEvalTarget.Seed(0), Stream: philox.StreamData, Step: 1}
	held, err := data.Toy("checkerboard", s.M, k)
	if err != nil {
		return err
	}
	k.Step = 2
	held2, err := data.Toy("checkerboard", s.M, k)
	if err != nil {
		return err
	}
	floor, err := eval.W2(held2, held, 2)
	if err != nil {
		return err
	}
	ot := expModel{Name: "ot", Path: "ot", Coupling: "independent"}
	targets := []*convTarget{{
		info: convData{Name: "checkerboard", Dim: 2, Steps: s.Steps, Batch: s.Batch, M: s.M, W2Floor: floor},
		dir:  filepath.Join(runs, "checkerboard"), sizes: s.Sizes, held: held, checkboard: true,
		config: func(n int, seed uint64) (config.Config, error) {
			cfg, err := expConfig(ot, expSizes{Steps: s.Steps, Batch: s.Batch}, seed)
			if err != nil {
				return cfg, err
			}
			cfg.Data.Size = n
			return cfg, cfg.Validate()
		},
		trainSet: func(n int, seed uint64) ([]float32, error) {
			// The run's training set, drawn as pipeline's fixed 2D set is.
			return data.Toy("checkerboard", n, philox.Key{Seed: seed, Step: math.MaxUint64, Stream: philox.StreamData})
		},
	}}
	fmt.Fprintf(stderr, "convergence: checkerboard W2 floor (two sets of %d true points): %.4f\n", s.M, floor)
	if s.Image.Kind != "" {
		t0 := time.Now()
		img := s.Image
		img.N = s.M
		ls, err := prepareLatents(be, img, filepath.Join(runs, img.Kind+"-stage1"), stderr)
		if err != nil {
			return err
		}
		L := ls.L
		held, held2 := ls.test[:s.M*L], ls.test[s.M*L:2*s.M*L]
		floor, err := eval.W2(held2, held, L)
		if err != nil {
			return err
		}
		sizes := s.Sizes
		if s.ImageSizes != nil {
			sizes = s.ImageSizes
		}
		dir := filepath.Join(runs, img.Kind)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return cli.Inputf("-runs: %v", err)
		}
		targets = append(targets, &convTarget{
			info: convData{Name: ls.name + " latents", Dim: L, Steps: img.Steps, Batch: img.Batch, M: s.M, W2Floor: floor, Stage1Sec: time.Since(t0).Seconds()},
			dir:  dir, sizes: sizes, held: held,
			config: func(n int, seed uint64) (config.Config, error) {
				npy, _, err := ls.subsetNPY(dir, n, false)
				if err != nil {
					return config.Config{}, err
				}
				return latentConfig(ls, ot, seed, npy, "")
			},
			trainSet: func(n int, _ uint64) ([]float32, error) { return ls.train[:n*L], nil },
		})
		fmt.Fprintf(stderr, "convergence: %s latents W2 floor (two sets of %d test latents): %.4f\n", ls.name, s.M, floor)
	}
	rep := convReport{Command: strings.Join(os.Args, " "), Seeds: s.Seeds}
	total, done := 0, 0
	for _, tg := range targets {
		total += len(tg.sizes) * len(s.Seeds)
	}
	for _, tg := range targets {
		info := &tg.info
		d := info.Dim
		for _, n := range tg.sizes {
			for _, seed := range s.Seeds {
				cfg, err := tg.config(n, seed)
				if err != nil {
					return err
				}
				t0 := time.Now()
				dir := filepath.Join(tg.dir, fmt.Sprintf("n%d-seed%d", n, seed))
				st, loaded, err := trainOrLoad(cfg, dir, stderr)
				if err != nil {
					return fmt.Errorf("%s n %d, seed %d: %w", info.Name, n, seed, err)
				}
				sec := time.Since(t0).Seconds()
				if loaded {
					sec = trainSeconds(filepath.Join(dir, "metrics.jsonl"))
				}
				done++
				if loaded {
					rep.Loaded++
				} else {
					rep.Trained++
				}
				trainSet, err := tg.trainSet(n, seed)
				if err != nil {
					return err
				}
				xs, _, err := generate.Flow(be, st, s.M, nil, 1, 1000+seed, sample.Options{Method: sample.RK4, Steps: 20})
				if err != nil {
					return err
				}
				row := convRow{Data: info.Name, N: n, Seed: seed, TrainSec: sec}
				if tg.checkboard {
					row.InCell = data.CheckerboardFraction(xs)
				}
				if row.W2, err = eval.W2(xs, tg.held, d); err != nil {
					row.W2 = math.NaN()
				}
				// Memoriser: M training points drawn uniformly with replacement.
				memo := make([]float32, d*s.M)
				idx := make([]float32, s.M)
				philox.Key{Seed: seed, Stream: philox.StreamEvalDirections, Step: uint64(n)}.FillUniform(idx, 0)
				for i, u := range idx {
					j := min(int(float64(u)*float64(n)), n-1)
					copy(memo[d*i:], trainSet[d*j:d*j+d])
				}
				if row.W2Memo, err = eval.W2(memo, tg.held, d); err != nil {
					return err
				}
				mean := func(q []float32) float64 {
					dist, err := eval.NearestDistances(q, trainSet, d)
					if err != nil {
						return math.NaN()
					}
					var m float64
					for _, v := range dist {
						m += v
					}
					return m / float64(len(dist))
				}
				row.NearGen, row.NearHeld = mean(xs), mean(tg.held)
				rep.Rows = append(rep.Rows, row)
				fmt.Fprintf(stderr, "convergence: [%d/%d, %s elapsed] %s n %d seed %d (%s in %.0f s): W2 %.4f (floor %.4f, memoriser %.4f), nearest training point %.4f (held-out %.4f)\n",
					done, total, time.Since(start).Round(time.Second), info.Name, n, seed, map[bool]string{true: "loaded", false: "trained"}[loaded], sec,
					row.W2, info.W2Floor, row.W2Memo, row.NearGen, row.NearHeld)
			}
		}
		// The log-log slope of W2^2 - floor^2 against n, over the models above the floor.
		fit := func(w2 func(convRow) float64) (float64, float64, int) {
			var lx, ly []float64
			for _, r := range rep.Rows {
				if r.Data != info.Name {
					continue
				}
				if e := w2(r)*w2(r) - info.W2Floor*info.W2Floor; e > 0 {
					lx, ly = append(lx, math.Log(float64(r.N))), append(ly, math.Log(e))
				}
			}
			sl, ci := fitSlope(lx, ly)
			return sl, ci, len(lx)
		}
		info.Slope, info.SlopeCI, info.UsedFits = fit(func(r convRow) float64 { return r.W2 })
		info.MemoSlope, info.MemoSlopeCI, info.MemoFits = fit(func(r convRow) float64 { return r.W2Memo })
		rep.Data = append(rep.Data, *info)
	}
	rep.Seconds = time.Since(start).Seconds()
	figs, err := convFigures(out, rep)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	jsonPath := filepath.Join(out, "convergence.json")
	if err := atomicfile.WriteBytes(jsonPath, append(b, '\n')); err != nil {
		return err
	}
	mdPath := filepath.Join(out, "convergence.md")
	if err := atomicfile.WriteBytes(mdPath, []byte(convMarkdown(rep, figs))); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "convergence: done in %s\n", time.Since(start).Round(time.Second))
	fmt.Fprintf(stdout, "convergence experiment: %s, %s, %s\n", mdPath, jsonPath, strings.Join(figs, ", "))
	return nil
}

// fitSlope is the least-squares slope of y against x and the half width of
// its 95% confidence interval (Student t with len(x)-2 degrees of freedom);
// NaN when fewer than 3 points.
func fitSlope(x, y []float64) (slope, ci float64) {
	n := len(x)
	if n < 3 {
		return math.NaN(), math.NaN()
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxx, sxy float64
	for i := range x {
		sxx += (x[i] - mx) * (x[i] - mx)
		sxy += (x[i] - mx) * (y[i] - my)
	}
	if sxx == 0 {
		return math.NaN(), math.NaN()
	}
	slope = sxy / sxx
	var rss float64
	for i := range x {
		r := y[i] - my - slope*(x[i]-mx)
		rss += r * r
	}
	se := math.Sqrt(rss / float64(n-2) / sxx)
	return slope, tQuantile975(n-2) * se
}

// tQuantile975 is the 0.975 quantile of Student's t with df degrees of
// freedom (table for df <= 10, then the normal approximation with the
// first correction term).
func tQuantile975(df int) float64 {
	table := []float64{math.NaN(), 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228}
	if df < len(table) {
		return table[df]
	}
	z := 1.959964
	return z + (z*z*z+z)/(4*float64(df))
}

func convFigures(out string, rep convReport) ([]string, error) {
	var files []string
	for _, d := range rep.Data {
		var series []plots.Series
		for si, seed := range rep.Seeds {
			var x, y, ym []float64
			for _, r := range rep.Rows {
				if r.Data == d.Name && r.Seed == seed {
					x, y, ym = append(x, float64(r.N)), append(y, r.W2), append(ym, r.W2Memo)
				}
			}
			series = append(series, plots.Series{Label: fmt.Sprintf("model, seed %d", seed), X: x, Y: y, Color: si},
				plots.Series{Label: fmt.Sprintf("memoriser, seed %d", seed), X: x, Y: ym, Color: si + 3, Style: 1})
		}
		f := strings.ReplaceAll(d.Name, " ", "-") + "-w2-vs-n.png"
		title := fmt.Sprintf("%s: W2 of %d samples to held-out data vs training-set size", d.Name, d.M)
		if err := plots.Lines(filepath.Join(out, f), title, "training points n (log scale)", "W2 (log scale)", series, true, true, d.W2Floor,
			fmt.Sprintf("floor %.3f (true vs true)", d.W2Floor)); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

func convMarkdown(rep convReport, figs []string) string {
	var b strings.Builder
	b.WriteString("# W2 against training-set size\n\n")
	fmt.Fprintf(&b, "Command: `%s`\n\n", rep.Command)
	fmt.Fprintf(&b, "%s OT path; one model per training-set size n and seed (seeds %v: "+
		"initial weights, batches, noise and times). Each model is scored by the exact W2 between M of its samples (RK4, 20 steps) and M held-out "+
		"points, beside the floor (two held-out sets of M) and the memorising baseline: M of the n training points resampled with replacement (the "+
		"empirical CFM minimiser with sigma_min = 1e-4 is a kernel density estimate of that width on them, whose W2 this is to within 1e-4). "+
		"'nearest' is the mean distance to the nearest training point: 0 for a memoriser.\n\n", wallLine(rep.Seconds, rep.Trained, rep.Loaded), rep.Seeds)
	for _, d := range rep.Data {
		fmt.Fprintf(&b, "## %s\n\n", d.Name)
		if d.Name == "checkerboard" {
			fmt.Fprintf(&b, "DiT d 64, 2 layers, %d steps of batch %d per model on a fixed set of n points (data.size = n); M = %d, floor **%.4f**.\n\n",
				d.Steps, d.Batch, d.M, d.W2Floor)
		} else {
			fmt.Fprintf(&b, "Stage 1 (%.0f s, loaded or trained): the dense autoencoder to 7 x 14 latents on all training images. An unconditional DiT d 64, "+
				"2 layers on the latents (dimension %d) of the first n training images, %d steps of batch %d per model; held-out: the latents of "+
				"the test images, M = %d, floor **%.4f**.\n\n", d.Stage1Sec, d.Dim, d.Steps, d.Batch, d.M, d.W2Floor)
		}
		b.WriteString("| n | seed | W2 model | W2 memoriser | W2 floor | nearest (samples) | nearest (held-out) |")
		if d.Name == "checkerboard" {
			b.WriteString(" in-cell |")
		}
		b.WriteString(" training s |\n|---|---|---|---|---|---|---|")
		if d.Name == "checkerboard" {
			b.WriteString("---|")
		}
		b.WriteString("---|\n")
		for _, r := range rep.Rows {
			if r.Data != d.Name {
				continue
			}
			fmt.Fprintf(&b, "| %d | %d | %.4f | %.4f | %.4f | %.4f | %.4f |", r.N, r.Seed, r.W2, r.W2Memo, d.W2Floor, r.NearGen, r.NearHeld)
			if d.Name == "checkerboard" {
				fmt.Fprintf(&b, " %.3f |", r.InCell)
			}
			fmt.Fprintf(&b, " %.0f |\n", r.TrainSec)
		}
		fmt.Fprintf(&b, "\nFitted slope of log(W2^2 - floor^2) against log n: model **%.3f ± %.3f** (95%%, %d points above the floor); "+
			"memoriser %.3f ± %.3f (%d points).", d.Slope, d.SlopeCI, d.UsedFits, d.MemoSlope, d.MemoSlopeCI, d.MemoFits)
		if d.Dim == 2 {
			b.WriteString(" In 2D the floor and the estimator's own error both shrink about as n^(-1/2), so this slope is not the model's rate.")
		}
		b.WriteString("\n\n")
		for _, f := range figs {
			if strings.HasPrefix(f, strings.ReplaceAll(d.Name, " ", "-")+"-") {
				fmt.Fprintf(&b, "![%s](%s)\n\n", strings.TrimSuffix(f, ".png"), f)
			}
		}
	}
	return b.String()
}
