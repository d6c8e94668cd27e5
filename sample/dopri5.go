package sample

import (
	"fmt"
	"math"

	"github.com/latentflow/latentflow/compute"
)

// dopri5Tableau is the Dormand-Prince 5(4) pair (Dormand & Prince 1980;
// Hairer, Norsett and Wanner, Solving ODEs I, Table 5.2 "Dormand-Prince 5(4)"):
// seven stages, b the 5th-order weights (equal to the last row of a, so the
// 7th stage is v at the new point: FSAL, "first same as last").
var dopri5Tableau = tableau{
	name:  "dopri5",
	order: 5,
	a: [][]float64{
		{},
		{1.0 / 5},
		{3.0 / 40, 9.0 / 40},
		{44.0 / 45, -56.0 / 15, 32.0 / 9},
		{19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
		{9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
		{35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
	},
	b: []float64{35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0},
	c: []float64{0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1},
}

// dopri5BStar are the embedded 4th-order weights b* of Table 5.2.
var dopri5BStar = []float64{5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40}

// dopri5E are the error weights b - b*, written out from the fractions above:
// the local error estimate is e = h sum_i E_i k_i.
var dopri5E = []float64{71.0 / 57600, 0, -71.0 / 16695, 71.0 / 1920, -17253.0 / 339200, 22.0 / 525, -1.0 / 40}

// dopri5Poll is K, the attempted steps queued between two looks at the
// controller state when nothing needs the host between steps (Generate
// without Observe). A look is one wait for the device (the state is 64
// bytes); attempts queued after the solve has ended do nothing useful
// (the controller ignores them and x is not touched) but their kernels still
// run. So K trades host waits, about ceil(attempts / K), against at most K-1
// idle attempts. Solves of the checkerboard model at the default tolerance
// take 10-30 attempts: K = 4 waits 3-8 times a trajectory instead of once an
// attempt and wastes 1.5 attempts (9 model evaluations) on average; at gpu-m
// a wait (~10 us) is far below an attempt (six forward passes), and at the
// toy sizes one attempt (~300 launches) is still well above a wait, so
// neither extreme pays. The CUDA driver's conditional graph nodes (a while
// loop in the graph, CUDA 12.4) would remove the looks altogether, but
// neither gorgonia.org/cu nor the emulated device has them, and CUDA 11.8
// (what CI compiles with) predates them.
const dopri5Poll = 4

// dopri5 integrates with the adaptive Dormand-Prince 5(4) pair. One attempted
// step from (t, x) with size h, given k1 = v(t, x) from the previous step:
//
//	k_i = v(t + c_i h, x + h sum_{j<i} a_ij k_j),  i = 2..7
//	x1  = x + h sum_i b_i k_i          (the input of stage 7)
//	e   = h sum_i (b_i - b*_i) k_i     (the local error of the 4th-order solution)
//	err = ErrNorm(e, x, x1, rtol, atol)
//	    = sqrt(mean_i (e_i / (atol + rtol max(|x_i|, |x1_i|)))^2)
//
// The step is accepted when err <= 1: x <- x1, t <- t + h, k1 <- k7 (FSAL).
// In both cases h <- h * min(facmax, max(facmin, 0.9 err^(-1/5))) with facmin
// 0.2 and facmax 10, except that facmax is 1 for the step right after a
// rejection (Hairer et al. II.4) and a NaN or Inf err counts as a rejection
// with the factor 0.2. When t + 1.01 h reaches T1 the step is clipped to
// h = T1 - t, so the last step lands exactly on T1 without leaving a sliver.
//
// The first step is Options.H0 when given, otherwise the starting step size
// algorithm of Hairer et al. II.4 (p. 169) with norms ||.|| = ErrNorm(., x0, x0):
//
//	d0 = ||x0||, d1 = ||v(T0, x0)||
//	h0 = 0.01 d0/d1 (1e-6 if d0 or d1 < 1e-5)
//	d2 = ||v(T0 + h0, x0 + h0 v(T0, x0)) - v(T0, x0)|| / h0
//	h1 = (0.01 / max(d1, d2))^(1/5) (max(1e-6, 1e-3 h0) if max(d1, d2) <= 1e-15)
//	h  = min(100 h0, h1, |T1 - T0|)
//
// which costs one evaluation.
//
// The solve fails with an error, leaving x at the last accepted time, when x0
// or v(T0, x0) is not finite, after MaxSteps attempted steps, or when the step
// underflows: 0.1 |h| <= 2^-24 max(|t|, |T1 - T0|) (a NaN velocity met later
// ends this way).
//
// Everything above runs on the device: t, h, the norms, the decision and the
// counts are a controller state (compute.Dopri5State, its spec) updated by
// backend operations that read nothing back, and an attempt is a fixed
// sequence of operations. ev evaluates the field at the times held in tb
// (evalNFE model evaluations each). With poll the host looks at the state
// after every dopri5Poll attempts (and a backend that captures replays one
// captured attempt); otherwise after every attempt, which Observe and a
// host-side Field need. Buffers: k1..k7, the stage input / x1, the error
// estimate and the state.
func (w *Work) dopri5(ev func(tb, x, out compute.Buffer), tb, x compute.Buffer, o Options, evalNFE float32, poll bool) (Stats, error) {
	be := w.be
	tab := &dopri5Tableau
	const s = 7
	bufs := w.buffers(s + 2)
	k := bufs[:s:s]
	xt, e := bufs[s], bufs[s+1]
	if w.dstate == nil {
		w.dstate = be.Alloc(compute.Dopri5StateLen)
	}
	st := w.dstate
	be.Fill(st, 0)
	maxSteps := o.MaxSteps
	if maxSteps == 0 {
		maxSteps = DefaultMaxSteps
	}
	t0, t1 := o.span()
	p := compute.Dopri5Params{T0: t0, T1: t1, Rtol: o.Rtol, Atol: o.Atol, H0: math.Abs(float64(o.H0)), MaxSteps: maxSteps, EvalNFE: evalNFE}
	rtol, atol := o.Rtol, o.Atol

	// the first evaluation and the first step
	be.Fill(tb, float32(t0))
	ev(tb, x, k[0])
	be.Dopri5Norm(st, compute.Dopri5D0, x, x, x, rtol, atol)
	be.Dopri5Norm(st, compute.Dopri5D1, k[0], x, x, rtol, atol)
	be.Dopri5Control(st, compute.Dopri5Start, p)
	if p.H0 == 0 { // the trial evaluation at T0 + dir h0 (h holds h0 > 0)
		dir := 1.0
		if t1 < t0 {
			dir = -1
		}
		be.Dopri5Stage(xt, x, st, []float64{dir}, k[:1])
		be.Dopri5Time(tb, st, dir, false, p)
		ev(tb, xt, k[1])
		be.LinComb(e, k[1], []float32{-1}, k[:1])
		be.Dopri5Norm(st, compute.Dopri5Err, e, x, x, rtol, atol)
		be.Dopri5Control(st, compute.Dopri5StartH, p)
	}

	attempt := func() {
		for i := 1; i < s; i++ { // stages 2..7; the input of stage 7 is x1
			be.Dopri5Stage(xt, x, st, tab.a[i], k[:i])
			be.Dopri5Time(tb, st, tab.c[i], i == s-1, p)
			ev(tb, xt, k[i])
		}
		be.Fill(e, 0)
		be.Dopri5Stage(e, e, st, dopri5E, k)
		be.Dopri5Norm(st, compute.Dopri5Err, e, x, xt, rtol, atol)
		be.Dopri5Control(st, compute.Dopri5End, p)
		be.Dopri5Accept(x, xt, st)        // x <- x1
		be.Dopri5Accept(k[0], k[s-1], st) // FSAL: k1 <- k7
	}
	var words [compute.Dopri5StateLen]float32
	var cs compute.Dopri5State
	look := func() {
		be.Download(words[:], st)
		cs.Decode(words[:])
	}
	look()
	if o.Observe != nil && !cs.Ended() {
		o.Observe(0, float32(t0), x)
	}
	var g compute.Graph
	defer func() {
		if g != nil {
			g.Close()
		}
	}()
	c, capture := be.(compute.Capturer)
	for !cs.Ended() {
		if !poll {
			attempt()
			look()
			if o.Observe != nil && cs.Accept {
				o.Observe(int(cs.Accepted), float32(cs.T), x)
			}
			continue
		}
		if g == nil && capture {
			attempt() // sizes the scratch, as capture requires; a real attempt
			var err error
			if g, err = c.CaptureGraph(attempt); err != nil {
				return Stats{}, fmt.Errorf("sample: capturing a dopri5 attempt: %w", err)
			}
			for range dopri5Poll - 1 {
				if err := g.Launch(); err != nil {
					return Stats{}, err
				}
			}
		} else {
			for range dopri5Poll {
				if g != nil {
					if err := g.Launch(); err != nil {
						return Stats{}, err
					}
				} else {
					attempt()
				}
			}
		}
		look()
	}
	stats := Stats{NFE: int(cs.NFE), Accepted: int(cs.Accepted), Rejected: int(cs.Rejected)}
	if g != nil {
		err := g.Close()
		g = nil
		if err != nil {
			return stats, err
		}
	}
	switch cs.Status {
	case compute.Dopri5NotFinite:
		return stats, fmt.Errorf("sample: dopri5: state or velocity is not finite at t = %g", t0)
	case compute.Dopri5TooMany:
		return stats, fmt.Errorf("sample: dopri5: gave up after %d attempted steps at t = %g of [%g, %g] (loosen rtol/atol or raise max steps)",
			maxSteps, cs.T, t0, t1)
	case compute.Dopri5NaNVelocity:
		return stats, fmt.Errorf("sample: dopri5: velocity is not finite near t = %g (step size %g underflows)", cs.T, cs.H)
	case compute.Dopri5Underflow:
		return stats, fmt.Errorf("sample: dopri5: step size %g underflows at t = %g (tolerance too tight for float32, or the field is not smooth there)", cs.H, cs.T)
	}
	return stats, nil
}
