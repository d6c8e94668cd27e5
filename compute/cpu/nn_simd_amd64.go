//go:build goexperiment.simd && amd64

package cpu

// Column sums and row additions on vector lanes (AVX, simd/archsimd). Each
// lane does exactly what the scalar loop of nn_scalar.go does for its column
// (the same float64 sum in the same row order, the same float32 addition), so
// the results are bit for bit those of the portable build.

import "simd/archsimd"

// colSums64 adds sum_{r<N} float64(d[r*X+lo+j]) into acc[j], the rows in
// order, for j < len(acc).
func colSums64(acc []float64, d []float32, X, lo, N int) {
	w := len(acc)
	j := 0
	if actSIMD {
		for ; j+16 <= w; j += 16 {
			a0 := archsimd.LoadFloat64x4Slice(acc[j:])
			a1 := archsimd.LoadFloat64x4Slice(acc[j+4:])
			a2 := archsimd.LoadFloat64x4Slice(acc[j+8:])
			a3 := archsimd.LoadFloat64x4Slice(acc[j+12:])
			for r := 0; r < N; r++ {
				row := d[r*X+lo+j : r*X+lo+j+16]
				a0 = a0.Add(archsimd.LoadFloat32x4Slice(row).ConvertToFloat64())
				a1 = a1.Add(archsimd.LoadFloat32x4Slice(row[4:]).ConvertToFloat64())
				a2 = a2.Add(archsimd.LoadFloat32x4Slice(row[8:]).ConvertToFloat64())
				a3 = a3.Add(archsimd.LoadFloat32x4Slice(row[12:]).ConvertToFloat64())
			}
			a0.StoreSlice(acc[j:])
			a1.StoreSlice(acc[j+4:])
			a2.StoreSlice(acc[j+8:])
			a3.StoreSlice(acc[j+12:])
		}
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	colSums64Scalar(acc[j:], d, X, lo+j, N)
}

// addTo sets dst[j] += src[j] for j < len(dst).
func addTo(dst, src []float32) {
	n := len(dst)
	src = src[:n]
	j := 0
	if actSIMD {
		for ; j+8 <= n; j += 8 {
			archsimd.LoadFloat32x8Slice(dst[j:]).Add(archsimd.LoadFloat32x8Slice(src[j:])).StoreSlice(dst[j:])
		}
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	addToScalar(dst[j:], src[j:])
}

// sumF64 returns sum_j float64(x[j]) with four float64 lanes (lane l sums
// the j = l mod 4 in order; the lanes are then added in order, then the tail).
func sumF64(x []float32) float64 {
	n := len(x)
	j := 0
	var t [4]float64
	if actSIMD {
		var a0, a1 archsimd.Float64x4
		for ; j+8 <= n; j += 8 {
			a0 = a0.Add(archsimd.LoadFloat32x4Slice(x[j:]).ConvertToFloat64())
			a1 = a1.Add(archsimd.LoadFloat32x4Slice(x[j+4:]).ConvertToFloat64())
		}
		a0.Add(a1).StoreSlice(t[:])
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	s := (t[0] + t[1]) + (t[2] + t[3])
	for _, v := range x[j:] {
		s += float64(v)
	}
	return s
}

// sumSqDevF64 returns sum_j (float64(x[j]) - mu)^2, in the lanes of sumF64.
func sumSqDevF64(x []float32, mu float64) float64 {
	n := len(x)
	j := 0
	var t [4]float64
	if actSIMD {
		m := archsimd.BroadcastFloat64x4(mu)
		var a0, a1 archsimd.Float64x4
		for ; j+8 <= n; j += 8 {
			d0 := archsimd.LoadFloat32x4Slice(x[j:]).ConvertToFloat64().Sub(m)
			d1 := archsimd.LoadFloat32x4Slice(x[j+4:]).ConvertToFloat64().Sub(m)
			a0 = a0.Add(d0.Mul(d0))
			a1 = a1.Add(d1.Mul(d1))
		}
		a0.Add(a1).StoreSlice(t[:])
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	s := (t[0] + t[1]) + (t[2] + t[3])
	for _, v := range x[j:] {
		d := float64(v) - mu
		s += d * d
	}
	return s
}

// modRow sets y[j] = (x[j]-mu)*rstd*(1+scale[j]) + shift[j], the operations
// of modRowScalar in its order (no fused multiply-add).
func modRow(y, x, shift, scale []float32, mu, rstd float32) {
	n := len(y)
	x, shift, scale = x[:n], shift[:n], scale[:n]
	j := 0
	if actSIMD {
		m, r, one := archsimd.BroadcastFloat32x8(mu), archsimd.BroadcastFloat32x8(rstd), archsimd.BroadcastFloat32x8(1)
		for ; j+8 <= n; j += 8 {
			v := archsimd.LoadFloat32x8Slice(x[j:]).Sub(m).Mul(r)
			v = v.Mul(one.Add(archsimd.LoadFloat32x8Slice(scale[j:]))).Add(archsimd.LoadFloat32x8Slice(shift[j:]))
			v.StoreSlice(y[j:])
		}
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	modRowScalar(y[j:], x[j:], shift[j:], scale[j:], mu, rstd)
}

// gatedAdd sets x[j] += g[j]*y[j] (a product, then a sum: no fused multiply-add).
func gatedAdd(x, g, y []float32) {
	n := len(x)
	g, y = g[:n], y[:n]
	j := 0
	if actSIMD {
		for ; j+8 <= n; j += 8 {
			p := archsimd.LoadFloat32x8Slice(g[j:]).Mul(archsimd.LoadFloat32x8Slice(y[j:]))
			archsimd.LoadFloat32x8Slice(x[j:]).Add(p).StoreSlice(x[j:])
		}
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	gatedAddScalar(x[j:], g[j:], y[j:])
}

// gatedBack sets dg[j] += dx[j]*y[j] and dy[j] = g[j]*dx[j].
func gatedBack(dg, dy, g, dx, y []float32) {
	n := len(dg)
	dy, g, dx, y = dy[:n], g[:n], dx[:n], y[:n]
	j := 0
	if actSIMD {
		for ; j+8 <= n; j += 8 {
			d := archsimd.LoadFloat32x8Slice(dx[j:])
			archsimd.LoadFloat32x8Slice(dg[j:]).Add(d.Mul(archsimd.LoadFloat32x8Slice(y[j:]))).StoreSlice(dg[j:])
			archsimd.LoadFloat32x8Slice(g[j:]).Mul(d).StoreSlice(dy[j:])
		}
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	gatedBackScalar(dg[j:], dy[j:], g[j:], dx[j:], y[j:])
}

// adamWSlice is adamWScalar on vector lanes, the same operations in the same
// order; float32(math.Sqrt(float64(v))) is the correctly rounded float32 square
// root, which VSQRTPS computes.
func adamWSlice(p, g, m, v []float32, c adamWConsts) {
	n := len(p)
	g, m, v = g[:n], m[:n], v[:n]
	j := 0
	if actSIMD {
		b1, b2 := archsimd.BroadcastFloat32x8(c.b1), archsimd.BroadcastFloat32x8(c.b2)
		ob1, ob2 := archsimd.BroadcastFloat32x8(1-c.b1), archsimd.BroadcastFloat32x8(1-c.b2)
		lr, wd, eps := archsimd.BroadcastFloat32x8(c.lr), archsimd.BroadcastFloat32x8(c.wd), archsimd.BroadcastFloat32x8(c.eps)
		gs, bc1, bc2 := archsimd.BroadcastFloat32x8(c.gscale), archsimd.BroadcastFloat32x8(c.bc1), archsimd.BroadcastFloat32x8(c.bc2)
		for ; j+8 <= n; j += 8 {
			gi := gs.Mul(archsimd.LoadFloat32x8Slice(g[j:]))
			mi := b1.Mul(archsimd.LoadFloat32x8Slice(m[j:])).Add(ob1.Mul(gi))
			vi := b2.Mul(archsimd.LoadFloat32x8Slice(v[j:])).Add(ob2.Mul(gi).Mul(gi))
			mi.StoreSlice(m[j:])
			vi.StoreSlice(v[j:])
			pi := archsimd.LoadFloat32x8Slice(p[j:])
			u := wd.Mul(pi).Add(mi.Div(bc1).Div(vi.Div(bc2).Sqrt().Add(eps)))
			pi.Sub(lr.Mul(u)).StoreSlice(p[j:])
		}
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	adamWScalar(p[j:], g[j:], m[j:], v[j:], c)
}

// lnBackRow is the first loop of LayerNormModBackward over one row: with
// xh = (x[j]-mu)*rstd, it adds dy[j] to dsh[j] and dy[j]*xh to dsc[j], sets
// g[j] = dy[j]*(1+sc[j]) and returns sum_j g[j] and sum_j g[j]*xh in float64
// (in the lanes of sumF64); the float32 operations are lnBackRowScalar's.
func lnBackRow(dsh, dsc, g, dy, x, sc []float32, mu, rstd float32) (float64, float64) {
	n := len(g)
	dsh, dsc, dy, x, sc = dsh[:n], dsc[:n], dy[:n], x[:n], sc[:n]
	j := 0
	var t [8]float64
	if actSIMD {
		m, r, one := archsimd.BroadcastFloat32x8(mu), archsimd.BroadcastFloat32x8(rstd), archsimd.BroadcastFloat32x8(1)
		var s0, s1, q0, q1 archsimd.Float64x4
		for ; j+8 <= n; j += 8 {
			d := archsimd.LoadFloat32x8Slice(dy[j:])
			xh := archsimd.LoadFloat32x8Slice(x[j:]).Sub(m).Mul(r)
			archsimd.LoadFloat32x8Slice(dsh[j:]).Add(d).StoreSlice(dsh[j:])
			archsimd.LoadFloat32x8Slice(dsc[j:]).Add(d.Mul(xh)).StoreSlice(dsc[j:])
			gv := d.Mul(one.Add(archsimd.LoadFloat32x8Slice(sc[j:])))
			gv.StoreSlice(g[j:])
			g0, g1 := gv.GetLo().ConvertToFloat64(), gv.GetHi().ConvertToFloat64()
			s0, s1 = s0.Add(g0), s1.Add(g1)
			q0 = q0.Add(g0.Mul(xh.GetLo().ConvertToFloat64()))
			q1 = q1.Add(g1.Mul(xh.GetHi().ConvertToFloat64()))
		}
		s0.Add(s1).StoreSlice(t[:])
		q0.Add(q1).StoreSlice(t[4:])
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	sg, sgx := (t[0]+t[1])+(t[2]+t[3]), (t[4]+t[5])+(t[6]+t[7])
	a, b := lnBackRowScalar(dsh[j:], dsc[j:], g[j:], dy[j:], x[j:], sc[j:], mu, rstd)
	return sg + a, sgx + b
}

// lnBackDx sets dx[j] += rstd*(g[j] - mg - xh*mgx), xh = (x[j]-mu)*rstd, the
// operations of lnBackDxScalar.
func lnBackDx(dx, g, x []float32, mu, rstd, mg, mgx float32) {
	n := len(dx)
	g, x = g[:n], x[:n]
	j := 0
	if actSIMD {
		m, r := archsimd.BroadcastFloat32x8(mu), archsimd.BroadcastFloat32x8(rstd)
		a, b := archsimd.BroadcastFloat32x8(mg), archsimd.BroadcastFloat32x8(mgx)
		for ; j+8 <= n; j += 8 {
			xh := archsimd.LoadFloat32x8Slice(x[j:]).Sub(m).Mul(r)
			u := archsimd.LoadFloat32x8Slice(g[j:]).Sub(a).Sub(xh.Mul(b))
			archsimd.LoadFloat32x8Slice(dx[j:]).Add(r.Mul(u)).StoreSlice(dx[j:])
		}
		archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	}
	lnBackDxScalar(dx[j:], g[j:], x[j:], mu, rstd, mg, mgx)
}
