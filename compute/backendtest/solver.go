package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// TestSolverClock checks SolverTime and SolverTick (the solver clock of the
// device-resident sampler) against hand-computed values: exact, since both
// are a few float64 operations rounded once to float32.
func TestSolverClock(t *testing.T, b compute.Backend, o Options) {
	clock, tb := b.Alloc(2), b.Alloc(5)
	defer b.Free(clock)
	defer b.Free(tb)
	get := func(x compute.Buffer) []float32 {
		v := make([]float32, x.Len())
		b.Download(v, x)
		return v
	}
	b.Upload(clock, []float32{2, 7})
	for _, c := range []struct {
		t0, t1 float64
		steps  int
		c      float64
		want   float32
	}{
		{0, 1, 5, 0.5, float32(0 + (2.5*1)/5)},
		{0, 1, 3, 1, 1}, // m = steps-1, c = 1: exactly t1
		{0, 1, 7, 1.0 / 3, float32((2 + 1.0/3) / 7)},
		{1, 0.25, 4, 0, float32(1 + (2*(0.25-1))/4)}, // backwards
	} {
		b.SolverTime(tb, clock, c.t0, c.t1, c.steps, c.c)
		for i, v := range get(tb) {
			if v != c.want {
				t.Errorf("SolverTime(%+v) at m = 2: t[%d] = %g, want %g", c, i, v, c.want)
			}
		}
	}
	b.SolverTick(clock, 4)
	if v := get(clock); v[0] != 3 || v[1] != 11 {
		t.Errorf("SolverTick(4) of (2, 7) = %v, want [3 11]", v)
	}
}

// dopri5Close reports whether two float64 controller values agree to 4 ulp:
// the device's pow may differ from Go's math.Pow in the last bits (CUDA
// documents 2 ulp), and h passes through one pow per step.
func dopri5Close(a, b float64) bool {
	if a == b || (math.IsNaN(a) && math.IsNaN(b)) {
		return true
	}
	return math.Abs(a-b) <= 4*0x1p-52*math.Max(math.Abs(a), math.Abs(b))
}

// checkDopri5State compares a backend's state words with the spec's state:
// bit for bit, except t and h (dopri5Close).
func checkDopri5State(t *testing.T, what string, b compute.Backend, st compute.Buffer, want compute.Dopri5State) {
	t.Helper()
	gw := download(b, st)
	ww := make([]float32, compute.Dopri5StateLen)
	want.Encode(ww)
	var got compute.Dopri5State
	got.Decode(gw)
	ok := dopri5Close(got.T, want.T) && dopri5Close(got.H, want.H)
	for i := compute.Dopri5H + 2; i < compute.Dopri5StateLen; i++ {
		ok = ok && math.Float32bits(gw[i]) == math.Float32bits(ww[i])
	}
	if !ok {
		t.Errorf("%s: state\n got  %+v\n want %+v", what, got, want)
	}
}

// TestDopri5Controller drives Dopri5Control through the start, accepted,
// rejected, non-finite and final attempts, and through each way a solve
// fails, comparing every word of the state with compute.Dopri5State.Control
// (the spec) after each operation: exact, except t and h within 4 ulp (pow).
// The norms the sampler would compute are written into the state as the
// spec's inputs.
func TestDopri5Controller(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	st := b.Alloc(compute.Dopri5StateLen)
	defer b.Free(st)
	words := make([]float32, compute.Dopri5StateLen)
	put := func(spec *compute.Dopri5State) {
		spec.Encode(words)
		b.Upload(st, words)
	}
	step := func(t *testing.T, what string, spec *compute.Dopri5State, ctl compute.Dopri5Ctl, p compute.Dopri5Params) {
		t.Helper()
		b.Dopri5Control(st, ctl, p)
		spec.Control(ctl, p)
		checkDopri5State(t, what, b, st, *spec)
		put(spec) // continue from the spec's values: no drift through pow
	}
	base := compute.Dopri5Params{T0: 0, T1: 1, Rtol: 1e-5, Atol: 1e-5, MaxSteps: 100, EvalNFE: 2}
	s.run(t, "solve", func(t *testing.T) {
		for _, p := range []compute.Dopri5Params{base, {T0: 1, T1: 0.25, Rtol: 1e-3, Atol: 1e-4, MaxSteps: 100, EvalNFE: 1}} {
			spec := compute.Dopri5State{D0: 0.8 + float32(s.rng.Float64()), D1: 2 + float32(s.rng.Float64())}
			put(&spec)
			step(t, "start", &spec, compute.Dopri5Start, p)
			spec.Err = float32(0.5 + s.rng.Float64())
			put(&spec)
			step(t, "start h", &spec, compute.Dopri5StartH, p)
			// accepted, rejected, NaN, +Inf, zero, then small errors to the end
			errs := []float32{0.3, 2.5, float32(math.NaN()), float32(math.Inf(1)), 0, 0.9, 1}
			for i := 0; i < 60 && !spec.Ended(); i++ {
				e := float32(0.01 + 0.5*s.rng.Float64())
				if i < len(errs) {
					e = errs[i]
				}
				spec.Err = e
				put(&spec)
				step(t, "attempt", &spec, compute.Dopri5End, p)
			}
			if spec.Status != compute.Dopri5Done {
				t.Errorf("%+v: the solve did not reach T1: %+v", p, spec)
			}
			// an attempt after the end changes nothing but Accept
			step(t, "after the end", &spec, compute.Dopri5End, p)
		}
	})
	s.run(t, "first step given", func(t *testing.T) {
		p := base
		p.H0 = 0.3
		spec := compute.Dopri5State{D0: 1, D1: 1}
		put(&spec)
		step(t, "start", &spec, compute.Dopri5Start, p)
		if !spec.Active || spec.H != 0.3 {
			t.Errorf("H0 0.3: %+v", spec)
		}
	})
	s.run(t, "failures", func(t *testing.T) {
		spec := compute.Dopri5State{D0: float32(math.NaN()), D1: 1}
		put(&spec)
		step(t, "not finite", &spec, compute.Dopri5Start, base)
		step(t, "start h after the end", &spec, compute.Dopri5StartH, base)
		p := base
		p.MaxSteps = 2
		spec = compute.Dopri5State{D0: 1, D1: 1, Err: 1}
		put(&spec)
		step(t, "start", &spec, compute.Dopri5Start, p)
		step(t, "start h", &spec, compute.Dopri5StartH, p)
		for range 2 {
			spec.Err = 5
			put(&spec)
			step(t, "rejected", &spec, compute.Dopri5End, p)
		}
		if spec.Status != compute.Dopri5TooMany {
			t.Errorf("MaxSteps 2 after 2 rejections: %+v", spec)
		}
		for _, nonFin := range []float32{0, 1} {
			spec = compute.Dopri5State{T: 0.5, H: 1e-9, Active: true, Err: 1e9, D0: 1, D1: 1}
			if nonFin != 0 {
				spec.Err = float32(math.NaN())
			}
			put(&spec)
			step(t, "underflow", &spec, compute.Dopri5End, base)
			if want := map[bool]compute.Dopri5Status{false: compute.Dopri5Underflow, true: compute.Dopri5NaNVelocity}[nonFin != 0]; spec.Status != want {
				t.Errorf("tiny h, err %v: status %d, want %d", spec.Err, spec.Status, want)
			}
		}
	})
}

