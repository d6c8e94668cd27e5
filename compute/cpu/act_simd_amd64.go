//go:build goexperiment.simd && amd64

package cpu

// GELU and SiLU (forward and backward) on 8 float32 lanes with AVX2+FMA
// (simd/archsimd, GOEXPERIMENT=simd). The math is that of nn.go: gelu(x) =
// x sigmoid(2u), u = sqrt(2/pi)(x + 0.044715 x^3), silu(x) = x sigmoid(x),
// with sigmoid(z) = 1/(1 + e^-z) and e^t from expf8, the lane-wise version
// of expf (mathf.go). Like expf it gives 0 below -87 (the attention's
// probabilities, like the spec's, are then exactly 0); instead of expf's +Inf
// above 88 it clamps the argument, so e^t stays finite and 1/(1 + e^t) is at
// most 1/(1 + e^88) ~ 6e-39 rather than exactly 0. Tails (len % 8) and
// CPUs without AVX2/FMA use the scalar loops, which match nn.go's originals.

import "simd/archsimd"

// actSIMD reports whether the vector loops may run on this CPU.
var actSIMD = sgemmHasAVX2()

// expf8 is expf on 8 lanes, 0 below -87 and its argument clamped to 88: x = k ln2
// + r (k = floor(x log2e + 1/2), ln2 split in hi and lo parts), e^r by its
// degree-7 Taylor polynomial, times 2^k built in the exponent bits.
func expf8(x archsimd.Float32x8) archsimd.Float32x8 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	under := x.Less(archsimd.BroadcastFloat32x8(-87))                                // e^x is 0 there, as in expf
	x = archsimd.BroadcastFloat32x8(88).Min(archsimd.BroadcastFloat32x8(-87).Max(x)) // (a NaN x passes both)
	kf := x.Mul(archsimd.BroadcastFloat32x8(log2e)).Add(archsimd.BroadcastFloat32x8(0.5)).Floor()
	r := kf.MulAdd(archsimd.BroadcastFloat32x8(-ln2hi), x) // exact: k ln2hi is exact
	r = kf.MulAdd(archsimd.BroadcastFloat32x8(-ln2lo), r)
	p := archsimd.BroadcastFloat32x8(1.0 / 5040)
	p = p.MulAdd(r, archsimd.BroadcastFloat32x8(1.0/720))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x8(1.0/120))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x8(1.0/24))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x8(1.0/6))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x8(0.5))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x8(1))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x8(1))
	scale := kf.ConvertToInt32().Add(archsimd.BroadcastInt32x8(127)).ShiftAllLeft(23).AsFloat32x8()
	return p.Mul(scale).AsInt32x8().AndNot(under.ToInt32x8()).AsFloat32x8()
}

// geluExpArg8 returns -2u = -2 sqrt(2/pi) x (1 + 0.044715 x^2), so that
// sigmoid(2u) = 1/(1 + e^(-2u)).
func geluExpArg8(v archsimd.Float32x8) archsimd.Float32x8 {
	t := v.Mul(v).MulAdd(archsimd.BroadcastFloat32x8(0.044715), archsimd.BroadcastFloat32x8(1))
	return v.Mul(archsimd.BroadcastFloat32x8(-2 * geluC)).Mul(t)
}

