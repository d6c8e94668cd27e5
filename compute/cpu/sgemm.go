package cpu

// A blocked, packed, multi-threaded single-precision GEMM in pure Go.
//
// The structure is the classic one (Goto/BLIS): op(B) is packed into k x NR
// column panels, op(A) into MR x k row panels (scaled by alpha), and an MR x NR
// register-blocked micro-kernel multiplies one A panel by one B panel into a
// tile of C. The loops around it block k by sgemmKC (so a B micro-panel stays in
// L1 while the A panels of one block stream from L2), m by sgemmMC and n by
// sgemmNC. Parallelism splits C into a grid of sub-blocks aligned to tiles (or,
// for batched calls, distributes batch items); every task packs privately, so
// the tasks are independent and need no barriers.
//
// The SIMD micro-kernels live in sgemm_simd_amd64.go (AVX-512 and AVX2,
// written with the experimental simd/archsimd package, so only built with
// GOEXPERIMENT=simd). This file has a portable scalar kernel ("scalar") and the
// fallback used without them ("hybrid": gonum's Sgemm for large products,
// which its SSE loops do about twice as fast as scalar Go). Products with a
// dimension below sgemmSmall bypass packing and use dot/axpy-style loops
// (plus SIMD kernels for them where available).

import (
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"gonum.org/v1/gonum/blas"
)

// Cache blocking. sgemmKC is even (packed panels are padded to an even depth
// so that kernels may unroll k by two); sgemmMC and sgemmNC are rounded to
// multiples of the kernel's MR and NR.
const (
	sgemmKC = 256
	sgemmMC = 192
	sgemmNC = 2048

	// The widest depth stride (elements) at which the assembly kernels read
	// a transposed A or a B in place (sgemmImpl.directLD).
	sgemmDirectLD = 128

	// Problems with m, n or k below this use the unpacked dot/axpy paths.
	sgemmSmall = 5
)

// sgemmGrain is the minimum number of flops (2mnk) per goroutine (a variable
// so that tests can exercise the parallel paths on small problems).
var sgemmGrain = float64(1 << 18)

// sgemmImpl is a set of kernels for one instruction set.
type sgemmImpl struct {
	name   string
	mr, nr int
	// kernel computes the mr x nr product of a packed A panel (k x mr, element
	// (i, p) at a[p*mr+i]) and a packed B panel (element (p, j) at b[p*nr+j])
	// and stores it into the tile at c (row stride ldc) according to mode:
	// sgemmSet: c = ab; sgemmAdd: c += ab; sgemmScale: c = ab + beta*c.
	// k is even and >= 2.
	kernel func(k int, a, b, c []float32, ldc int, mode int, beta float32)
	// kernelRowA, if not nil, is kernel for A panels packed by rows: element
	// (i, p) at a[i*sgemmKC+p], k <= sgemmKC. Packing A that way is a plain copy
	// when A is not transposed.
	kernelRowA func(k int, a, b, c []float32, ldc int, mode int, beta float32)
	// kernelAB, if not nil, is kernel reading A and B in place: A(i, p) at
	// a[i*ars+p*aks], B(p, j) at b[p*bks+j], any k >= 1. Then products are
	// computed by strided, which packs only what it must.
	kernelAB func(k int, a []float32, ars, aks int, b []float32, bks int, c []float32, ldc int, mode int, beta float32)
	// directLD (with kernelAB) is the widest depth stride at which strided
	// reads a transposed A or a B in place; 0: strided packs every operand.
	directLD int
	// packSmallK: use the packed path (not smallK) for k < sgemmSmall.
	packSmallK bool
	// large, if not nil, computes products with n, k >= sgemmSmall instead
	// of the packed path, one batch item at a time (it parallelises itself).
	large func(p *sgemmProb)
	// dot returns sum_i x[i]*y[i] over len(x) elements (len(y) >= len(x)).
	dot func(x, y []float32) float32
	// axpy sets y[i] += alpha*x[i] for i < len(x) (len(y) >= len(x)).
	axpy func(alpha float32, x, y []float32)

	// Optional kernels for a tiny dimension r = 1..4 (index r; nil: use dot
	// and axpy). skinny[r] sets out[j][c] = sum_{q<k} s[j][q]*x[q*ldx+c] for
	// j < r, c < skinnyW; dotRows[r] sets out[j] = sum_i x[i]*ys[j][i] for j < r.
	skinnyW int
	skinny  [5]func(k int, s *[4][]float32, x []float32, ldx int, out *[4][32]float32)
	dotRows [5]func(x []float32, ys *[4][]float32, out *[4]float32)

	// tiny, if not nil, computes products with m <= tinyM, n <= tinyN and
	// k <= tinyK without packing (attnGemm uses it).
	tiny                func(p *sgemmProb, s *sgemmScratch)
	tinyM, tinyN, tinyK int

	// narrow, if not nil, is used instead for products with at most
	// narrow.nr columns (a wide tile would be mostly padding).
	narrow *sgemmImpl
}

