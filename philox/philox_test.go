package philox

import (
	"math"
	"testing"
)

// Known-answer vectors of Philox4x32-10 from the Random123 distribution
// (kat_vectors, Salmon et al. 2011).
func TestBlockKnownAnswers(t *testing.T) {
	cases := []struct {
		ctr  [4]uint32
		key  [2]uint32
		want [4]uint32
	}{
		{[4]uint32{0, 0, 0, 0}, [2]uint32{0, 0},
			[4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff},
			[4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0},
			[4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	}
	for _, c := range cases {
		if got := Block(c.ctr, c.key); got != c.want {
			t.Errorf("Block(%08x, %08x) = %08x, want %08x", c.ctr, c.key, got, c.want)
		}
	}
}

func TestLogAndSinCosAccuracy(t *testing.T) {
	for _, x := range []float64{1e-30, 2.9802322387695312e-08, 0.001, 0.5, 0.70710678, 0.7071068, 0.9999999, 1, 1.5, 3, 1e10} {
		got, want := Log(x), math.Log(x)
		if math.Abs(got-want) > 4e-16*math.Max(1, math.Abs(want)) {
			t.Errorf("Log(%g) = %.17g, want %.17g", x, got, want)
		}
	}
	for i := 0; i <= 4096; i++ {
		u := float64(i) / 4096
		s, c := SinCos2Pi(u)
		ws, wc := math.Sincos(2 * math.Pi * u)
		if math.Abs(s-ws) > 1e-15 || math.Abs(c-wc) > 1e-15 {
			t.Fatalf("SinCos2Pi(%g) = %g, %g; want %g, %g", u, s, c, ws, wc)
		}
	}
}

func TestUniformRange(t *testing.T) {
	if u := Uniform(0); u <= 0 || u != 1.0/16777216.0 {
		t.Errorf("Uniform(0) = %g", u)
	}
	if u := Uniform(0xffffffff); u >= 1 {
		t.Errorf("Uniform(max) = %g, want < 1", u)
	}
}

// The fills are position-addressable: any window equals the same window of a full fill.
func TestFillWindows(t *testing.T) {
	k := Key{Seed: 0x1234567890, Step: 77, Stream: 3}
	full := make([]float32, 103)
	k.FillNormal(full, 0)
	for _, off := range []int{1, 2, 3, 5, 50} {
		part := make([]float32, 31)
		k.FillNormal(part, off)
		for i := range part {
			if part[i] != full[off+i] {
				t.Fatalf("FillNormal window off=%d i=%d: %g != %g", off, i, part[i], full[off+i])
			}
		}
	}
	// Different step or stream gives different numbers.
	k2 := k
	k2.Step++
	other := make([]float32, 8)
	k2.FillNormal(other, 0)
	if other[0] == full[0] && other[1] == full[1] {
		t.Error("step does not change the stream")
	}
}

// Moments of a large sample: mean 0, variance 1, and uniform mean 1/2.
func TestNormalMoments(t *testing.T) {
	k := Key{Seed: 42}
	n := 1 << 18
	z := make([]float32, n)
	k.FillNormal(z, 0)
	var s, s2, s4 float64
	for _, v := range z {
		s += float64(v)
		s2 += float64(v) * float64(v)
		s4 += math.Pow(float64(v), 4)
	}
	mean, vr, kurt := s/float64(n), s2/float64(n), s4/float64(n)
	if math.Abs(mean) > 0.01 || math.Abs(vr-1) > 0.01 || math.Abs(kurt-3) > 0.06 {
		t.Errorf("normal moments: mean %g var %g E[z^4] %g", mean, vr, kurt)
	}
	u := make([]float32, n)
	k.FillUniform(u, 0)
	s = 0
	for _, v := range u {
		if v <= 0 || v >= 1 {
			t.Fatalf("uniform %g out of (0,1)", v)
		}
		s += float64(v)
	}
	if math.Abs(s/float64(n)-0.5) > 0.005 {
		t.Errorf("uniform mean %g", s/float64(n))
	}
}
