//go:build goexperiment.simd && amd64

package cpu

// SGEMM micro-kernels written with the experimental simd/archsimd package
// (GOEXPERIMENT=simd). Chosen at run time: AVX-512 (12x16, one zmm per row) when
// the CPU has AVX-512F/CD/BW/DQ/VL, else AVX2+FMA (12x8, one ymm per row), else
// the hybrid fallback of sgemm.go.
//
// Notes on the Go 1.26 code generator that shaped these kernels:
//   - SIMD values are register-allocated in X0-X14 only (also for 512-bit
//     vectors), so a kernel has at most 15 vector registers: 12 accumulators,
//     one B vector and one broadcast A value.
//   - MulAdd is VFMADD213PS, which overwrites the receiver; the receiver is
//     therefore always a fresh broadcast that dies at the FMA, so no copies are
//     needed.
//   - There is no broadcast-from-memory form; SetElem(0, x).Broadcast1ToN()
//     (rather than BroadcastFloat32xN, whose inlined body gets other source
//     positions) keeps load, broadcast and FMA on one source line, which is what
//     makes the scheduler interleave them.

import (
	"unsafe"

	"simd/archsimd"
)

var sgemmAVX512Impl = &sgemmImpl{name: "avx512", mr: 12, nr: 16, packSmallK: true,
	kernel: sgemmKernel512, kernelRowA: sgemmKernel512Row, dot: sgemmDot512, axpy: sgemmAxpy512,
	skinnyW: 32, skinny: [5]func(int, *[4][]float32, []float32, int, *[4][32]float32){
		nil, sgemmSkinny512x1, sgemmSkinny512x2, sgemmSkinny512x3, sgemmSkinny512x4},
	dotRows: [5]func([]float32, *[4][]float32, *[4]float32){
		nil, sgemmDotRows512x1, sgemmDotRows512x2, sgemmDotRows512x3, sgemmDotRows512x4}}

var sgemmAVX2Impl = &sgemmImpl{name: "avx2", mr: 12, nr: 8, packSmallK: true,
	kernel: sgemmKernel256, kernelRowA: sgemmKernel256Row, dot: sgemmDot256, axpy: sgemmAxpy256,
	skinnyW: 16, skinny: [5]func(int, *[4][]float32, []float32, int, *[4][32]float32){
		nil, sgemmSkinny256x1, sgemmSkinny256x2, sgemmSkinny256x3, sgemmSkinny256x4},
	dotRows: [5]func([]float32, *[4][]float32, *[4]float32){
		nil, sgemmDotRows256x1, sgemmDotRows256x2, sgemmDotRows256x3, sgemmDotRows256x4}}

func sgemmHasAVX2() bool {
	return archsimd.X86.AVX() && archsimd.X86.AVX2() && archsimd.X86.FMA()
}

func sgemmBest() *sgemmImpl {
	switch {
	case archsimd.X86.AVX512() && archsimd.X86.FMA():
		return sgemmAsm512Impl
	case sgemmHasAVX2():
		return sgemmAVX2x16Impl
	}
	return sgemmHybridImpl
}

// sgemmImpls lists the implementations this CPU can run (for tests).
func sgemmImpls() []*sgemmImpl {
	l := []*sgemmImpl{sgemmScalarImpl, sgemmHybridImpl}
	if sgemmHasAVX2() {
		l = append(l, sgemmAVX2Impl, sgemmAVX2x16Impl)
	}
	if archsimd.X86.AVX512() && archsimd.X86.FMA() {
		l = append(l, sgemmAVX512Impl, sgemmAsm512Impl, sgemmAsm512PackedImpl, sgemmAsm512x16Impl)
	}
	return l
}