// forN returns the implementation for products with n columns.
func (impl *sgemmImpl) forN(n int) *sgemmImpl {
	if impl.narrow != nil && n <= impl.narrow.nr {
		return impl.narrow
	}
	return impl
}

// Store modes of a kernel.
const (
	sgemmSet = iota
	sgemmAdd
	sgemmScale
)

// sgemmCur is the implementation in use, the best one this CPU supports.
var sgemmCur = sgemmBest()

// sgemmScalarImpl is the portable pure-Go implementation (4x4 scalar kernel).
var sgemmScalarImpl = &sgemmImpl{name: "scalar", mr: 4, nr: 4,
	kernel: sgemmKernelScalar4x4, dot: sgemmDotScalar, axpy: sgemmAxpyScalar}

// sgemmHybridImpl is the fallback without SIMD kernels: Go's scalar code
// cannot match gonum's SSE loops, so products go to gonum's Sgemm (as Gemm
// did before) except where that is slow, for n or k below sgemmSmall; there
// the dot/axpy paths of this file run on gonum's Sdot/Saxpy.
var sgemmHybridImpl = &sgemmImpl{name: "hybrid", mr: 4, nr: 4,
	kernel: sgemmKernelScalar4x4, large: sgemmGonumLarge, dot: sgemmDotGonum, axpy: sgemmAxpyGonum}

func sgemmGonumLarge(p *sgemmProb) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if p.transA {
		ta = blas.Trans
	}
	if p.transB {
		tb = blas.Trans
	}
	sgemm.Sgemm(ta, tb, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.c, p.ldc)
}

func sgemmDotGonum(x, y []float32) float32 { return sgemm.Sdot(len(x), x, 1, y, 1) }

func sgemmAxpyGonum(alpha float32, x, y []float32) { sgemm.Saxpy(len(x), alpha, x, 1, y, 1) }

// sgemmProb is one matrix product C = alpha op(A) op(B) + beta C; the slices
// start at the first element of each (sub-)matrix.
type sgemmProb struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	c              []float32
	ldc            int
}

// sub returns the sub-problem for rows [i0, i1) and columns [j0, j1) of C.
func (p *sgemmProb) sub(i0, i1, j0, j1 int) sgemmProb {
	q := *p
	q.m, q.n = i1-i0, j1-j0
	if q.k > 0 && q.alpha != 0 {
		if p.transA {
			q.a = p.a[i0:]
		} else {
			q.a = p.a[i0*p.lda:]
		}
		if p.transB {
			q.b = p.b[j0*p.ldb:]
		} else {
			q.b = p.b[j0:]
		}
	}
	q.c = p.c[i0*p.ldc+j0:]
	return q
}

// sgemmScratch holds one task's packing buffers; reused through sgemmPool.
type sgemmScratch struct {
	a, b, t []float32
}

var sgemmPool = sync.Pool{New: func() any { return new(sgemmScratch) }}

