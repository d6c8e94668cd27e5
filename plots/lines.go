package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one line of a Lines chart: points (X[i], Y[i]) joined in order,
// with a legend label, a colour and a line style (0 solid, 1 dashed, 2
// dotted, 3 dash-dot: for several solver families of one model's colour).
type Series struct {
	Label string
	X, Y  []float64
	Color int // index into the palette (repeats after 8)
	Style int // index into the line styles (repeats after 4)
	// YErr, when not nil, is a half width per point (a spread over seeds),
	// drawn as a vertical bar Y[i] +- YErr[i] (on a log axis the lower end
	// is kept above Y[i]/10).
	YErr []float64
}

// dashes are the line styles of Lines.
var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(1.5), vg.Points(2)}, {vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)}}

// palette is the colour cycle of Lines.
var palette = []color.NRGBA{
	{R: 31, G: 119, B: 180, A: 255}, {R: 214, G: 39, B: 40, A: 255}, {R: 44, G: 160, B: 44, A: 255},
	{R: 148, G: 103, B: 189, A: 255}, {R: 255, G: 127, B: 14, A: 255}, {R: 140, G: 86, B: 75, A: 255},
	{R: 227, G: 119, B: 194, A: 255}, {R: 127, G: 127, B: 127, A: 255},
}

// Lines writes to path a 700 x 450 pixel PNG line chart of the series, x on
// a log axis when logX (every x must then be > 0; ticks at the powers of
// two when every x is one), with a grey horizontal
// line at Floor when floorLabel is not empty, y on a log axis when logY
// (values <= 0 are then left out) (the estimator's floor), and a
// legend. Points with a NaN or infinite coordinate are left out.
//
// Lines panics if there are no series or a series' X and Y differ in length.
// It returns an error if the file cannot be written.
func Lines(path, title, xLabel, yLabel string, series []Series, logX, logY bool, floor float64, floorLabel string) error {
	if len(series) == 0 {
		panic("plots: Lines with no series")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		pow2 := true
		for _, s := range series {
			for _, x := range s.X {
				if f := math.Log2(x); f != math.Trunc(f) && !math.IsNaN(x) {
					pow2 = false
				}
			}
		}
		if pow2 { // NFE: label the powers of two
			p.X.Tick.Marker = pow2Ticks{}
		}
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logAxisTicks{}
	}

	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		if len(s.X) != len(s.Y) {
			panic(fmt.Sprintf("plots: Lines: series %q has %d x and %d y", s.Label, len(s.X), len(s.Y)))
		}
		if s.YErr != nil && len(s.YErr) != len(s.Y) {
			panic(fmt.Sprintf("plots: Lines: series %q has %d y and %d error bars", s.Label, len(s.Y), len(s.YErr)))
		}
		var xy plotter.XYs
		var bars []plotter.XY // (low, high) of each error bar
		for i := range s.X {
			x, y := s.X[i], s.Y[i]
			if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) || (logX && x <= 0) || (logY && y <= 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: x, Y: y})
			if s.YErr != nil {
				e := s.YErr[i]
				if math.IsNaN(e) || math.IsInf(e, 0) {
					e = 0
				}
				low := y - e
				if logY {
					low = math.Max(low, y/10)
				}
				bars = append(bars, plotter.XY{X: low, Y: y + e})
			}
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		if len(xy) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return fmt.Errorf("plots: Lines: %w", err)
		}
		c := palette[s.Color%len(palette)]
		l.Color, l.Width = c, vg.Points(1.5)
		l.Dashes = dashes[s.Style%len(dashes)]
		pts.Color, pts.Radius, pts.Shape = c, vg.Points(2.5), draw.CircleGlyph{}
		p.Add(l, pts)
		p.Legend.Add(s.Label, l, pts)
		if bars != nil {
			p.Add(errorBars{xy: xy, bars: bars, color: c})
		}
	}
	if floorLabel != "" && lo <= hi {
		f, err := plotter.NewLine(plotter.XYs{{X: lo, Y: floor}, {X: hi, Y: floor}})
		if err != nil {
			return fmt.Errorf("plots: Lines: %w", err)
		}
		f.Color, f.Width = color.NRGBA{R: 90, G: 90, B: 90, A: 255}, vg.Points(1)
		f.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(f)
		p.Legend.Add(floorLabel, f)
	}
	entries := len(series)
	if floorLabel != "" {
		entries++
	}
	top, yMax := legendPlace(series, entries, logX, logY)
	p.Legend.Top = top
	if !math.IsNaN(yMax) {
		p.Y.Max = math.Max(p.Y.Max, yMax)
	}
	p.Add(plotter.NewGrid())
	return figure(path, "", 7*vg.Inch, 4.5*vg.Inch, func(dc draw.Canvas) { p.Draw(dc) })
}