// sgemmKernel512 is the 12x16 micro-kernel (see sgemmImpl.kernel) with one
// Float32x16 accumulator per row of the tile.
func sgemmKernel512(k int, a, b, c []float32, ldc int, mode int, beta float32) {
	_ = a[12*k-1]
	_ = b[16*k-1]
	_ = c[11*ldc+15]
	if k <= 0 || k&1 != 0 {
		panic("sgemm: kernel depth must be even and positive")
	}
	pa, pb := unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	var z archsimd.Float32x4
	var c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 archsimd.Float32x16
	// One basic block; each broadcast sits on the line of its FMA so that
	// the scheduler keeps them together (otherwise it hoists all loads and
	// spills). The k loop is unrolled by two. The pointers are advanced
	// after the exit test: unsafe rules forbid pointing past the end.
	for q := k; ; {
		b0 := archsimd.LoadFloat32x16((*[16]float32)(pb))
		c0 = z.SetElem(0, *(*float32)(pa)).Broadcast1To16().MulAdd(b0, c0)
		c1 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 4))).Broadcast1To16().MulAdd(b0, c1)
		c2 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 8))).Broadcast1To16().MulAdd(b0, c2)
		c3 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 12))).Broadcast1To16().MulAdd(b0, c3)
		c4 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 16))).Broadcast1To16().MulAdd(b0, c4)
		c5 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 20))).Broadcast1To16().MulAdd(b0, c5)
		c6 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 24))).Broadcast1To16().MulAdd(b0, c6)
		c7 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 28))).Broadcast1To16().MulAdd(b0, c7)
		c8 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 32))).Broadcast1To16().MulAdd(b0, c8)
		c9 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 36))).Broadcast1To16().MulAdd(b0, c9)
		c10 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 40))).Broadcast1To16().MulAdd(b0, c10)
		c11 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 44))).Broadcast1To16().MulAdd(b0, c11)
		b1 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pb, 64)))
		c0 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 48))).Broadcast1To16().MulAdd(b1, c0)
		c1 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 52))).Broadcast1To16().MulAdd(b1, c1)
		c2 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 56))).Broadcast1To16().MulAdd(b1, c2)
		c3 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 60))).Broadcast1To16().MulAdd(b1, c3)
		c4 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 64))).Broadcast1To16().MulAdd(b1, c4)
		c5 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 68))).Broadcast1To16().MulAdd(b1, c5)
		c6 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 72))).Broadcast1To16().MulAdd(b1, c6)
		c7 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 76))).Broadcast1To16().MulAdd(b1, c7)
		c8 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 80))).Broadcast1To16().MulAdd(b1, c8)
		c9 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 84))).Broadcast1To16().MulAdd(b1, c9)
		c10 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 88))).Broadcast1To16().MulAdd(b1, c10)
		c11 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 92))).Broadcast1To16().MulAdd(b1, c11)
		q -= 2
		if q == 0 {
			break
		}
		pa, pb = unsafe.Add(pa, 96), unsafe.Add(pb, 128) // never past the end
	}
	pc, st := unsafe.Pointer(&c[0]), uintptr(ldc)*4
	switch mode {
	case sgemmAdd:
		c0 = c0.Add(archsimd.LoadFloat32x16((*[16]float32)(pc)))
		c1 = c1.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, st))))
		c2 = c2.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 2*st))))
		c3 = c3.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 3*st))))
		c4 = c4.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 4*st))))
		c5 = c5.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 5*st))))
		c6 = c6.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 6*st))))
		c7 = c7.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 7*st))))
		c8 = c8.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 8*st))))
		c9 = c9.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 9*st))))
		c10 = c10.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 10*st))))
		c11 = c11.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 11*st))))
	case sgemmScale:
		bv := archsimd.BroadcastFloat32x16(beta)
		c0 = archsimd.LoadFloat32x16((*[16]float32)(pc)).MulAdd(bv, c0)
		c1 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, st))).MulAdd(bv, c1)
		c2 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 2*st))).MulAdd(bv, c2)
		c3 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 3*st))).MulAdd(bv, c3)
		c4 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 4*st))).MulAdd(bv, c4)
		c5 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 5*st))).MulAdd(bv, c5)
		c6 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 6*st))).MulAdd(bv, c6)
		c7 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 7*st))).MulAdd(bv, c7)
		c8 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 8*st))).MulAdd(bv, c8)
		c9 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 9*st))).MulAdd(bv, c9)
		c10 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 10*st))).MulAdd(bv, c10)
		c11 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 11*st))).MulAdd(bv, c11)
	}
	c0.Store((*[16]float32)(pc))
	c1.Store((*[16]float32)(unsafe.Add(pc, st)))
	c2.Store((*[16]float32)(unsafe.Add(pc, 2*st)))
	c3.Store((*[16]float32)(unsafe.Add(pc, 3*st)))
	c4.Store((*[16]float32)(unsafe.Add(pc, 4*st)))
	c5.Store((*[16]float32)(unsafe.Add(pc, 5*st)))
	c6.Store((*[16]float32)(unsafe.Add(pc, 6*st)))
	c7.Store((*[16]float32)(unsafe.Add(pc, 7*st)))
	c8.Store((*[16]float32)(unsafe.Add(pc, 8*st)))
	c9.Store((*[16]float32)(unsafe.Add(pc, 9*st)))
	c10.Store((*[16]float32)(unsafe.Add(pc, 10*st)))
	c11.Store((*[16]float32)(unsafe.Add(pc, 11*st)))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmKernel512Row is sgemmKernel512 for A panels packed by rows (see
// sgemmImpl.kernelRowA).
func sgemmKernel512Row(k int, a, b, c []float32, ldc int, mode int, beta float32) {
	_ = a[11*sgemmKC+k-1]
	if k > sgemmKC {
		panic("sgemm: kernel depth exceeds sgemmKC")
	}
	_ = b[16*k-1]
	_ = c[11*ldc+15]
	if k <= 0 || k&1 != 0 {
		panic("sgemm: kernel depth must be even and positive")
	}
	pa, pb := unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	var z archsimd.Float32x4
	var c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 archsimd.Float32x16
	// One basic block; each broadcast sits on the line of its FMA so that
	// the scheduler keeps them together (otherwise it hoists all loads and
	// spills). The k loop is unrolled by two. The pointers are advanced
	// after the exit test: unsafe rules forbid pointing past the end.
	for q := k; ; {
		b0 := archsimd.LoadFloat32x16((*[16]float32)(pb))
		c0 = z.SetElem(0, *(*float32)(pa)).Broadcast1To16().MulAdd(b0, c0)
		c1 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 1*sgemmKC*4))).Broadcast1To16().MulAdd(b0, c1)
		c2 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 2*sgemmKC*4))).Broadcast1To16().MulAdd(b0, c2)
		c3 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 3*sgemmKC*4))).Broadcast1To16().MulAdd(b0, c3)
		c4 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 4*sgemmKC*4))).Broadcast1To16().MulAdd(b0, c4)
		c5 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 5*sgemmKC*4))).Broadcast1To16().MulAdd(b0, c5)
		c6 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 6*sgemmKC*4))).Broadcast1To16().MulAdd(b0, c6)
		c7 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 7*sgemmKC*4))).Broadcast1To16().MulAdd(b0, c7)
		c8 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 8*sgemmKC*4))).Broadcast1To16().MulAdd(b0, c8)
		c9 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 9*sgemmKC*4))).Broadcast1To16().MulAdd(b0, c9)
		c10 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 10*sgemmKC*4))).Broadcast1To16().MulAdd(b0, c10)
		c11 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 11*sgemmKC*4))).Broadcast1To16().MulAdd(b0, c11)
		b1 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pb, 64)))
		c0 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 4))).Broadcast1To16().MulAdd(b1, c0)
		c1 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 1*sgemmKC*4+4))).Broadcast1To16().MulAdd(b1, c1)
		c2 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 2*sgemmKC*4+4))).Broadcast1To16().MulAdd(b1, c2)
		c3 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 3*sgemmKC*4+4))).Broadcast1To16().MulAdd(b1, c3)
		c4 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 4*sgemmKC*4+4))).Broadcast1To16().MulAdd(b1, c4)
		c5 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 5*sgemmKC*4+4))).Broadcast1To16().MulAdd(b1, c5)
		c6 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 6*sgemmKC*4+4))).Broadcast1To16().MulAdd(b1, c6)
		c7 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 7*sgemmKC*4+4))).Broadcast1To16().MulAdd(b1, c7)
		c8 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 8*sgemmKC*4+4))).Broadcast1To16().MulAdd(b1, c8)
		c9 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 9*sgemmKC*4+4))).Broadcast1To16().MulAdd(b1, c9)
		c10 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 10*sgemmKC*4+4))).Broadcast1To16().MulAdd(b1, c10)
		c11 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 11*sgemmKC*4+4))).Broadcast1To16().MulAdd(b1, c11)
		q -= 2
		if q == 0 {
			break
		}
		pa, pb = unsafe.Add(pa, 8), unsafe.Add(pb, 128) // never past the end
	}
	pc, st := unsafe.Pointer(&c[0]), uintptr(ldc)*4
	switch mode {
	case sgemmAdd:
		c0 = c0.Add(archsimd.LoadFloat32x16((*[16]float32)(pc)))
		c1 = c1.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, st))))
		c2 = c2.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 2*st))))
		c3 = c3.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 3*st))))
		c4 = c4.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 4*st))))
		c5 = c5.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 5*st))))
		c6 = c6.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 6*st))))
		c7 = c7.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 7*st))))
		c8 = c8.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 8*st))))
		c9 = c9.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 9*st))))
		c10 = c10.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 10*st))))
		c11 = c11.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 11*st))))
	case sgemmScale:
		bv := archsimd.BroadcastFloat32x16(beta)
		c0 = archsimd.LoadFloat32x16((*[16]float32)(pc)).MulAdd(bv, c0)
		c1 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, st))).MulAdd(bv, c1)
		c2 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 2*st))).MulAdd(bv, c2)
		c3 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 3*st))).MulAdd(bv, c3)
		c4 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 4*st))).MulAdd(bv, c4)
		c5 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 5*st))).MulAdd(bv, c5)
		c6 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 6*st))).MulAdd(bv, c6)
		c7 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 7*st))).MulAdd(bv, c7)
		c8 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 8*st))).MulAdd(bv, c8)
		c9 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 9*st))).MulAdd(bv, c9)
		c10 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 10*st))).MulAdd(bv, c10)
		c11 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pc, 11*st))).MulAdd(bv, c11)
	}
	c0.Store((*[16]float32)(pc))
	c1.Store((*[16]float32)(unsafe.Add(pc, st)))
	c2.Store((*[16]float32)(unsafe.Add(pc, 2*st)))
	c3.Store((*[16]float32)(unsafe.Add(pc, 3*st)))
	c4.Store((*[16]float32)(unsafe.Add(pc, 4*st)))
	c5.Store((*[16]float32)(unsafe.Add(pc, 5*st)))
	c6.Store((*[16]float32)(unsafe.Add(pc, 6*st)))
	c7.Store((*[16]float32)(unsafe.Add(pc, 7*st)))
	c8.Store((*[16]float32)(unsafe.Add(pc, 8*st)))
	c9.Store((*[16]float32)(unsafe.Add(pc, 9*st)))
	c10.Store((*[16]float32)(unsafe.Add(pc, 10*st)))
	c11.Store((*[16]float32)(unsafe.Add(pc, 11*st)))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmKernel256 is the 12x8 micro-kernel (see sgemmImpl.kernel) with one
