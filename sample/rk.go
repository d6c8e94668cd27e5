package sample

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
)

// tableau is the Butcher tableau of an explicit Runge-Kutta method with s stages:
//
//	k_i = v(t + c_i h, x + h sum_{j<i} a_ij k_j),  i = 1..s
//	x  <- x + h sum_i b_i k_i
//
// a is lower triangular (a[i][j] = 0 for j >= i; rows may be shorter than s).
type tableau struct {
	name  string
	order int
	a     [][]float64 // [s][<s]
	b     []float64   // [s]
	c     []float64   // [s]
}

func (tb *tableau) stages() int { return len(tb.b) }

// Work holds the device buffers of the solvers for states of one length, so
// that repeated solves allocate nothing. A Work is not safe for concurrent use.
type Work struct {
	be    compute.Backend
	n     int              // state length
	bufs  []compute.Buffer // grown on demand, each of n elements
	clock compute.Buffer   // (2) the solver clock of deviceFixed, or nil
	// dstate is the Dopri5 controller state (compute.Dopri5StateLen) and
	// tfield the time of a host Field's evaluation (1), or nil.
	dstate, tfield compute.Buffer
	// host scratch: coefficient rows handed to LinComb (one per stage, plus the
	// update and the error estimate).
	coef [][]float32
}

// NewWork returns a Work for states of n elements on be. Buffers are
// allocated on the first Solve that needs them.
func NewWork(be compute.Backend, n int) *Work {
	if n <= 0 {
		panic(fmt.Sprintf("sample: NewWork: state length %d <= 0", n))
	}
	return &Work{be: be, n: n}
}

// Free releases the Work's buffers; the Work can still be used (it reallocates).
func (w *Work) Free() {
	for _, b := range w.bufs {
		w.be.Free(b)
	}
	w.bufs = nil
	for _, b := range []*compute.Buffer{&w.clock, &w.dstate, &w.tfield} {
		if *b != nil {
			w.be.Free(*b)
			*b = nil
		}
	}
}

// buffers returns m buffers of w.n elements, allocating the missing ones.
func (w *Work) buffers(m int) []compute.Buffer {
	for len(w.bufs) < m {
		w.bufs = append(w.bufs, w.be.Alloc(w.n))
	}
	return w.bufs[:m]
}

// scratch returns m host coefficient rows of length s.
func (w *Work) scratch(m, s int) [][]float32 {
	for len(w.coef) < m {
		w.coef = append(w.coef, nil)
	}
	for i := range m {
		if cap(w.coef[i]) < s {
			w.coef[i] = make([]float32, s)
		}
		w.coef[i] = w.coef[i][:s]
	}
	return w.coef[:m]
}

// Solve integrates x in place from o.T0 to o.T1 with the velocity field f and
// returns the work done. Invalid options are returned as errors before any
// evaluation; a Dopri5 failure leaves x at the last accepted time.
// It panics if x.Len() differs from the Work's length or f is nil.
func (w *Work) Solve(f Field, x compute.Buffer, o Options) (Stats, error) {
	if err := o.Validate(); err != nil {
		return Stats{}, err
	}
	if f == nil {
		panic("sample: Solve: nil Field")
	}
	if x.Len() != w.n {
		panic(fmt.Sprintf("sample: Solve: state has %d elements, Work was made for %d", x.Len(), w.n))
	}
	switch o.Method {
	case Euler:
		return w.fixed(&eulerTableau, f, x, o), nil
	case Midpoint:
		return w.fixed(&midpointTableau, f, x, o), nil
	case Heun:
		return w.fixed(&heunTableau, f, x, o), nil
	case RK4:
		return w.fixed(&rk4Tableau, f, x, o), nil
	case Dopri5:
		if w.tfield == nil {
			w.tfield = w.be.Alloc(1)
		}
		var t [1]float32
		ev := func(tb, x, out compute.Buffer) { // the host Field reads its time
			w.be.Download(t[:], tb)
			f(t[0], x, out)
		}
		return w.dopri5(ev, w.tfield, x, o, 1, false)
	}
	panic("sample: unreachable: validated method " + string(o.Method))
}

// tableaus are the fixed-step methods' tableaus.
var tableaus = map[Method]*tableau{Euler: &eulerTableau, Midpoint: &midpointTableau, Heun: &heunTableau, RK4: &rk4Tableau}

// Solve integrates x in place from o.T0 to o.T1 (default 0 to 1) with the
// velocity field f on be, using buffers allocated for this call and freed at
// its end. See Work.Solve.
func Solve(be compute.Backend, f Field, x compute.Buffer, o Options) (Stats, error) {
	if err := o.Validate(); err != nil {
		return Stats{}, err
	}
	w := NewWork(be, x.Len())
	defer w.Free()
	return w.Solve(f, x, o)
}

// fixed takes o.Steps equal steps of the explicit Runge-Kutta method tb:
// h = (T1-T0)/Steps, step m runs from t_m = T0 + m h to t_{m+1}. Buffers:
// s stage velocities and one stage input.
func (w *Work) fixed(tb *tableau, f Field, x compute.Buffer, o Options) Stats {
	s := tb.stages()
	bufs := w.buffers(s + 1)
	k, xt := bufs[:s], bufs[s]
	t0, t1 := o.span()
	h := (t1 - t0) / float64(o.Steps)
	// rows 0..s-1: h*a_i; row s: h*b.
	co := w.scratch(s+1, s)
	for i := range s {
		clear(co[i])
		for j, a := range tb.a[i] {
			co[i][j] = float32(h * a)
		}
		co[s][i] = float32(h * tb.b[i])
	}
	// time at fraction u of step m; the last step ends exactly on T1.
	at := func(m int, u float64) float64 {
		if m == o.Steps-1 && u == 1 {
			return t1
		}
		return t0 + (float64(m)+u)*(t1-t0)/float64(o.Steps)
	}
	if o.Observe != nil {
		o.Observe(0, float32(t0), x)
	}
	for m := range o.Steps {
		for i := range s {
			in := x
			if len(tb.a[i]) > 0 { // x + h sum_j a_ij k_j
				w.be.LinComb(xt, x, co[i], k)
				in = xt
			}
			f(float32(at(m, tb.c[i])), in, k[i])
		}
		w.be.LinComb(x, x, co[s], k) // x += h sum_i b_i k_i
		if o.Observe != nil {
			o.Observe(m+1, float32(at(m, 1)), x)
		}
	}
	return Stats{NFE: s * o.Steps, Accepted: o.Steps}
}
