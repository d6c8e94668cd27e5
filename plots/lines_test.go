package plots

import (
	"math"
	"path/filepath"
	"testing"
)

// Lines draws a chart of the stated size whose series are visible in their
// colours (the first blue, the second red), skipping non-finite points.
func TestLines(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "w2.png")
	err := Lines(p, "W2 vs NFE", "NFE", "W2", []Series{
		{Label: "euler", X: []float64{1, 2, 4, 8}, Y: []float64{2, 1, 0.5, 0.3}, Color: 0},
		{Label: "rk4", X: []float64{4, 8, 16, math.NaN()}, Y: []float64{0.4, 0.3, 0.3, 1}, Color: 1, Style: 1},
	}, true, true, 0.25, "floor")
	if err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, p, 700, 450)
	if n := count(img, bluish); n < 200 {
		t.Errorf("%d blue pixels: the first series is not drawn", n)
	}
	if n := count(img, func(r, g, b uint32) bool { return r > 180 && g < 80 && b < 80 }); n < 100 {
		t.Errorf("%d red pixels: the second series is not drawn", n)
	}
	onlyFile(t, dir, "w2.png")
}

// Error bars: a series with YErr draws its bars (more of its colour than the
// same line without them, and the axis reaches the bars' ends); a YErr of
// another length panics.
func TestLinesErrorBars(t *testing.T) {
	dir := t.TempDir()
	x, y := []float64{1, 2, 4, 8}, []float64{2, 2, 2, 2}
	plain, bars := filepath.Join(dir, "plain.png"), filepath.Join(dir, "bars.png")
	if err := Lines(plain, "", "x", "y", []Series{{Label: "a", X: x, Y: y}}, true, false, 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := Lines(bars, "", "x", "y", []Series{{Label: "a", X: x, Y: y, YErr: []float64{1, 1, 1, math.NaN()}}}, true, false, 0, ""); err != nil {
		t.Fatal(err)
	}
	np, nb := count(readPNG(t, plain, 700, 450), bluish), count(readPNG(t, bars, 700, 450), bluish)
	if nb < np+100 {
		t.Errorf("blue pixels: %d with error bars, %d without; the bars are not drawn", nb, np)
	}
	defer func() {
		if recover() == nil {
			t.Error("YErr of the wrong length did not panic")
		}
	}()
	Lines(filepath.Join(dir, "bad.png"), "", "x", "y", []Series{{Label: "a", X: x, Y: y, YErr: []float64{1}}}, false, false, 0, "")
}

// TrajectoryPanels puts the panels side by side: twice as wide for two.
func TestTrajectoryPanels(t *testing.T) {
	dir := t.TempDir()
	traj := [][]float32{{-1, -1, 1, 1}, {0, 0, 2, 2}, {1, 1, 3, 3}}
	p := filepath.Join(dir, "traj.png")
	if err := TrajectoryPanels(p, "paths", []TrajectoryPanel{{Title: "a", Traj: traj}, {Title: "b", Traj: traj}}, 10); err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, p, 800, 440)
	if n := count(img, bluish); n < 4 {
		t.Errorf("%d blue pixels: the end points are not drawn", n)
	}
}

// The legend goes where the curves are not: on top of a falling curve, at
// the bottom of a rising one, and on top of an extended axis when curves
// run along both the top and the bottom.
func TestLegendPlace(t *testing.T) {
	x := []float64{1, 2, 4, 8, 16}
	falling := []Series{{X: x, Y: []float64{5, 3, 2, 1, 0.5}}}
	rising := []Series{{X: x, Y: []float64{0.1, 0.3, 0.6, 0.8, 0.9}}}
	both := []Series{{X: x, Y: []float64{4, 4, 4, 4, 4}}, {X: x, Y: []float64{2, 1.5, 1.2, 1.1, 1}}}
	if top, m := legendPlace(falling, 2, true, true); !top || !math.IsNaN(m) {
		t.Errorf("falling curve: top %v, y max %v", top, m)
	}
	if top, m := legendPlace(rising, 2, true, false); top || !math.IsNaN(m) {
		t.Errorf("rising curve: top %v, y max %v", top, m)
	}
	// 3 entries: the legend box is 18% of the height; the data must fill the other 82%.
	top, m := legendPlace(both, 3, true, true)
	if want := math.Exp(math.Log(4) / 0.82); !top || math.Abs(m-want) > 1e-9 {
		t.Errorf("curves at top and bottom: top %v, y max %v, want %v", top, m, want)
	}
}

// A log axis of less than two decades still has labelled ticks inside it.
func TestLogAxisTicks(t *testing.T) {
	for _, r := range [][2]float64{{2.7, 3.9}, {0.35, 3.2}, {0.01, 50}} {
		labelled := 0
		for _, tk := range (logAxisTicks{}).Ticks(r[0], r[1]) {
			if tk.Label != "" {
				labelled++
				if r[1]/r[0] < 100 && (tk.Value < r[0]*(1-1e-9) || tk.Value > r[1]*(1+1e-9)) { // (plot.LogTicks may reach beyond)
					t.Errorf("%v: tick %v outside", r, tk.Value)
				}
			}
		}
		if labelled < 2 {
			t.Errorf("%v: %d labelled ticks", r, labelled)
		}
	}
}
