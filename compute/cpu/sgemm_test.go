package cpu

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// sgemmCase is one strided-batched product with padded leading dimensions.
type sgemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int // extra elements per row (lda, ldb, ldc) and between batch items
	batch          int
	nanC           bool // fill C with NaN (only meaningful for beta = 0)
}

func (tc sgemmCase) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s_m%d_n%d_k%d_a%g_b%g_pad%d_batch%d_nan%v", t(tc.transA), t(tc.transB),
		tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.pad, tc.batch, tc.nanC)
}

const sgemmGuard = float32(-12345.5)

// runSgemmCase runs tc through sgemmStrided with the given implementation and
// worker count and checks C against a float64 reference and the guard values
// around every C_b against modification.
func runSgemmCase(t *testing.T, rng *rand.Rand, impl *sgemmImpl, workers int, tc sgemmCase) {
	t.Helper()
	defer func(c *sgemmImpl) { sgemmCur = c }(sgemmCur)
	sgemmCur = impl
	m, n, k := tc.m, tc.n, tc.k
	ar, ac := m, k
	if tc.transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tc.transB {
		br, bc = n, k
	}
	lda, ldb, ldc := max(ac, 1)+tc.pad, max(bc, 1)+tc.pad, n+tc.pad
	strideA, strideB, strideC := ar*lda+tc.pad, br*ldb+tc.pad, m*ldc+tc.pad
	A := make([]float32, tc.batch*strideA+tc.pad)
	B := make([]float32, tc.batch*strideB+tc.pad)
	C := make([]float32, tc.batch*strideC+tc.pad)
	for i := range A {
		A[i] = float32(rng.NormFloat64())
	}
	for i := range B {
		B[i] = float32(rng.NormFloat64())
	}
	inC := make([]bool, len(C))
	for b := 0; b < tc.batch; b++ {
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				inC[b*strideC+i*ldc+j] = true
			}
		}
	}
	for i := range C {
		switch {
		case !inC[i]:
			C[i] = sgemmGuard
		case tc.nanC:
			C[i] = float32(math.NaN())
		default:
			C[i] = float32(rng.NormFloat64())
		}
	}
	C0 := append([]float32(nil), C...)
	opA := func(b, i, p int) float64 {
		if tc.transA {
			return float64(A[b*strideA+p*lda+i])
		}
		return float64(A[b*strideA+i*lda+p])
	}
	opB := func(b, p, j int) float64 {
		if tc.transB {
			return float64(B[b*strideB+j*ldb+p])
		}
		return float64(B[b*strideB+p*ldb+j])
	}

	sgemmStrided(workers, tc.transA, tc.transB, m, n, k, tc.alpha, A, lda, strideA,
		B, ldb, strideB, tc.beta, C, ldc, strideC, tc.batch)

	const eps = 1.0 / (1 << 23)
	bad := 0
	for b := 0; b < tc.batch; b++ {
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s, mag float64
				for p := 0; p < k; p++ {
					v := opA(b, i, p) * opB(b, p, j)
					s += v
					mag += math.Abs(v)
				}
				idx := b*strideC + i*ldc + j
				want := float64(tc.alpha) * s
				mag *= math.Abs(float64(tc.alpha))
				if tc.beta != 0 {
					want += float64(tc.beta) * float64(C0[idx])
					mag += math.Abs(float64(tc.beta) * float64(C0[idx]))
				}
				tol := 4*(math.Sqrt(float64(k))+2)*eps*mag + 1e-30
				got := float64(C[idx])
				if !(math.Abs(got-want) <= tol) {
					if bad < 5 {
						t.Errorf("%s/%s/w%d: C[%d][%d][%d] = %g, want %g (tol %g)",
							impl.name, tc, workers, b, i, j, got, want, tol)
					}
					bad++
				}
			}
		}
	}
	for i := range C {
		if !inC[i] && math.Float32bits(C[i]) != math.Float32bits(sgemmGuard) {
			if bad < 5 {
				t.Errorf("%s/%s/w%d: guard C[%d] overwritten: %g", impl.name, tc, workers, i, C[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%s/%s/w%d: %d errors", impl.name, tc, workers, bad)
	}
}

func TestSgemmSmallSizes(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	sizes := []int{1, 2, 3, 4, 5, 7, 8, 12, 13, 16, 17, 33}
	depths := []int{0, 1, 2, 3, 5, 17, 33}
	for _, impl := range sgemmImpls() {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, m := range sizes {
					for _, n := range sizes {
						for _, k := range depths {
							tc := sgemmCase{transA: ta, transB: tb, m: m, n: n, k: k,
								alpha: 1, beta: 0, pad: (m + n + k) % 3, batch: 1}
							switch (m*7 + n*3 + k) % 4 {
							case 1:
								tc.alpha, tc.beta = 0.5, 1
							case 2:
								tc.alpha, tc.beta = -1.5, 0.25
							case 3:
								tc.nanC = true
							}
							runSgemmCase(t, rng, impl, 1, tc)
						}
					}
				}
			}
		}
	}
}

func TestSgemmLarger(t *testing.T) {
	defer func(g float64) { sgemmGrain = g }(sgemmGrain)
	rng := rand.New(rand.NewSource(2))
	shapes := [][3]int{
		{100, 257, 33}, {257, 100, 300}, {257, 257, 257}, {33, 17, 517},
		{13, 2100, 7}, {200, 40, 600}, {3, 300, 100}, {300, 3, 100},
		{4, 40, 1000}, {40, 2, 1000}, {1, 1, 1000}, {500, 64, 2},
		// long k: split over k between workers
		{20, 30, 1500}, {3, 40, 1200}, {40, 2, 1100}, {17, 19, 1600}, {70, 50, 2000},
	}
	for _, impl := range sgemmImpls() {
		for si, sh := range shapes {
			for combo := 0; combo < 4; combo++ {
				for _, workers := range []int{1, 2, 3} {
					sgemmGrain = 1
					if workers == 2 {
						sgemmGrain = 1 << 18
					}
					tc := sgemmCase{transA: combo&1 != 0, transB: combo&2 != 0,
						m: sh[0], n: sh[1], k: sh[2], alpha: 1, beta: 0, pad: 1 + si%3, batch: 1}
					switch (si + combo + workers) % 4 {
					case 1:
						tc.alpha, tc.beta = 0.5, 1
					case 2:
						tc.alpha, tc.beta = -1.5, 0.25
					case 3:
						tc.nanC = true
					}
					runSgemmCase(t, rng, impl, workers, tc)
				}
			}
		}
	}
}

func TestSgemmBatched(t *testing.T) {
	defer func(g float64) { sgemmGrain = g }(sgemmGrain)
	sgemmGrain = 1
	rng := rand.New(rand.NewSource(3))
	for _, impl := range sgemmImpls() {
		for _, workers := range []int{1, 2, 3} {
			for _, batch := range []int{2, 3, 7} {
				for combo := 0; combo < 4; combo++ {
					for _, sh := range [][3]int{{17, 33, 9}, {40, 3, 20}, {2, 50, 31}, {64, 64, 64}} {
						tc := sgemmCase{transA: combo&1 != 0, transB: combo&2 != 0,
							m: sh[0], n: sh[1], k: sh[2], alpha: 0.75, beta: -0.5, pad: 3, batch: batch}
						if batch == 3 {
							tc.alpha, tc.beta, tc.nanC = 1, 0, true
						}
						runSgemmCase(t, rng, impl, workers, tc)
					}
				}
			}
		}
	}
}

func TestSgemmAlphaZero(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for _, impl := range sgemmImpls() {
		for _, beta := range []float32{0, 1, 2} {
			runSgemmCase(t, rng, impl, 2, sgemmCase{m: 20, n: 30, k: 10, alpha: 0, beta: beta, pad: 2, batch: 2, nanC: beta == 0})
		}
	}
}

// TestSgemmBackend goes through Backend.Gemm (argument checks, batching) and
// compares with the gonum reference path.
func TestSgemmBackend(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	be := New(2)
	m, n, k, batch := 70, 45, 130, 3
	for combo := 0; combo < 4; combo++ {
		ta, tb := combo&1 != 0, combo&2 != 0
		lda, ldb, ldc := k+1, n+2, n+3
		if ta {
			lda = m + 1
		}
		if tb {
			ldb = k + 2
		}
		sa, sb, sc := 200*lda, 200*ldb, m*ldc+5
		A, B := make([]float32, batch*sa), make([]float32, batch*sb)
		for i := range A {
			A[i] = float32(rng.NormFloat64())
		}
		for i := range B {
			B[i] = float32(rng.NormFloat64())
		}
		C1 := make([]float32, batch*sc)
		for i := range C1 {
			C1[i] = float32(rng.NormFloat64())
		}
		C2 := append([]float32(nil), C1...)
		be.Gemm(ta, tb, m, n, k, 1.25, &Buf{D: A}, lda, sa, &Buf{D: B}, ldb, sb, 0.5, &Buf{D: C1}, ldc, sc, batch)
		sgemmUseGonum = true
		be.Gemm(ta, tb, m, n, k, 1.25, &Buf{D: A}, lda, sa, &Buf{D: B}, ldb, sb, 0.5, &Buf{D: C2}, ldc, sc, batch)
		sgemmUseGonum = false
		for i := range C1 {
			if d := math.Abs(float64(C1[i] - C2[i])); d > 1e-4*(1+math.Abs(float64(C2[i]))) {
				t.Fatalf("combo %d: C[%d] = %g, gonum %g", combo, i, C1[i], C2[i])
			}
		}
	}
}

// Benchmarks: this implementation against gonum's Sgemm, both through
// Backend.Gemm with the default worker count, on the shapes of training
// (N rows): Y = X W^T (fwd), dX = dY W (dx), dW += dY^T X (dw).
var sgemmBenchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
	beta           float32
}{
	{"fwd_N8192_128x128", false, true, 8192, 128, 128, 0},
	{"fwd_N4096_256to1024", false, true, 4096, 1024, 256, 0},
	{"fwd_N4096_1024to256", false, true, 4096, 256, 1024, 0},
	{"fwd_N16384_64x64", false, true, 16384, 64, 64, 0},
	{"fwd_N4096_768x768", false, true, 4096, 768, 768, 0},
	{"dx_N8192_128x128", false, false, 8192, 128, 128, 0},
	{"dx_N4096_1024to256", false, false, 4096, 256, 1024, 0},
	{"dx_N4096_256to1024", false, false, 4096, 1024, 256, 0},
	{"dw_N8192_128x128", true, false, 128, 128, 8192, 1},
	{"dw_N4096_1024x256", true, false, 1024, 256, 4096, 1},
	{"dw_N4096_256x1024", true, false, 256, 1024, 4096, 1},
	{"square_512", false, false, 512, 512, 512, 0},
	{"fwd_in2_N8192_2to128", false, true, 8192, 128, 2, 0},
	{"fwd_out2_N8192_128to2", false, true, 8192, 2, 128, 0},
	{"dx_in2_N8192_2to128", false, false, 8192, 2, 128, 0},
	{"dx_out2_N8192_128to2", false, false, 8192, 128, 2, 0},
	{"dw_in2_N8192_128x2", true, false, 128, 2, 8192, 1},
	{"dw_out2_N8192_2x128", true, false, 2, 128, 8192, 1},
}

