package plots

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Colours of the trajectory figure: prior samples, flow paths, data samples.
var (
	startColor = color.NRGBA{A: 255}                        // black
	pathColor  = color.NRGBA{R: 128, G: 128, B: 0, A: 90}   // translucent olive
	endColor   = color.NRGBA{R: 31, G: 119, B: 180, A: 255} // blue
)

// Trajectories writes to path a PNG, 400 x 400 pixels under the title, of the
// paths of nShow points carried by an ODE solver from noise (t = 0) to data
// (t = 1): traj[k] holds the n points (x, y interleaved) after step k, so
// traj[0] is the noise and traj[len(traj)-1] the samples. Each path is a thin
// translucent line, its start a black dot and its end a blue dot, as in the
// trajectory figures of the flow-matching papers. The points shown are
// spread evenly over the n (indices i*n/nShow); nShow above n shows all.
// Segments with a NaN or infinite end are left out.
//
// Trajectories panics if traj is empty, its steps differ in length or hold an
// odd number of coordinates, or nShow < 1. It returns an error if the file
// cannot be written.
func Trajectories(path, title string, traj [][]float32, nShow int) error {
	if len(traj) == 0 {
		panic("plots: Trajectories with no steps")
	}
	if nShow < 1 {
		panic(fmt.Sprintf("plots: Trajectories with nShow = %d < 1", nShow))
	}
	for k, xy := range traj {
		checkXY("Trajectories", fmt.Sprintf("step %d", k), xy)
		if len(xy) != len(traj[0]) {
			panic(fmt.Sprintf("plots: Trajectories: step %d has %d values, step 0 has %d", k, len(xy), len(traj[0])))
		}
	}
	n := len(traj[0]) / 2
	nShow = min(nShow, n)
	idx := make([]int, nShow)
	for s := range idx {
		idx[s] = s * n / nShow
	}
	pick := func(xy []float32) []float32 {
		out := make([]float32, 0, 2*nShow)
		for _, i := range idx {
			out = append(out, xy[2*i], xy[2*i+1])
		}
		return out
	}
	start := points{xy: pick(traj[0]), style: draw.GlyphStyle{Color: startColor, Radius: vg.Points(1.2), Shape: draw.CircleGlyph{}}}
	end := points{xy: pick(traj[len(traj)-1]), style: draw.GlyphStyle{Color: endColor, Radius: vg.Points(1.2), Shape: draw.CircleGlyph{}}}
	lines := paths{traj: traj, idx: idx, style: draw.LineStyle{Color: pathColor, Width: vg.Points(0.4)}}

	// The key is the panel title: a legend would cover the paths.
	p := squarePlot(fmt.Sprintf("%d of %d paths, %d steps: t=0 black, t=1 blue", nShow, n, len(traj)-1))
	p.Add(lines, start, end)
	return figure(path, title, panelSide, panelSide, func(dc draw.Canvas) { p.Draw(dc) })
}

// paths is a plot.Plotter drawing, for each point index in idx, the polyline
// through its positions traj[0], traj[1], ..., split where a position is not
// finite and clipped to the data area.
type paths struct {
	traj  [][]float32
	idx   []int
	style draw.LineStyle
}

func (p paths) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	line := make([]vg.Point, 0, len(p.traj))
	flush := func() {
		if len(line) > 1 {
			c.StrokeLines(p.style, c.ClipLinesXY(line)...)
		}
		line = line[:0]
	}
	for _, i := range p.idx {
		for _, xy := range p.traj {
			x, y := xy[2*i], xy[2*i+1]
			if !finite2(x, y) {
				flush()
				continue
			}
			line = append(line, vg.Point{X: trX(float64(x)), Y: trY(float64(y))})
		}
		flush()
	}
}
