package main

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/latentflow/latentflow/plots"
)

// trajPanel is one model's trajectories for the side-by-side figure.
type trajPanel struct {
	title string
	traj  [][]float32
}

// stat is the mean and the sample standard deviation over seeds (0 for
// one seed; NaN values are left out, N counts the others).
type stat struct {
	Mean, SD float64
	N        int
}

func statOf(v []float64) stat {
	var s stat
	var sum float64
	for _, x := range v {
		if !math.IsNaN(x) {
			sum += x
			s.N++
		}
	}
	if s.N == 0 {
		return stat{Mean: math.NaN(), SD: math.NaN()}
	}
	s.Mean = sum / float64(s.N)
	if s.N > 1 {
		var ss float64
		for _, x := range v {
			if !math.IsNaN(x) {
				ss += (x - s.Mean) * (x - s.Mean)
			}
		}
		s.SD = math.Sqrt(ss / float64(s.N-1))
	}
	return s
}

// pm formats a stat as "mean +- sd" with prec decimals.
func (s stat) pm(prec int) string {
	if s.N <= 1 {
		return fmt.Sprintf("%.*f", prec, s.Mean)
	}
	return fmt.Sprintf("%.*f ± %.*f", prec, s.Mean, prec, s.SD)
}

// nfeAgg is one solver setting of one model on one data set, over the seeds.
type nfeAgg struct {
	Data, Model, Solver string
	Steps               int
	Tol                 float64
	NFE, W2, InCell, FD stat
	Acc                 stat
}