// TestDopri5Ops checks the state's readers: Dopri5Stage equals LinComb with
// the coefficients rounded on the host, Dopri5Time the spec's stage time,
// Dopri5Norm the backend's own ErrNorm, and Dopri5Accept copies only when
// the state says accepted. All exact.
func TestDopri5Ops(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	const n = 1000
	st := b.Alloc(compute.Dopri5StateLen)
	defer b.Free(st)
	spec := compute.Dopri5State{T: 0.3 + 0.1*s.rng.Float64(), H: 0.01 + 0.1*s.rng.Float64(), Last: true}
	words := make([]float32, compute.Dopri5StateLen)
	spec.Encode(words)
	b.Upload(st, words)
	up := func(v []float32) compute.Buffer {
		x := b.Alloc(len(v))
		b.Upload(x, v)
		s.allocs = append(s.allocs, x)
		return x
	}
	x := up(s.normal(n, 1))
	var ks []compute.Buffer
	for range 9 { // more than one launch's 8 terms on the CUDA backend
		ks = append(ks, up(s.normal(n, 1)))
	}
	s.run(t, "stage", func(t *testing.T) {
		coef := []float64{0.1, 0, -2.5, 1.0 / 3, 7, 0, 1e-3, -0.75, 44.0 / 45}
		hc := make([]float32, len(coef))
		for i, c := range coef {
			if c != 0 {
				hc[i] = spec.StageCoef(c)
			}
		}
		for _, m := range []int{1, 7, 9} {
			got, want := up(make([]float32, n)), up(make([]float32, n))
			b.Dopri5Stage(got, x, st, coef[:m], ks[:m])
			b.LinComb(want, x, hc[:m], ks[:m])
			sameBits(t, "Dopri5Stage", download(b, got), download(b, want))
		}
	})
	s.run(t, "time", func(t *testing.T) {
		p := compute.Dopri5Params{T0: 0, T1: 1}
		tb := up(make([]float32, 37))
		for _, c := range []struct {
			c   float64
			end bool
		}{{0.2, false}, {1, false}, {1, true}, {8.0 / 9, true}} {
			b.Dopri5Time(tb, st, c.c, c.end, p)
			sameBits(t, "Dopri5Time", download(b, tb), filled(37, spec.StageTime(c.c, c.end, p)))
		}
	})
	s.run(t, "norm", func(t *testing.T) {
		e, y0, y1 := ks[0], ks[1], ks[2]
		for _, slot := range []int{compute.Dopri5D0, compute.Dopri5D1, compute.Dopri5Err} {
			b.Dopri5Norm(st, slot, e, y0, y1, 1e-3, 1e-4)
			want := b.ErrNorm(e, y0, y1, 1e-3, 1e-4)
			if got := download(b, st)[slot]; math.Float32bits(got) != math.Float32bits(want) {
				t.Errorf("Dopri5Norm into word %d: %v, ErrNorm %v", slot, got, want)
			}
		}
		b.Upload(st, words) // the norms overwrote Err
	})
	s.run(t, "accept", func(t *testing.T) {
		for _, acc := range []bool{false, true} {
			sp := spec
			sp.Accept = acc
			w := make([]float32, compute.Dopri5StateLen)
			sp.Encode(w)
			b.Upload(st, w)
			dst := up(s.normal(n, 1))
			before := download(b, dst)
			b.Dopri5Accept(dst, ks[3], st)
			want := before
			if acc {
				want = download(b, ks[3])
			}
			sameBits(t, fmt.Sprintf("Dopri5Accept (accept %v)", acc), download(b, dst), want)
		}
		b.Upload(st, words)
	})
}
