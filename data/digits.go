package data

import (
	"fmt"
	"image"
	"image/draw"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomediumitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/gomonobolditalic"
	"golang.org/x/image/font/gofont/gomonoitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"github.com/latentflow/latentflow/philox"
)

// DigitsSize is the side of a Digits image in pixels.
const DigitsSize = 28

// MaxDigits is the largest n Digits accepts: 2^24 images, 52 GB of pixels
// (the Philox stream itself would allow 2^30).
const MaxDigits = 1 << 24

// Digit rendering parameters. Lengths are in output pixels (28x28 image).
const (
	digitsUniforms = 16   // Philox elements per image: image i uses [16i, 16i+16)
	digitsSuper    = 2    // supersampling factor: rasterise at 56x56, box-average 2x2
	digitsHMin     = 17.0 // glyph height before rotation, uniform in [digitsHMin, digitsHMax]
	digitsHMax     = 21.0 //   (MNIST fits the digit into a 20x20 box)
	digitsRotDeg   = 12.0 // rotation uniform in ±digitsRotDeg degrees
	digitsShear    = 0.2  // horizontal shear x += k y, k uniform in ±digitsShear
	digitsAspect   = 0.1  // width / height scale uniform in 1 ± digitsAspect
	digitsShift    = 1.0  // centre of mass uniform within ±digitsShift of the image centre (the warp adds up to ±0.8)
	digitsMargin   = 1.0  // the outline's vertices are kept this far, plus 1 px for the dilation, inside the image
	digitsWarp     = 0.8  // amplitude bound of the smooth sinusoidal warp
	digitsFlatTol  = 0.05 // Bézier flattening tolerance in supersampled pixels
)

// digitsFonts are the faces a digit is drawn from, each equally likely: the
// Go Regular, Medium and Bold, Go Mono and Mono Bold, each upright and
// italic. maxR2 caps the extra thickening (see digitsDilations)
// so that bold faces do not turn into blobs.
var digitsFonts = [...]struct {
	ttf   []byte
	maxR2 int
}{
	{goregular.TTF, 4}, {gomedium.TTF, 2}, {gobold.TTF, 1},
	{goitalic.TTF, 4}, {gomediumitalic.TTF, 2}, {gobolditalic.TTF, 1},
	{gomono.TTF, 4}, {gomonobold.TTF, 1}, {gomonoitalic.TTF, 4}, {gomonobolditalic.TTF, 1},
}

// digitsDilations are the extra stroke thickenings, each equally likely: the
// squared radius, in supersampled pixels, of the disc the 56x56 coverage is
// max-filtered over (0: none; 4: one output pixel wider), capped by the
// face's maxR2.
var digitsDilations = [...]int{0, 0, 1, 2, 4}

// glyphPath is one digit outline in em units (y down), flattened to closed
// polygons, with its area centroid and bounding box.
type glyphPath struct {
	pts    [][2]float64 // all polygon vertices, contour after contour
	starts []int        // start of each contour in pts; the last is len(pts)
	cx, cy float64      // area centroid
	y0, y1 float64      // vertical extent
}

// digitGlyphs holds the parsed outlines: glyphs[f][d] is digit d of font f.
type digitGlyphs [len(digitsFonts)][10]glyphPath

// The outlines are parsed once per process and never modified afterwards, so
// sharing them between calls and goroutines is safe; parsing the ten fonts
// costs about a millisecond, which matters only to callers rendering a few
// images at a time (an autoencoder's data loader).
var (
	digitsOnce   sync.Once
	digitsParsed *digitGlyphs
	digitsErr    error
)

func loadDigitGlyphs() (*digitGlyphs, error) {
	digitsOnce.Do(func() { digitsParsed, digitsErr = parseDigitGlyphs() })
	return digitsParsed, digitsErr
}

func parseDigitGlyphs() (*digitGlyphs, error) {
	g := new(digitGlyphs)
	var buf sfnt.Buffer
	for f, face := range digitsFonts {
		font, err := sfnt.Parse(face.ttf)
		if err != nil {
			return nil, fmt.Errorf("data: parsing Go font %d: %w", f, err)
		}
		upem := float64(font.UnitsPerEm())
		for d := 0; d < 10; d++ {
			x, err := font.GlyphIndex(&buf, rune('0'+d))
			if err == nil && x == 0 {
				err = fmt.Errorf("no glyph")
			}
			if err != nil {
				return nil, fmt.Errorf("data: Go font %d, digit %d: %w", f, d, err)
			}
			// ppem = units per em gives the outline in font units, 26.6 fixed point.
			segs, err := font.LoadGlyph(&buf, x, fixed.Int26_6(font.UnitsPerEm())<<6, nil)
			if err != nil {
				return nil, fmt.Errorf("data: Go font %d, digit %d: %w", f, d, err)
			}
			g[f][d] = flattenGlyph(segs, 1/(64*upem))
		}
	}
	return g, nil
}