func BenchmarkSgemm(b *testing.B) {
	be := New(0)
	for _, sh := range sgemmBenchShapes {
		ar, ac := sh.m, sh.k
		if sh.transA {
			ar, ac = sh.k, sh.m
		}
		br, bc := sh.k, sh.n
		if sh.transB {
			br, bc = sh.n, sh.k
		}
		rng := rand.New(rand.NewSource(1))
		A, B, C := make([]float32, ar*ac), make([]float32, br*bc), make([]float32, sh.m*sh.n)
		for i := range A {
			A[i] = float32(rng.NormFloat64())
		}
		for i := range B {
			B[i] = float32(rng.NormFloat64())
		}
		a, bb, c := &Buf{D: A}, &Buf{D: B}, &Buf{D: C}
		impls := append(sgemmImpls(), nil) // nil: gonum
		for _, impl := range impls {
			name := sh.name + "/gonum"
			if impl != nil {
				name = sh.name + "/" + impl.name
			}
			b.Run(name, func(b *testing.B) {
				defer func(c *sgemmImpl) { sgemmCur, sgemmUseGonum = c, false }(sgemmCur)
				if impl != nil {
					sgemmCur = impl
				}
				sgemmUseGonum = impl == nil
				for b.Loop() {
					be.Gemm(sh.transA, sh.transB, sh.m, sh.n, sh.k, 1, a, ac, 0, bb, bc, 0, sh.beta, c, sh.n, 0, 1)
				}
				b.ReportMetric(2*float64(sh.m)*float64(sh.n)*float64(sh.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestSgemmGrid checks that the shapes above that are meant to exercise the
// split over k do get one, and that tiny dimensions are never split.
func TestSgemmGrid(t *testing.T) {
	for _, impl := range sgemmImpls() {
		for _, c := range []struct {
			m, n, k, parts int
			want           sgemmGrid
		}{
			{20, 30, 1500, 2, sgemmGrid{1, 1, 2}},
			{17, 19, 1600, 3, sgemmGrid{1, 1, 3}},
			{3, 40, 1200, 2, sgemmGrid{1, 1, 2}},
			{40, 2, 1100, 2, sgemmGrid{1, 1, 2}},
			{40, 2, 1000, 2, sgemmGrid{2, 1, 1}},
			{2, 2, 100, 2, sgemmGrid{1, 1, 1}},
			{8192, 128, 128, 2, sgemmGrid{2, 1, 1}},
		} {
			if g := impl.grid(c.m, c.n, c.k, c.parts, true); g != c.want {
				t.Errorf("%s: grid(%d, %d, %d, %d) = %v, want %v", impl.name, c.m, c.n, c.k, c.parts, g, c.want)
			}
		}
	}
}

// TestSgemmOverlappingC checks batch items that share C (strideC = 0 and
// beta = 1 accumulate over the batch): they must run in order, not race.
func TestSgemmOverlappingC(t *testing.T) {
	defer func(g float64) { sgemmGrain = g }(sgemmGrain)
	sgemmGrain = 1
	rng := rand.New(rand.NewSource(6))
	m, n, k, batch := 30, 40, 50, 4
	A, B := make([]float32, batch*m*k), make([]float32, batch*k*n)
	for i := range A {
		A[i] = float32(rng.NormFloat64())
	}
	for i := range B {
		B[i] = float32(rng.NormFloat64())
	}
	for _, impl := range sgemmImpls() {
		sgemmCur = impl
		C := make([]float32, m*n)
		sgemmStrided(3, false, false, m, n, k, 1, A, k, m*k, B, n, k*n, 1, C, n, 0, batch)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var want float64
				for b := 0; b < batch; b++ {
					for p := 0; p < k; p++ {
						want += float64(A[b*m*k+i*k+p]) * float64(B[b*k*n+p*n+j])
					}
				}
				if d := math.Abs(float64(C[i*n+j]) - want); d > 1e-4*(1+math.Abs(want)) {
					t.Fatalf("%s: C[%d][%d] = %g, want %g", impl.name, i, j, C[i*n+j], want)
				}
			}
		}
	}
	sgemmCur = sgemmBest()
}