// Float32x8 accumulator per row of the tile.
func sgemmKernel256(k int, a, b, c []float32, ldc int, mode int, beta float32) {
	_ = a[12*k-1]
	_ = b[8*k-1]
	_ = c[11*ldc+7]
	if k <= 0 || k&1 != 0 {
		panic("sgemm: kernel depth must be even and positive")
	}
	pa, pb := unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	var z archsimd.Float32x4
	var c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 archsimd.Float32x8
	// One basic block; each broadcast sits on the line of its FMA so that
	// the scheduler keeps them together (otherwise it hoists all loads and
	// spills). The k loop is unrolled by two. The pointers are advanced
	// after the exit test: unsafe rules forbid pointing past the end.
	for q := k; ; {
		b0 := archsimd.LoadFloat32x8((*[8]float32)(pb))
		c0 = z.SetElem(0, *(*float32)(pa)).Broadcast1To8().MulAdd(b0, c0)
		c1 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 4))).Broadcast1To8().MulAdd(b0, c1)
		c2 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 8))).Broadcast1To8().MulAdd(b0, c2)
		c3 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 12))).Broadcast1To8().MulAdd(b0, c3)
		c4 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 16))).Broadcast1To8().MulAdd(b0, c4)
		c5 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 20))).Broadcast1To8().MulAdd(b0, c5)
		c6 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 24))).Broadcast1To8().MulAdd(b0, c6)
		c7 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 28))).Broadcast1To8().MulAdd(b0, c7)
		c8 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 32))).Broadcast1To8().MulAdd(b0, c8)
		c9 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 36))).Broadcast1To8().MulAdd(b0, c9)
		c10 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 40))).Broadcast1To8().MulAdd(b0, c10)
		c11 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 44))).Broadcast1To8().MulAdd(b0, c11)
		b1 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pb, 32)))
		c0 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 48))).Broadcast1To8().MulAdd(b1, c0)
		c1 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 52))).Broadcast1To8().MulAdd(b1, c1)
		c2 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 56))).Broadcast1To8().MulAdd(b1, c2)
		c3 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 60))).Broadcast1To8().MulAdd(b1, c3)
		c4 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 64))).Broadcast1To8().MulAdd(b1, c4)
		c5 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 68))).Broadcast1To8().MulAdd(b1, c5)
		c6 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 72))).Broadcast1To8().MulAdd(b1, c6)
		c7 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 76))).Broadcast1To8().MulAdd(b1, c7)
		c8 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 80))).Broadcast1To8().MulAdd(b1, c8)
		c9 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 84))).Broadcast1To8().MulAdd(b1, c9)
		c10 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 88))).Broadcast1To8().MulAdd(b1, c10)
		c11 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 92))).Broadcast1To8().MulAdd(b1, c11)
		q -= 2
		if q == 0 {
			break
		}
		pa, pb = unsafe.Add(pa, 96), unsafe.Add(pb, 64) // never past the end
	}
	pc, st := unsafe.Pointer(&c[0]), uintptr(ldc)*4
	switch mode {
	case sgemmAdd:
		c0 = c0.Add(archsimd.LoadFloat32x8((*[8]float32)(pc)))
		c1 = c1.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, st))))
		c2 = c2.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 2*st))))
		c3 = c3.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 3*st))))
		c4 = c4.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 4*st))))
		c5 = c5.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 5*st))))
		c6 = c6.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 6*st))))
		c7 = c7.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 7*st))))
		c8 = c8.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 8*st))))
		c9 = c9.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 9*st))))
		c10 = c10.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 10*st))))
		c11 = c11.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 11*st))))
	case sgemmScale:
		bv := archsimd.BroadcastFloat32x8(beta)
		c0 = archsimd.LoadFloat32x8((*[8]float32)(pc)).MulAdd(bv, c0)
		c1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, st))).MulAdd(bv, c1)
		c2 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 2*st))).MulAdd(bv, c2)
		c3 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 3*st))).MulAdd(bv, c3)
		c4 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 4*st))).MulAdd(bv, c4)
		c5 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 5*st))).MulAdd(bv, c5)
		c6 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 6*st))).MulAdd(bv, c6)
		c7 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 7*st))).MulAdd(bv, c7)
		c8 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 8*st))).MulAdd(bv, c8)
		c9 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 9*st))).MulAdd(bv, c9)
		c10 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 10*st))).MulAdd(bv, c10)
		c11 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 11*st))).MulAdd(bv, c11)
	}
	c0.Store((*[8]float32)(pc))
	c1.Store((*[8]float32)(unsafe.Add(pc, st)))
	c2.Store((*[8]float32)(unsafe.Add(pc, 2*st)))
	c3.Store((*[8]float32)(unsafe.Add(pc, 3*st)))
	c4.Store((*[8]float32)(unsafe.Add(pc, 4*st)))
	c5.Store((*[8]float32)(unsafe.Add(pc, 5*st)))
	c6.Store((*[8]float32)(unsafe.Add(pc, 6*st)))
	c7.Store((*[8]float32)(unsafe.Add(pc, 7*st)))
	c8.Store((*[8]float32)(unsafe.Add(pc, 8*st)))
	c9.Store((*[8]float32)(unsafe.Add(pc, 9*st)))
	c10.Store((*[8]float32)(unsafe.Add(pc, 10*st)))
	c11.Store((*[8]float32)(unsafe.Add(pc, 11*st)))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmKernel256Row is sgemmKernel256 for A panels packed by rows (see
// sgemmImpl.kernelRowA).
func sgemmKernel256Row(k int, a, b, c []float32, ldc int, mode int, beta float32) {
	_ = a[11*sgemmKC+k-1]
	if k > sgemmKC {
		panic("sgemm: kernel depth exceeds sgemmKC")
	}
	_ = b[8*k-1]
	_ = c[11*ldc+7]
	if k <= 0 || k&1 != 0 {
		panic("sgemm: kernel depth must be even and positive")
	}
	pa, pb := unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	var z archsimd.Float32x4
	var c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 archsimd.Float32x8
	// One basic block; each broadcast sits on the line of its FMA so that
	// the scheduler keeps them together (otherwise it hoists all loads and
	// spills). The k loop is unrolled by two. The pointers are advanced
	// after the exit test: unsafe rules forbid pointing past the end.
	for q := k; ; {
		b0 := archsimd.LoadFloat32x8((*[8]float32)(pb))
		c0 = z.SetElem(0, *(*float32)(pa)).Broadcast1To8().MulAdd(b0, c0)
		c1 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 1*sgemmKC*4))).Broadcast1To8().MulAdd(b0, c1)
		c2 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 2*sgemmKC*4))).Broadcast1To8().MulAdd(b0, c2)
		c3 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 3*sgemmKC*4))).Broadcast1To8().MulAdd(b0, c3)
		c4 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 4*sgemmKC*4))).Broadcast1To8().MulAdd(b0, c4)
		c5 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 5*sgemmKC*4))).Broadcast1To8().MulAdd(b0, c5)
		c6 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 6*sgemmKC*4))).Broadcast1To8().MulAdd(b0, c6)
		c7 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 7*sgemmKC*4))).Broadcast1To8().MulAdd(b0, c7)
		c8 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 8*sgemmKC*4))).Broadcast1To8().MulAdd(b0, c8)
		c9 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 9*sgemmKC*4))).Broadcast1To8().MulAdd(b0, c9)
		c10 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 10*sgemmKC*4))).Broadcast1To8().MulAdd(b0, c10)
		c11 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 11*sgemmKC*4))).Broadcast1To8().MulAdd(b0, c11)
		b1 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pb, 32)))
		c0 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 4))).Broadcast1To8().MulAdd(b1, c0)
		c1 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 1*sgemmKC*4+4))).Broadcast1To8().MulAdd(b1, c1)
		c2 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 2*sgemmKC*4+4))).Broadcast1To8().MulAdd(b1, c2)
		c3 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 3*sgemmKC*4+4))).Broadcast1To8().MulAdd(b1, c3)
		c4 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 4*sgemmKC*4+4))).Broadcast1To8().MulAdd(b1, c4)
		c5 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 5*sgemmKC*4+4))).Broadcast1To8().MulAdd(b1, c5)
		c6 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 6*sgemmKC*4+4))).Broadcast1To8().MulAdd(b1, c6)
		c7 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 7*sgemmKC*4+4))).Broadcast1To8().MulAdd(b1, c7)
		c8 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 8*sgemmKC*4+4))).Broadcast1To8().MulAdd(b1, c8)
		c9 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 9*sgemmKC*4+4))).Broadcast1To8().MulAdd(b1, c9)
		c10 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 10*sgemmKC*4+4))).Broadcast1To8().MulAdd(b1, c10)
		c11 = z.SetElem(0, *(*float32)(unsafe.Add(pa, 11*sgemmKC*4+4))).Broadcast1To8().MulAdd(b1, c11)
		q -= 2
		if q == 0 {
			break
		}
		pa, pb = unsafe.Add(pa, 8), unsafe.Add(pb, 64) // never past the end
	}
	pc, st := unsafe.Pointer(&c[0]), uintptr(ldc)*4
	switch mode {
	case sgemmAdd:
		c0 = c0.Add(archsimd.LoadFloat32x8((*[8]float32)(pc)))
		c1 = c1.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, st))))
		c2 = c2.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 2*st))))
		c3 = c3.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 3*st))))
		c4 = c4.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 4*st))))
		c5 = c5.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 5*st))))
		c6 = c6.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 6*st))))
		c7 = c7.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 7*st))))
		c8 = c8.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 8*st))))
		c9 = c9.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 9*st))))
		c10 = c10.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 10*st))))
		c11 = c11.Add(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 11*st))))
	case sgemmScale:
		bv := archsimd.BroadcastFloat32x8(beta)
		c0 = archsimd.LoadFloat32x8((*[8]float32)(pc)).MulAdd(bv, c0)
		c1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, st))).MulAdd(bv, c1)
		c2 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 2*st))).MulAdd(bv, c2)
		c3 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 3*st))).MulAdd(bv, c3)
		c4 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 4*st))).MulAdd(bv, c4)
		c5 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 5*st))).MulAdd(bv, c5)
		c6 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 6*st))).MulAdd(bv, c6)
		c7 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 7*st))).MulAdd(bv, c7)
		c8 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 8*st))).MulAdd(bv, c8)
		c9 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 9*st))).MulAdd(bv, c9)
		c10 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 10*st))).MulAdd(bv, c10)
		c11 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pc, 11*st))).MulAdd(bv, c11)
	}
	c0.Store((*[8]float32)(pc))
	c1.Store((*[8]float32)(unsafe.Add(pc, st)))
	c2.Store((*[8]float32)(unsafe.Add(pc, 2*st)))
	c3.Store((*[8]float32)(unsafe.Add(pc, 3*st)))
	c4.Store((*[8]float32)(unsafe.Add(pc, 4*st)))
	c5.Store((*[8]float32)(unsafe.Add(pc, 5*st)))
	c6.Store((*[8]float32)(unsafe.Add(pc, 6*st)))
	c7.Store((*[8]float32)(unsafe.Add(pc, 7*st)))
	c8.Store((*[8]float32)(unsafe.Add(pc, 8*st)))
	c9.Store((*[8]float32)(unsafe.Add(pc, 9*st)))
	c10.Store((*[8]float32)(unsafe.Add(pc, 10*st)))
	c11.Store((*[8]float32)(unsafe.Add(pc, 11*st)))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

