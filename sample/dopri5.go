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

// Step-size control constants (Hairer et al., Solving ODEs I, II.4, eq. 4.13).
const (
	dopri5Safety = 0.9  // fac: the new step aims at err = 0.9^5 ~ 0.59
	dopri5FacMin = 0.2  // the step shrinks at most 5x per step
	dopri5FacMax = 10.0 // and grows at most 10x
	// the controller exponent is -1/5: 1/(q+1) with q = 4 the order of the embedded solution.
	dopri5Expo = 1.0 / 5
	// uround is the unit roundoff of float32 (2^-24): a step with
	// 0.1 |h| <= uround max(|t|, |T1-T0|) hardly moves the float32 time and
	// counts as an underflow (Hairer et al.'s test, with the span as a floor
	// so that it also works near t = 0).
	uround = 1.0 / (1 << 24)
)

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
// ends this way). Buffers: k1..k7, the stage input / x1, and e; the host reads
// one scalar (err) per attempted step.
func (w *Work) dopri5(f Field, x compute.Buffer, o Options) (Stats, error) {
	be := w.be
	tb := &dopri5Tableau
	const s = 7
	bufs := w.buffers(s + 2)
	k := bufs[:s:s] // permuted on accept (FSAL swap); all stay owned by w
	xt, e := bufs[s], bufs[s+1]
	co := w.scratch(s+1, s) // rows 1..6: h*a_i (inputs of stages 2..7); row 7: h*(b-b*)
	rtol, atol := o.Rtol, o.Atol
	maxSteps := o.MaxSteps
	if maxSteps == 0 {
		maxSteps = DefaultMaxSteps
	}
	t0, t1 := o.span()
	dir := 1.0
	if t1 < t0 {
		dir = -1
	}

	var st Stats
	eval := func(t float64, in, out compute.Buffer) {
		f(float32(t), in, out)
		st.NFE++
	}
	eval(t0, x, k[0])

	// first step
	d0 := float64(be.ErrNorm(x, x, x, rtol, atol))
	d1 := float64(be.ErrNorm(k[0], x, x, rtol, atol))
	if !isFinite(d0) || !isFinite(d1) {
		return st, fmt.Errorf("sample: dopri5: state or velocity is not finite at t = %g", t0)
	}
	var h float64
	if o.H0 != 0 {
		h = math.Abs(float64(o.H0))
	} else {
		h0 := 1e-6
		if d0 >= 1e-5 && d1 >= 1e-5 {
			h0 = 0.01 * d0 / d1
		}
		h0 = math.Min(h0, math.Abs(t1-t0))
		// x0 + h0 v(T0, x0) -> xt, its velocity -> k[1], the difference -> e
		co[0][0] = float32(dir * h0)
		be.LinComb(xt, x, co[0][:1], k[:1])
		eval(t0+dir*h0, xt, k[1])
		co[0][0] = -1
		be.LinComb(e, k[1], co[0][:1], k[:1])
		d2 := float64(be.ErrNorm(e, x, x, rtol, atol)) / h0
		var h1 float64
		if m := math.Max(d1, d2); !(m > 1e-15) { // also catches a NaN d2
			h1 = math.Max(1e-6, h0*1e-3)
		} else {
			h1 = math.Pow(0.01/m, dopri5Expo)
		}
		h = math.Min(100*h0, h1)
	}
	h = dir * math.Min(h, math.Abs(t1-t0))

	if o.Observe != nil {
		o.Observe(0, float32(t0), x)
	}
	t := t0
	rejectedLast := false
	nonFinite := false // the last error estimate was NaN or Inf
	for {
		if st.Accepted+st.Rejected >= maxSteps {
			return st, fmt.Errorf("sample: dopri5: gave up after %d attempted steps at t = %g of [%g, %g] (loosen rtol/atol or raise max steps)",
				maxSteps, t, t0, t1)
		}
		last := false
		if dir*(t+1.01*h-t1) >= 0 {
			h = t1 - t
			last = true
		}
		if 0.1*math.Abs(h) <= math.Max(math.Abs(t), math.Abs(t1-t0))*uround {
			if nonFinite {
				return st, fmt.Errorf("sample: dopri5: velocity is not finite near t = %g (step size %g underflows)", t, h)
			}
			return st, fmt.Errorf("sample: dopri5: step size %g underflows at t = %g (tolerance too tight for float32, or the field is not smooth there)", h, t)
		}

		// stages 2..7; the input of stage 7 is x1.
		for i := 1; i < s; i++ {
			clear(co[i])
			for j, a := range tb.a[i] {
				co[i][j] = float32(h * a)
			}
			be.LinComb(xt, x, co[i], k)
			ti := t + tb.c[i]*h
			if i == s-1 && last {
				ti = t1
			}
			eval(ti, xt, k[i])
		}
		for j, ej := range dopri5E {
			co[s][j] = float32(h * ej)
		}
		be.Fill(e, 0)
		be.LinComb(e, e, co[s], k)
		errn := float64(be.ErrNorm(e, x, xt, rtol, atol))
		nonFinite = !isFinite(errn)

		if errn <= 1 {
			st.Accepted++
			be.Copy(x, xt)
			k[0], k[s-1] = k[s-1], k[0]
			if last {
				t = t1
			} else {
				t += h
			}
			if o.Observe != nil {
				o.Observe(st.Accepted, float32(t), x)
			}
			if last {
				return st, nil
			}
			fac := dopri5FacMax
			if errn > 0 {
				fac = math.Min(dopri5FacMax, math.Max(dopri5FacMin, dopri5Safety*math.Pow(errn, -dopri5Expo)))
			}
			if rejectedLast {
				fac = math.Min(fac, 1)
			}
			h *= fac
			rejectedLast = false
		} else {
			st.Rejected++
			fac := dopri5FacMin
			if isFinite(errn) {
				fac = math.Max(dopri5FacMin, dopri5Safety*math.Pow(errn, -dopri5Expo))
			}
			h *= fac
			rejectedLast = true
		}
	}
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