// flattenGlyph turns sfnt segments into polygons in em units (s converts 26.6
// font units to em), splitting each Bézier segment into straight pieces no
// farther than digitsFlatTol supersampled pixels from the curve at the largest
// size drawn, and computes the area centroid (shoelace formula; TrueType
// orients holes opposite to outer contours, so their area subtracts).
func flattenGlyph(segs sfnt.Segments, s float64) glyphPath {
	var g glyphPath
	pxPerEm := 1.6 * digitsHMax * digitsSuper // an upper bound on the scale used
	var pen [2]float64
	pt := func(p fixed.Point26_6) [2]float64 { return [2]float64{float64(p.X) * s, float64(p.Y) * s} }
	for _, seg := range segs {
		switch seg.Op {
		case sfnt.SegmentOpMoveTo:
			g.starts = append(g.starts, len(g.pts))
			pen = pt(seg.Args[0])
			g.pts = append(g.pts, pen)
		case sfnt.SegmentOpLineTo:
			pen = pt(seg.Args[0])
			g.pts = append(g.pts, pen)
		case sfnt.SegmentOpQuadTo:
			a, b, c := pen, pt(seg.Args[0]), pt(seg.Args[1])
			// The chord is at most |a - 2b + c|/4 from the curve; n pieces cut that by n^2.
			dev := math.Hypot(a[0]-2*b[0]+c[0], a[1]-2*b[1]+c[1]) / 4 * pxPerEm
			n := int(math.Ceil(math.Sqrt(dev / digitsFlatTol)))
			for i := 1; i <= n; i++ {
				t := float64(i) / float64(n)
				u := 1 - t
				g.pts = append(g.pts, [2]float64{
					u*u*a[0] + 2*u*t*b[0] + t*t*c[0],
					u*u*a[1] + 2*u*t*b[1] + t*t*c[1],
				})
			}
			pen = c
		case sfnt.SegmentOpCubeTo:
			a, b, c, d := pen, pt(seg.Args[0]), pt(seg.Args[1]), pt(seg.Args[2])
			dev := math.Max(math.Hypot(a[0]-2*b[0]+c[0], a[1]-2*b[1]+c[1]),
				math.Hypot(b[0]-2*c[0]+d[0], b[1]-2*c[1]+d[1])) * 0.75 * pxPerEm
			n := int(math.Ceil(math.Sqrt(dev / digitsFlatTol)))
			for i := 1; i <= n; i++ {
				t := float64(i) / float64(n)
				u := 1 - t
				g.pts = append(g.pts, [2]float64{
					u*u*u*a[0] + 3*u*u*t*b[0] + 3*u*t*t*c[0] + t*t*t*d[0],
					u*u*u*a[1] + 3*u*u*t*b[1] + 3*u*t*t*c[1] + t*t*t*d[1],
				})
			}
			pen = d
		}
	}
	g.starts = append(g.starts, len(g.pts))

	var area, mx, my float64
	g.y0, g.y1 = math.Inf(1), math.Inf(-1)
	for c := 0; c+1 < len(g.starts); c++ {
		poly := g.pts[g.starts[c]:g.starts[c+1]]
		for i, p := range poly {
			q := poly[(i+1)%len(poly)]
			cr := p[0]*q[1] - q[0]*p[1]
			area += cr
			mx += cr * (p[0] + q[0])
			my += cr * (p[1] + q[1])
			g.y0, g.y1 = math.Min(g.y0, p[1]), math.Max(g.y1, p[1])
		}
	}
	g.cx, g.cy = mx/(3*area), my/(3*area)
	return g
}