func sgemmDot512(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	var s0, s1, s2, s3 archsimd.Float32x16
	i := 0
	for ; i+64 <= n; i += 64 {
		s0 = archsimd.LoadFloat32x16Slice(x[i:]).MulAdd(archsimd.LoadFloat32x16Slice(y[i:]), s0)
		s1 = archsimd.LoadFloat32x16Slice(x[i+16:]).MulAdd(archsimd.LoadFloat32x16Slice(y[i+16:]), s1)
		s2 = archsimd.LoadFloat32x16Slice(x[i+32:]).MulAdd(archsimd.LoadFloat32x16Slice(y[i+32:]), s2)
		s3 = archsimd.LoadFloat32x16Slice(x[i+48:]).MulAdd(archsimd.LoadFloat32x16Slice(y[i+48:]), s3)
	}
	for ; i+16 <= n; i += 16 {
		s0 = archsimd.LoadFloat32x16Slice(x[i:]).MulAdd(archsimd.LoadFloat32x16Slice(y[i:]), s0)
	}
	if i < n {
		// The ...SlicePart loads trip checkptr (-race); copy the tail instead.
		var tx, ty [16]float32
		copy(tx[:], x[i:])
		copy(ty[:], y[i:])
		s1 = archsimd.LoadFloat32x16(&tx).MulAdd(archsimd.LoadFloat32x16(&ty), s1)
	}
	var t [16]float32
	s0.Add(s1).Add(s2.Add(s3)).Store(&t)
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	var sum float32
	for _, v := range t {
		sum += v
	}
	return sum
}