func sgemmGrow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// sgemmStrided computes C_b = alpha op(A_b) op(B_b) + beta C_b for b < batch with
// the matrices at offsets b*stride; sizes and bounds must have been checked.
// It uses up to workers goroutines.
func sgemmStrided(workers int, transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda, strideA int, b []float32, ldb, strideB int,
	beta float32, c []float32, ldc, strideC int, batch int) {
	if m <= 0 || n <= 0 || batch <= 0 {
		return
	}
	if batch > 1 && strideC < (m-1)*ldc+n {
		// The C_b overlap (e.g. strideC = 0 to accumulate over the batch):
		// the items must run one after the other.
		for i := 0; i < batch; i++ {
			var ai, bi []float32
			if k > 0 && alpha != 0 {
				ai, bi = a[i*strideA:], b[i*strideB:]
			}
			sgemmStrided(workers, transA, transB, m, n, k, alpha, ai, lda, 0, bi, ldb, 0,
				beta, c[i*strideC:], ldc, 0, 1)
		}
		return
	}
	impl := sgemmCur.forN(n)
	item := func(i int) sgemmProb {
		p := sgemmProb{transA: transA, transB: transB, m: m, n: n, k: k,
			alpha: alpha, beta: beta, lda: lda, ldb: ldb, ldc: ldc, c: c[i*strideC:]}
		if k > 0 && alpha != 0 {
			p.a, p.b = a[i*strideA:], b[i*strideB:]
		}
		return p
	}
	if impl.large != nil && n >= sgemmSmall && k >= sgemmSmall && alpha != 0 {
		// (gonum's Sgemm is slow for tiny n or k, not for tiny m)
		for i := 0; i < batch; i++ {
			p := item(i)
			impl.large(&p)
		}
		return
	}
	flops := 2 * float64(m) * float64(n) * float64(k)
	w := workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	if f := flops * float64(batch) / sgemmGrain; f < float64(w) {
		w = max(int(f), 1)
	}
	if k == 0 || alpha == 0 {
		w = 1
	}
	if w <= 1 {
		s := sgemmPool.Get().(*sgemmScratch)
		for i := 0; i < batch; i++ {
			p := item(i)
			impl.solve(&p, s)
		}
		sgemmPool.Put(s)
		return
	}
	// Split every item into parts unless the batch alone balances the workers.
	parts := 1
	if batch%w != 0 && batch < 4*w {
		parts = w
	}
	g := impl.grid(m, n, k, parts, batch == 1)
	bm := ceilDiv(ceilDiv(m, impl.mr), g.m) * impl.mr // rows per part
	bn := ceilDiv(ceilDiv(n, impl.nr), g.n) * impl.nr // columns per part
	bk := ceilDiv(ceilDiv(k, g.k), 16) * 16           // depth per part
	gm, gn, gk := ceilDiv(m, bm), ceilDiv(n, bn), ceilDiv(k, bk)
	// With a split over k, part 0 updates C and parts kk > 0 write their
	// partial products into tmp[kk-1], which are added to C at the end.
	var tmp []float32
	if gk > 1 {
		ts := sgemmPool.Get().(*sgemmScratch)
		defer sgemmPool.Put(ts)
		ts.t = sgemmGrow(ts.t, (gk-1)*m*n)
		tmp = ts.t
	}
	per := gm * gn * gk
	ntask := int64(batch * per)
	// The tasks are claimed from a counter and counted when done, so the call
	// returns when the last task is finished, not when the last helper
	// goroutine has run: one the operating system starts late (on a shared
	// machine) finds nothing left and touches nothing (see Backend.parallel).
	var next atomic.Int64
	var done sync.WaitGroup
	done.Add(int(ntask))
	run := func() {
		s := sgemmPool.Get().(*sgemmScratch)
		for {
			t := next.Add(1) - 1
			if t >= ntask {
				break
			}
			i, r := int(t)/per, int(t)%per
			i0, j0, kk := (r/(gn*gk))*bm, (r/gk%gn)*bn, r%gk
			p := item(i)
			if gk > 1 {
				p = p.depth(kk*bk, min((kk+1)*bk, k))
				if kk > 0 {
					p.c, p.ldc, p.beta = tmp[(kk-1)*m*n:kk*m*n], n, 0
				}
			}
			q := p.sub(i0, min(i0+bm, m), j0, min(j0+bn, n))
			impl.solve(&q, s)
			done.Done()
		}
		sgemmPool.Put(s)
	}
	w = min(w, int(ntask))
	for range w - 1 {
		go run()
	}
	run()
	done.Wait()
	for kk := 1; kk < gk; kk++ {
		t := tmp[(kk-1)*m*n : kk*m*n]
		for i := 0; i < m; i++ {
			crow, trow := c[i*ldc:i*ldc+n], t[i*n:(i+1)*n]
			for j, v := range trow {
				crow[j] += v
			}
		}
	}
}

