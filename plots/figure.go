package plots

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/latentflow/latentflow/internal/atomicfile"
)

const (
	// DPI is the resolution of every figure, in dots per inch.
	DPI = 100
	// Extent is the half width of the square Scatter2D and Trajectories
	// show: [-Extent, Extent]^2.
	Extent = 4.5

	panelSide  = 4 * vg.Inch   // side of one square panel (400 px)
	titleBand  = 0.4 * vg.Inch // height of a figure title (40 px)
	titleSize  = 14            // figure title font size, points
	curveWidth = 6 * vg.Inch   // LossCurve size (600 x 400 px)
	curveHigh  = 4 * vg.Inch
)

// figure draws a w x h figure (plus a title band when title is not empty) with
// fn and writes it to path as a PNG, atomically.
func figure(path, title string, w, h vg.Length, fn func(dc draw.Canvas)) error {
	if title != "" {
		h += titleBand
	}
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
	dc := draw.New(img)
	if title != "" {
		sty := draw.TextStyle{
			Color:   color.Black,
			Font:    font.From(plot.DefaultFont, titleSize),
			XAlign:  draw.XCenter,
			YAlign:  -0.5, // centred vertically on the point
			Handler: plot.DefaultTextHandler,
		}
		dc.FillText(sty, vg.Point{X: dc.Center().X, Y: dc.Max.Y - titleBand/2}, title)
		dc = draw.Crop(dc, 0, 0, 0, -titleBand)
	}
	fn(dc)
	if err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	}); err != nil {
		return fmt.Errorf("plots: write %s: %w", path, err)
	}
	return nil
}

// squarePlot returns a plot of [-Extent, Extent]^2 with the given title.
func squarePlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Min, p.X.Max = -Extent, Extent
	p.Y.Min, p.Y.Max = -Extent, Extent
	return p
}

func finite2(x, y float32) bool {
	return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) &&
		!math.IsNaN(float64(y)) && !math.IsInf(float64(y), 0)
}

// nonFinite counts the points of xy with a NaN or infinite coordinate.
func nonFinite(xy []float32) int {
	bad := 0
	for i := 0; i+1 < len(xy); i += 2 {
		if !finite2(xy[i], xy[i+1]) {
			bad++
		}
	}
	return bad
}

// points is a plot.Plotter drawing one glyph per finite point of xy
// (x, y interleaved); unlike plotter.Scatter it has no data range or glyph
// boxes, so the axes stay as set and thousands of points cost little.
type points struct {
	xy    []float32
	style draw.GlyphStyle
}

func (p points) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	for i := 0; i+1 < len(p.xy); i += 2 {
		if x, y := p.xy[i], p.xy[i+1]; finite2(x, y) {
			c.DrawGlyph(p.style, vg.Point{X: trX(float64(x)), Y: trY(float64(y))})
		}
	}
}

// checkXY panics unless xy holds x, y pairs.
func checkXY(fn string, what string, xy []float32) {
	if len(xy)%2 != 0 {
		panic(fmt.Sprintf("plots: %s: %s has %d values, not x, y pairs", fn, what, len(xy)))
	}
}