func sgemmAxpy512(alpha float32, x, y []float32) {
	n := len(x)
	y = y[:n]
	av := archsimd.BroadcastFloat32x16(alpha)
	i := 0
	for ; i+32 <= n; i += 32 {
		archsimd.LoadFloat32x16Slice(x[i:]).MulAdd(av, archsimd.LoadFloat32x16Slice(y[i:])).StoreSlice(y[i:])
		archsimd.LoadFloat32x16Slice(x[i+16:]).MulAdd(av, archsimd.LoadFloat32x16Slice(y[i+16:])).StoreSlice(y[i+16:])
	}
	for ; i+16 <= n; i += 16 {
		archsimd.LoadFloat32x16Slice(x[i:]).MulAdd(av, archsimd.LoadFloat32x16Slice(y[i:])).StoreSlice(y[i:])
	}
	if i < n {
		var tx, ty [16]float32
		copy(tx[:], x[i:])
		copy(ty[:], y[i:])
		archsimd.LoadFloat32x16(&tx).MulAdd(av, archsimd.LoadFloat32x16(&ty)).Store(&ty)
		copy(y[i:], ty[:])
	}
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

func sgemmDot256(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	var s0, s1, s2, s3 archsimd.Float32x8
	i := 0
	for ; i+32 <= n; i += 32 {
		s0 = archsimd.LoadFloat32x8Slice(x[i:]).MulAdd(archsimd.LoadFloat32x8Slice(y[i:]), s0)
		s1 = archsimd.LoadFloat32x8Slice(x[i+8:]).MulAdd(archsimd.LoadFloat32x8Slice(y[i+8:]), s1)
		s2 = archsimd.LoadFloat32x8Slice(x[i+16:]).MulAdd(archsimd.LoadFloat32x8Slice(y[i+16:]), s2)
		s3 = archsimd.LoadFloat32x8Slice(x[i+24:]).MulAdd(archsimd.LoadFloat32x8Slice(y[i+24:]), s3)
	}
	for ; i+8 <= n; i += 8 {
		s0 = archsimd.LoadFloat32x8Slice(x[i:]).MulAdd(archsimd.LoadFloat32x8Slice(y[i:]), s0)
	}
	if i < n {
		// The ...SlicePart loads trip checkptr (-race); copy the tail instead.
		var tx, ty [8]float32
		copy(tx[:], x[i:])
		copy(ty[:], y[i:])
		s1 = archsimd.LoadFloat32x8(&tx).MulAdd(archsimd.LoadFloat32x8(&ty), s1)
	}
	var t [8]float32
	s0.Add(s1).Add(s2.Add(s3)).Store(&t)
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
	var sum float32
	for _, v := range t {
		sum += v
	}
	return sum
}

func sgemmAxpy256(alpha float32, x, y []float32) {
	n := len(x)
	y = y[:n]
	av := archsimd.BroadcastFloat32x8(alpha)
	i := 0
	for ; i+16 <= n; i += 16 {
		archsimd.LoadFloat32x8Slice(x[i:]).MulAdd(av, archsimd.LoadFloat32x8Slice(y[i:])).StoreSlice(y[i:])
		archsimd.LoadFloat32x8Slice(x[i+8:]).MulAdd(av, archsimd.LoadFloat32x8Slice(y[i+8:])).StoreSlice(y[i+8:])
	}
	for ; i+8 <= n; i += 8 {
		archsimd.LoadFloat32x8Slice(x[i:]).MulAdd(av, archsimd.LoadFloat32x8Slice(y[i:])).StoreSlice(y[i:])
	}
	if i < n {
		var tx, ty [8]float32
		copy(tx[:], x[i:])
		copy(ty[:], y[i:])
		archsimd.LoadFloat32x8(&tx).MulAdd(av, archsimd.LoadFloat32x8(&ty)).Store(&ty)
		copy(y[i:], ty[:])
	}
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

func sgemmHsum512(v archsimd.Float32x16) float32 {
	h := v.GetLo().Add(v.GetHi())
	q := h.GetLo().Add(h.GetHi())
	q = q.AddPairs(q)
	q = q.AddPairs(q)
	return q.GetElem(0)
}

func sgemmHsum256(v archsimd.Float32x8) float32 {
	q := v.GetLo().Add(v.GetHi())
	q = q.AddPairs(q)
	q = q.AddPairs(q)
	return q.GetElem(0)
}

// sgemmSkinny512x1 is the 1-row skinny kernel (see sgemmImpl.skinny).
func sgemmSkinny512x1(k int, s *[4][]float32, x []float32, ldx int, out *[4][32]float32) {
	if k <= 0 {
		return
	}
	_ = x[(k-1)*ldx+31]
	ps0 := unsafe.Pointer(&s[0][:k][0])
	px, st := unsafe.Pointer(&x[0]), uintptr(ldx)*4
	var z archsimd.Float32x4
	var c00, c01 archsimd.Float32x16
	for q := k; ; {
		x0 := archsimd.LoadFloat32x16((*[16]float32)(px))
		x1 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, 64)))
		b0 := z.SetElem(0, *(*float32)(ps0)).Broadcast1To16()
		c00 = b0.MulAdd(x0, c00)
		c01 = b0.MulAdd(x1, c01)
		q--
		if q == 0 {
			break
		}
		px = unsafe.Add(px, st)
		ps0 = unsafe.Add(ps0, 4)
	}
	c00.Store((*[16]float32)(out[0][0:16]))
	c01.Store((*[16]float32)(out[0][16:32]))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmSkinny512x2 is the 2-row skinny kernel (see sgemmImpl.skinny).
func sgemmSkinny512x2(k int, s *[4][]float32, x []float32, ldx int, out *[4][32]float32) {
	if k <= 0 {
		return
	}
	_ = x[(k-1)*ldx+31]
	ps0 := unsafe.Pointer(&s[0][:k][0])
	ps1 := unsafe.Pointer(&s[1][:k][0])
	px, st := unsafe.Pointer(&x[0]), uintptr(ldx)*4
	var z archsimd.Float32x4
	var c00, c01, c10, c11 archsimd.Float32x16
	for q := k; ; {
		x0 := archsimd.LoadFloat32x16((*[16]float32)(px))
		x1 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, 64)))
		b0 := z.SetElem(0, *(*float32)(ps0)).Broadcast1To16()
		c00 = b0.MulAdd(x0, c00)
		c01 = b0.MulAdd(x1, c01)
		b1 := z.SetElem(0, *(*float32)(ps1)).Broadcast1To16()
		c10 = b1.MulAdd(x0, c10)
		c11 = b1.MulAdd(x1, c11)
		q--
		if q == 0 {
			break
		}
		px = unsafe.Add(px, st)
		ps0, ps1 = unsafe.Add(ps0, 4), unsafe.Add(ps1, 4)
	}
	c00.Store((*[16]float32)(out[0][0:16]))
	c01.Store((*[16]float32)(out[0][16:32]))
	c10.Store((*[16]float32)(out[1][0:16]))
	c11.Store((*[16]float32)(out[1][16:32]))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmSkinny512x3 is the 3-row skinny kernel (see sgemmImpl.skinny).
func sgemmSkinny512x3(k int, s *[4][]float32, x []float32, ldx int, out *[4][32]float32) {
	if k <= 0 {
		return
	}
	_ = x[(k-1)*ldx+31]
	ps0 := unsafe.Pointer(&s[0][:k][0])
	ps1 := unsafe.Pointer(&s[1][:k][0])
	ps2 := unsafe.Pointer(&s[2][:k][0])
	px, st := unsafe.Pointer(&x[0]), uintptr(ldx)*4
	var z archsimd.Float32x4
	var c00, c01, c10, c11, c20, c21 archsimd.Float32x16
	for q := k; ; {
		x0 := archsimd.LoadFloat32x16((*[16]float32)(px))
		x1 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, 64)))
		b0 := z.SetElem(0, *(*float32)(ps0)).Broadcast1To16()
		c00 = b0.MulAdd(x0, c00)
		c01 = b0.MulAdd(x1, c01)
		b1 := z.SetElem(0, *(*float32)(ps1)).Broadcast1To16()
		c10 = b1.MulAdd(x0, c10)
		c11 = b1.MulAdd(x1, c11)
		b2 := z.SetElem(0, *(*float32)(ps2)).Broadcast1To16()
		c20 = b2.MulAdd(x0, c20)
		c21 = b2.MulAdd(x1, c21)
		q--
		if q == 0 {
			break
		}
		px = unsafe.Add(px, st)
		ps0, ps1, ps2 = unsafe.Add(ps0, 4), unsafe.Add(ps1, 4), unsafe.Add(ps2, 4)
	}
	c00.Store((*[16]float32)(out[0][0:16]))
	c01.Store((*[16]float32)(out[0][16:32]))
	c10.Store((*[16]float32)(out[1][0:16]))
	c11.Store((*[16]float32)(out[1][16:32]))
	c20.Store((*[16]float32)(out[2][0:16]))
	c21.Store((*[16]float32)(out[2][16:32]))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmSkinny512x4 is the 4-row skinny kernel (see sgemmImpl.skinny).