// depth returns the product over depth [p0, p1) only.
func (p *sgemmProb) depth(p0, p1 int) sgemmProb {
	q := *p
	q.k = p1 - p0
	if p.transA {
		q.a = p.a[p0*p.lda:]
	} else {
		q.a = p.a[p0:]
	}
	if p.transB {
		q.b = p.b[p0:]
	} else {
		q.b = p.b[p0*p.ldb:]
	}
	return q
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

type sgemmGrid struct{ m, n, k int }

// grid chooses how to split an m x n x k product into g.m x g.n x g.k = parts
// blocks, minimising a model of the time of the largest block: its padded
// multiply-adds, its packing (both operands are packed once per block of C)
// and, for splits over k, the final reduction. Tiny dimensions are not split;
// k only when splitK and k is long enough.
func (impl *sgemmImpl) grid(m, n, k, parts int, splitK bool) sgemmGrid {
	best, bestCost := sgemmGrid{1, 1, 1}, -1.0
	for gm := 1; gm <= parts; gm++ {
		for gn := 1; gm*gn <= parts; gn++ {
			if parts%(gm*gn) != 0 {
				continue
			}
			gk := parts / (gm * gn)
			if (gm > 1 && m < sgemmSmall) || (gn > 1 && n < sgemmSmall) ||
				(gk > 1 && (!splitK || k < 2*sgemmKC*gk)) {
				continue
			}
			bm := float64(ceilDiv(ceilDiv(m, impl.mr), gm) * impl.mr)
			bn := float64(ceilDiv(ceilDiv(n, impl.nr), gn) * impl.nr)
			fk := 1 / float64(gk)
			cost := (bm*bn+16*(bm+bn))*fk + 4*float64(m*n*(gk-1))/float64(k)
			if bestCost < 0 || cost < bestCost {
				best, bestCost = sgemmGrid{gm, gn, gk}, cost
			}
		}
	}
	return best
}

// solve computes one product sequentially.
func (impl *sgemmImpl) solve(p *sgemmProb, s *sgemmScratch) {
	impl = impl.forN(p.n)
	m, n, k := p.m, p.n, p.k
	if m <= 0 || n <= 0 {
		return
	}
	if k == 0 || p.alpha == 0 {
		sgemmScaleC(p.c, p.ldc, m, n, p.beta)
		return
	}
	if n < sgemmSmall {
		impl.smallN(p, s)
		return
	}
	if m < sgemmSmall {
		impl.smallM(p, s)
		return
	}
	if k < sgemmSmall && !impl.packSmallK {
		impl.smallK(p, s)
		return
	}
	if impl.kernelAB != nil {
		impl.strided(p, s)
		return
	}
	impl.packed(p, s)
}

// sgemmScaleC sets C = beta C (C = 0 when beta is 0, whatever C held).
func sgemmScaleC(c []float32, ldc, m, n int, beta float32) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// blocking returns the row and column panel sizes of packed and strided
// (MC and NC rounded up to whole micro-tiles) and grows s for them: B
// panels at most KC deep (k rounded up to even), A panels KC deep when
// rowA (kernelRowA's layout), else as deep as B's.
func (impl *sgemmImpl) blocking(p *sgemmProb, s *sgemmScratch, rowA bool) (mcMax, ncMax int) {
	mr, nr := impl.mr, impl.nr
	mcMax = ceilDiv(sgemmMC, mr) * mr
	ncMax = ceilDiv(sgemmNC, nr) * nr
	kcMax := min(sgemmKC, p.k+p.k&1)
	astride := kcMax
	if rowA {
		astride = sgemmKC
	}
	s.a = sgemmGrow(s.a, min(mcMax, ceilDiv(p.m, mr)*mr)*astride)
	s.b = sgemmGrow(s.b, min(ncMax, ceilDiv(p.n, nr)*nr)*kcMax)
	s.t = sgemmGrow(s.t, mr*nr)
	return mcMax, ncMax
}

// packed is the blocked algorithm with packing and the micro-kernel.
func (impl *sgemmImpl) packed(p *sgemmProb, s *sgemmScratch) {
	mr, nr := impl.mr, impl.nr
	m, n, k := p.m, p.n, p.k
	rowA := !p.transA && impl.kernelRowA != nil
	kernel := impl.kernel
	if rowA {
		kernel = impl.kernelRowA
	}
	mcMax, ncMax := impl.blocking(p, s, rowA)
	for j0 := 0; j0 < n; j0 += ncMax {
		nc := min(ncMax, n-j0)
		for p0 := 0; p0 < k; p0 += sgemmKC {
			kc := min(sgemmKC, k-p0)
			kp := kc + kc&1 // padded depth
			mode, beta := sgemmStoreMode(p0, p.beta)
			sgemmPackB(p.transB, p.b, p.ldb, p0, j0, kc, nc, nr, s.b)
			for i0 := 0; i0 < m; i0 += mcMax {
				mc := min(mcMax, m-i0)
				if rowA {
					sgemmPackARows(p.a, p.lda, i0, p0, mc, kc, mr, p.alpha, s.a)
				} else {
					sgemmPackA(p.transA, p.a, p.lda, i0, p0, mc, kc, mr, p.alpha, s.a)
				}
				for jr := 0; jr < nc; jr += nr {
					bp := s.b[jr*kp : (jr+nr)*kp]
					nn := min(nr, nc-jr)
					for ir := 0; ir < mc; ir += mr {
						ast := kp
						if rowA {
							ast = sgemmKC
						}
						ap := s.a[ir*ast : (ir+mr)*ast]
						mm := min(mr, mc-ir)
						coff := (i0+ir)*p.ldc + j0 + jr
						if mm == mr && nn == nr {
							kernel(kp, ap, bp, p.c[coff:], p.ldc, mode, beta)
							continue
						}
						kernel(kp, ap, bp, s.t, nr, sgemmSet, 0)
						sgemmMergeTile(p.c[coff:], p.ldc, s.t, nr, mm, nn, mode, beta)
					}
				}
			}
		}
	}
}

// strided is packed for an implementation with kernelAB: the kernel reads
// op(A) in place when alpha is 1 (rows or, for a transposed A at most
// directLD wide, columns of A) and B in place when it is not transposed
// and at most directLD wide; only the rest, and a last, partial row
// panel of A or column panel of B, are packed. The blocking (KC, MC, NC) and the kernels' order of summation are
// those of packed.
func (impl *sgemmImpl) strided(p *sgemmProb, s *sgemmScratch) {
	mr, nr := impl.mr, impl.nr
	m, n, k := p.m, p.n, p.k
	mcMax, ncMax := impl.blocking(p, s, false)
	// In place when a depth step stays within a few cache lines (measured:
	// with strides of 1 KB and more, each depth step touching another page,
	// packing is faster).
	directA := p.alpha == 1 && impl.directLD > 0 && (!p.transA || p.lda <= impl.directLD)
	directB := !p.transB && p.ldb <= impl.directLD
	for j0 := 0; j0 < n; j0 += ncMax {
		nc := min(ncMax, n-j0)
		for p0 := 0; p0 < k; p0 += sgemmKC {
			kc := min(sgemmKC, k-p0)
			kp := kc + kc&1 // packed panels' depth
			mode, beta := sgemmStoreMode(p0, p.beta)
			// Packed B panels: all of them, or only a partial last one (at s.b[0]).
			nFull := nc / nr * nr
			switch {
			case !directB:
				sgemmPackB(p.transB, p.b, p.ldb, p0, j0, kc, nc, nr, s.b)
			case nFull < nc:
				sgemmPackB(false, p.b, p.ldb, p0, j0+nFull, kc, nc-nFull, nr, s.b)
			}
			for i0 := 0; i0 < m; i0 += mcMax {
				mc := min(mcMax, m-i0)
				mFull := mc / mr * mr
				switch {
				case !directA:
					sgemmPackA(p.transA, p.a, p.lda, i0, p0, mc, kc, mr, p.alpha, s.a)
				case mFull < mc:
					sgemmPackA(p.transA, p.a, p.lda, i0+mFull, p0, mc-mFull, kc, mr, p.alpha, s.a)
				}
				for jr := 0; jr < nc; jr += nr {
					nn := min(nr, nc-jr)
					var b []float32
					bks := nr
					switch {
					case directB && nn == nr:
						b, bks = p.b[p0*p.ldb+j0+jr:], p.ldb
					case directB:
						b = s.b[:nr*kp]
					default:
						b = s.b[jr*kp : (jr+nr)*kp]
					}
					for ir := 0; ir < mc; ir += mr {
						mm := min(mr, mc-ir)
						var a []float32
						ars, aks := 1, mr // a packed panel: (i, p) at p*mr + i
						switch {
						case directA && mm == mr && p.transA:
							a, ars, aks = p.a[p0*p.lda+i0+ir:], 1, p.lda
						case directA && mm == mr:
							a, ars, aks = p.a[(i0+ir)*p.lda+p0:], p.lda, 1
						case directA:
							a = s.a[:mr*kp]
						default:
							a = s.a[ir*kp : (ir+mr)*kp]
						}
						coff := (i0+ir)*p.ldc + j0 + jr
						if mm == mr && nn == nr {
							impl.kernelAB(kc, a, ars, aks, b, bks, p.c[coff:], p.ldc, mode, beta)
							continue
						}
						impl.kernelAB(kc, a, ars, aks, b, bks, s.t, nr, sgemmSet, 0)
						sgemmMergeTile(p.c[coff:], p.ldc, s.t, nr, mm, nn, mode, beta)
					}
				}
			}
		}
	}
}

// sgemmStoreMode is the kernels' store mode for the depth block starting at
// p0 of a product with the given beta: the first block sets (beta 0), adds
// (beta 1) or scales C; the later ones add.
func sgemmStoreMode(p0 int, beta float32) (int, float32) {
	switch {
	case p0 > 0 || beta == 1:
		return sgemmAdd, 1
	case beta == 0:
		return sgemmSet, 0
	}
	return sgemmScale, beta
}

// sgemmMergeTile stores the mm x nn corner of the tile t (row stride nr) into
// c (row stride ldc) according to mode, as a kernel stores a full tile.
func sgemmMergeTile(c []float32, ldc int, t []float32, nr, mm, nn, mode int, beta float32) {
	for i := 0; i < mm; i++ {
		crow, trow := c[i*ldc:i*ldc+nn], t[i*nr:i*nr+nn]
		switch mode {
		case sgemmSet:
			copy(crow, trow)
		case sgemmAdd:
			for j, v := range trow {
				crow[j] += v
			}
		default:
			for j, v := range trow {
				crow[j] = v + beta*crow[j]
			}
		}
	}
}

// sgemmPackA packs rows [i0, i0+mc) and depth [p0, p0+kc) of alpha op(A) into
// panels of mr rows: panel t, element (i, p) at dst[t*mr*kp + p*mr + i], where
// kp is kc rounded up to even. Missing rows and the padding are zero.
func sgemmPackA(trans bool, a []float32, lda, i0, p0, mc, kc, mr int, alpha float32, dst []float32) {
	if trans {
		// op(A)[i][p] = a[p*lda+i]: rows of a are contiguous in i.
		sgemmPackPanels(a, lda, p0, i0, kc, mc, mr, alpha, dst)
		return
	}
	kp := kc + kc&1
	for t := 0; t*mr < mc; t++ {
		d := dst[t*mr*kp : (t+1)*mr*kp]
		rows := min(mr, mc-t*mr)
		r0 := i0 + t*mr
		for i := 0; i < rows; i++ {
			src := a[(r0+i)*lda+p0 : (r0+i)*lda+p0+kc]
			for q, v := range src {
				d[q*mr+i] = alpha * v
			}
		}
		if rows < mr {
			for q := 0; q < kc; q++ {
				clear(d[q*mr+rows : q*mr+mr])
			}
		}
		if kp > kc {
			clear(d[kc*mr:])
		}
	}
}

// sgemmPackARows packs rows [i0, i0+mc) and depth [p0, p0+kc) of alpha A (not
// transposed) into panels of mr rows stored by rows with stride sgemmKC:
// panel t, element (i, p) at dst[t*mr*sgemmKC + i*sgemmKC + p]. Missing rows
// and the padding to an even depth are zero.
func sgemmPackARows(a []float32, lda, i0, p0, mc, kc, mr int, alpha float32, dst []float32) {
	kp := kc + kc&1
	for i := 0; i < ceilDiv(mc, mr)*mr; i++ {
		d := dst[i*sgemmKC : i*sgemmKC+kp]
		if i >= mc {
			clear(d)
			continue
		}
		src := a[(i0+i)*lda+p0 : (i0+i)*lda+p0+kc]
		if alpha == 1 {
			copy(d, src)
		} else {
			for q, v := range src {
				d[q] = alpha * v
			}
		}
		if kp > kc {
			d[kc] = 0
		}
	}
}

// sgemmPackB packs depth [p0, p0+kc) and columns [j0, j0+nc) of op(B) into
// panels of nr columns: panel t, element (p, j) at dst[t*nr*kp + p*nr + j].
func sgemmPackB(trans bool, b []float32, ldb, p0, j0, kc, nc, nr int, dst []float32) {
	if !trans {
		sgemmPackPanels(b, ldb, p0, j0, kc, nc, nr, 1, dst)
		return
	}
	// op(B)[p][j] = b[j*ldb+p]: rows of b are contiguous in p.
	kp := kc + kc&1
	for t := 0; t*nr < nc; t++ {
		d := dst[t*nr*kp : (t+1)*nr*kp]
		cols := min(nr, nc-t*nr)
		c0 := j0 + t*nr
		for j := 0; j < cols; j++ {
			src := b[(c0+j)*ldb+p0 : (c0+j)*ldb+p0+kc]
			for q, v := range src {
				d[q*nr+j] = v
			}
		}
		if cols < nr {
			for q := 0; q < kc; q++ {
				clear(d[q*nr+cols : q*nr+nr])
			}
		}
		if kp > kc {
			clear(d[kc*nr:])
		}
	}
}

// sgemmPackPanels packs the rows [r0, r0+nrows) and columns [c0, c0+ncols)
// of alpha X (row-major, leading dimension ld) into panels of w columns:
// panel t, element (q, j) at dst[t*w*kp + q*w + j], kp = nrows rounded up to
// even. Each source row is read once, front to back.
func sgemmPackPanels(x []float32, ld, r0, c0, nrows, ncols, w int, alpha float32, dst []float32) {
	kp := nrows + nrows&1
	full := ncols / w // panels without missing columns
	tail := ncols - full*w
	for q := 0; q < nrows; q++ {
		src := x[(r0+q)*ld+c0 : (r0+q)*ld+c0+ncols]
		for t := 0; t < full; t++ {
			s := src[t*w : (t+1)*w]
			d := dst[t*w*kp+q*w : t*w*kp+q*w+w]
			switch {
			case alpha != 1:
				for j, v := range s {
					d[j] = alpha * v
				}
			case w&3 == 0 && w <= 16:
				sgemmCopy(d, s, w/4)
			case w <= 16: // (the 5-row panels of avx2-5x16: a call to copy costs more)
				for j, v := range s {
					d[j] = v
				}
			default:
				copy(d, s)
			}
		}
		if tail > 0 {
			s := src[full*w:]
			d := dst[full*w*kp+q*w : full*w*kp+q*w+w]
			for j, v := range s {
				d[j] = alpha * v
			}
			clear(d[tail:])
		}
	}
	if kp > nrows {
		for t := 0; t*w < ncols; t++ {
			clear(dst[t*w*kp+nrows*w : t*w*kp+kp*w])
		}
	}
}

// sgemmCopy copies 4*n4 floats from src to dst with 16-byte moves, for short
// copies where copy() (a runtime.memmove call) costs more than the data.
func sgemmCopy(dst, src []float32, n4 int) {
	_, _ = dst[4*n4-1], src[4*n4-1]
	d, s := unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0])
	for i := uintptr(0); i < uintptr(n4)*16; i += 16 {
		*(*[2]uint64)(unsafe.Add(d, i)) = *(*[2]uint64)(unsafe.Add(s, i))
	}
}