// legendPlace chooses the corner of the legend (on the right): the top
// when no point lies in the box it covers there (the right 35% of the chart,
// a height of about 4% per entry), else the bottom when that box is free,
// else the top with the y axis extended (in the axis' scale) so that the
// points stay below the legend. It returns whether the legend goes on top
// and the y maximum to set (NaN: the automatic one).
func legendPlace(series []Series, entries int, logX, logY bool) (top bool, yMax float64) {
	tr := func(v float64, log bool) float64 {
		if log {
			return math.Log(v)
		}
		return v
	}
	ok := func(x, y float64) bool {
		return !math.IsNaN(x) && !math.IsInf(x, 0) && !math.IsNaN(y) && !math.IsInf(y, 0) && (!logX || x > 0) && (!logY || y > 0)
	}
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for i := range s.X {
			if ok(s.X[i], s.Y[i]) {
				x, y := tr(s.X[i], logX), tr(s.Y[i], logY)
				x0, x1, y0, y1 = math.Min(x0, x), math.Max(x1, x), math.Min(y0, y), math.Max(y1, y)
			}
		}
	}
	if !(y1 > y0) || !(x1 > x0) {
		return true, math.NaN()
	}
	frac := math.Min(0.85, 0.045*float64(entries+1))
	up, down := false, false
	for _, s := range series {
		for i := range s.X {
			if !ok(s.X[i], s.Y[i]) || (tr(s.X[i], logX)-x0)/(x1-x0) < 0.65 {
				continue
			}
			y := (tr(s.Y[i], logY) - y0) / (y1 - y0)
			up = up || y > 1-frac
			down = down || y < frac
		}
	}
	switch {
	case !up:
		return true, math.NaN()
	case !down:
		return false, math.NaN()
	}
	m := y0 + (y1-y0)/(1-frac)
	if logY {
		m = math.Exp(m)
	}
	return true, m
}

// errorBars draws a vertical bar from bars[i].X to bars[i].Y at each point
// xy[i] (the spread of Series.YErr), with short caps.
type errorBars struct {
	xy    plotter.XYs
	bars  []plotter.XY
	color color.Color
}

func (e errorBars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	ls := draw.LineStyle{Color: e.color, Width: vg.Points(1)}
	cap := vg.Points(3)
	for i, p := range e.xy {
		x := trX(p.X)
		y0, y1 := trY(e.bars[i].X), trY(e.bars[i].Y)
		c.StrokeLine2(ls, x, y0, x, y1)
		c.StrokeLine2(ls, x-cap, y0, x+cap, y0)
		c.StrokeLine2(ls, x-cap, y1, x+cap, y1)
	}
}

// DataRange makes the axes hold the bars (plot.DataRanger).
func (e errorBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, p := range e.xy {
		xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
		ymin, ymax = math.Min(ymin, e.bars[i].X), math.Max(ymax, e.bars[i].Y)
	}
	return
}