func sgemmSkinny512x4(k int, s *[4][]float32, x []float32, ldx int, out *[4][32]float32) {
	if k <= 0 {
		return
	}
	_ = x[(k-1)*ldx+31]
	ps0 := unsafe.Pointer(&s[0][:k][0])
	ps1 := unsafe.Pointer(&s[1][:k][0])
	ps2 := unsafe.Pointer(&s[2][:k][0])
	ps3 := unsafe.Pointer(&s[3][:k][0])
	px, st := unsafe.Pointer(&x[0]), uintptr(ldx)*4
	var z archsimd.Float32x4
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x16
	for q := k; ; {
		x0 := archsimd.LoadFloat32x16((*[16]float32)(px))
		x1 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, 64)))
		b0 := z.SetElem(0, *(*float32)(ps0)).Broadcast1To16()
		c00 = b0.MulAdd(x0, c00)
		c01 = b0.MulAdd(x1, c01)
		b1 := z.SetElem(0, *(*float32)(ps1)).Broadcast1To16()
		c10 = b1.MulAdd(x0, c10)
		c11 = b1.MulAdd(x1, c11)
		b2 := z.SetElem(0, *(*float32)(ps2)).Broadcast1To16()
		c20 = b2.MulAdd(x0, c20)
		c21 = b2.MulAdd(x1, c21)
		b3 := z.SetElem(0, *(*float32)(ps3)).Broadcast1To16()
		c30 = b3.MulAdd(x0, c30)
		c31 = b3.MulAdd(x1, c31)
		q--
		if q == 0 {
			break
		}
		px = unsafe.Add(px, st)
		ps0, ps1, ps2, ps3 = unsafe.Add(ps0, 4), unsafe.Add(ps1, 4), unsafe.Add(ps2, 4), unsafe.Add(ps3, 4)
	}
	c00.Store((*[16]float32)(out[0][0:16]))
	c01.Store((*[16]float32)(out[0][16:32]))
	c10.Store((*[16]float32)(out[1][0:16]))
	c11.Store((*[16]float32)(out[1][16:32]))
	c20.Store((*[16]float32)(out[2][0:16]))
	c21.Store((*[16]float32)(out[2][16:32]))
	c30.Store((*[16]float32)(out[3][0:16]))
	c31.Store((*[16]float32)(out[3][16:32]))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmSkinny256x1 is the 1-row skinny kernel (see sgemmImpl.skinny).
func sgemmSkinny256x1(k int, s *[4][]float32, x []float32, ldx int, out *[4][32]float32) {
	if k <= 0 {
		return
	}
	_ = x[(k-1)*ldx+15]
	ps0 := unsafe.Pointer(&s[0][:k][0])
	px, st := unsafe.Pointer(&x[0]), uintptr(ldx)*4
	var z archsimd.Float32x4
	var c00, c01 archsimd.Float32x8
	for q := k; ; {
		x0 := archsimd.LoadFloat32x8((*[8]float32)(px))
		x1 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, 32)))
		b0 := z.SetElem(0, *(*float32)(ps0)).Broadcast1To8()
		c00 = b0.MulAdd(x0, c00)
		c01 = b0.MulAdd(x1, c01)
		q--
		if q == 0 {
			break
		}
		px = unsafe.Add(px, st)
		ps0 = unsafe.Add(ps0, 4)
	}
	c00.Store((*[8]float32)(out[0][0:8]))
	c01.Store((*[8]float32)(out[0][8:16]))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmSkinny256x2 is the 2-row skinny kernel (see sgemmImpl.skinny).
func sgemmSkinny256x2(k int, s *[4][]float32, x []float32, ldx int, out *[4][32]float32) {
	if k <= 0 {
		return
	}
	_ = x[(k-1)*ldx+15]
	ps0 := unsafe.Pointer(&s[0][:k][0])
	ps1 := unsafe.Pointer(&s[1][:k][0])
	px, st := unsafe.Pointer(&x[0]), uintptr(ldx)*4
	var z archsimd.Float32x4
	var c00, c01, c10, c11 archsimd.Float32x8
	for q := k; ; {
		x0 := archsimd.LoadFloat32x8((*[8]float32)(px))
		x1 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, 32)))
		b0 := z.SetElem(0, *(*float32)(ps0)).Broadcast1To8()
		c00 = b0.MulAdd(x0, c00)
		c01 = b0.MulAdd(x1, c01)
		b1 := z.SetElem(0, *(*float32)(ps1)).Broadcast1To8()
		c10 = b1.MulAdd(x0, c10)
		c11 = b1.MulAdd(x1, c11)
		q--
		if q == 0 {
			break
		}
		px = unsafe.Add(px, st)
		ps0, ps1 = unsafe.Add(ps0, 4), unsafe.Add(ps1, 4)
	}
	c00.Store((*[8]float32)(out[0][0:8]))
	c01.Store((*[8]float32)(out[0][8:16]))
	c10.Store((*[8]float32)(out[1][0:8]))
	c11.Store((*[8]float32)(out[1][8:16]))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmSkinny256x3 is the 3-row skinny kernel (see sgemmImpl.skinny).
func sgemmSkinny256x3(k int, s *[4][]float32, x []float32, ldx int, out *[4][32]float32) {
	if k <= 0 {
		return
	}
	_ = x[(k-1)*ldx+15]
	ps0 := unsafe.Pointer(&s[0][:k][0])
	ps1 := unsafe.Pointer(&s[1][:k][0])
	ps2 := unsafe.Pointer(&s[2][:k][0])
	px, st := unsafe.Pointer(&x[0]), uintptr(ldx)*4
	var z archsimd.Float32x4
	var c00, c01, c10, c11, c20, c21 archsimd.Float32x8
	for q := k; ; {
		x0 := archsimd.LoadFloat32x8((*[8]float32)(px))
		x1 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, 32)))
		b0 := z.SetElem(0, *(*float32)(ps0)).Broadcast1To8()
		c00 = b0.MulAdd(x0, c00)
		c01 = b0.MulAdd(x1, c01)
		b1 := z.SetElem(0, *(*float32)(ps1)).Broadcast1To8()
		c10 = b1.MulAdd(x0, c10)
		c11 = b1.MulAdd(x1, c11)
		b2 := z.SetElem(0, *(*float32)(ps2)).Broadcast1To8()
		c20 = b2.MulAdd(x0, c20)
		c21 = b2.MulAdd(x1, c21)
		q--
		if q == 0 {
			break
		}
		px = unsafe.Add(px, st)
		ps0, ps1, ps2 = unsafe.Add(ps0, 4), unsafe.Add(ps1, 4), unsafe.Add(ps2, 4)
	}
	c00.Store((*[8]float32)(out[0][0:8]))
	c01.Store((*[8]float32)(out[0][8:16]))
	c10.Store((*[8]float32)(out[1][0:8]))
	c11.Store((*[8]float32)(out[1][8:16]))
	c20.Store((*[8]float32)(out[2][0:8]))
	c21.Store((*[8]float32)(out[2][8:16]))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmSkinny256x4 is the 4-row skinny kernel (see sgemmImpl.skinny).
func sgemmSkinny256x4(k int, s *[4][]float32, x []float32, ldx int, out *[4][32]float32) {
	if k <= 0 {
		return
	}
	_ = x[(k-1)*ldx+15]
	ps0 := unsafe.Pointer(&s[0][:k][0])
	ps1 := unsafe.Pointer(&s[1][:k][0])
	ps2 := unsafe.Pointer(&s[2][:k][0])
	ps3 := unsafe.Pointer(&s[3][:k][0])
	px, st := unsafe.Pointer(&x[0]), uintptr(ldx)*4
	var z archsimd.Float32x4
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x8
	for q := k; ; {
		x0 := archsimd.LoadFloat32x8((*[8]float32)(px))
		x1 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, 32)))
		b0 := z.SetElem(0, *(*float32)(ps0)).Broadcast1To8()
		c00 = b0.MulAdd(x0, c00)
		c01 = b0.MulAdd(x1, c01)
		b1 := z.SetElem(0, *(*float32)(ps1)).Broadcast1To8()
		c10 = b1.MulAdd(x0, c10)
		c11 = b1.MulAdd(x1, c11)
		b2 := z.SetElem(0, *(*float32)(ps2)).Broadcast1To8()
		c20 = b2.MulAdd(x0, c20)
		c21 = b2.MulAdd(x1, c21)
		b3 := z.SetElem(0, *(*float32)(ps3)).Broadcast1To8()
		c30 = b3.MulAdd(x0, c30)
		c31 = b3.MulAdd(x1, c31)
		q--
		if q == 0 {
			break
		}
		px = unsafe.Add(px, st)
		ps0, ps1, ps2, ps3 = unsafe.Add(ps0, 4), unsafe.Add(ps1, 4), unsafe.Add(ps2, 4), unsafe.Add(ps3, 4)
	}
	c00.Store((*[8]float32)(out[0][0:8]))
	c01.Store((*[8]float32)(out[0][8:16]))
	c10.Store((*[8]float32)(out[1][0:8]))
	c11.Store((*[8]float32)(out[1][8:16]))
	c20.Store((*[8]float32)(out[2][0:8]))
	c21.Store((*[8]float32)(out[2][8:16]))
	c30.Store((*[8]float32)(out[3][0:8]))
	c31.Store((*[8]float32)(out[3][8:16]))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmDotRows512x1 is the 1-row dot kernel (see sgemmImpl.dotRows).
