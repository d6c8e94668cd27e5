package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/latentflow/latentflow/plots"
)

// trajPanel is one model's trajectories for the side-by-side figure.
type trajPanel struct {
	title string
	traj  [][]float32
}

// nfeFigures draws W2 and the in-cell fraction against NFE (one colour per
// model, one line style per solver family), the trajectories side by side
// and the Euler NFE-4 samples; it returns the file names (relative to out).
func nfeFigures(out string, rep nfeReport, panels []trajPanel, scatter [][]float32) ([]string, error) {
	var w2s, cells []plots.Series
	families := []string{"euler", "midpoint", "rk4", "dopri5"}
	for mi, m := range rep.Models {
		for fi, f := range families {
			var x, y, c []float64
			for _, r := range rep.Rows {
				if r.Model == m.Name && r.Solver == f {
					x, y, c = append(x, float64(r.NFE)), append(y, r.W2), append(c, r.InCell)
				}
			}
			if len(x) == 0 {
				continue
			}
			if f == "dopri5" {
				sortXY(x, y, c)
			}
			label := m.Name + " " + f
			// Colour by model, line style by solver family.
			s := plots.Series{Label: label, X: x, Y: y, Color: mi, Style: fi}
			w2s = append(w2s, s)
			s.Y = c
			cells = append(cells, s)
		}
	}
	files := []string{"w2-vs-nfe.png", "incell-vs-nfe.png", "trajectories.png"}
	title := fmt.Sprintf("checkerboard, %d samples: exact W2 to fresh data vs NFE", rep.N)
	if err := plots.Lines(filepath.Join(out, files[0]), title, "NFE (function evaluations)", "W2 (log scale)", w2s, true, true, rep.W2Floor,
		fmt.Sprintf("floor %.3f (true vs true)", rep.W2Floor)); err != nil {
		return nil, err
	}
	if err := plots.Lines(filepath.Join(out, files[1]), "fraction of samples in the filled cells vs NFE", "NFE (function evaluations)", "in-cell fraction",
		cells, true, false, 1, "true samples: 1"); err != nil {
		return nil, err
	}
	var tp []plots.TrajectoryPanel
	for _, p := range panels {
		tp = append(tp, plots.TrajectoryPanel{Title: p.title, Traj: p.traj})
	}
	if err := plots.TrajectoryPanels(filepath.Join(out, files[2]), "300 paths from noise (t=0, black) to data (t=1, blue), RK4 16 steps, in data coordinates", tp, 300); err != nil {
		return nil, err
	}
	if len(scatter) == len(rep.Models) {
		var sp []plots.Panel
		for i, m := range rep.Models {
			sp = append(sp, plots.Panel{Title: m.Name + ": Euler, NFE 4", XY: scatter[i]})
		}
		files = append(files, "samples-euler4.png")
		if err := plots.Scatter2D(filepath.Join(out, files[3]), "", sp); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// sortXY sorts the points by x (Dopri5's NFE grows as the tolerance shrinks,
// but not necessarily monotonically).
func sortXY(x, y, c []float64) {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && x[j] < x[j-1]; j-- {
			x[j], x[j-1] = x[j-1], x[j]
			y[j], y[j-1] = y[j-1], y[j]
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
}

// nfeMarkdown is the experiment's report.
func nfeMarkdown(rep nfeReport, files []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Sample quality against NFE: OT path, VP path, OT path with OT coupling\n\n")
	fmt.Fprintf(&b, "Command: `%s`\n\n", rep.Command)
	fmt.Fprintf(&b, "Checkerboard; DiT d 64, 2 layers (examples/checkerboard.toml's model) trained %d steps of batch %d per model on the CPU. "+
		"Quality: exact W2 (optimal assignment) between %d samples and %d fresh data points; its floor, the same estimator between two independent "+
		"true sets of %d, is **%.4f**. All samples from the same noise (seed 1).\n\n", rep.Steps, rep.Batch, rep.N, rep.N, rep.N, rep.W2Floor)
	b.WriteString("| model | path | coupling | training s | sum of path lengths / sum of chords - 1 (RK4, 16 steps, 300 paths) |\n|---|---|---|---|---|\n")
	for i, m := range rep.Models {
		fmt.Fprintf(&b, "| %s | %s | %s | %.0f | %.4f |\n", m.Name, m.Path, m.Coupling, rep.TrainSecs[i], rep.Curvature[i])
	}
	b.WriteString("\n| model | solver | steps | tol | NFE | W2 | W2 / floor | in-cell |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rep.Rows {
		steps, tol := fmt.Sprint(r.Steps), "-"
		if r.Solver == "dopri5" {
			steps, tol = "-", fmt.Sprintf("%g", r.Tol)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %.4f | %.2f | %.3f |\n", r.Model, r.Solver, steps, tol, r.NFE, r.W2, r.W2/rep.W2Floor, r.InCell)
	}
	b.WriteString("\n")
	for _, f := range files {
		fmt.Fprintf(&b, "![%s](%s)\n\n", strings.TrimSuffix(f, ".png"), f)
	}
	b.WriteString(nfeFindings(rep))
	return b.String()
}

// nfeFindings states, from the numbers, what the experiment shows.
func nfeFindings(rep nfeReport) string {
	get := func(model, solver string, nfe int) float64 {
		for _, r := range rep.Rows {
			if r.Model == model && r.Solver == solver && r.NFE == nfe {
				return r.W2
			}
		}
		return math.NaN()
	}
	dopri := func(model string, tol float64) int {
		for _, r := range rep.Rows {
			if r.Model == model && r.Solver == "dopri5" && r.Tol == tol {
				return r.NFE
			}
		}
		return -1
	}
	var b strings.Builder
	b.WriteString("## Found (computed from the table above)\n\n")
	for _, nfe := range []int{1, 2, 4, 8} {
		fmt.Fprintf(&b, "- Euler NFE %d: W2", nfe)
		for _, m := range rep.Models {
			fmt.Fprintf(&b, " %s %.3f,", m.Name, get(m.Name, "euler", nfe))
		}
		fmt.Fprintf(&b, " floor %.3f.\n", rep.W2Floor)
	}
	if len(rep.Rows) > 0 {
		tol := rep.Rows[len(rep.Rows)-1].Tol
		fmt.Fprintf(&b, "- Dopri5 NFE at rtol = atol = %g:", tol)
		for _, m := range rep.Models {
			fmt.Fprintf(&b, " %s %d,", m.Name, dopri(m.Name, tol))
		}
		b.WriteString(" (fewer evaluations: a straighter, easier field).\n")
	}
	b.WriteString("- Path length / chord - 1 (0 = straight):")
	for i, m := range rep.Models {
		fmt.Fprintf(&b, " %s %.4f,", m.Name, rep.Curvature[i])
	}
	b.WriteString("\n")
	return b.String()
}
