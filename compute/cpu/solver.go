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
