package plots

import (
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/philox"
)

// readPNG decodes the PNG at path and checks its size in pixels.
func readPNG(t *testing.T, path string, w, h int) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("%s: %d x %d pixels, want %d x %d", path, b.Dx(), b.Dy(), w, h)
	}
	return img
}

// count returns the number of pixels for which keep is true (8-bit RGB).
func count(img image.Image, keep func(r, g, b uint32) bool) int {
	n := 0
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if keep(r>>8, g>>8, b>>8) {
				n++
			}
		}
	}
	return n
}

func bluish(r, g, b uint32) bool { return b > r+40 && b > g+20 }

// onlyFile checks that dir holds just the named file: no temporary left.
func onlyFile(t *testing.T, dir, name string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != name {
		t.Errorf("%s holds %v, want only %s", dir, ents, name)
	}
}

func toy(t *testing.T, name string, n int, seed uint64) []float32 {
	xy, err := data.Toy(name, n, philox.Key{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return xy
}

func TestScatter2D(t *testing.T) {
	dir := t.TempDir()
	target := toy(t, "checkerboard", 2000, 1)
	noise := make([]float32, 4000)
	philox.Key{Seed: 2}.FillNormal(noise, 0)
	noise[10], noise[21] = float32(math.NaN()), float32(math.Inf(1)) // two points not drawn
	tests := []struct {
		file   string
		title  string
		panels []Panel
		w, h   int
	}{
		{"two.png", "checkerboard, step 1000", []Panel{{"samples", noise}, {"target", target}}, 800, 440},
		{"one.png", "", []Panel{{"target", target}}, 400, 400},
		{"three.png", "x", []Panel{{"a", nil}, {"b", target[:2]}, {"", target}}, 1200, 440},
	}
	for _, tt := range tests {
		sub := filepath.Join(dir, strings.TrimSuffix(tt.file, ".png"))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(sub, tt.file)
		if err := Scatter2D(path, tt.title, tt.panels); err != nil {
			t.Fatal(err)
		}
		img := readPNG(t, path, tt.w, tt.h)
		if c := count(img, bluish); c < 500 {
			t.Errorf("%s: only %d blue pixels: points not drawn?", tt.file, c)
		}
		onlyFile(t, sub, tt.file)
	}
}

func TestTrajectories(t *testing.T) {
	dir := t.TempDir()
	// A straight-line flow from noise to the checkerboard in 10 steps.
	const n, steps = 500, 10
	x0 := make([]float32, 2*n)
	philox.Key{Seed: 3}.FillNormal(x0, 0)
	x1 := toy(t, "checkerboard", n, 4)
	traj := make([][]float32, steps+1)
	for k := range traj {
		tk := float32(k) / steps
		traj[k] = make([]float32, 2*n)
		for i := range x0 {
			traj[k][i] = (1-tk)*x0[i] + tk*x1[i]
		}
	}
	traj[5][7] = float32(math.NaN()) // a broken path is split, not fatal
	for _, nShow := range []int{1, 100, 5000} {
		path := filepath.Join(dir, "traj.png")
		if err := Trajectories(path, "flow paths", traj, nShow); err != nil {
			t.Fatal(err)
		}
		img := readPNG(t, path, 400, 440)
		black := count(img, func(r, g, b uint32) bool { return r < 40 && g < 40 && b < 40 })
		if black < 50 {
			t.Errorf("nShow=%d: %d black pixels", nShow, black)
		}
		if c := count(img, bluish); c < 5 {
			t.Errorf("nShow=%d: %d blue pixels", nShow, c)
		}
	}
	// One step only: just the points.
	if err := Trajectories(filepath.Join(dir, "traj.png"), "", traj[:1], 10); err != nil {
		t.Fatal(err)
	}
	readPNG(t, filepath.Join(dir, "traj.png"), 400, 400)
	onlyFile(t, dir, "traj.png")
}

func TestLossCurve(t *testing.T) {
	dir := t.TempDir()
	const n = 3000
	steps := make([]int, n)
	loss := make([]float64, n)
	noise := make([]float32, n)
	philox.Key{Seed: 5}.FillUniform(noise, 0)
	for i := range loss {
		steps[i] = 10 * i
		loss[i] = (2*math.Exp(-float64(i)/500) + 0.1) * (0.7 + 0.6*float64(noise[i]))
	}
	loss[100] = math.NaN()
	for _, tt := range []struct {
		name  string
		steps []int
		loss  []float64
		logY  bool
	}{
		{"lin", steps, loss, false},
		{"log", steps, loss, true},
		{"short", []int{0, 1, 2}, []float64{0.9, 0.5, 0.4}, true}, // less than a decade
		{"single", []int{7}, []float64{0.5}, false},
		{"constant", []int{1, 2}, []float64{0, 0}, false},
		{"nonpositive", []int{1, 2}, []float64{0, -1}, true}, // nothing drawable
	} {
		path := filepath.Join(dir, tt.name+".png")
		if err := LossCurve(path, "loss "+tt.name, tt.steps, tt.loss, tt.logY); err != nil {
			t.Fatal(err)
		}
		img := readPNG(t, path, 600, 440)
		if c := count(img, bluish); tt.name == "lin" && c < 300 {
			t.Errorf("%s: only %d blue pixels", tt.name, c)
		}
	}
}

func TestEMA(t *testing.T) {
	// 4 points: beta = max(1 - 20/4, 0) = 0, the average is the values.
	in := []float64{4, 2, 8, 1}
	// 40 points: beta = 0.5. Values 1, 3, 1, 3, ...: debiased averages
	// 1, (0.5*1*0.5 + 0.5*3)/0.75 = 2.333..., ...
	raw := make([]float64, 40)
	for i := range raw {
		raw[i] = float64(1 + 2*(i%2))
	}
	got := emaValues(raw, false)
	want := []float64{1, 7.0 / 3, 11.0 / 7}
	for i, w := range want {
		if math.Abs(got[i]-w) > 1e-12 {
			t.Errorf("ema[%d] = %v, want %v", i, got[i], w)
		}
	}
	// Log mode: the running geometric mean of a constant is the constant.
	for _, v := range emaValues([]float64{0.25, 0.25, 0.25}, true) {
		if math.Abs(v-0.25) > 1e-15 {
			t.Errorf("log ema of 0.25s = %v", v)
		}
	}
	for i, v := range emaValues(in, false) {
		if v != in[i] {
			t.Errorf("beta=0: ema[%d] = %v, want %v", i, v, in[i])
		}
	}
}

func TestMisuseAndWriteErrors(t *testing.T) {
	dir := t.TempDir()
	panics := []struct {
		name string
		fn   func()
		msg  string
	}{
		{"no panels", func() { Scatter2D(filepath.Join(dir, "a.png"), "", nil) }, "no panels"},
		{"odd panel", func() { Scatter2D(filepath.Join(dir, "a.png"), "", []Panel{{"a", []float32{1, 2, 3}}}) }, "panel 0 has 3 values"},
		{"no steps", func() { Trajectories(filepath.Join(dir, "a.png"), "", nil, 1) }, "no steps"},
		{"ragged", func() { Trajectories(filepath.Join(dir, "a.png"), "", [][]float32{{1, 2}, {1, 2, 3, 4}}, 1) }, "step 1 has 4 values"},
		{"nShow", func() { Trajectories(filepath.Join(dir, "a.png"), "", [][]float32{{1, 2}}, 0) }, "nShow = 0"},
		{"lengths", func() { LossCurve(filepath.Join(dir, "a.png"), "", []int{1}, []float64{1, 2}, false) }, "1 steps and 2 losses"},
		{"empty", func() { LossCurve(filepath.Join(dir, "a.png"), "", nil, nil, false) }, "no points"},
	}
	for _, tt := range panics {
		func() {
			defer func() {
				r, _ := recover().(string)
				if !strings.HasPrefix(r, "plots: ") || !strings.Contains(r, tt.msg) {
					t.Errorf("%s: recovered %q, want a plots: panic saying %q", tt.name, r, tt.msg)
				}
			}()
			tt.fn()
		}()
	}
	missing := filepath.Join(dir, "no", "such", "dir", "a.png")
	errs := []error{
		Scatter2D(missing, "", []Panel{{"a", []float32{1, 2}}}),
		Trajectories(missing, "", [][]float32{{1, 2}}, 1),
		LossCurve(missing, "", []int{1}, []float64{1}, false),
	}
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), missing) || !strings.HasPrefix(err.Error(), "plots: ") {
			t.Errorf("call %d: error %v, want one naming %s", i, err, missing)
		}
	}
}
