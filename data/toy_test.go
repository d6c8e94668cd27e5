package data

import (
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/latentflow/latentflow/philox"
)

var key = philox.Key{Seed: 0x1234_5678_9abc_def0, Step: 7, Stream: 3}

func TestToyUnknownName(t *testing.T) {
	_, err := Toy("checkers", 10, key)
	if err == nil {
		t.Fatal("no error for an unknown name")
	}
	for _, want := range append([]string{`"checkers"`}, ToyNames...) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestToyDeterministicAndFinite(t *testing.T) {
	for _, name := range ToyNames {
		a, err := Toy(name, 1001, key)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Toy(name, 1001, key)
		c, _ := Toy(name, 1001, philox.Key{Seed: key.Seed + 1, Step: key.Step, Stream: key.Stream})
		if len(a) != 2002 {
			t.Fatalf("%s: %d values, want 2002", name, len(a))
		}
		// A prefix of a longer draw is not required to match (the normals
		// start after all uniforms), but the same call must.
		same, differ := true, 0
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				same = false
			}
			if a[i] != c[i] {
				differ++
			}
			bound := float32(4.5)
			if name == "gaussians8" {
				bound = 4 + 0.5*6 // six standard deviations
			}
			if math.IsNaN(float64(a[i])) || math.IsInf(float64(a[i]), 0) || a[i] < -bound || a[i] > bound {
				t.Fatalf("%s: value %d = %v out of [-%v, %v]", name, i, a[i], bound, bound)
			}
		}
		if !same {
			t.Errorf("%s: two draws with one key differ", name)
		}
		if differ < 1900 {
			t.Errorf("%s: another seed changed only %d of 2002 values", name, differ)
		}
		if z, _ := Toy(name, 0, key); len(z) != 0 {
			t.Errorf("%s: n=0 gave %d values", name, len(z))
		}
	}
}

func TestInCheckerboard(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		x, y float32
		want bool
	}{
		{0.5, 0.5, true},    // cell (0, 0)
		{2.5, 0.5, false},   // cell (1, 0)
		{-0.5, -0.5, true},  // cell (-1, -1)
		{-0.5, 0.5, false},  // cell (-1, 0)
		{-3, 1, true},       // cell (-2, 0)
		{-3, 3, false},      // cell (-2, 1)
		{3.9, 3.9, true},    // cell (1, 1)
		{-4, -4, true},      // corner of cell (-2, -2), inside
		{0, 0, true},        // corner of cell (0, 0), inside
		{2, 0, false},       // corner of cell (1, 0)
		{4, 0.5, false},     // x = 4 is outside [-4, 4)
		{0.5, -4.01, false}, // below the board
		{1e30, 1e30, false},
		{nan, 0.5, false},
		{0.5, nan, false},
	}
	for _, tt := range tests {
		if got := InCheckerboard(tt.x, tt.y); got != tt.want {
			t.Errorf("InCheckerboard(%v, %v) = %v, want %v", tt.x, tt.y, got, tt.want)
		}
	}
}

func TestCheckerboardFraction(t *testing.T) {
	tests := []struct {
		xy   []float32
		want float64
	}{
		{[]float32{0.5, 0.5}, 1},
		{[]float32{0.5, 0.5, 2.5, 0.5}, 0.5},
		{[]float32{0.5, 0.5, 2.5, 0.5, 5, 5, -1, -1}, 0.5},
		{[]float32{9, 9, 2.5, 0.5, 5, 5}, 0},
	}
	for _, tt := range tests {
		if got := CheckerboardFraction(tt.xy); got != tt.want {
			t.Errorf("CheckerboardFraction(%v) = %v, want %v", tt.xy, got, tt.want)
		}
	}
	if got := CheckerboardFraction(nil); !math.IsNaN(got) {
		t.Errorf("CheckerboardFraction(nil) = %v, want NaN", got)
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("odd length did not panic")
		}
	}()
	CheckerboardFraction([]float32{1, 2, 3})
}

