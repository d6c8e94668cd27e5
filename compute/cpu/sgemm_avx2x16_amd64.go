//go:build goexperiment.simd && amd64

package cpu

// The 5x16 AVX2+FMA micro-kernel: each broadcast A element feeds two FMAs
// (16 columns = two Float32x8 of B), half the broadcasts per FMA of the 12x8
// kernel. Measured on the 2-core AMD EPYC (Zen 3) development machine, one
// thread, cache-resident panels: about 36 GFLOP per CPU-second against 28 for
// the 12x8 kernel; the GEMMs of cpu-s gain 0-70% (docs/bench.md).

import (
	"unsafe"

	"simd/archsimd"
)

var sgemmAVX2x16Impl = &sgemmImpl{name: "avx2-5x16", mr: 5, nr: 16, packSmallK: true,
	kernel: sgemmKernel5x16, kernelRowA: sgemmKernel5x16Row, dot: sgemmDot256, axpy: sgemmAxpy256,
	skinnyW: 16, skinny: [5]func(int, *[4][]float32, []float32, int, *[4][32]float32){
		nil, sgemmSkinny256x1, sgemmSkinny256x2, sgemmSkinny256x3, sgemmSkinny256x4},
	dotRows: [5]func([]float32, *[4][]float32, *[4]float32){
		nil, sgemmDotRows256x1, sgemmDotRows256x2, sgemmDotRows256x3, sgemmDotRows256x4}}