func sgemmDotRows512x1(x []float32, ys *[4][]float32, out *[4]float32) {
	k := len(x)
	y0 := ys[0][:k]
	var a0, e0 archsimd.Float32x16
	n := k &^ 31
	if n > 0 {
		px := unsafe.Pointer(&x[0])
		p0 := unsafe.Pointer(&y0[0])
		for i := uintptr(0); i < uintptr(n)*4; i += 128 {
			xv := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, i)))
			xw := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, i+64)))
			a0 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p0, i))).MulAdd(xv, a0)
			e0 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p0, i+64))).MulAdd(xw, e0)
		}
	}
	for i := n; i < k; i += 16 {
		var t [16]float32 // not LoadFloat32x16SlicePart: it trips checkptr
		copy(t[:], x[i:])
		xv := archsimd.LoadFloat32x16(&t)
		clear(t[:])
		copy(t[:], y0[i:])
		a0 = archsimd.LoadFloat32x16(&t).MulAdd(xv, a0)
	}
	out[0] = sgemmHsum512(a0.Add(e0))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmDotRows512x2 is the 2-row dot kernel (see sgemmImpl.dotRows).
func sgemmDotRows512x2(x []float32, ys *[4][]float32, out *[4]float32) {
	k := len(x)
	y0 := ys[0][:k]
	y1 := ys[1][:k]
	var a0, e0, a1, e1 archsimd.Float32x16
	n := k &^ 31
	if n > 0 {
		px := unsafe.Pointer(&x[0])
		p0 := unsafe.Pointer(&y0[0])
		p1 := unsafe.Pointer(&y1[0])
		for i := uintptr(0); i < uintptr(n)*4; i += 128 {
			xv := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, i)))
			xw := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, i+64)))
			a0 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p0, i))).MulAdd(xv, a0)
			e0 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p0, i+64))).MulAdd(xw, e0)
			a1 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p1, i))).MulAdd(xv, a1)
			e1 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p1, i+64))).MulAdd(xw, e1)
		}
	}
	for i := n; i < k; i += 16 {
		var t [16]float32 // not LoadFloat32x16SlicePart: it trips checkptr
		copy(t[:], x[i:])
		xv := archsimd.LoadFloat32x16(&t)
		clear(t[:])
		copy(t[:], y0[i:])
		a0 = archsimd.LoadFloat32x16(&t).MulAdd(xv, a0)
		clear(t[:])
		copy(t[:], y1[i:])
		a1 = archsimd.LoadFloat32x16(&t).MulAdd(xv, a1)
	}
	out[0] = sgemmHsum512(a0.Add(e0))
	out[1] = sgemmHsum512(a1.Add(e1))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmDotRows512x3 is the 3-row dot kernel (see sgemmImpl.dotRows).
func sgemmDotRows512x3(x []float32, ys *[4][]float32, out *[4]float32) {
	k := len(x)
	y0 := ys[0][:k]
	y1 := ys[1][:k]
	y2 := ys[2][:k]
	var a0, e0, a1, e1, a2, e2 archsimd.Float32x16
	n := k &^ 31
	if n > 0 {
		px := unsafe.Pointer(&x[0])
		p0 := unsafe.Pointer(&y0[0])
		p1 := unsafe.Pointer(&y1[0])
		p2 := unsafe.Pointer(&y2[0])
		for i := uintptr(0); i < uintptr(n)*4; i += 128 {
			xv := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, i)))
			xw := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, i+64)))
			a0 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p0, i))).MulAdd(xv, a0)
			e0 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p0, i+64))).MulAdd(xw, e0)
			a1 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p1, i))).MulAdd(xv, a1)
			e1 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p1, i+64))).MulAdd(xw, e1)
			a2 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p2, i))).MulAdd(xv, a2)
			e2 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p2, i+64))).MulAdd(xw, e2)
		}
	}
	for i := n; i < k; i += 16 {
		var t [16]float32 // not LoadFloat32x16SlicePart: it trips checkptr
		copy(t[:], x[i:])
		xv := archsimd.LoadFloat32x16(&t)
		clear(t[:])
		copy(t[:], y0[i:])
		a0 = archsimd.LoadFloat32x16(&t).MulAdd(xv, a0)
		clear(t[:])
		copy(t[:], y1[i:])
		a1 = archsimd.LoadFloat32x16(&t).MulAdd(xv, a1)
		clear(t[:])
		copy(t[:], y2[i:])
		a2 = archsimd.LoadFloat32x16(&t).MulAdd(xv, a2)
	}
	out[0] = sgemmHsum512(a0.Add(e0))
	out[1] = sgemmHsum512(a1.Add(e1))
	out[2] = sgemmHsum512(a2.Add(e2))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmDotRows512x4 is the 4-row dot kernel (see sgemmImpl.dotRows).
func sgemmDotRows512x4(x []float32, ys *[4][]float32, out *[4]float32) {
	k := len(x)
	y0 := ys[0][:k]
	y1 := ys[1][:k]
	y2 := ys[2][:k]
	y3 := ys[3][:k]
	var a0, e0, a1, e1, a2, e2, a3, e3 archsimd.Float32x16
	n := k &^ 31
	if n > 0 {
		px := unsafe.Pointer(&x[0])
		p0 := unsafe.Pointer(&y0[0])
		p1 := unsafe.Pointer(&y1[0])
		p2 := unsafe.Pointer(&y2[0])
		p3 := unsafe.Pointer(&y3[0])
		for i := uintptr(0); i < uintptr(n)*4; i += 128 {
			xv := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, i)))
			xw := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, i+64)))
			a0 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p0, i))).MulAdd(xv, a0)
			e0 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p0, i+64))).MulAdd(xw, e0)
			a1 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p1, i))).MulAdd(xv, a1)
			e1 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p1, i+64))).MulAdd(xw, e1)
			a2 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p2, i))).MulAdd(xv, a2)
			e2 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p2, i+64))).MulAdd(xw, e2)
			a3 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p3, i))).MulAdd(xv, a3)
			e3 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p3, i+64))).MulAdd(xw, e3)
		}
	}
	for i := n; i < k; i += 16 {
		var t [16]float32 // not LoadFloat32x16SlicePart: it trips checkptr
		copy(t[:], x[i:])
		xv := archsimd.LoadFloat32x16(&t)
		clear(t[:])
		copy(t[:], y0[i:])
		a0 = archsimd.LoadFloat32x16(&t).MulAdd(xv, a0)
		clear(t[:])
		copy(t[:], y1[i:])
		a1 = archsimd.LoadFloat32x16(&t).MulAdd(xv, a1)
		clear(t[:])
		copy(t[:], y2[i:])
		a2 = archsimd.LoadFloat32x16(&t).MulAdd(xv, a2)
		clear(t[:])
		copy(t[:], y3[i:])
		a3 = archsimd.LoadFloat32x16(&t).MulAdd(xv, a3)
	}
	out[0] = sgemmHsum512(a0.Add(e0))
	out[1] = sgemmHsum512(a1.Add(e1))
	out[2] = sgemmHsum512(a2.Add(e2))
	out[3] = sgemmHsum512(a3.Add(e3))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmDotRows256x1 is the 1-row dot kernel (see sgemmImpl.dotRows).
