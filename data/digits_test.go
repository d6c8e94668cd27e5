package data

import (
	"fmt"
	"image"
	"math"
	"runtime"
	"testing"

	"github.com/latentflow/latentflow/philox"
)

var digitsKey = philox.Key{Seed: 0x5eed_d161_7500_0001, Step: 0, Stream: 9}

const digitsPx = DigitsSize * DigitsSize

func TestDigitsBadCount(t *testing.T) {
	for _, n := range []int{-1, MaxDigits + 1, math.MaxInt} {
		pix, labels, err := Digits(n, digitsKey)
		if err == nil || pix != nil || labels != nil {
			t.Errorf("Digits(%d): err = %v, %d pixels, %d labels; want an error and nothing", n, err, len(pix), len(labels))
		}
	}
	pix, labels, err := Digits(0, digitsKey)
	if err != nil || len(pix) != 0 || len(labels) != 0 {
		t.Errorf("Digits(0): err = %v, %d pixels, %d labels", err, len(pix), len(labels))
	}
}

func TestDigitsDeterministic(t *testing.T) {
	const n = 600 // more than two chunks of 256
	a, la, err := Digits(n, digitsKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != n*digitsPx || len(la) != n {
		t.Fatalf("%d pixels, %d labels; want %d, %d", len(a), len(la), n*digitsPx, n)
	}

	// The same key on one goroutine gives the same bits.
	procs := runtime.GOMAXPROCS(1)
	b, lb, _ := Digits(n, digitsKey)
	runtime.GOMAXPROCS(procs)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("pixel %d (image %d): %v, then %v on one goroutine", i, i/digitsPx, a[i], b[i])
		}
	}
	for i := range la {
		if la[i] != lb[i] {
			t.Fatalf("label %d: %d, then %d", i, la[i], lb[i])
		}
	}

	// Image i depends on i and the key only: a shorter set is a prefix.
	c, _, _ := Digits(37, digitsKey)
	for i := range c {
		if math.Float32bits(a[i]) != math.Float32bits(c[i]) {
			t.Fatalf("pixel %d: %v in a set of %d, %v in a set of 37", i, a[i], n, c[i])
		}
	}

	// Another seed changes (almost) every image.
	other := digitsKey
	other.Seed++
	d, _, _ := Digits(n, other)
	same := 0
	for i := 0; i < n; i++ {
		eq := true
		for j := i * digitsPx; j < (i+1)*digitsPx; j++ {
			if a[j] != d[j] {
				eq = false
				break
			}
		}
		if eq {
			same++
		}
	}
	if same > 0 {
		t.Errorf("another seed left %d of %d images unchanged", same, n)
	}
}

func TestDigitsLabels(t *testing.T) {
	_, labels, err := Digits(1000, digitsKey)
	if err != nil {
		t.Fatal(err)
	}
	var count [10]int
	for i, l := range labels {
		if l != i%10 {
			t.Fatalf("label %d = %d, want %d", i, l, i%10)
		}
		count[l]++
	}
	for d, c := range count {
		if c != 100 {
			t.Errorf("digit %d: %d of 1000 images, want 100", d, c)
		}
	}
}

// TestDigitsPixels checks each image the way MNIST's are made: values in
// [0, 1], some ink but not a filled square, the centre of mass near the centre
// and an empty border, with anti-aliased grey levels.
func TestDigitsPixels(t *testing.T) {
	const n = 2000
	pix, _, err := Digits(n, digitsKey)
	if err != nil {
		t.Fatal(err)
	}
	const c = (DigitsSize - 1) / 2.0 // centre of the pixel grid, pixel centres at integers
	minMass, maxMass, maxOff := math.Inf(1), 0.0, 0.0
	grey := 0
	for i := 0; i < n; i++ {
		img := pix[i*digitsPx : (i+1)*digitsPx]
		var mass, mx, my float64
		for y := 0; y < DigitsSize; y++ {
			for x := 0; x < DigitsSize; x++ {
				v := img[y*DigitsSize+x]
				if !(v >= 0 && v <= 1) {
					t.Fatalf("image %d pixel (%d, %d) = %v outside [0, 1]", i, x, y, v)
				}
				if v > 0 && (x == 0 || y == 0 || x == DigitsSize-1 || y == DigitsSize-1) {
					t.Errorf("image %d: ink %v on the border at (%d, %d)", i, v, x, y)
				}
				if v > 0.05 && v < 0.95 {
					grey++
				}
				mass += float64(v)
				mx += float64(v) * float64(x)
				my += float64(v) * float64(y)
			}
		}
		// A stroke ~2.5 px wide along ~40 px of outline gives ~100; allow 4x either way.
		if mass < 30 || mass > 300 {
			t.Errorf("image %d (digit %d): ink mass %.1f outside [30, 300]", i, i%10, mass)
		}
		off := math.Hypot(mx/mass-c, my/mass-c)
		if off > 3 {
			t.Errorf("image %d (digit %d): centre of mass (%.1f, %.1f), %.1f px from the centre", i, i%10, mx/mass, my/mass, off)
		}
		minMass, maxMass, maxOff = min(minMass, mass), max(maxMass, mass), max(maxOff, off)
	}
	// The edges are anti-aliased: several grey pixels per image on average.
	if grey < 10*n {
		t.Errorf("%d grey pixels (0.05 < v < 0.95) in %d images, want anti-aliased edges", grey, n)
	}
	t.Logf("ink mass in [%.1f, %.1f], centre of mass at most %.2f px off, %.1f grey pixels per image",
		minMass, maxMass, maxOff, float64(grey)/n)
}