// sgemmPut stores v into *c as C = v + beta C (C = v when beta is 0).
func sgemmPut(c *float32, v, beta float32) {
	if beta == 0 {
		*c = v
	} else {
		*c = v + beta**c
	}
}

// skinnyStrips runs the r-row skinny kernel over the columns [0, w) of x
// (k rows, leading dimension ldx) in strips of impl.skinnyW and calls put
// with each strip's result: out[j][c] for column c0+c, c < cols.
func (impl *sgemmImpl) skinnyStrips(r, k int, s *[4][]float32, x []float32, ldx, w int,
	sc *sgemmScratch, put func(c0, cols int, out *[4][32]float32)) {
	var out [4][32]float32
	W := impl.skinnyW
	for c0 := 0; c0 < w; c0 += W {
		cols := min(W, w-c0)
		if cols == W {
			impl.skinny[r](k, s, x[c0:], ldx, &out)
		} else {
			// Copy the last columns into a zero-padded k x W block.
			sc.t = sgemmGrow(sc.t, k*W)
			t := sc.t
			for q := 0; q < k; q++ {
				d := t[q*W : (q+1)*W]
				copy(d, x[q*ldx+c0:q*ldx+c0+cols])
				clear(d[cols:])
			}
			impl.skinny[r](k, s, t, W, &out)
		}
		put(c0, cols, &out)
	}
}

