package plots

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"

	"github.com/latentflow/latentflow/internal/atomicfile"
)

// ImageGrid writes n grey images of h x w pixels (row-major floats in [0,1];
// values outside are clipped, NaN is drawn red) as a PNG grid of cols columns,
// each pixel drawn as a scale x scale block with a 2-pixel dark-grey gutter
// between images.
func ImageGrid(path string, pix []float32, n, h, w, cols, scale int) error {
	if n <= 0 || h <= 0 || w <= 0 || cols <= 0 || scale <= 0 || len(pix) != n*h*w {
		return fmt.Errorf("plots: ImageGrid(%s) with %d values for %d images of %dx%d, %d columns, scale %d", path, len(pix), n, h, w, cols, scale)
	}
	const gap = 2
	rows := (n + cols - 1) / cols
	W, H := cols*(w*scale+gap)+gap, rows*(h*scale+gap)+gap
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	bg := color.RGBA{60, 60, 60, 255}
	for i := range img.Pix {
		img.Pix[i] = []uint8{bg.R, bg.G, bg.B, bg.A}[i%4]
	}
	for k := 0; k < n; k++ {
		x0, y0 := gap+(k%cols)*(w*scale+gap), gap+(k/cols)*(h*scale+gap)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := float64(pix[k*h*w+y*w+x])
				c := color.RGBA{255, 0, 0, 255}
				if !math.IsNaN(v) {
					g := uint8(math.Round(255 * math.Min(1, math.Max(0, v))))
					c = color.RGBA{g, g, g, 255}
				}
				for dy := 0; dy < scale; dy++ {
					for dx := 0; dx < scale; dx++ {
						img.SetRGBA(x0+x*scale+dx, y0+y*scale+dy, c)
					}
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path, buf.Bytes()); err != nil {
		return fmt.Errorf("plots: write %s: %w", path, err)
	}
	return nil
}