func sgemmDotRows256x1(x []float32, ys *[4][]float32, out *[4]float32) {
	k := len(x)
	y0 := ys[0][:k]
	var a0, e0 archsimd.Float32x8
	n := k &^ 15
	if n > 0 {
		px := unsafe.Pointer(&x[0])
		p0 := unsafe.Pointer(&y0[0])
		for i := uintptr(0); i < uintptr(n)*4; i += 64 {
			xv := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, i)))
			xw := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, i+32)))
			a0 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p0, i))).MulAdd(xv, a0)
			e0 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p0, i+32))).MulAdd(xw, e0)
		}
	}
	for i := n; i < k; i += 8 {
		var t [8]float32 // not LoadFloat32x8SlicePart: it trips checkptr
		copy(t[:], x[i:])
		xv := archsimd.LoadFloat32x8(&t)
		clear(t[:])
		copy(t[:], y0[i:])
		a0 = archsimd.LoadFloat32x8(&t).MulAdd(xv, a0)
	}
	out[0] = sgemmHsum256(a0.Add(e0))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmDotRows256x2 is the 2-row dot kernel (see sgemmImpl.dotRows).
func sgemmDotRows256x2(x []float32, ys *[4][]float32, out *[4]float32) {
	k := len(x)
	y0 := ys[0][:k]
	y1 := ys[1][:k]
	var a0, e0, a1, e1 archsimd.Float32x8
	n := k &^ 15
	if n > 0 {
		px := unsafe.Pointer(&x[0])
		p0 := unsafe.Pointer(&y0[0])
		p1 := unsafe.Pointer(&y1[0])
		for i := uintptr(0); i < uintptr(n)*4; i += 64 {
			xv := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, i)))
			xw := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, i+32)))
			a0 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p0, i))).MulAdd(xv, a0)
			e0 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p0, i+32))).MulAdd(xw, e0)
			a1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p1, i))).MulAdd(xv, a1)
			e1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p1, i+32))).MulAdd(xw, e1)
		}
	}
	for i := n; i < k; i += 8 {
		var t [8]float32 // not LoadFloat32x8SlicePart: it trips checkptr
		copy(t[:], x[i:])
		xv := archsimd.LoadFloat32x8(&t)
		clear(t[:])
		copy(t[:], y0[i:])
		a0 = archsimd.LoadFloat32x8(&t).MulAdd(xv, a0)
		clear(t[:])
		copy(t[:], y1[i:])
		a1 = archsimd.LoadFloat32x8(&t).MulAdd(xv, a1)
	}
	out[0] = sgemmHsum256(a0.Add(e0))
	out[1] = sgemmHsum256(a1.Add(e1))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmDotRows256x3 is the 3-row dot kernel (see sgemmImpl.dotRows).
func sgemmDotRows256x3(x []float32, ys *[4][]float32, out *[4]float32) {
	k := len(x)
	y0 := ys[0][:k]
	y1 := ys[1][:k]
	y2 := ys[2][:k]
	var a0, e0, a1, e1, a2, e2 archsimd.Float32x8
	n := k &^ 15
	if n > 0 {
		px := unsafe.Pointer(&x[0])
		p0 := unsafe.Pointer(&y0[0])
		p1 := unsafe.Pointer(&y1[0])
		p2 := unsafe.Pointer(&y2[0])
		for i := uintptr(0); i < uintptr(n)*4; i += 64 {
			xv := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, i)))
			xw := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, i+32)))
			a0 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p0, i))).MulAdd(xv, a0)
			e0 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p0, i+32))).MulAdd(xw, e0)
			a1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p1, i))).MulAdd(xv, a1)
			e1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p1, i+32))).MulAdd(xw, e1)
			a2 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p2, i))).MulAdd(xv, a2)
			e2 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p2, i+32))).MulAdd(xw, e2)
		}
	}
	for i := n; i < k; i += 8 {
		var t [8]float32 // not LoadFloat32x8SlicePart: it trips checkptr
		copy(t[:], x[i:])
		xv := archsimd.LoadFloat32x8(&t)
		clear(t[:])
		copy(t[:], y0[i:])
		a0 = archsimd.LoadFloat32x8(&t).MulAdd(xv, a0)
		clear(t[:])
		copy(t[:], y1[i:])
		a1 = archsimd.LoadFloat32x8(&t).MulAdd(xv, a1)
		clear(t[:])
		copy(t[:], y2[i:])
		a2 = archsimd.LoadFloat32x8(&t).MulAdd(xv, a2)
	}
	out[0] = sgemmHsum256(a0.Add(e0))
	out[1] = sgemmHsum256(a1.Add(e1))
	out[2] = sgemmHsum256(a2.Add(e2))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}

// sgemmDotRows256x4 is the 4-row dot kernel (see sgemmImpl.dotRows).
func sgemmDotRows256x4(x []float32, ys *[4][]float32, out *[4]float32) {
	k := len(x)
	y0 := ys[0][:k]
	y1 := ys[1][:k]
	y2 := ys[2][:k]
	y3 := ys[3][:k]
	var a0, e0, a1, e1, a2, e2, a3, e3 archsimd.Float32x8
	n := k &^ 15
	if n > 0 {
		px := unsafe.Pointer(&x[0])
		p0 := unsafe.Pointer(&y0[0])
		p1 := unsafe.Pointer(&y1[0])
		p2 := unsafe.Pointer(&y2[0])
		p3 := unsafe.Pointer(&y3[0])
		for i := uintptr(0); i < uintptr(n)*4; i += 64 {
			xv := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, i)))
			xw := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, i+32)))
			a0 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p0, i))).MulAdd(xv, a0)
			e0 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p0, i+32))).MulAdd(xw, e0)
			a1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p1, i))).MulAdd(xv, a1)
			e1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p1, i+32))).MulAdd(xw, e1)
			a2 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p2, i))).MulAdd(xv, a2)
			e2 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p2, i+32))).MulAdd(xw, e2)
			a3 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p3, i))).MulAdd(xv, a3)
			e3 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p3, i+32))).MulAdd(xw, e3)
		}
	}
	for i := n; i < k; i += 8 {
		var t [8]float32 // not LoadFloat32x8SlicePart: it trips checkptr
		copy(t[:], x[i:])
		xv := archsimd.LoadFloat32x8(&t)
		clear(t[:])
		copy(t[:], y0[i:])
		a0 = archsimd.LoadFloat32x8(&t).MulAdd(xv, a0)
		clear(t[:])
		copy(t[:], y1[i:])
		a1 = archsimd.LoadFloat32x8(&t).MulAdd(xv, a1)
		clear(t[:])
		copy(t[:], y2[i:])
		a2 = archsimd.LoadFloat32x8(&t).MulAdd(xv, a2)
		clear(t[:])
		copy(t[:], y3[i:])
		a3 = archsimd.LoadFloat32x8(&t).MulAdd(xv, a3)
	}
	out[0] = sgemmHsum256(a0.Add(e0))
	out[1] = sgemmHsum256(a1.Add(e1))
	out[2] = sgemmHsum256(a2.Add(e2))
	out[3] = sgemmHsum256(a3.Add(e3))
	archsimd.ClearAVXUpperBits() // leave no dirty upper state for the SSE code after (see doc.go)
}