// smallN handles n < sgemmSmall with dot products (A not transposed) or
// outer-product updates (A transposed), without packing A.
func (impl *sgemmImpl) smallN(p *sgemmProb, s *sgemmScratch) {
	m, n, k := p.m, p.n, p.k
	// bt[j] is column j of op(B), contiguous.
	var bt [4][]float32
	if p.transB {
		for j := 0; j < n; j++ {
			bt[j] = p.b[j*p.ldb : j*p.ldb+k]
		}
	} else {
		s.b = sgemmGrow(s.b, n*k)
		for j := 0; j < n; j++ {
			bt[j] = s.b[j*k : (j+1)*k]
		}
		for q := 0; q < k; q++ {
			row := p.b[q*p.ldb : q*p.ldb+n]
			for j, v := range row {
				bt[j][q] = v
			}
		}
	}
	alpha, beta := p.alpha, p.beta
	if !p.transA {
		var out [4]float32
		for i := 0; i < m; i++ {
			arow := p.a[i*p.lda : i*p.lda+k]
			crow := p.c[i*p.ldc : i*p.ldc+n]
			if f := impl.dotRows[n]; f != nil {
				f(arow, &bt, &out)
			} else {
				for j := range crow {
					out[j] = impl.dot(arow, bt[j])
				}
			}
			for j := range crow {
				sgemmPut(&crow[j], alpha*out[j], beta)
			}
		}
		return
	}
	// op(A)[i][q] = a[q*lda+i]: C^T = op(B)^T A, row by row of A.
	if impl.skinny[n] != nil {
		impl.skinnyStrips(n, k, &bt, p.a, p.lda, m, s, func(c0, cols int, out *[4][32]float32) {
			for i := 0; i < cols; i++ {
				crow := p.c[(c0+i)*p.ldc : (c0+i)*p.ldc+n]
				for j := range crow {
					sgemmPut(&crow[j], alpha*out[j][i], beta)
				}
			}
		})
		return
	}
	s.t = sgemmGrow(s.t, n*m)
	ct := s.t
	clear(ct)
	for q := 0; q < k; q++ {
		arow := p.a[q*p.lda : q*p.lda+m]
		for j := 0; j < n; j++ {
			impl.axpy(bt[j][q], arow, ct[j*m:(j+1)*m])
		}
	}
	for i := 0; i < m; i++ {
		crow := p.c[i*p.ldc : i*p.ldc+n]
		for j := range crow {
			sgemmPut(&crow[j], alpha*ct[j*m+i], beta)
		}
	}
}

