package sample

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// countingBackend counts allocations and frees of full buffers.
type countingBackend struct {
	compute.Backend
	allocs, frees int
}

func (c *countingBackend) Alloc(n int) compute.Buffer {
	c.allocs++
	return c.Backend.Alloc(n)
}

func (c *countingBackend) Free(b compute.Buffer) {
	c.frees++
	c.Backend.Free(b)
}

func methodOptions(m Method) Options {
	if m == Dopri5 {
		return Options{Method: m, Rtol: 1e-5, Atol: 1e-5}
	}
	return Options{Method: m, Steps: 7}
}

// TestSolveBuffers: Solve allocates the stage buffers once (s + 1 for a
// fixed-step method with s stages, 11 for Dopri5: 9 vectors, its controller
// state and the time of a host field), not per step, and frees them all.
func TestSolveBuffers(t *testing.T) {
	p := rotation(3)
	want := map[Method]int{Euler: 2, Midpoint: 3, Heun: 3, RK4: 5, Dopri5: 11}
	for _, m := range Methods {
		be := &countingBackend{Backend: newCPU()}
		x := upload(be.Backend, p.x0)
		st, err := Solve(be, hostField(be, p.field, nil), x, methodOptions(m))
		if err != nil {
			t.Fatal(err)
		}
		if be.allocs != want[m] || be.frees != be.allocs {
			t.Errorf("%s (%d steps): %d allocs, %d frees; want %d of each", m, st.Accepted, be.allocs, be.frees, want[m])
		}
	}
}

// TestWorkReuse: one Work serves every method and repeated solves without
// allocating again, and gives the same results as Solve.
func TestWorkReuse(t *testing.T) {
	p := rotation(3)
	be := &countingBackend{Backend: newCPU()}
	w := NewWork(be, len(p.x0))
	f := hostField(be, p.field, nil)
	for round := range 2 {
		for _, m := range []Method{Dopri5, Euler, RK4} {
			x := upload(be.Backend, p.x0)
			if _, err := w.Solve(f, x, methodOptions(m)); err != nil {
				t.Fatal(err)
			}
			y := upload(be.Backend, p.x0)
			if _, err := Solve(be.Backend, f, y, methodOptions(m)); err != nil {
				t.Fatal(err)
			}
			gx, gy := download(be, x), download(be, y)
			for i := range gx {
				if gx[i] != gy[i] {
					t.Fatalf("round %d %s: Work.Solve x[%d] = %v, Solve %v", round, m, i, gx[i], gy[i])
				}
			}
		}
	}
	if be.allocs != 11 {
		t.Errorf("Work: %d allocations over 6 solves, want 11 (Dopri5's, once)", be.allocs)
	}
	w.Free()
	if be.frees != 11 {
		t.Errorf("Work.Free freed %d buffers, want 11", be.frees)
	}
}

func TestWorkMisuse(t *testing.T) {
	be := newCPU()
	w := NewWork(be, 4)
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	zero := func(t float32, x, v compute.Buffer) { be.Fill(v, 0) }
	mustPanic("wrong length", func() { _, _ = w.Solve(zero, be.Alloc(5), Options{Method: Euler, Steps: 1}) })
	mustPanic("nil field", func() { _, _ = w.Solve(nil, be.Alloc(4), Options{Method: Euler, Steps: 1}) })
	mustPanic("empty state", func() { NewWork(be, 0) })
}

// TestFieldNeverAliases: the Field's input and output buffers are always distinct.
func TestFieldNeverAliases(t *testing.T) {
	be := newCPU()
	for _, m := range Methods {
		x := upload(be, []float64{1, 2})
		f := func(t float32, in, v compute.Buffer) {
			a, b := download(be, in), []float32{0, 0}
			be.Upload(v, b) // zero v, then check in was not changed by it
			if c := download(be, in); c[0] != a[0] || c[1] != a[1] {
				panic("Field input aliases its output")
			}
			be.Upload(v, []float32{float32(-a[1]), float32(a[0])})
		}
		if _, err := Solve(be, f, x, methodOptions(m)); err != nil {
			t.Fatal(err)
		}
		if r := math.Hypot(download(be, x)[0], download(be, x)[1]); math.Abs(r-math.Sqrt(5)) > 0.2 { // Euler spirals out by (1+h^2)^(N/2) ~ 7%
			t.Errorf("%s: rotation changed the radius to %v", m, r)
		}
	}
}