// Digits renders n images of the digits 0-9 and returns their pixels (n*784
// float32 in [0, 1], image i at [784i, 784i+784), row-major, white digit on
// black) and labels: image i shows digit i mod 10, so the labels cycle
// 0, 1, ..., 9, 0, 1, ... and every class has n/10 images (±1).
//
// Image i takes elements [16i, 16i+16) of the Philox stream k as uniforms, so
// the set is reproducible and any image can be rendered on its own: Digits(n,
// k) is a prefix of Digits(m, k) for m > n. Each image is one of ten Go fonts
// (Go Regular, Medium and Bold, Go Mono and Mono Bold, upright and italic,
// equally likely), outlined and mapped by a random affine transformation:
// height 17-21 px, width scaled by 1 ± 0.1, sheared by ±0.2, rotated by ±12°,
// its area centroid placed within ±1 px of the image centre; then bent by a
// smooth sinusoidal warp of at most 0.8 px, shifted (and in rare cases
// shrunk) to keep a 1 px empty border, filled anti-aliased at 56x56,
// optionally thickened by a max filter over a disc of radius 1 to 2
// supersampled pixels, and box-averaged to 28x28. The work is spread over
// GOMAXPROCS goroutines; the result does not depend on their number.
//
// Digits returns an error if n < 0 or n > MaxDigits.
func Digits(n int, k philox.Key) (pix []float32, labels []int, err error) {
	if n < 0 || n > MaxDigits {
		return nil, nil, fmt.Errorf("data: Digits with n = %d outside [0, %d]", n, MaxDigits)
	}
	glyphs, err := loadDigitGlyphs()
	if err != nil {
		return nil, nil, err
	}
	const px = DigitsSize * DigitsSize
	pix = make([]float32, n*px)
	labels = make([]int, n)
	for i := range labels {
		labels[i] = i % 10
	}

	const chunk = 256
	chunks := (n + chunk - 1) / chunk
	workers := min(runtime.GOMAXPROCS(0), chunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := newDigitRenderer(glyphs)
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
					r.render(pix[i*px:(i+1)*px], labels[i], k, i)
				}
			}
		}()
	}
	wg.Wait()
	return pix, labels, nil
}

// digitRenderer holds one goroutine's scratch space.
type digitRenderer struct {
	glyphs *digitGlyphs
	ras    *vector.Rasterizer
	alpha  *image.Alpha // supersampled coverage
	thick  []uint8      // supersampled coverage after the max filter
	pts    [][2]float64 // transformed vertices of one glyph
	u      [digitsUniforms]float32
}

func newDigitRenderer(g *digitGlyphs) *digitRenderer {
	const s = DigitsSize * digitsSuper
	return &digitRenderer{
		glyphs: g,
		ras:    vector.NewRasterizer(s, s),
		alpha:  image.NewAlpha(image.Rect(0, 0, s, s)),
		thick:  make([]uint8, s*s),
	}
}