// smallM handles m < sgemmSmall (and n >= sgemmSmall) with outer-product
// updates over the rows of op(B) (B not transposed) or dot products with the
// rows of B.
func (impl *sgemmImpl) smallM(p *sgemmProb, s *sgemmScratch) {
	m, n, k := p.m, p.n, p.k
	alpha, beta := p.alpha, p.beta
	// ar[i] is row i of op(A), contiguous; scaled by alpha when scale.
	var ar [4][]float32
	rowsOfA := func(scale bool) {
		if !p.transA && !scale {
			for i := 0; i < m; i++ {
				ar[i] = p.a[i*p.lda : i*p.lda+k]
			}
			return
		}
		s.a = sgemmGrow(s.a, m*k)
		for i := 0; i < m; i++ {
			ar[i] = s.a[i*k : (i+1)*k]
		}
		if !p.transA {
			for i := 0; i < m; i++ {
				for q, v := range p.a[i*p.lda : i*p.lda+k] {
					ar[i][q] = alpha * v
				}
			}
			return
		}
		f := float32(1)
		if scale {
			f = alpha
		}
		for q := 0; q < k; q++ {
			for i, v := range p.a[q*p.lda : q*p.lda+m] {
				ar[i][q] = f * v
			}
		}
	}
	if !p.transB {
		if impl.skinny[m] != nil {
			rowsOfA(true)
			impl.skinnyStrips(m, k, &ar, p.b, p.ldb, n, s, func(c0, cols int, out *[4][32]float32) {
				for i := 0; i < m; i++ {
					crow := p.c[i*p.ldc+c0 : i*p.ldc+c0+cols]
					for j := range crow {
						sgemmPut(&crow[j], out[i][j], beta)
					}
				}
			})
			return
		}
		sgemmScaleC(p.c, p.ldc, m, n, beta)
		for q := 0; q < k; q++ {
			brow := p.b[q*p.ldb : q*p.ldb+n]
			for i := 0; i < m; i++ {
				var av float32
				if p.transA {
					av = p.a[q*p.lda+i]
				} else {
					av = p.a[i*p.lda+q]
				}
				impl.axpy(alpha*av, brow, p.c[i*p.ldc:i*p.ldc+n])
			}
		}
		return
	}
	rowsOfA(false)
	var out [4]float32
	for j := 0; j < n; j++ {
		brow := p.b[j*p.ldb : j*p.ldb+k]
		if f := impl.dotRows[m]; f != nil {
			f(brow, &ar, &out)
		} else {
			for i := 0; i < m; i++ {
				out[i] = impl.dot(ar[i], brow)
			}
		}
		for i := 0; i < m; i++ {
			sgemmPut(&p.c[i*p.ldc+j], alpha*out[i], beta)
		}
	}
}