// TestDigitsSeparable shows that the classes are distinguishable: a
// nearest-class-mean classifier fitted on 2000 images labels 1000 others, from
// another seed, with over 90% accuracy, and images are closer to their own
// class on average than to other classes.
func TestDigitsSeparable(t *testing.T) {
	train, ltrain, err := Digits(2000, digitsKey)
	if err != nil {
		t.Fatal(err)
	}
	testKey := digitsKey
	testKey.Seed ^= 0xffff
	test, ltest, _ := Digits(1000, testKey)

	var means [10][digitsPx]float64
	var count [10]int
	for i, l := range ltrain {
		for j := range digitsPx {
			means[l][j] += float64(train[i*digitsPx+j])
		}
		count[l]++
	}
	for d := range means {
		for j := range means[d] {
			means[d][j] /= float64(count[d])
		}
	}
	dist2 := func(img []float32, m *[digitsPx]float64) float64 {
		s := 0.0
		for j, v := range img {
			e := float64(v) - m[j]
			s += e * e
		}
		return s
	}
	correct := 0
	var confusion [10][10]int
	for i, l := range ltest {
		img := test[i*digitsPx : (i+1)*digitsPx]
		best, bestD := -1, math.Inf(1)
		for d := range means {
			if e := dist2(img, &means[d]); e < bestD {
				best, bestD = d, e
			}
		}
		confusion[l][best]++
		if best == l {
			correct++
		}
	}
	acc := float64(correct) / float64(len(ltest))
	if acc <= 0.9 {
		t.Errorf("nearest class mean accuracy %.3f, want > 0.9; confusion (row: true digit):\n%v", acc, confusion)
	}

	// Mean squared distance between images of the same and of different classes.
	var same, diff float64
	var nSame, nDiff int
	for i := 0; i < 200; i++ {
		for j := i + 1; j < 200; j++ {
			s := 0.0
			for p := range digitsPx {
				e := float64(test[i*digitsPx+p] - test[j*digitsPx+p])
				s += e * e
			}
			if ltest[i] == ltest[j] {
				same, nSame = same+s, nSame+1
			} else {
				diff, nDiff = diff+s, nDiff+1
			}
		}
	}
	same, diff = same/float64(nSame), diff/float64(nDiff)
	if !(same < diff) {
		t.Errorf("mean squared distance within classes %.1f >= between classes %.1f", same, diff)
	}
	t.Logf("nearest class mean accuracy %.3f; mean squared distance within classes %.1f, between %.1f", acc, same, diff)
}

func BenchmarkDigits(b *testing.B) {
	for _, n := range []int{1000, 60000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Digits(n, digitsKey); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/image")
		})
	}
}

// TestDigitsDilate checks the row-wise max filter against the definition on
// random coverage confined to random boxes.
func TestDigitsDilate(t *testing.T) {
	const s = 20
	k := philox.Key{Seed: 99}
	u := make([]float32, 4+s*s)
	src, dst := make([]uint8, s*s), make([]uint8, s*s)
	for trial := 0; trial < 200; trial++ {
		k.FillUniform(u, trial*len(u))
		x0, y0 := int(u[0]*s), int(u[1]*s)
		box := image.Rect(x0, y0, x0+1+int(u[2]*float32(s-x0)), y0+1+int(u[3]*float32(s-y0)))
		for i := range src {
			src[i] = 0
			if (image.Point{i % s, i / s}).In(box) {
				src[i] = uint8(u[4+i] * 256)
			}
		}
		for i := range dst {
			dst[i] = 0xAA // must be overwritten
		}
		r2 := []int{1, 2, 4, 5, 8}[trial%5]
		dilate(dst, src, s, r2, box)
		for y := 0; y < s; y++ {
			for x := 0; x < s; x++ {
				var want uint8
				for yy := max(0, y-3); yy < min(s, y+4); yy++ { // r2 <= 8: radius < 3
					for xx := max(0, x-3); xx < min(s, x+4); xx++ {
						if (xx-x)*(xx-x)+(yy-y)*(yy-y) <= r2 {
							want = max(want, src[yy*s+xx])
						}
					}
				}
				if dst[y*s+x] != want {
					t.Fatalf("trial %d (r2 = %d, box %v): pixel (%d, %d) = %d, want %d", trial, r2, box, x, y, dst[y*s+x], want)
				}
			}
		}
	}
}
