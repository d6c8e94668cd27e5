package plots

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Panel is one scatter plot of a figure: a title and 2D points, x and y
// interleaved.
type Panel struct {
	Title string
	XY    []float32
}

// Scatter2D writes to path a PNG of the panels side by side (for example
// generated samples beside the target), each a square 400 x 400 pixel scatter
// plot of [-Extent, Extent]^2 with equal axes and small translucent points,
// under the figure title (omitted when empty).
//
// Scatter2D panics if there are no panels or a panel has an odd number of
// coordinates. It returns an error if the file cannot be written.
func Scatter2D(path string, title string, panels []Panel) error {
	if len(panels) == 0 {
		panic("plots: Scatter2D with no panels")
	}
	plots := make([]*plot.Plot, len(panels))
	for k, pn := range panels {
		checkXY("Scatter2D", fmt.Sprintf("panel %d", k), pn.XY)
		t := pn.Title
		if bad := nonFinite(pn.XY); bad > 0 {
			t += fmt.Sprintf(" (%d non-finite not drawn)", bad)
		}
		p := squarePlot(t)
		p.Add(points{xy: pn.XY, style: draw.GlyphStyle{
			Color:  color.NRGBA{R: 31, G: 119, B: 180, A: 140}, // translucent blue
			Radius: scatterRadius(len(pn.XY) / 2),
			Shape:  draw.CircleGlyph{},
		}})
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

// scatterRadius shrinks the points as their number grows, so a dense sample
// still shows its density.
func scatterRadius(n int) vg.Length {
	switch {
	case n <= 1000:
		return vg.Points(1.2)
	case n <= 10000:
		return vg.Points(0.8)
	default:
		return vg.Points(0.5)
	}
}
