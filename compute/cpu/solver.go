package cpu

import "github.com/latentflow/latentflow/compute"

// SolverTime sets t to the stage time at fraction c of step clock[0] of a
// fixed-step solve (compute.Backend.SolverTime); the spec of kernels/solver.cu.
func (be *Backend) SolverTime(t, clock compute.Buffer, t0, t1 float64, steps int, c float64) {
	m := float64(Data(clock)[0])
	tm := t1
	if !(m == float64(steps-1) && c == 1) {
		// one rounding per operation: Go does not fuse on amd64, and the
		// explicit conversions forbid it elsewhere.
		p := float64((m + c) * (t1 - t0))
		tm = t0 + float64(p/float64(steps))
	}
	v := float32(tm)
	d := Data(t)
	for i := range d {
		d[i] = v
	}
}

// SolverTick advances a solver clock: clock[0] += 1, clock[1] += nfe.
func (be *Backend) SolverTick(clock compute.Buffer, nfe float32) {
	d := Data(clock)
	d[0]++
	d[1] += nfe
}

// Dopri5Norm sets st[slot] = ErrNorm(e, y0, y1, rtol, atol).
func (be *Backend) Dopri5Norm(st compute.Buffer, slot int, e, y0, y1 compute.Buffer, rtol, atol float32) {
	w := dopri5Words(st)
	need(slot == compute.Dopri5D0 || slot == compute.Dopri5D1 || slot == compute.Dopri5Err, "Dopri5Norm: slot %d is not a norm word", slot)
	w[slot] = be.ErrNorm(e, y0, y1, rtol, atol)
}

// Dopri5Control runs a controller operation on the state words: the spec
// itself, compute.Dopri5State.Control.
func (be *Backend) Dopri5Control(st compute.Buffer, ctl compute.Dopri5Ctl, p compute.Dopri5Params) {
	w := dopri5Words(st)
	var s compute.Dopri5State
	s.Decode(w)
	s.Control(ctl, p)
	s.Encode(w)
}

// Dopri5Stage sets dst = x + sum_i float32(h coef[i]) ks[i] through LinComb.
func (be *Backend) Dopri5Stage(dst, x, st compute.Buffer, coef []float64, ks []compute.Buffer) {
	var s compute.Dopri5State
	s.Decode(dopri5Words(st))
	need(len(coef) == len(ks), "Dopri5Stage: %d coefficients for %d buffers", len(coef), len(ks))
	cs := make([]float32, len(coef))
	for i, c := range coef {
		if c != 0 {
			cs[i] = s.StageCoef(c)
		}
	}
	be.LinComb(dst, x, cs, ks)
}

// Dopri5Time fills t with the state's stage time.
func (be *Backend) Dopri5Time(t, st compute.Buffer, c float64, end bool, p compute.Dopri5Params) {
	var s compute.Dopri5State
	s.Decode(dopri5Words(st))
	v := s.StageTime(c, end, p)
	d := Data(t)
	for i := range d {
		d[i] = v
	}
}

// Dopri5Accept copies src to dst when the state's Accept word is set.
func (be *Backend) Dopri5Accept(dst, src, st compute.Buffer) {
	if dopri5Words(st)[compute.Dopri5Accept] != 0 {
		be.Copy(dst, src)
	}
}

func dopri5Words(st compute.Buffer) []float32 {
	w := Data(st)
	need(len(w) == compute.Dopri5StateLen, "Dopri5 state has %d words, want %d", len(w), compute.Dopri5StateLen)
	return w
}
