package sample

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
)

// deviceFixed takes o.Steps equal steps of the fixed-step method tb on the
// velocity v with nothing read back until the end: the stage times come from
// a solver clock on the device (compute.Backend.SolverTime from the step
// clock[0]), the NFE is counted there (SolverTick), and every step queues the
// same operations: per stage the stage input (LinComb), its time, the model
// call(s) and the guidance combination, then the update of x and the tick.
// On a compute.Capturer the first step runs directly (it sizes any scratch,
// as capture requires) and the step is then captured once as one graph and
// replayed for the other Steps-1; on a backend without capture (the CPU, the
// spec) every step runs directly, the same operations. The host waits once,
// for the clock, at the end. The times equal those of Work.fixed, so the
// result is the host-driven solve's bit for bit.
func (w *Work) deviceFixed(tb *tableau, v *Velocity, x compute.Buffer, o Options) (Stats, error) {
	be := w.be
	s := tb.stages()
	bufs := w.buffers(s + 1)
	k, xt := bufs[:s], bufs[s]
	if w.clock == nil {
		w.clock = be.Alloc(2)
	}
	clock := w.clock
	be.Fill(clock, 0)
	t0, t1 := o.span()
	h := (t1 - t0) / float64(o.Steps)
	co := w.scratch(s+1, s)
	for i := range s {
		clear(co[i])
		for j, a := range tb.a[i] {
			co[i][j] = float32(h * a)
		}
		co[s][i] = float32(h * tb.b[i])
	}
	nfe := float32(s)
	if v.Guided() {
		nfe *= 2
	}
	step := func() {
		for i := range s {
			in := x
			if len(tb.a[i]) > 0 { // x + h sum_j a_ij k_j
				be.LinComb(xt, x, co[i], k)
				in = xt
			}
			be.SolverTime(v.t, clock, t0, t1, o.Steps, tb.c[i])
			v.eval(v.t, in, k[i])
		}
		be.LinComb(x, x, co[s], k) // x += h sum_i b_i k_i
		be.SolverTick(clock, nfe)
	}
	step()
	if c, ok := be.(compute.Capturer); ok && o.Steps > 1 {
		g, err := c.CaptureGraph(step)
		if err != nil {
			return Stats{}, fmt.Errorf("sample: capturing a %s step: %w", tb.name, err)
		}
		for range o.Steps - 1 {
			if err := g.Launch(); err != nil {
				g.Close()
				return Stats{}, fmt.Errorf("sample: %w", err)
			}
		}
		if err := g.Close(); err != nil {
			return Stats{}, fmt.Errorf("sample: %w", err)
		}
	} else {
		for range o.Steps - 1 {
			step()
		}
	}
	var cl [2]float32
	be.Download(cl[:], clock)
	return Stats{NFE: int(cl[1]), Accepted: int(cl[0])}, nil
}
