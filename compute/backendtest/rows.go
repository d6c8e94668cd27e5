package backendtest

import (
	"fmt"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// TestAddBias checks AddBias (x [N, X] += bias [X]; error scale |x| + |bias|).
func TestAddBias(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range []struct{ N, X int }{{1, 1}, {1, 7}, {5, 3}, {9, 64}, {4, 129}, {300, 129}} {
		s.run(t, shape("N=%d,X=%d", sh.N, sh.X), func(t *testing.T) {
			x := s.region("x", s.normal(sh.N*sh.X, 1)).rows(sh.X)
			bias := s.region("bias", s.normal(sh.X, 1))
			e := x.expect()
			refAddRows(e.v, e.mag, bias.f64(), 1)
			b.AddBias(x.buf, bias.buf)
			x.check(t, e, s.o.ElemTol)
			bias.unchanged(t)
		})
	}
}

// biasesShapes are (K stacked layers of N rows and width W, biases stride apart).
var biasesShapes = []struct{ N, K, W, stride int }{{1, 1, 1, 1}, {3, 2, 5, 5}, {4, 3, 7, 11}, {70, 6, 64, 130}, {300, 2, 33, 40}}

// TestAddBiases checks AddBiases (x[k, r, j] += bias[k stride + j]; error
// scale |x| + |bias|); the cells between the biases are not read.
func TestAddBiases(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range biasesShapes {
		s.run(t, shape("N=%d,K=%d,W=%d,stride=%d", sh.N, sh.K, sh.W, sh.stride), func(t *testing.T) {
			n := sh.N * sh.W
			x := s.region("x", s.normal(sh.K*n, 1)).rows(sh.W)
			bias := s.region("bias", s.normal((sh.K-1)*sh.stride+sh.W, 1))
			e, bv := x.expect(), bias.f64()
			for k := range sh.K {
				refAddRows(e.v[k*n:(k+1)*n], e.mag[k*n:(k+1)*n], bv[k*sh.stride:k*sh.stride+sh.W], 1)
			}
			b.AddBiases(x.buf, bias.buf, sh.K, sh.W, sh.stride)
			x.check(t, e, s.o.ElemTol)
			bias.unchanged(t)
		})
	}
}

// TestBiasGrads checks BiasGrads (dbias[k stride + j] += sum_r dy[k, r, j];
// error scale |dbias| + sum_r |dy|); the cells between the biases must stay.
func TestBiasGrads(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range biasesShapes {
		s.run(t, shape("N=%d,K=%d,W=%d,stride=%d", sh.N, sh.K, sh.W, sh.stride), func(t *testing.T) {
			n := sh.N * sh.W
			dy := s.region("dy", s.normal(sh.K*n, 1)).rows(sh.W)
			dbias := s.region("dbias", s.normal((sh.K-1)*sh.stride+sh.W, 1))
			e, d := dbias.expect(), dy.f64()
			for k := range sh.K {
				o := k * sh.stride
				refAddRowsGrad(e.v[o:o+sh.W], e.mag[o:o+sh.W], d[k*n:(k+1)*n], 1)
			}
			b.BiasGrads(dbias.buf, dy.buf, sh.K, sh.W, sh.stride)
			dbias.check(t, e, s.o.ReduceTol)
			dy.unchanged(t)
		})
	}
}

// TestMultiBiasGrad checks MultiBiasGrad on the jobs of biasesShapes at
// once plus a large one (several row blocks on a GPU), twice in a row (the
// second call reuses what the first set up: tickets, tables) against
// BiasGrads' reference applied twice.
func TestMultiBiasGrad(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	shapes := append(biasesShapes, struct{ N, K, W, stride int }{5000, 2, 40, 45})
	s.run(t, shape("jobs=%d", len(shapes)), func(t *testing.T) {
		var jobs []compute.BiasGradJob
		var dys, dbs []*region
		var es []expect
		for i, sh := range shapes {
			n := sh.N * sh.W
			dy := s.region(fmt.Sprintf("dy%d", i), s.normal(sh.K*n, 1)).rows(sh.W)
			db := s.region(fmt.Sprintf("dbias%d", i), s.normal((sh.K-1)*sh.stride+sh.W, 1))
			e, d := db.expect(), dy.f64()
			for k := range sh.K { // the rows of matrix k twice: both calls
				o, dk := k*sh.stride, d[k*n:(k+1)*n]
				refAddRowsGrad(e.v[o:o+sh.W], e.mag[o:o+sh.W], append(append([]float64{}, dk...), dk...), 1)
			}
			jobs = append(jobs, compute.BiasGradJob{DBias: db.buf, DY: dy.buf, K: sh.K, W: sh.W, Stride: sh.stride})
			dys, dbs, es = append(dys, dy), append(dbs, db), append(es, e)
		}
		b.MultiBiasGrad(jobs)
		b.MultiBiasGrad(jobs)
		for i := range jobs {
			dbs[i].check(t, es[i], s.o.ReduceTol)
			dys[i].unchanged(t)
		}
	})
}

// TestBiasGrad checks BiasGrad (dbias [X] += column sums of dy [N, X];
// error scale |dbias| + sum_r |dy[r, j]|).
func TestBiasGrad(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range []struct{ N, X int }{{1, 1}, {1, 7}, {5, 3}, {9, 64}, {130, 33}, {1000, 37}} {
		s.run(t, shape("N=%d,X=%d", sh.N, sh.X), func(t *testing.T) {
			dy := s.region("dy", s.normal(sh.N*sh.X, 1)).rows(sh.X)
			dbias := s.region("dbias", s.normal(sh.X, 1))
			e := dbias.expect()
			refAddRowsGrad(e.v, e.mag, dy.f64(), 1)
			b.BiasGrad(dbias.buf, dy.buf)
			dbias.check(t, e, s.o.ReduceTol)
			dy.unchanged(t)
		})
	}
}

// rowsShapes are (N, P, X) for AddRows and AddRowsGrad; N = 10, P = 4 is not
// a multiple (the contract is x[r] += p[r mod P] for any N).
var rowsShapes = []struct{ N, P, X int }{{1, 1, 3}, {6, 3, 5}, {16, 16, 8}, {12, 1, 33}, {512, 64, 72}, {10, 4, 7}}

// TestAddRows checks AddRows (x [N, X] += p [r mod P]; error scale |x| + |p|).
func TestAddRows(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range rowsShapes {
		s.run(t, shape("N=%d,P=%d,X=%d", sh.N, sh.P, sh.X), func(t *testing.T) {
			x := s.region("x", s.normal(sh.N*sh.X, 1)).rows(sh.X)
			p := s.region("p", s.normal(sh.P*sh.X, 1)).rows(sh.X)
			e := x.expect()
			refAddRows(e.v, e.mag, p.f64(), sh.P)
			b.AddRows(x.buf, p.buf, sh.P)
			x.check(t, e, s.o.ElemTol)
			p.unchanged(t)
		})
	}
}

// TestAddRowsGrad checks AddRowsGrad (dp [r mod P] += dx [r]; error scale
// |dp| + sum |dx| over the rows added).
func TestAddRowsGrad(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range rowsShapes {
		s.run(t, shape("N=%d,P=%d,X=%d", sh.N, sh.P, sh.X), func(t *testing.T) {
			dx := s.region("dx", s.normal(sh.N*sh.X, 1)).rows(sh.X)
			dp := s.region("dp", s.normal(sh.P*sh.X, 1)).rows(sh.X)
			e := dp.expect()
			refAddRowsGrad(e.v, e.mag, dx.f64(), sh.P)
			b.AddRowsGrad(dp.buf, dx.buf, sh.P)
			dp.check(t, e, s.o.ReduceTol)
			dx.unchanged(t)
		})
	}
}

// gatherShapes are (S source rows, width w, n gathered rows).
var gatherShapes = []struct{ S, w, n int }{{1, 1, 1}, {5, 3, 8}, {100, 7, 33}, {3, 64, 2}}

// indices returns n row numbers in [0, S) with repeats, the last row first
// and row 0 last.
func (s *suite) indices(n, S int) []float32 {
	idx := make([]float32, n)
	for i := range idx {
		idx[i] = float32(s.rng.IntN(S))
	}
	idx[0] = float32(S - 1)
	if n > 1 {
		idx[n-1] = 0
		idx[n/2] = idx[0] // a repeat
	}
	return idx
}

// TestGatherRows checks GatherRows (exact).
func TestGatherRows(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range gatherShapes {
		s.run(t, shape("S=%d,w=%d,n=%d", sh.S, sh.w, sh.n), func(t *testing.T) {
			src := s.region("src", s.normal(sh.S*sh.w, 1)).rows(sh.w)
			idx := s.region("idx", s.indices(sh.n, sh.S))
			dst := s.out("dst", sh.n*sh.w).rows(sh.w)
			e := dst.expect()
			for i, r := range idx.data() {
				for j := range sh.w {
					e.v[i*sh.w+j], e.mag[i*sh.w+j] = float64(src.data()[int(r)*sh.w+j]), 0
				}
			}
			b.GatherRows(dst.buf, src.buf, idx.buf, sh.w)
			dst.check(t, e, 0)
			src.unchanged(t)
			idx.unchanged(t)
		})
	}
}

// TestScatterAddRows checks ScatterAddRows (dst [idx[i]] += src [i], repeats
// accumulate; error scale |dst| + sum |src| over the rows added).
func TestScatterAddRows(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range gatherShapes {
		s.run(t, shape("S=%d,w=%d,n=%d", sh.S, sh.w, sh.n), func(t *testing.T) {
			dst := s.region("dst", s.normal(sh.S*sh.w, 1)).rows(sh.w)
			idx := s.region("idx", s.indices(sh.n, sh.S))
			src := s.region("src", s.normal(sh.n*sh.w, 1)).rows(sh.w)
			e := dst.expect()
			for i := range e.v {
				e.mag[i] = abs(e.v[i])
			}
			for i, r := range idx.data() {
				for j := range sh.w {
					v := float64(src.data()[i*sh.w+j])
					e.v[int(r)*sh.w+j] += v
					e.mag[int(r)*sh.w+j] += abs(v)
				}
			}
			b.ScatterAddRows(dst.buf, src.buf, idx.buf, sh.w)
			dst.check(t, e, s.o.ReduceTol)
			src.unchanged(t)
			idx.unchanged(t)
		})
	}
}

// refAddRows is x[r, j] += p[r mod P, j] for x [N, X], p [P, X] (AddBias: P = 1).
func refAddRows(x, xmag, p []float64, P int) {
	X := len(p) / P
	for r := range len(x) / X {
		for j := range X {
			i, pv := r*X+j, p[(r%P)*X+j]
			x[i], xmag[i] = x[i]+pv, abs(x[i])+abs(pv)
		}
	}
}

// refAddRowsGrad is dp[r mod P, j] += dx[r, j] (BiasGrad: P = 1).
func refAddRowsGrad(dp, dpmag, dx []float64, P int) {
	X := len(dp) / P
	for i := range dp {
		dpmag[i] = abs(dp[i])
	}
	for r := range len(dx) / X {
		for j := range X {
			i := (r%P)*X + j
			dp[i] += dx[r*X+j]
			dpmag[i] += abs(dx[r*X+j])
		}
	}
}