// The checkerboard follows its documented use of the stream, recomputed here
// from philox.Block and the package philox counter layout.
func TestCheckerboardSpec(t *testing.T) {
	const n = 20000
	xy, err := Toy("checkerboard", n, key)
	if err != nil {
		t.Fatal(err)
	}
	word := func(e int) uint32 {
		return philox.Block([4]uint32{uint32(e / 4), key.Stream, uint32(key.Step), uint32(key.Step >> 32)},
			[2]uint32{uint32(key.Seed), uint32(key.Seed >> 32)})[e%4]
	}
	var count [4][4]int
	var sum [2]float64
	for i := 0; i < n; i++ {
		x, y := xy[2*i], xy[2*i+1]
		if !InCheckerboard(x, y) {
			t.Fatalf("point %d (%v, %v) is not in a filled cell", i, x, y)
		}
		if i < 100 { // the slow reference, in float64
			cx := 2*math.Floor(float64(x)/2) + float64(word(3*i+1)>>9)/(1<<22)
			cy := 2*math.Floor(float64(y)/2) + float64(word(3*i+2)>>9)/(1<<22)
			c := checkerCells[word(3*i)>>29]
			if cx != float64(x) || cy != float64(y) || math.Floor(float64(x)/2) != float64(c[0]) || math.Floor(float64(y)/2) != float64(c[1]) {
				t.Fatalf("point %d = (%v, %v), want (%v, %v) in cell %v", i, x, y, cx, cy, c)
			}
		}
		ci, cj := int(math.Floor(float64(x)/2))+2, int(math.Floor(float64(y)/2))+2
		count[ci][cj]++
		sum[0] += float64(x) - 2*math.Floor(float64(x)/2) // offset in the cell, mean 1
		sum[1] += float64(y) - 2*math.Floor(float64(y)/2)
	}
	// Each filled cell holds n/8 = 2500 points, standard deviation
	// sqrt(n p (1-p)) = 46.8; allow 5 of them.
	for i := range count {
		for j := range count[i] {
			want := 0.0
			if (i+j)%2 == 0 {
				want = n / 8
			}
			if math.Abs(float64(count[i][j])-want) > 5*46.8 {
				t.Errorf("cell (%d, %d) holds %d points, want about %v", i-2, j-2, count[i][j], want)
			}
		}
	}
	// Offsets uniform on [0, 2): mean 1, standard error sqrt(1/3 / n) = 0.0041.
	for c, s := range sum {
		if m := s / n; math.Abs(m-1) > 5*0.0041 {
			t.Errorf("mean offset in the cell along axis %d = %v, want 1", c, m)
		}
	}
}

func TestGaussians8(t *testing.T) {
	const n = 16000
	xy, _ := Toy("gaussians8", n, key)
	var count [8]int
	var ss float64
	for i := 0; i < n; i++ {
		x, y := float64(xy[2*i]), float64(xy[2*i+1])
		// Nearest mean; with std 0.5 and means 3.06 apart, nearly always the
		// true component.
		k := int(math.Round(math.Atan2(y, x)/(math.Pi/4)+8)) % 8
		mx, my := 4*math.Cos(float64(k)*math.Pi/4), 4*math.Sin(float64(k)*math.Pi/4)
		count[k]++
		ss += (x-mx)*(x-mx) + (y-my)*(y-my)
	}
	// n/8 = 2000 per component, standard deviation 41.8.
	for k, c := range count {
		if math.Abs(float64(c)-n/8) > 5*41.8 {
			t.Errorf("component %d holds %d points, want about %d", k, c, n/8)
		}
	}
	if std := math.Sqrt(ss / (2 * n)); math.Abs(std-0.5) > 0.02 {
		t.Errorf("std about the means = %v, want 0.5", std)
	}
}

// moons and spirals: centred, with most points within a few noise widths of
// the documented curves (checked against a dense sampling of the curve).
func TestMoonsAndSpirals(t *testing.T) {
	const n = 4000
	curve := map[string][][2]float64{}
	for m := 0; m <= 2000; m++ {
		tt := math.Pi * float64(m) / 2000
		c, s := math.Cos(tt), math.Sin(tt)
		curve["moons"] = append(curve["moons"],
			[2]float64{2.5 * (c - 0.5), 2.5 * (s - 0.25)}, [2]float64{2.5 * (0.5 - c), 2.5 * (0.25 - s)})
		th := 3 * math.Pi * float64(m) / 2000
		p := [2]float64{-th * math.Cos(th) / 3, th * math.Sin(th) / 3}
		curve["spirals"] = append(curve["spirals"], p, [2]float64{-p[0], -p[1]})
	}
	for _, name := range []string{"moons", "spirals"} {
		xy, _ := Toy(name, n, key)
		var mx, my float64
		dist := make([]float64, 0, n)
		for i := 0; i < n; i++ {
			x, y := float64(xy[2*i]), float64(xy[2*i+1])
			mx += x / n
			my += y / n
			if i < 500 {
				best := math.Inf(1)
				for _, c := range curve[name] {
					best = min(best, math.Hypot(x-c[0], y-c[1]))
				}
				dist = append(dist, best)
			}
		}
		if math.Abs(mx) > 0.15 || math.Abs(my) > 0.15 {
			t.Errorf("%s: mean (%v, %v), want about 0", name, mx, my)
		}
		sort.Float64s(dist)
		// Distance of a 2D N(0, 0.1^2 I) offset to a curve: median about
		// 0.1*0.674 when the curve is locally straight; allow slack.
		if med := dist[len(dist)/2]; med > 0.12 {
			t.Errorf("%s: median distance to the curve %v, want < 0.12", name, med)
		}
	}
}