func geluSlice(ys, xs []float32) {
	n := len(xs)
	ys = ys[:n]
	i := 0
	if actSIMD512 {
		i = n &^ 15
		gelu16(ys, xs, i)
	}
	if actSIMD {
		one := archsimd.BroadcastFloat32x8(1)
		for ; i+8 <= n; i += 8 {
			v := archsimd.LoadFloat32x8Slice(xs[i:])
			e := expf8(geluExpArg8(v))
			v.Div(one.Add(e)).StoreSlice(ys[i:]) // x sigmoid(2u)
		}
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	geluScalar(ys[i:], xs[i:])
}

func geluBackwardSlice(dxs, dys, xs []float32) {
	n := len(xs)
	dxs, dys = dxs[:n], dys[:n]
	i := 0
	if actSIMD512 {
		i = n &^ 15
		geluBackward16(dxs, dys, xs, i)
	}
	if actSIMD {
		one := archsimd.BroadcastFloat32x8(1)
		for ; i+8 <= n; i += 8 {
			v := archsimd.LoadFloat32x8Slice(xs[i:])
			s := one.Div(one.Add(expf8(geluExpArg8(v))))
			// s + 2 x s (1-s) sqrt(2/pi) (1 + 3*0.044715 x^2)
			q := v.Mul(v).MulAdd(archsimd.BroadcastFloat32x8(3*0.044715), one)
			w := v.Mul(archsimd.BroadcastFloat32x8(2 * geluC)).Mul(s).Mul(one.Sub(s))
			g := w.MulAdd(q, s)
			g.Mul(archsimd.LoadFloat32x8Slice(dys[i:])).StoreSlice(dxs[i:])
		}
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	geluBackwardScalar(dxs[i:], dys[i:], xs[i:])
}

func siluSlice(ys, xs []float32) {
	n := len(xs)
	ys = ys[:n]
	i := 0
	if actSIMD {
		one := archsimd.BroadcastFloat32x8(1)
		zero := archsimd.BroadcastFloat32x8(0)
		for ; i+8 <= n; i += 8 {
			v := archsimd.LoadFloat32x8Slice(xs[i:])
			v.Div(one.Add(expf8(zero.Sub(v)))).StoreSlice(ys[i:]) // x sigmoid(x)
		}
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	siluScalar(ys[i:], xs[i:])
}

func siluBackwardSlice(dxs, dys, xs []float32) {
	n := len(xs)
	dxs, dys = dxs[:n], dys[:n]
	i := 0
	if actSIMD {
		one := archsimd.BroadcastFloat32x8(1)
		zero := archsimd.BroadcastFloat32x8(0)
		for ; i+8 <= n; i += 8 {
			v := archsimd.LoadFloat32x8Slice(xs[i:])
			s := one.Div(one.Add(expf8(zero.Sub(v))))
			g := v.MulAdd(one.Sub(s), one).Mul(s) // s (1 + x (1-s))
			g.Mul(archsimd.LoadFloat32x8Slice(dys[i:])).StoreSlice(dxs[i:])
		}
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	siluBackwardScalar(dxs[i:], dys[i:], xs[i:])
}

// expShiftSlice sets x[i] = e^(x[i]-c) (expf8, 8 lanes at a time, the tail
// through a zero-padded vector) and returns their sum: the lanes' partial sums
// added in lane order, then the tail's elements. No scalar float value is live
// across the expf8 calls: its spill and reload would be SSE instructions with
// a dirty upper state (see doc.go).
func expShiftSlice(x []float32, c float32) float32 {
	if !actSIMD || len(x) < 8 {
		return expShiftScalar(x, c) // (a row shorter than a vector: no copies)
	}
	n := len(x)
	cv := archsimd.BroadcastFloat32x8(c)
	var acc archsimd.Float32x8
	i := 0
	for ; i+8 <= n; i += 8 {
		e := expf8(archsimd.LoadFloat32x8Slice(x[i:]).Sub(cv))
		e.StoreSlice(x[i:])
		acc = acc.Add(e)
	}
	var t, u [8]float32
	acc.Store(&t)
	if i < n {
		copy(u[:], x[i:])
		expf8(archsimd.LoadFloat32x8(&u).Sub(cv)).Store(&u)
	}
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	copy(x[i:], u[:n-i])
	var s float32
	for _, v := range t {
		s += v
	}
	for _, v := range u[:n-i] {
		s += v
	}
	return s
}

// expSubSlice sets x[i] = e^(x[i]-c[i]) (expf8 on 8 lanes, the tail by expf).
func expSubSlice(x, c []float32) {
	n := len(x)
	c = c[:n]
	i := 0
	if actSIMD {
		for ; i+8 <= n; i += 8 {
			expf8(archsimd.LoadFloat32x8Slice(x[i:]).Sub(archsimd.LoadFloat32x8Slice(c[i:]))).StoreSlice(x[i:])
		}
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	expSubScalar(x[i:], c[i:])
}
