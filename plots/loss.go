package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// LossCurve writes to path a PNG, 600 x 400 pixels under the title, of a
// training loss against the step: the raw values as a faint line and their
// exponential moving average as a solid one. The average is debiased
// (divided by 1 - beta^t, so it starts at the first value) with
// beta = 1 - 20/len(loss) clamped to [0, 0.99], a window of about a
// twentieth of the run. With logY the y axis is logarithmic and the average
// is taken of log(loss) (a running geometric mean); values <= 0 are then
// left out. NaN and infinite values are always left out.
//
// LossCurve panics if steps and loss differ in length or are empty. It
// returns an error if the file cannot be written.
func LossCurve(path, title string, steps []int, loss []float64, logY bool) error {
	if len(steps) != len(loss) {
		panic(fmt.Sprintf("plots: LossCurve with %d steps and %d losses", len(steps), len(loss)))
	}
	if len(loss) == 0 {
		panic("plots: LossCurve with no points")
	}
	raw := make(plotter.XYs, 0, len(loss))
	for i, l := range loss {
		if math.IsNaN(l) || math.IsInf(l, 0) || (logY && l <= 0) {
			continue
		}
		raw = append(raw, plotter.XY{X: float64(steps[i]), Y: l})
	}
	p := plot.New()
	p.X.Label.Text = "step"
	p.Y.Label.Text = "loss"
	p.X.Tick.Marker = niceTicks{}
	p.Y.Tick.Marker = niceTicks{}
	if left := len(loss) - len(raw); left > 0 {
		p.Title.Text = fmt.Sprintf("%d values not drawn", left)
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	p.Add(plotter.NewGrid())
	if len(raw) > 0 {
		rawLine := &plotter.Line{XYs: raw, LineStyle: draw.LineStyle{Color: color.NRGBA{R: 31, G: 119, B: 180, A: 70}, Width: vg.Points(0.7)}}
		emaLine := &plotter.Line{XYs: ema(raw, logY), LineStyle: draw.LineStyle{Color: color.NRGBA{R: 31, G: 119, B: 180, A: 255}, Width: vg.Points(1.8)}}
		p.Add(rawLine, emaLine)
		p.Legend.Add("loss", rawLine)
		p.Legend.Add("EMA", emaLine)
		p.Legend.Top = true
		p.Legend.XOffs = -vg.Points(8)
	} else {
		// Nothing to draw: give the axes a valid range of their own.
		p.X.Min, p.X.Max = 0, 1
		p.Y.Min, p.Y.Max = 1, 10
	}
	if p.Y.Min == p.Y.Max { // a constant loss: open the range around it
		lo, hi := p.Y.Min*0.9, p.Y.Min*1.1
		if !logY && p.Y.Min == 0 {
			lo, hi = -1, 1
		}
		p.Y.Min, p.Y.Max = min(lo, hi), max(lo, hi)
	}
	return figure(path, title, curveWidth, curveHigh, func(dc draw.Canvas) { p.Draw(dc) })
}

// ema returns the debiased exponential moving average of the values of xy;
// see emaValues.
func ema(xy plotter.XYs, logY bool) plotter.XYs {
	y := make([]float64, len(xy))
	for i, pt := range xy {
		y[i] = pt.Y
	}
	out := make(plotter.XYs, len(xy))
	for i, m := range emaValues(y, logY) {
		out[i] = plotter.XY{X: xy[i].X, Y: m}
	}
	return out
}

// emaValues returns the debiased exponential moving average of y (of log y
// when logY, mapped back with exp), with beta = 1 - 20/len(y) clamped to
// [0, 0.99]: m_t = s_t / (1 - beta^t), s_t = beta s_(t-1) + (1 - beta) y_t.
func emaValues(y []float64, logY bool) []float64 {
	beta := min(max(1-20/float64(len(y)), 0), 0.99)
	out := make([]float64, len(y))
	var s, w float64 // running sum and its weight 1 - beta^t
	for i, v := range y {
		if logY {
			v = math.Log(v)
		}
		s = beta*s + (1-beta)*v
		w = beta*w + (1 - beta)
		m := s / w
		if logY {
			m = math.Exp(m)
		}
		out[i] = m
	}
	return out
}

// logTicks labels a log axis by decades (plot.LogTicks) when it spans at
// least one; a narrower range gets niceTicks, which then fall inside it.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if hi/lo >= 10 {
		return plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	}
	return niceTicks{}.Ticks(lo, hi)
}

// niceTicks puts 3 to 10 labelled ticks on [lo, hi], at the multiples of a
// step of 1, 2 or 5 times a power of ten, labelled without trailing zeros.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: tickLabel(lo)}}
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []plot.Tick
	for k := math.Ceil(lo / step); k*step <= hi*(1+1e-12); k++ {
		v := k * step
		ticks = append(ticks, plot.Tick{Value: v, Label: tickLabel(v)})
	}
	return ticks
}

func tickLabel(v float64) string {
	if v == 0 {
		return "0"
	}
	if a := math.Abs(v); a >= 1e7 || a < 1e-4 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	// 6 significant digits: k*step is not exact (17*0.1 = 1.7000000000000002).
	return strconv.FormatFloat(v, 'g', 6, 64)
}
