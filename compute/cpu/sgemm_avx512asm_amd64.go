//go:build goexperiment.simd && amd64

package cpu

// The AVX-512 micro-kernels in Go assembly (sgemm_avx512asm_amd64.s), the
// default on CPUs with AVX-512F; the archsimd kernels of sgemm_simd_amd64.go
// remain as their pure-Go twins and for AVX2.
//
// Why assembly here: Go 1.26's code generator gives simd/archsimd values only
// X0-X14 and has no broadcast-from-memory form, so the archsimd 12x16 kernel
// issues a scalar load, a register broadcast (a shuffle-port uop on Intel,
// the same port as the second FMA unit) and an FMA per multiply-add and
// reaches about a quarter of the FMA peak. With all 32 zmm registers the
// kernel holds a 12x32 tile (24 accumulators) and broadcasts each A element
// once from memory, a load-port operation, for two FMAs: the FMA ports only
// execute FMAs. See docs/design-notes.md for the measurements.

// sgemmKernel12x32Asm computes the 12x32 tile
//
//	for i := 0; i < 12; i++ {
//		for j := 0; j < 32; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += a[i*ars/4+p*aks/4] * b[p*bks/4+j] // one FMA per p, in order of p
//			}
//			c[i*ldc+j] = s                  // mode sgemmSet
//			c[i*ldc+j] += s                 // mode sgemmAdd
//			c[i*ldc+j] = s + beta*c[i*ldc+j] // mode sgemmScale (one FMA)
//		}
//	}
//
// with ars and aks the A row stride and depth step and bks the B depth step,
// in bytes. k >= 1.
//
//go:noescape
func sgemmKernel12x32Asm(k int, a, b, c *float32, ldc, mode int, beta float32, ars, aks, bks uintptr)

// sgemmKernel12x16Asm is sgemmKernel12x32Asm for 16 columns.
//
//go:noescape
func sgemmKernel12x16Asm(k int, a, b, c *float32, ldc, mode int, beta float32, ars, aks, bks uintptr)

var sgemmAsm512Impl = sgemmAsm512("avx512-asm", 32, sgemmKernelAsm32AB, sgemmDirectLD, sgemmAsm512x16Impl)

// sgemmAsm512PackedImpl is sgemmAsm512Impl with every operand packed
// (directLD 0; for the tests and the benchmarks beside the in-place reads).
var sgemmAsm512PackedImpl = sgemmAsm512("avx512-asm-packed", 32, sgemmKernelAsm32AB, 0, sgemmAsm512x16Impl)

// sgemmAsm512x16Impl serves products with at most 16 columns (the attention
// scores and outputs of narrow heads), which would fill half a 32-wide tile.
var sgemmAsm512x16Impl = sgemmAsm512("avx512-asm-x16", 16, sgemmKernelAsm16AB, sgemmDirectLD, nil)

// sgemmAsm512 is an implementation with the assembly kernel kernelAB (12 x nr
// tiles), the tiny-product path and the archsimd AVX-512 dot, axpy and skinny
// kernels.
func sgemmAsm512(name string, nr int, kernelAB func(int, []float32, int, int, []float32, int, []float32, int, int, float32),
	directLD int, narrow *sgemmImpl) *sgemmImpl {
	return &sgemmImpl{name: name, mr: 12, nr: nr, packSmallK: true,
		kernelAB: kernelAB, directLD: directLD, narrow: narrow,
		tiny: sgemmTiny512, tinyM: sgemmTinyM, tinyN: sgemmTinyN, tinyK: sgemmTinyK,
		dot: sgemmDot512, axpy: sgemmAxpy512,
		skinnyW: 32, skinny: sgemmAVX512Impl.skinny, dotRows: sgemmAVX512Impl.dotRows}
}

// sgemmAsmStrided runs kern on A and B in place: A(i, p) at a[i*ars+p*aks],
// B(p, j) at b[p*bks+j] (strides in elements), for the full 12 x nr tile.
func sgemmAsmStrided(kern func(int, *float32, *float32, *float32, int, int, float32, uintptr, uintptr, uintptr), nr int,
	k int, a []float32, ars, aks int, b []float32, bks int, c []float32, ldc, mode int, beta float32) {
	if k <= 0 {
		panic("sgemm: kernel depth must be positive")
	}
	_ = a[11*ars+(k-1)*aks]
	_ = b[(k-1)*bks+nr-1]
	_ = c[11*ldc+nr-1]
	kern(k, &a[0], &b[0], &c[0], ldc, mode, beta, uintptr(ars)*4, uintptr(aks)*4, uintptr(bks)*4)
}

func sgemmKernelAsm32AB(k int, a []float32, ars, aks int, b []float32, bks int, c []float32, ldc, mode int, beta float32) {
	sgemmAsmStrided(sgemmKernel12x32Asm, 32, k, a, ars, aks, b, bks, c, ldc, mode, beta)
}

func sgemmKernelAsm16AB(k int, a []float32, ars, aks int, b []float32, bks int, c []float32, ldc, mode int, beta float32) {
	sgemmAsmStrided(sgemmKernel12x16Asm, 16, k, a, ars, aks, b, bks, c, ldc, mode, beta)
}
