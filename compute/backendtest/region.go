package backendtest

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// Every buffer an op sees is a view into a larger allocation with guard cells
// on both sides (gonum's testblas does the same with guard values around its
// slices). The guards hold a NaN with a payload: reading one poisons a result,
// writing one changes its bits.
const (
	guardLo = 5  // guard cells before a view (odd, so views start unaligned)
	guardHi = 11 // guard cells after a view

	maxReports = 8 // wrong cells reported per buffer

	// tiny is added to every allowed error, for results that are exactly zero
	// in float64 but may come out as a denormal (or the reverse) in float32.
	tiny = 1e-35
)

var (
	// guard fills the cells around every view.
	guard = math.Float32frombits(0x7fc0dead)
	// nan fills outputs that the op overwrites, and the padding of strided matrices.
	nan = math.Float32frombits(0x7fc00000)
)

// A region is one backend buffer of n float32s (the view) placed inside a
// larger allocation (all) whose other cells hold guard values.
type region struct {
	s    *suite
	name string
	all  compute.Buffer // the whole allocation
	buf  compute.Buffer // the view the op sees
	init []float32      // contents of all before the op
	cols int            // row width for messages (0: print a flat index)
}

// region uploads data into a new guarded view.
func (s *suite) region(name string, data []float32) *region {
	init := filled(guardLo+len(data)+guardHi, guard)
	copy(init[guardLo:], data)
	all := s.b.Alloc(len(init))
	s.allocs = append(s.allocs, all)
	s.b.Upload(all, init)
	return &region{s: s, name: name, all: all, buf: s.b.Slice(all, guardLo, len(data)), init: init}
}

// out is a region of n cells holding NaN, for outputs that the op overwrites.
func (s *suite) out(name string, n int) *region { return s.region(name, filled(n, nan)) }

// rows sets the row width used to print cell positions.
func (r *region) rows(cols int) *region {
	r.cols = cols
	return r
}

// data returns the contents of the view before the op.
func (r *region) data() []float32 { return r.init[guardLo : len(r.init)-guardHi] }

// buffer is r's view, nil for a nil r (an optional operand left out).
func (r *region) buffer() compute.Buffer {
	if r == nil {
		return nil
	}
	return r.buf
}

// unchangedIf is unchanged for a region that may be nil (an optional operand).
func (r *region) unchangedIf(t *testing.T) {
	if r != nil {
		r.unchanged(t)
	}
}

// f64 returns the contents of the view before the op, in float64.
func (r *region) f64() []float64 { return f64(r.data()) }

// sub returns the view of n cells at offset off of r's view.
func (r *region) sub(off, n int) compute.Buffer { return r.s.b.Slice(r.buf, off, n) }

// at formats the position of view cell j.
func (r *region) at(j int) string {
	if r.cols > 0 {
		return shape("[%d,%d]", j/r.cols, j%r.cols)
	}
	return shape("[%d]", j)
}

// expect is the reference result for a region's view: the value of each
// cell and its error scale. A negative scale marks a cell the op must leave
// alone (bit for bit).
type expect struct {
	v   []float64
	mag []float64
}

// expect returns the expectation "nothing changes", for the reference loop to fill in.
func (r *region) expect() expect {
	e := expect{v: r.f64(), mag: make([]float64, len(r.data()))}
	for i := range e.mag {
		e.mag[i] = -1
	}
	return e
}

// check downloads the whole allocation and compares it with e: guard cells
// and cells marked in e must keep their bits; the others must lie within
// tol times their error scale of the reference (exactly, when tol is 0).
func (r *region) check(t *testing.T, e expect, tol float64) {
	t.Helper()
	s := r.s
	if err := s.b.Sync(); err != nil {
		t.Fatalf("%s: Sync: %v", r.name, err)
	}
	got := make([]float32, len(r.init))
	s.b.Download(got, r.all)
	n := len(r.init) - guardLo - guardHi
	bad := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if bad < maxReports {
			t.Errorf(format, args...)
		}
		bad++
	}
	worst, worstAt := 0.0, 0
	for i, g := range got {
		j := i - guardLo
		switch {
		case j < 0 || j >= n:
			if math.Float32bits(g) != math.Float32bits(r.init[i]) {
				fail("%s: guard cell %d outside the view was overwritten with %v", r.name, j, g)
			}
		case e.mag[j] < 0:
			if math.Float32bits(g) != math.Float32bits(r.init[i]) {
				fail("%s%s must be left alone: was %v, now %v", r.name, r.at(j), r.init[i], g)
			}
		case tol == 0:
			if g != float32(e.v[j]) {
				fail("%s%s = %v, want exactly %v", r.name, r.at(j), g, float32(e.v[j]))
			}
		default:
			err := math.Abs(float64(g) - e.v[j])
			allowed := tol*e.mag[j] + tiny
			if !(err <= allowed) {
				fail("%s%s = %v, want %v (error %.3g > %.3g = %g x scale %.3g)",
					r.name, r.at(j), g, e.v[j], err, allowed, tol, e.mag[j])
			} else if err/allowed > worst {
				worst, worstAt = err/allowed, j
			}
		}
	}
	if bad > maxReports {
		t.Errorf("%s: %d wrong cells in all", r.name, bad)
	}
	if bad == 0 && worst > 0 {
		s.note(t, worst, r.name+r.at(worstAt))
	}
}

// unchanged checks that an input region (guards and view) kept its bits.
func (r *region) unchanged(t *testing.T) {
	t.Helper()
	r.check(t, r.expect(), 0)
}

// download returns the current contents of the view.
func (r *region) download() []float32 {
	x := make([]float32, len(r.data()))
	r.s.b.Download(x, r.buf)
	return x
}

// upload replaces the contents of the view (and makes them the new "before").
func (r *region) upload(x []float32) {
	copy(r.data(), x)
	r.s.b.Upload(r.buf, x)
}

// strided is a region holding nchunk matrices [B, D] side by side in rows of
// stride ld (like the adaLN modulation output [B, ld]): chunk c starts at
// column c*D. Padding columns hold NaN. view(c) is the [B, D] view of stride
// ld of chunk c, of the minimal length (B-1)*ld + D.
type strided struct {
	*region
	B, D, ld, nchunk int
}

// strided builds a strided region whose chunk cells come from gen.
func (s *suite) strided(name string, B, D, ld, nchunk int, gen func(n int) []float32) strided {
	n := (B-1)*ld + nchunk*D
	data := filled(n, nan)
	vals := gen(B * nchunk * D)
	for b := range B {
		copy(data[b*ld:b*ld+nchunk*D], vals[b*nchunk*D:])
	}
	return strided{region: s.region(name, data).rows(ld), B: B, D: D, ld: ld, nchunk: nchunk}
}

// off returns the offset of chunk c in the view.
func (m strided) off(c int) int { return c * m.D }

// view returns the [B, D] view of stride ld of chunk c.
func (m strided) view(c int) compute.Buffer { return m.sub(c*m.D, (m.B-1)*m.ld+m.D) }

// cells returns the view offsets of the cells of chunk c.
func (m strided) cells(c int) []int {
	var cs []int
	for b := range m.B {
		for j := range m.D {
			cs = append(cs, b*m.ld+c*m.D+j)
		}
	}
	return cs
}
