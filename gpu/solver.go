//go:build cuda || cudaemu

package gpu

import "github.com/latentflow/latentflow/compute"

// Launch wrappers of kernels/solver.cu: the solver clock of the
// device-resident sampler (sample/device.go). Neither reads back.

// SolverTime sets t to the stage time at fraction c of step clock[0] (kernel
// solver_time). Matches cpu Backend.SolverTime bit for bit.
func (be *Backend) SolverTime(t, clock compute.Buffer, t0, t1 float64, steps int, c float64) {
	tb, cb := be.buf(t), be.buf(clock)
	need(cb.n == 2, "SolverTime: clock has %d elements, want 2", cb.n)
	be.enter()
	defer be.leave()
	g, th := elem(tb.n)
	be.launch("solver_time", g, th, 0, tb.p, cb.p, tb.n, t0, t1, steps, c)
}

// SolverTick adds 1 to clock[0] and nfe to clock[1] (kernel solver_tick).
// Matches cpu Backend.SolverTick.
func (be *Backend) SolverTick(clock compute.Buffer, nfe float32) {
	cb := be.buf(clock)
	need(cb.n == 2, "SolverTick: clock has %d elements, want 2", cb.n)
	be.enter()
	defer be.leave()
	be.launch("solver_tick", d1(1), d1(32), 0, cb.p, nfe)
}

// dopri5State returns the device buffer of a Dopri5 controller state.
func (be *Backend) dopri5State(st compute.Buffer, op string) *Buf {
	sb := be.buf(st)
	need(sb.n == compute.Dopri5StateLen, "%s: the state has %d words, want %d", op, sb.n, compute.Dopri5StateLen)
	return sb
}

// Dopri5Norm writes ErrNorm(e, y0, y1) into word slot of st: reduce_errnorm
// finished into the word (one launch), with nothing read back. Matches cpu
// Backend.Dopri5Norm up to the order of the float64 partial sums (as ErrNorm).
func (be *Backend) Dopri5Norm(st compute.Buffer, slot int, e, y0, y1 compute.Buffer, rtol, atol float32) {
	sb := be.dopri5State(st, "Dopri5Norm")
	need(slot == compute.Dopri5D0 || slot == compute.Dopri5D1 || slot == compute.Dopri5Err, "Dopri5Norm: slot %d is not a norm word", slot)
	eb, a, b := be.buf(e), be.buf(y0), be.buf(y1)
	need(eb.n == a.n && a.n == b.n, "Dopri5Norm lengths")
	be.enter()
	defer be.leave()
	g, t := red(eb.n)
	be.reduce("reduce_errnorm", g, t, sb.p+devptr(4*slot), float64(max(eb.n, 1)), 1, 1, eb.p, a.p, b.p, eb.n, rtol, atol)
}

// Dopri5Control runs a controller operation on one thread (kernel
// dopri5_control). Matches cpu Backend.Dopri5Control: the same float64
// operations in the same order, except that pow is the device's (within
// an ulp or two of Go's math.Pow).
func (be *Backend) Dopri5Control(st compute.Buffer, ctl compute.Dopri5Ctl, p compute.Dopri5Params) {
	sb := be.dopri5State(st, "Dopri5Control")
	be.enter()
	defer be.leave()
	be.launch("dopri5_control", d1(1), d1(32), 0, sb.p, int(ctl), p.T0, p.T1, p.H0, p.MaxSteps, p.EvalNFE)
}

// Dopri5Stage sets dst = x + sum_i float32(h coef[i]) ks[i] (kernel
// dopri5_stage, up to 8 terms per launch, chained in order beyond). Matches
// cpu Backend.Dopri5Stage.
func (be *Backend) Dopri5Stage(dst, x, st compute.Buffer, coef []float64, ks []compute.Buffer) {
	sb := be.dopri5State(st, "Dopri5Stage")
	termKernel(be, "Dopri5Stage", "dopri5_stage", dst, x, coef, ks, sb.p)
}

// Dopri5Time fills t with the state's stage time (kernel dopri5_time).
// Matches cpu Backend.Dopri5Time bit for bit.
func (be *Backend) Dopri5Time(t, st compute.Buffer, c float64, end bool, p compute.Dopri5Params) {
	tb := be.buf(t)
	sb := be.dopri5State(st, "Dopri5Time")
	e := 0
	if end {
		e = 1
	}
	be.enter()
	defer be.leave()
	g, th := elem(tb.n)
	be.launch("dopri5_time", g, th, 0, tb.p, sb.p, tb.n, c, e, p.T1)
}

// Dopri5Accept copies src to dst when the state's Accept word is set
// (kernel dopri5_accept). Matches cpu Backend.Dopri5Accept.
func (be *Backend) Dopri5Accept(dst, src, st compute.Buffer) {
	d, s := be.buf(dst), be.buf(src)
	sb := be.dopri5State(st, "Dopri5Accept")
	need(d.n == s.n, "Dopri5Accept lengths %d, %d", d.n, s.n)
	be.enter()
	defer be.leave()
	g, t := elem(d.n)
	be.launch("dopri5_accept", g, t, 0, d.p, s.p, sb.p, d.n)
}