// render draws digit d as image i of stream k into dst (784 pixels). The
// uniforms u[0..15] of the image are used as follows:
//
//	u0        font
//	u1 .. u4  rotation, shear, height, aspect
//	u5, u6    centre of mass offset x, y
//	u7        dilation
//	u8 .. u13 warp: amplitude, frequency and phase of the x and of the y displacement
//	u14, u15  unused (reserved, so an image is four whole Philox calls)
func (r *digitRenderer) render(dst []float32, d int, k philox.Key, i int) {
	const (
		S    = DigitsSize * digitsSuper
		half = DigitsSize / 2 * digitsSuper
	)
	u := r.u[:]
	k.FillUniform(u, i*digitsUniforms)
	sym := func(v float32) float64 { return 2*float64(v) - 1 } // (0, 1) -> (-1, 1)
	face := pick(u[0], len(digitsFonts))
	g := &r.glyphs[face][d]

	// Affine map p -> A (p - centroid) + t, A = rotation * shear * scale, in
	// supersampled pixels (y down).
	sy := digitsSuper * (digitsHMin + (digitsHMax-digitsHMin)*float64(u[3])) / (g.y1 - g.y0)
	sx := sy * (1 + digitsAspect*sym(u[4]))
	shear := digitsShear * sym(u[2])
	turn := digitsRotDeg / 360 * sym(u[1])
	sin, cos := philox.SinCos2Pi(turn + 1) // SinCos2Pi wants [0, 1]
	// rotation [c -s; s c] times [sx shear*sy; 0 sy]
	a00, a01 := cos*sx, (cos*shear-sin)*sy
	a10, a11 := sin*sx, (sin*shear+cos)*sy
	tx := half + digitsSuper*digitsShift*sym(u[5])
	ty := half + digitsSuper*digitsShift*sym(u[6])

	// Smooth warp: x += ax sin 2 pi (fx y / S + phx), y += ay sin 2 pi (fy x / S + phy),
	// ax, ay up to digitsWarp px, fx, fy in [0.5, 1.5] cycles per image.
	ax, fx, phx := digitsSuper*digitsWarp*float64(u[8]), 0.5+float64(u[9]), float64(u[10])
	ay, fy, phy := digitsSuper*digitsWarp*float64(u[11]), 0.5+float64(u[12]), float64(u[13])
	frac := func(v float64) float64 { return v - math.Floor(v) }

	r.pts = r.pts[:0]
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range g.pts {
		dx, dy := p[0]-g.cx, p[1]-g.cy
		x := a00*dx + a01*dy + tx
		y := a10*dx + a11*dy + ty
		wx, _ := philox.SinCos2Pi(frac(fx*y/S + phx))
		wy, _ := philox.SinCos2Pi(frac(fy*x/S + phy))
		x, y = x+ax*wx, y+ay*wy
		x0, y0, x1, y1 = math.Min(x0, x), math.Min(y0, y), math.Max(x1, x), math.Max(y1, y)
		r.pts = append(r.pts, [2]float64{x, y})
	}
	// Keep the glyph's vertices inside [lo, hi]^2, digitsMargin px from the
	// border plus 1 px for the dilation: shrink it about its box centre
	// (cx, cy) by f if it is too large (rare: tall, rotated and warped), then
	// shift it by (shx, shy) where it sticks out.
	lo, hi := digitsSuper*digitsMargin+2, S-digitsSuper*digitsMargin-2
	f := min(1, (hi-lo)/(x1-x0), (hi-lo)/(y1-y0))
	cx, cy := (x0+x1)/2, (y0+y1)/2
	x0, x1 = cx+f*(x0-cx), cx+f*(x1-cx)
	y0, y1 = cy+f*(y0-cy), cy+f*(y1-cy)
	shx := max(0, lo-x0) - max(0, x1-hi)
	shy := max(0, lo-y0) - max(0, y1-hi)
	at := func(p [2]float64) (float32, float32) {
		return float32(cx + f*(p[0]-cx) + shx), float32(cy + f*(p[1]-cy) + shy)
	}

	r.ras.Reset(S, S)
	r.ras.DrawOp = draw.Src
	for c := 0; c+1 < len(g.starts); c++ {
		poly := r.pts[g.starts[c]:g.starts[c+1]]
		r.ras.MoveTo(at(poly[0]))
		for _, q := range poly[1:] {
			r.ras.LineTo(at(q))
		}
		r.ras.ClosePath()
	}
	r.ras.Draw(r.alpha, r.alpha.Bounds(), image.Opaque, image.Point{})

	cov := r.alpha.Pix
	r2 := min(digitsDilations[pick(u[7], len(digitsDilations))], digitsFonts[face].maxR2)
	if r2 > 0 {
		// The ink lies in the pixels touching the vertices' box [x0, x1] x [y0,
		// y1] (after the shift), grown by 1 for float32 rounding.
		box := image.Rect(int(x0+shx)-1, int(y0+shy)-1, int(x1+shx)+2, int(y1+shy)+2)
		dilate(r.thick, cov, S, r2, box)
		cov = r.thick
	}
	for y := 0; y < DigitsSize; y++ {
		for x := 0; x < DigitsSize; x++ {
			o := 2*y*S + 2*x
			sum := int(cov[o]) + int(cov[o+1]) + int(cov[o+S]) + int(cov[o+S+1])
			dst[y*DigitsSize+x] = float32(sum) * (1.0 / (4 * 255))
		}
	}
}

// pick maps a uniform in (0, 1) to 0 .. n-1, each with probability 1/n up to
// the uniform's 2^-23 grid.
func pick(u float32, n int) int { return min(int(float64(u)*float64(n)), n-1) }

// dilate sets dst to the maximum of src (s x s) over the disc of squared
// radius r2 <= 8 around each pixel, treating pixels outside the image as 0.
// All ink of src lies in box; dst is computed in box grown by the radius and
// is 0 elsewhere. The loops run over the disc's offsets outermost so that the
// inner loop is a bounds-check-free max of two rows.
func dilate(dst, src []uint8, s, r2 int, box image.Rectangle) {
	rad := int(math.Sqrt(float64(r2)))
	out := box.Inset(-rad).Intersect(image.Rect(0, 0, s, s))
	clear(dst)
	for dy := -rad; dy <= rad; dy++ {
		for dx := -rad; dx <= rad; dx++ {
			if dx*dx+dy*dy > r2 {
				continue
			}
			// dst(x, y) = max(dst(x, y), src(x+dx, y+dy)) for (x, y) in out
			// with (x+dx, y+dy) in the image.
			xa, xb := max(out.Min.X, -dx), min(out.Max.X, s-dx)
			ya, yb := max(out.Min.Y, -dy), min(out.Max.Y, s-dy)
			if xa >= xb {
				continue
			}
			for y := ya; y < yb; y++ {
				d := dst[y*s+xa : y*s+xb]
				o := (y+dy)*s + dx
				sr := src[o+xa : o+xb]
				sr = sr[:len(d)]
				for i, v := range sr {
					d[i] = max(d[i], v)
				}
			}
		}
	}
}
