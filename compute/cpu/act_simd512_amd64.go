//go:build goexperiment.simd && amd64

package cpu

// GELU on 16 lanes (AVX-512): expf16 and geluExpArg16 are expf8 and
// geluExpArg8 operation for operation, so an element gets the same bits
// whether a 16-lane or an 8-lane vector computes it, and the results stay
// independent of where the parallel loops split (multiples of 8).

import "simd/archsimd"

// actSIMD512 reports whether the 16-lane loops may run on this CPU.
var actSIMD512 = actSIMD && archsimd.X86.AVX512()

// expf16 is expf8 on 16 lanes.
func expf16(x archsimd.Float32x16) archsimd.Float32x16 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	under := x.Less(archsimd.BroadcastFloat32x16(-87))
	x = archsimd.BroadcastFloat32x16(88).Min(archsimd.BroadcastFloat32x16(-87).Max(x)) // (a NaN x passes both)
	kf := x.Mul(archsimd.BroadcastFloat32x16(log2e)).Add(archsimd.BroadcastFloat32x16(0.5)).FloorScaled(0)
	r := kf.MulAdd(archsimd.BroadcastFloat32x16(-ln2hi), x)
	r = kf.MulAdd(archsimd.BroadcastFloat32x16(-ln2lo), r)
	p := archsimd.BroadcastFloat32x16(1.0 / 5040)
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(1.0/720))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(1.0/120))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(1.0/24))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(1.0/6))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(0.5))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(1))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(1))
	scale := kf.ConvertToInt32().Add(archsimd.BroadcastInt32x16(127)).ShiftAllLeft(23).AsFloat32x16()
	return p.Mul(scale).AsInt32x16().AndNot(under.ToInt32x16()).AsFloat32x16()
}

// geluExpArg16 is geluExpArg8 on 16 lanes.
func geluExpArg16(v archsimd.Float32x16) archsimd.Float32x16 {
	t := v.Mul(v).MulAdd(archsimd.BroadcastFloat32x16(0.044715), archsimd.BroadcastFloat32x16(1))
	return v.Mul(archsimd.BroadcastFloat32x16(-2 * geluC)).Mul(t)
}

// gelu16 sets ys[i] = gelu(xs[i]) for i < n (a multiple of 16), as geluSlice's
// 8-lane loop does.
func gelu16(ys, xs []float32, n int) {
	one := archsimd.BroadcastFloat32x16(1)
	for i := 0; i+16 <= n; i += 16 {
		v := archsimd.LoadFloat32x16Slice(xs[i:])
		e := expf16(geluExpArg16(v))
		v.Div(one.Add(e)).StoreSlice(ys[i:])
	}
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// geluBackward16 is geluBackwardSlice's 8-lane loop on 16 lanes, for i < n
// (a multiple of 16).
func geluBackward16(dxs, dys, xs []float32, n int) {
	one := archsimd.BroadcastFloat32x16(1)
	for i := 0; i+16 <= n; i += 16 {
		v := archsimd.LoadFloat32x16Slice(xs[i:])
		s := one.Div(one.Add(expf16(geluExpArg16(v))))
		q := v.Mul(v).MulAdd(archsimd.BroadcastFloat32x16(3*0.044715), one)
		w := v.Mul(archsimd.BroadcastFloat32x16(2 * geluC)).Mul(s).Mul(one.Sub(s))
		g := w.MulAdd(q, s)
		g.Mul(archsimd.LoadFloat32x16Slice(dys[i:])).StoreSlice(dxs[i:])
	}
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}