// smallK handles k < sgemmSmall: each row of C is updated with k axpys of
// the rows of op(B).
func (impl *sgemmImpl) smallK(p *sgemmProb, s *sgemmScratch) {
	m, n, k := p.m, p.n, p.k
	var br [4][]float32 // rows of op(B), contiguous
	if p.transB {
		s.b = sgemmGrow(s.b, k*n)
		for q := 0; q < k; q++ {
			br[q] = s.b[q*n : (q+1)*n]
		}
		for j := 0; j < n; j++ {
			for q, v := range p.b[j*p.ldb : j*p.ldb+k] {
				br[q][j] = v
			}
		}
	} else {
		for q := 0; q < k; q++ {
			br[q] = p.b[q*p.ldb : q*p.ldb+n]
		}
	}
	for i := 0; i < m; i++ {
		crow := p.c[i*p.ldc : i*p.ldc+n]
		switch p.beta {
		case 0:
			clear(crow)
		case 1:
		default:
			for j := range crow {
				crow[j] *= p.beta
			}
		}
		for q := 0; q < k; q++ {
			var av float32
			if p.transA {
				av = p.a[q*p.lda+i]
			} else {
				av = p.a[i*p.lda+q]
			}
			impl.axpy(p.alpha*av, br[q], crow)
		}
	}
}

// Portable scalar kernels.

func sgemmDotScalar(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func sgemmAxpyScalar(alpha float32, x, y []float32) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += alpha * x[i]
		y[i+1] += alpha * x[i+1]
		y[i+2] += alpha * x[i+2]
		y[i+3] += alpha * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += alpha * x[i]
	}
}

func sgemmLd(p unsafe.Pointer, off uintptr) float32 { return *(*float32)(unsafe.Add(p, off)) }

// sgemmKernelScalar4x4 is the portable 4x4 micro-kernel. The loop is written
// as a single basic block with each product next to its accumulation, which
// keeps the Go scheduler from hoisting all loads and spilling.
func sgemmKernelScalar4x4(k int, a, b, c []float32, ldc int, mode int, beta float32) {
	_ = a[4*k-1]
	_ = b[4*k-1]
	_ = c[3*ldc+3]
	pa, pb := unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	for q := k; ; {
		b0, b1, b2, b3 := sgemmLd(pb, 0), sgemmLd(pb, 4), sgemmLd(pb, 8), sgemmLd(pb, 12)
		a0 := sgemmLd(pa, 0)
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := sgemmLd(pa, 4)
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := sgemmLd(pa, 8)
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := sgemmLd(pa, 12)
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
		q--
		if q == 0 {
			break
		}
		pa, pb = unsafe.Add(pa, 16), unsafe.Add(pb, 16) // never past the end
	}
	sgemmStore4(c[0:4], c00, c01, c02, c03, mode, beta)
	sgemmStore4(c[ldc:ldc+4], c10, c11, c12, c13, mode, beta)
	sgemmStore4(c[2*ldc:2*ldc+4], c20, c21, c22, c23, mode, beta)
	sgemmStore4(c[3*ldc:3*ldc+4], c30, c31, c32, c33, mode, beta)
}

func sgemmStore4(r []float32, v0, v1, v2, v3 float32, mode int, beta float32) {
	r = r[:4]
	switch mode {
	case sgemmAdd:
		v0, v1, v2, v3 = v0+r[0], v1+r[1], v2+r[2], v3+r[3]
	case sgemmScale:
		v0, v1, v2, v3 = v0+beta*r[0], v1+beta*r[1], v2+beta*r[2], v3+beta*r[3]
	}
	r[0], r[1], r[2], r[3] = v0, v1, v2, v3
}

// sgemmUseGonum makes Backend.Gemm use gonum's pure-Go Sgemm instead of this
// implementation (for benchmarks and cross-checks; not safe to flip while
// Gemm calls are running).
var sgemmUseGonum = false
