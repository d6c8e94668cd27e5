//go:build goexperiment.simd && amd64

package cpu

// Tiny products (the attention of a few tokens: m <= 16, n <= 32) without
// packing: one or two AVX-512 vectors per row of C, op(B) copied into rows of
// 16 or 32 lanes. The packed
// path spends about a microsecond on such a product (panels, a padded tile,
// its copy-out), 1 GFLOP/s on the 7-token attention of the digits default.

import "simd/archsimd"

// sgemmTinyM and sgemmTinyN bound m and n of sgemmTiny512; sgemmTinyK bounds k.
const (
	sgemmTinyM = 16
	sgemmTinyN = 32
	sgemmTinyK = 256
)

// sgemmTiny512 computes p (m <= 16, n <= 32, k <= sgemmTinyK, alpha != 0) into C:
// row i of op(A) op(B) summed over k in order (one FMA per term), then
// multiplied by alpha, then beta C added (beta = 0: C is not read).
func sgemmTiny512(p *sgemmProb, s *sgemmScratch) {
	m, n, k := p.m, p.n, p.k
	w := 16 // lanes per row of bt and ct
	if n > 16 {
		w = 32
	}
	s.b = sgemmGrow(s.b, k*w+16*w)
	bt, ct := s.b[:k*w], s.b[k*w:k*w+16*w]
	if p.transB {
		for j := range n { // B's rows in order, scattered into bt's columns
			for q, v := range p.b[j*p.ldb : j*p.ldb+k] {
				bt[q*w+j] = v
			}
		}
	} else {
		for q := range k {
			copy(bt[q*w:q*w+n], p.b[q*p.ldb:q*p.ldb+n])
		}
	}
	ai, aq := p.lda, 1 // A(i, q) at a[i*ai + q*aq]
	if p.transA {
		ai, aq = 1, p.lda
	}
	if w == 16 {
		sgemmTinyRows(m, k, p.alpha, p.a, ai, aq, bt, ct)
	} else {
		sgemmTinyRows32(m, k, p.alpha, p.a, ai, aq, bt, ct)
	}
	for i := range m {
		c, t := p.c[i*p.ldc:i*p.ldc+n], ct[i*w:i*w+n]
		if p.beta == 0 {
			copy(c, t)
			continue
		}
		for j, v := range t {
			c[j] = v + p.beta*c[j]
		}
	}
}

// sgemmTinyRows sets ct[i*16+j] = alpha sum_{q<k} a[i*ai+q*aq] bt[q*16+j]
// for i < m, j < 16, four rows at a time (rows past m repeat row m-1).
func sgemmTinyRows(m, k int, alpha float32, a []float32, ai, aq int, bt, ct []float32) {
	bt, ct = bt[:k*16], ct[:256]
	al := archsimd.BroadcastFloat32x16(alpha)
	for i0 := 0; i0 < m; i0 += 4 {
		i1, i2, i3 := min(i0+1, m-1), min(i0+2, m-1), min(i0+3, m-1)
		o0, o1, o2, o3 := i0*ai, i1*ai, i2*ai, i3*ai
		var c0, c1, c2, c3 archsimd.Float32x16
		for q := range k {
			b := archsimd.LoadFloat32x16Slice(bt[q*16:])
			c0 = archsimd.BroadcastFloat32x16(a[o0+q*aq]).MulAdd(b, c0)
			c1 = archsimd.BroadcastFloat32x16(a[o1+q*aq]).MulAdd(b, c1)
			c2 = archsimd.BroadcastFloat32x16(a[o2+q*aq]).MulAdd(b, c2)
			c3 = archsimd.BroadcastFloat32x16(a[o3+q*aq]).MulAdd(b, c3)
		}
		c0.Mul(al).StoreSlice(ct[i0*16:])
		if i0+1 < m {
			c1.Mul(al).StoreSlice(ct[(i0+1)*16:])
		}
		if i0+2 < m {
			c2.Mul(al).StoreSlice(ct[(i0+2)*16:])
		}
		if i0+3 < m {
			c3.Mul(al).StoreSlice(ct[(i0+3)*16:])
		}
	}
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmTinyRows32 is sgemmTinyRows for rows of 32 lanes (two vectors).
func sgemmTinyRows32(m, k int, alpha float32, a []float32, ai, aq int, bt, ct []float32) {
	bt, ct = bt[:k*32], ct[:512]
	al := archsimd.BroadcastFloat32x16(alpha)
	for i0 := 0; i0 < m; i0 += 4 {
		i1, i2, i3 := min(i0+1, m-1), min(i0+2, m-1), min(i0+3, m-1)
		o0, o1, o2, o3 := i0*ai, i1*ai, i2*ai, i3*ai
		var c0, c1, c2, c3, d0, d1, d2, d3 archsimd.Float32x16
		for q := range k {
			b := archsimd.LoadFloat32x16Slice(bt[q*32:])
			e := archsimd.LoadFloat32x16Slice(bt[q*32+16:])
			v0 := archsimd.BroadcastFloat32x16(a[o0+q*aq])
			c0, d0 = v0.MulAdd(b, c0), v0.MulAdd(e, d0)
			v1 := archsimd.BroadcastFloat32x16(a[o1+q*aq])
			c1, d1 = v1.MulAdd(b, c1), v1.MulAdd(e, d1)
			v2 := archsimd.BroadcastFloat32x16(a[o2+q*aq])
			c2, d2 = v2.MulAdd(b, c2), v2.MulAdd(e, d2)
			v3 := archsimd.BroadcastFloat32x16(a[o3+q*aq])
			c3, d3 = v3.MulAdd(b, c3), v3.MulAdd(e, d3)
		}
		c0.Mul(al).StoreSlice(ct[i0*32:])
		d0.Mul(al).StoreSlice(ct[i0*32+16:])
		if i0+1 < m {
			c1.Mul(al).StoreSlice(ct[(i0+1)*32:])
			d1.Mul(al).StoreSlice(ct[(i0+1)*32+16:])
		}
		if i0+2 < m {
			c2.Mul(al).StoreSlice(ct[(i0+2)*32:])
			d2.Mul(al).StoreSlice(ct[(i0+2)*32+16:])
		}
		if i0+3 < m {
			c3.Mul(al).StoreSlice(ct[(i0+3)*32:])
			d3.Mul(al).StoreSlice(ct[(i0+3)*32+16:])
		}
	}
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}