// aggregate groups the rows by (data, model, solver, steps, tol), in the
// order of their first row.
func aggregate(rows []nfeRow) []nfeAgg {
	type key struct {
		data, model, solver string
		steps               int
		tol                 float64
	}
	var order []key
	groups := map[key][]nfeRow{}
	for _, r := range rows {
		k := key{r.Data, r.Model, r.Solver, r.Steps, r.Tol}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	var out []nfeAgg
	for _, k := range order {
		g := groups[k]
		col := func(f func(nfeRow) float64) stat {
			v := make([]float64, len(g))
			for i, r := range g {
				v[i] = f(r)
			}
			return statOf(v)
		}
		out = append(out, nfeAgg{Data: k.data, Model: k.model, Solver: k.solver, Steps: k.steps, Tol: k.tol,
			NFE:    col(func(r nfeRow) float64 { return float64(r.NFE) }),
			W2:     col(func(r nfeRow) float64 { return r.W2 }),
			InCell: col(func(r nfeRow) float64 { return r.InCell }),
			FD:     col(func(r nfeRow) float64 { return r.FD }),
			Acc:    col(func(r nfeRow) float64 { return r.Acc }),
		})
	}
	return out
}

// find is the aggregate of a fixed-step setting at nfe, or of Dopri5 at tol.
func find(ag []nfeAgg, dataName, model, solver string, nfe int, tol float64) (nfeAgg, bool) {
	for _, a := range ag {
		if a.Data == dataName && a.Model == model && a.Solver == solver && (solver == "dopri5" && a.Tol == tol || solver != "dopri5" && int(a.NFE.Mean) == nfe) {
			return a, true
		}
	}
	return nfeAgg{}, false
}

// nfeFigures draws, per data set, W2 (and the in-cell fraction, or the
// feature Frechet distance and the class accuracy) against NFE, mean over
// the seeds with +-1 standard deviation bars (one colour per model, one
// line style per solver family), the checkerboard's trajectories side by
// side and its Euler NFE-4 samples; it returns the file names (relative to
// out).
func nfeFigures(out string, rep nfeReport, panels []trajPanel, scatter [][]float32) ([]string, error) {
	ag := aggregate(rep.Rows)
	families := []string{"euler", "midpoint", "rk4", "dopri5"}
	var files []string
	seeds := fmt.Sprintf("mean ± sd over %d seeds", len(rep.Seeds))
	if len(rep.Seeds) == 1 {
		seeds = "one seed"
	}
	for _, d := range rep.Data {
		measures := []struct {
			file, title, ylabel string
			get                 func(nfeAgg) stat
			logY                bool
			floor               float64
			floorLabel          string
		}{
			{"w2-vs-nfe.png", fmt.Sprintf("%s, %d samples: exact W2 to held-out data vs NFE (%s)", d.Name, d.N, seeds), "W2 (log scale)",
				func(a nfeAgg) stat { return a.W2 }, true, d.W2Floor, fmt.Sprintf("floor %.3f (true vs true)", d.W2Floor)},
		}
		if d.Name == "checkerboard" {
			measures = append(measures, struct {
				file, title, ylabel string
				get                 func(nfeAgg) stat
				logY                bool
				floor               float64
				floorLabel          string
			}{"incell-vs-nfe.png", "checkerboard: fraction of samples in the filled cells vs NFE (" + seeds + ")", "in-cell fraction",
				func(a nfeAgg) stat { return a.InCell }, false, 1, "true samples: 1"})
		} else {
			measures = append(measures, []struct {
				file, title, ylabel string
				get                 func(nfeAgg) stat
				logY                bool
				floor               float64
				floorLabel          string
			}{
				{"fd-vs-nfe.png", fmt.Sprintf("%s: Frechet distance (squared) in classifier features vs NFE (%s)", d.Name, seeds), "FD (log scale)",
					func(a nfeAgg) stat { return a.FD }, true, d.FDFloor, fmt.Sprintf("floor %.2f (real vs real); AE reconstructions %.2f", d.FDFloor, d.FDRecon)},
				{"acc-vs-nfe.png", fmt.Sprintf("%s: share classified as the class asked for vs NFE (%s)", d.Name, seeds), "class accuracy",
					func(a nfeAgg) stat { return a.Acc }, false, d.AccReal, fmt.Sprintf("real test images %.3f", d.AccReal)},
			}...)
		}
		for _, ms := range measures {
			var series []plots.Series
			for mi, m := range rep.Models {
				for fi, f := range families {
					var pts []nfeAgg
					for _, a := range ag {
						if a.Data == d.Name && a.Model == m.Name && a.Solver == f {
							pts = append(pts, a)
						}
					}
					if len(pts) == 0 {
						continue
					}
					sort.SliceStable(pts, func(i, j int) bool { return pts[i].NFE.Mean < pts[j].NFE.Mean })
					s := plots.Series{Label: m.Name + " " + f, Color: mi, Style: fi}
					for _, a := range pts {
						v := ms.get(a)
						s.X, s.Y, s.YErr = append(s.X, a.NFE.Mean), append(s.Y, v.Mean), append(s.YErr, v.SD)
					}
					series = append(series, s)
				}
			}
			f := d.Name + "-" + ms.file
			if err := plots.Lines(filepath.Join(out, f), ms.title, "NFE (function evaluations)", ms.ylabel, series, true, ms.logY, ms.floor, ms.floorLabel); err != nil {
				return nil, err
			}
			files = append(files, f)
		}
	}
	if len(panels) > 0 {
		var tp []plots.TrajectoryPanel
		for _, p := range panels {
			tp = append(tp, plots.TrajectoryPanel{Title: p.title, Traj: p.traj})
		}
		f := "checkerboard-trajectories.png"
		if err := plots.TrajectoryPanels(filepath.Join(out, f), "300 paths from noise (t=0, black) to data (t=1, blue), RK4 16 steps, seed 0", tp, 300); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	if len(scatter) == len(rep.Models) {
		var sp []plots.Panel
		for i, m := range rep.Models {
			sp = append(sp, plots.Panel{Title: m.Name + ": Euler, NFE 4", XY: scatter[i]})
		}
		f := "checkerboard-samples-euler4.png"
		if err := plots.Scatter2D(filepath.Join(out, f), "", sp); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// nfeMarkdown is the experiment's report; sampleRows names the rows of the
// image-samples figure.
func nfeMarkdown(rep nfeReport, files []string, sampleRows []string) string {
	ag := aggregate(rep.Rows)
	var b strings.Builder
	fmt.Fprintf(&b, "# Sample quality against NFE: OT path, VP path, OT path with OT coupling\n\n")
	fmt.Fprintf(&b, "Command: `%s`\n\n", rep.Command)
	fmt.Fprintf(&b, "%s Every model is trained with seeds %v "+
		"(initial weights, batches, noise and times; its samples are drawn from noise seed + 1); a number is the mean ± the sample "+
		"standard deviation over the seeds.\n\n", wallLine(rep.Seconds, rep.Trained, rep.Loaded), rep.Seeds)
	for _, d := range rep.Data {
		fmt.Fprintf(&b, "## %s\n\n", d.Name)
		if d.Name == "checkerboard" {
			fmt.Fprintf(&b, "DiT d 64, 2 layers (examples/checkerboard.toml's model), %d steps of batch %d per model. Quality: exact W2 "+
				"(optimal assignment) between %d samples and %d fresh data points, and the fraction in the filled cells; the W2 floor, the "+
				"same estimator between two independent true sets of %d, is **%.4f**.\n\n", d.Steps, d.Batch, d.N, d.N, d.N, d.W2Floor)
		} else {
			fmt.Fprintf(&b, "Stage 1 (%.0f s, loaded or trained): the dense autoencoder 784 -> 512 -> 512 -> 7 x 14 latents (test PSNR %.2f dB) and "+
				"the evaluation classifier (784 -> 256 -> 10, %.1f%% on the real test images). Stage 2: a class-conditional DiT d 64, 2 layers "+
				"on the %d-dimensional latents of all training images, %d steps of batch %d per model. Each model is asked for the classes of "+
				"the first %d test images, without guidance (cfg 1), and scored against them: exact W2 to their latents (floor: the next %d "+
				"test latents, **%.4f**), the squared Frechet distance in the classifier's penultimate features to their images (FD; floor, "+
				"real against real: **%.2f**; the autoencoder's reconstructions of held-out images, the best a latent model can do: **%.2f**), "+
				"and the share the classifier assigns to the class asked for (real test images: %.3f).\n\n",
				d.Stage1Sec, d.AEPSNR, 100*d.AccReal, d.Dim, d.Steps, d.Batch, d.N, d.N, d.W2Floor, d.FDFloor, d.FDRecon, d.AccReal)
		}
		b.WriteString("| model | path | coupling | training s (per seed) | path length / chord - 1 (RK4 16 steps, 300 paths) |\n|---|---|---|---|---|\n")
		for i, m := range rep.Models {
			var secs []string
			for _, s := range d.TrainSecs[i] {
				secs = append(secs, fmt.Sprintf("%.0f", s))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", m.Name, m.Path, m.Coupling, strings.Join(secs, ", "), statOf(d.Curvature[i]).pm(4))
		}
		if d.Name == "checkerboard" {
			b.WriteString("\n| model | solver | steps | tol | NFE | W2 | W2 / floor | in-cell |\n|---|---|---|---|---|---|---|---|\n")
		} else {
			b.WriteString("\n| model | solver | steps | tol | NFE | W2 | W2 / floor | FD | class accuracy |\n|---|---|---|---|---|---|---|---|---|\n")
		}
		for _, a := range ag {
			if a.Data != d.Name {
				continue
			}
			steps, tol := fmt.Sprint(a.Steps), "-"
			if a.Solver == "dopri5" {
				steps, tol = "-", fmt.Sprintf("%g", a.Tol)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %.2f |", a.Model, a.Solver, steps, tol, a.NFE.pm(1), a.W2.pm(4), a.W2.Mean/d.W2Floor)
			if d.Name == "checkerboard" {
				fmt.Fprintf(&b, " %s |\n", a.InCell.pm(3))
			} else {
				fmt.Fprintf(&b, " %s | %s |\n", a.FD.pm(2), a.Acc.pm(3))
			}
		}
		b.WriteString("\n")
		for _, f := range files {
			if strings.HasPrefix(f, d.Name+"-") {
				fmt.Fprintf(&b, "![%s](%s)\n\n", strings.TrimSuffix(f, ".png"), f)
				if strings.HasSuffix(f, "-samples.png") && len(sampleRows) > 0 {
					fmt.Fprintf(&b, "Decoded samples of seed 0, one per class (columns: classes 0-9), rows top to bottom: %s.\n\n", strings.Join(sampleRows, "; "))
				}
			}
		}
	}
	b.WriteString(nfeFindings(rep, ag))
	return b.String()
}

// nfeFindings states, from the numbers, what the experiment shows.
func nfeFindings(rep nfeReport, ag []nfeAgg) string {
	var b strings.Builder
	b.WriteString("## Found (computed from the tables above)\n\n")
	for _, d := range rep.Data {
		fmt.Fprintf(&b, "**%s** (W2 floor %.3f):\n\n", d.Name, d.W2Floor)
		for _, nfe := range []int{1, 2, 4, 8} {
			fmt.Fprintf(&b, "- Euler NFE %d: W2", nfe)
			for _, m := range rep.Models {
				a, _ := find(ag, d.Name, m.Name, "euler", nfe, 0)
				fmt.Fprintf(&b, " %s %s,", m.Name, a.W2.pm(3))
				if d.Name != "checkerboard" {
					fmt.Fprintf(&b, " (FD %s, accuracy %s);", a.FD.pm(1), a.Acc.pm(3))
				}
			}
			ot, _ := find(ag, d.Name, "ot", "euler", nfe, 0)
			vp, _ := find(ag, d.Name, "vp", "euler", nfe, 0)
			fmt.Fprintf(&b, " OT %s VP in W2.\n", compare(ot.W2, vp.W2))
		}
		for _, f := range []struct {
			solver string
			nfe    int
		}{{"midpoint", 4}, {"rk4", 4}} {
			fmt.Fprintf(&b, "- %s NFE %d: W2", f.solver, f.nfe)
			for _, m := range rep.Models {
				a, _ := find(ag, d.Name, m.Name, f.solver, f.nfe, 0)
				fmt.Fprintf(&b, " %s %s,", m.Name, a.W2.pm(3))
			}
			ot, _ := find(ag, d.Name, "ot", f.solver, f.nfe, 0)
			vp, _ := find(ag, d.Name, "vp", f.solver, f.nfe, 0)
			fmt.Fprintf(&b, " OT %s VP.\n", compare(ot.W2, vp.W2))
		}
		if len(rep.Rows) > 0 {
			var tols []float64
			for _, a := range ag {
				if a.Data == d.Name && a.Solver == "dopri5" && a.Model == rep.Models[0].Name {
					tols = append(tols, a.Tol)
				}
			}
			if len(tols) > 0 {
				tol := tols[len(tols)-1]
				fmt.Fprintf(&b, "- Dopri5 NFE at rtol = atol = %g:", tol)
				for _, m := range rep.Models {
					a, _ := find(ag, d.Name, m.Name, "dopri5", 0, tol)
					fmt.Fprintf(&b, " %s %s (W2 %s),", m.Name, a.NFE.pm(1), a.W2.pm(3))
				}
				b.WriteString(" fewer evaluations: a straighter or smoother field.\n")
			}
		}
		b.WriteString("- Path length / chord - 1 (0 = straight):")
		for i, m := range rep.Models {
			fmt.Fprintf(&b, " %s %s,", m.Name, statOf(d.Curvature[i]).pm(4))
		}
		b.WriteString("\n\n")
	}
	return b.String()
}

// wallLine states the run's wall time and how many of its models it
// trained (the others were loaded from -runs, so their training is not in
// it).
func wallLine(secs float64, trained, loaded int) string {
	w := fmt.Sprintf("Wall time of this run: **%.0f s** (%.1f min), CPU backend, %d models trained", secs, secs/60, trained)
	if loaded > 0 {
		w += fmt.Sprintf(", %d loaded from -runs (trained by an earlier run of the same configuration; their training time is not in this wall "+
			"time, their training seconds in the tables come from their metrics)", loaded)
	}
	return w + "."
}

// compare says how a's mean relates to b's given their spreads: "beats"
// (lower) or "loses to" when the means differ by more than the two
// standard deviations added, else "ties with".
func compare(a, b stat) string {
	switch {
	case math.IsNaN(a.Mean) || math.IsNaN(b.Mean):
		return "cannot be compared with"
	case a.Mean+a.SD+b.SD < b.Mean:
		return "beats (lower, beyond the spread)"
	case b.Mean+a.SD+b.SD < a.Mean:
		return "loses to (higher, beyond the spread)"
	default:
		return "ties with (within the spread)"
	}
}