// logAxisTicks labels a log axis: by decades (plot.LogTicks) when it spans
// at least two, at 1, 2 and 5 times the powers of ten when it spans one or
// more, else at the nice linear steps of niceTicks, so that a narrow range
// still has labelled ticks.
type logAxisTicks struct{}

func (logAxisTicks) Ticks(lo, hi float64) []plot.Tick {
	switch {
	case hi/lo >= 100:
		return plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	case hi/lo >= 10:
		var ticks []plot.Tick
		for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
			for _, m := range []float64{1, 2, 5} {
				if v := m * math.Pow(10, e); v >= lo*(1-1e-12) && v <= hi*(1+1e-12) {
					ticks = append(ticks, plot.Tick{Value: v, Label: tickLabel(v)})
				}
			}
		}
		return ticks
	}
	return niceTicks{}.Ticks(lo, hi)
}

// pow2Ticks marks the powers of two of a log axis.
type pow2Ticks struct{}

func (pow2Ticks) Ticks(lo, hi float64) []plot.Tick {
	var t []plot.Tick
	for v := math.Pow(2, math.Floor(math.Log2(lo))); v <= hi*1.0001; v *= 2 {
		if v >= lo*0.9999 {
			t = append(t, plot.Tick{Value: v, Label: fmt.Sprintf("%g", v)})
		}
	}
	return t
}

// TrajectoryPanel is one panel of TrajectoryPanels: the positions traj[k]
// (n points, x and y interleaved) after each solver step k, as in
// Trajectories.
type TrajectoryPanel struct {
	Title string
	Traj  [][]float32
}

// TrajectoryPanels writes to path the trajectory plots of the panels side by
// side (each as Trajectories draws it: nShow paths from black noise to blue
// samples), under the figure title: one model's paths beside another's.
// It panics as Trajectories does, or if there are no panels.
func TrajectoryPanels(path, title string, panels []TrajectoryPanel, nShow int) error {
	if len(panels) == 0 {
		panic("plots: TrajectoryPanels with no panels")
	}
	if nShow < 1 {
		panic(fmt.Sprintf("plots: TrajectoryPanels with nShow = %d < 1", nShow))
	}
	plots := make([]*plot.Plot, len(panels))
	for k, pn := range panels {
		traj := pn.Traj
		if len(traj) == 0 {
			panic(fmt.Sprintf("plots: TrajectoryPanels: panel %d has no steps", k))
		}
		for s, xy := range traj {
			checkXY("TrajectoryPanels", fmt.Sprintf("panel %d step %d", k, s), xy)
			if len(xy) != len(traj[0]) {
				panic(fmt.Sprintf("plots: TrajectoryPanels: panel %d step %d has %d values, step 0 has %d", k, s, len(xy), len(traj[0])))
			}
		}
		n := len(traj[0]) / 2
		m := min(nShow, n)
		idx := make([]int, m)
		for s := range idx {
			idx[s] = s * n / m
		}
		pick := func(xy []float32) []float32 {
			out := make([]float32, 0, 2*m)
			for _, i := range idx {
				out = append(out, xy[2*i], xy[2*i+1])
			}
			return out
		}
		p := squarePlot(pn.Title)
		p.Add(paths{traj: traj, idx: idx, style: draw.LineStyle{Color: pathColor, Width: vg.Points(0.4)}},
			points{xy: pick(traj[0]), style: draw.GlyphStyle{Color: startColor, Radius: vg.Points(1.2), Shape: draw.CircleGlyph{}}},
			points{xy: pick(traj[len(traj)-1]), style: draw.GlyphStyle{Color: endColor, Radius: vg.Points(1.2), Shape: draw.CircleGlyph{}}})
		plots[k] = p
	}
	w := panelSide * vg.Length(len(panels))
	return figure(path, title, w, panelSide, func(dc draw.Canvas) {
		tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Points(10), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
		canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
		for k, p := range plots {
			p.Draw(canvases[0][k])
		}
	})
}
