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