// sgemmKernel5x16 is the 5x16 micro-kernel (see sgemmImpl.kernel).
func sgemmKernel5x16(k int, a, b, c []float32, ldc int, mode int, beta float32) {
	_ = a[5*k-1]
	_ = b[16*k-1]
	_ = c[4*ldc+15]
	if k <= 0 {
		panic("sgemm: kernel depth must be positive")
	}
	pa, pb := unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	var z archsimd.Float32x4
	var c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 archsimd.Float32x8
	// One broadcast of A per row feeds two FMAs (the compiler copies it
	// into a free register: 10 accumulators, 2 B vectors, the broadcast and
	// its copy fit in X0-X14 without spills).
	for q := k; ; {
		b0 := archsimd.LoadFloat32x8((*[8]float32)(pb))
		b1 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pb, 32)))
		x := z.SetElem(0, *(*float32)(pa)).Broadcast1To8()
		c0, c1 = x.MulAdd(b0, c0), x.MulAdd(b1, c1)
		x = z.SetElem(0, *(*float32)(unsafe.Add(pa, 4))).Broadcast1To8()
		c2, c3 = x.MulAdd(b0, c2), x.MulAdd(b1, c3)
		x = z.SetElem(0, *(*float32)(unsafe.Add(pa, 8))).Broadcast1To8()
		c4, c5 = x.MulAdd(b0, c4), x.MulAdd(b1, c5)
		x = z.SetElem(0, *(*float32)(unsafe.Add(pa, 12))).Broadcast1To8()
		c6, c7 = x.MulAdd(b0, c6), x.MulAdd(b1, c7)
		x = z.SetElem(0, *(*float32)(unsafe.Add(pa, 16))).Broadcast1To8()
		c8, c9 = x.MulAdd(b0, c8), x.MulAdd(b1, c9)
		q--
		if q == 0 {
			break
		}
		pa, pb = unsafe.Add(pa, 20), unsafe.Add(pb, 64) // never past the end
	}
	pc, st := unsafe.Pointer(&c[0]), uintptr(ldc)*4
	switch mode {
	case sgemmAdd:
		c0 = c0.Add(archsimd.LoadFloat32x8((*[8]float32)(pc)))
		c1 = c1.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 32))))
		c2 = c2.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, st))))
		c3 = c3.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, st+32))))
		c4 = c4.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 2*st))))
		c5 = c5.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 2*st+32))))
		c6 = c6.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 3*st))))
		c7 = c7.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 3*st+32))))
		c8 = c8.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 4*st))))
		c9 = c9.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 4*st+32))))
	case sgemmScale:
		bv := archsimd.BroadcastFloat32x8(beta)
		c0 = archsimd.LoadFloat32x8((*[8]float32)(pc)).MulAdd(bv, c0)
		c1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 32))).MulAdd(bv, c1)
		c2 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, st))).MulAdd(bv, c2)
		c3 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, st+32))).MulAdd(bv, c3)
		c4 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 2*st))).MulAdd(bv, c4)
		c5 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 2*st+32))).MulAdd(bv, c5)
		c6 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 3*st))).MulAdd(bv, c6)
		c7 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 3*st+32))).MulAdd(bv, c7)
		c8 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 4*st))).MulAdd(bv, c8)
		c9 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 4*st+32))).MulAdd(bv, c9)
	}
	c0.Store((*[8]float32)(pc))
	c1.Store((*[8]float32)(unsafe.Add(pc, 32)))
	c2.Store((*[8]float32)(unsafe.Add(pc, st)))
	c3.Store((*[8]float32)(unsafe.Add(pc, st+32)))
	c4.Store((*[8]float32)(unsafe.Add(pc, 2*st)))
	c5.Store((*[8]float32)(unsafe.Add(pc, 2*st+32)))
	c6.Store((*[8]float32)(unsafe.Add(pc, 3*st)))
	c7.Store((*[8]float32)(unsafe.Add(pc, 3*st+32)))
	c8.Store((*[8]float32)(unsafe.Add(pc, 4*st)))
	c9.Store((*[8]float32)(unsafe.Add(pc, 4*st+32)))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmKernel5x16Row is sgemmKernel5x16 for A panels packed by rows (see
// sgemmImpl.kernelRowA).
func sgemmKernel5x16Row(k int, a, b, c []float32, ldc int, mode int, beta float32) {
	_ = a[4*sgemmKC+k-1]
	if k > sgemmKC {
		panic("sgemm: kernel depth exceeds sgemmKC")
	}
	_ = b[16*k-1]
	_ = c[4*ldc+15]
	if k <= 0 {
		panic("sgemm: kernel depth must be positive")
	}
	pa, pb := unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	var z archsimd.Float32x4
	var c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 archsimd.Float32x8
	// One broadcast of A per row feeds two FMAs (the compiler copies it
	// into a free register: 10 accumulators, 2 B vectors, the broadcast and
	// its copy fit in X0-X14 without spills).
	for q := k; ; {
		b0 := archsimd.LoadFloat32x8((*[8]float32)(pb))
		b1 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pb, 32)))
		x := z.SetElem(0, *(*float32)(pa)).Broadcast1To8()
		c0, c1 = x.MulAdd(b0, c0), x.MulAdd(b1, c1)
		x = z.SetElem(0, *(*float32)(unsafe.Add(pa, 1*sgemmKC*4))).Broadcast1To8()
		c2, c3 = x.MulAdd(b0, c2), x.MulAdd(b1, c3)
		x = z.SetElem(0, *(*float32)(unsafe.Add(pa, 2*sgemmKC*4))).Broadcast1To8()
		c4, c5 = x.MulAdd(b0, c4), x.MulAdd(b1, c5)
		x = z.SetElem(0, *(*float32)(unsafe.Add(pa, 3*sgemmKC*4))).Broadcast1To8()
		c6, c7 = x.MulAdd(b0, c6), x.MulAdd(b1, c7)
		x = z.SetElem(0, *(*float32)(unsafe.Add(pa, 4*sgemmKC*4))).Broadcast1To8()
		c8, c9 = x.MulAdd(b0, c8), x.MulAdd(b1, c9)
		q--
		if q == 0 {
			break
		}
		pa, pb = unsafe.Add(pa, 4), unsafe.Add(pb, 64) // never past the end
	}
	pc, st := unsafe.Pointer(&c[0]), uintptr(ldc)*4
	switch mode {
	case sgemmAdd:
		c0 = c0.Add(archsimd.LoadFloat32x8((*[8]float32)(pc)))
		c1 = c1.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 32))))
		c2 = c2.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, st))))
		c3 = c3.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, st+32))))
		c4 = c4.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 2*st))))
		c5 = c5.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 2*st+32))))
		c6 = c6.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 3*st))))
		c7 = c7.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 3*st+32))))
		c8 = c8.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 4*st))))
		c9 = c9.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 4*st+32))))
	case sgemmScale:
		bv := archsimd.BroadcastFloat32x8(beta)
		c0 = archsimd.LoadFloat32x8((*[8]float32)(pc)).MulAdd(bv, c0)
		c1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 32))).MulAdd(bv, c1)
		c2 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, st))).MulAdd(bv, c2)
		c3 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, st+32))).MulAdd(bv, c3)
		c4 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 2*st))).MulAdd(bv, c4)
		c5 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 2*st+32))).MulAdd(bv, c5)
		c6 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 3*st))).MulAdd(bv, c6)
		c7 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 3*st+32))).MulAdd(bv, c7)
		c8 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 4*st))).MulAdd(bv, c8)
		c9 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 4*st+32))).MulAdd(bv, c9)
	}
	c0.Store((*[8]float32)(pc))
	c1.Store((*[8]float32)(unsafe.Add(pc, 32)))
	c2.Store((*[8]float32)(unsafe.Add(pc, st)))
	c3.Store((*[8]float32)(unsafe.Add(pc, st+32)))
	c4.Store((*[8]float32)(unsafe.Add(pc, 2*st)))
	c5.Store((*[8]float32)(unsafe.Add(pc, 2*st+32)))
	c6.Store((*[8]float32)(unsafe.Add(pc, 3*st)))
	c7.Store((*[8]float32)(unsafe.Add(pc, 3*st+32)))
	c8.Store((*[8]float32)(unsafe.Add(pc, 4*st)))
	c9.Store((*[8]float32)(unsafe.Add(pc, 4*st+32)))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}
