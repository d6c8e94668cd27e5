// The gorgonia oracle is a CPU test. gorgonia.org/gorgonia reads the same
// `cuda` build tag as latentflow, and its CUDA variant needs cuDNN headers and
// a GPU, so this file is left out of -tags cuda builds (make gpu, make test-gpu).

//go:build !cuda

package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latentflow/latentflow/compute/cpu"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The independent oracle: the same tiny DiT written as a gorgonia expression
// graph in float64, from the package doc's equations only (no code shared with
// forward.go or compute/cpu), differentiated by gorgonia's reverse-mode autodiff.
//
// The graph uses only matrix products, elementwise ops (Add, Sub, HadamardProd,
// Exp, Tanh, Sigmoid, Sqrt, Inverse, Square) and Mean. Broadcasts, row/column
// slices and per-sample/per-head gathers are written as products with constant
// 0/1 matrices (exact in float64, and differentiated by the well-tested MatMul
// rule rather than gorgonia's broadcast ops). The sinusoidal timestep embedding
// is a host-computed constant (t gets no gradient); the class embedding lookup
// is a one-hot constant times the y_emb table.

// oracleGraph builds gorgonia nodes with unique names (gorgonia merges input
// nodes with equal name, type and shape, and constants with equal names).
type oracleGraph struct {
	t *testing.T
	g *G.ExprGraph
	n int
}

func (o *oracleGraph) must(n *G.Node, err error) *G.Node {
	o.t.Helper()
	if err != nil {
		o.t.Fatalf("gorgonia: %v", err)
	}
	return n
}

// mat is an (r, c) float64 input node holding data (row-major).
func (o *oracleGraph) mat(r, c int, data []float64, name string) *G.Node {
	if len(data) != r*c {
		o.t.Fatalf("oracle: %s has %d values, want %d x %d", name, len(data), r, c)
	}
	o.n++
	v := tensor.New(tensor.WithShape(r, c), tensor.WithBacking(append([]float64(nil), data...)))
	return G.NewMatrix(o.g, G.Float64, G.WithShape(r, c), G.WithName(fmt.Sprintf("%s#%d", name, o.n)), G.WithValue(v))
}

// fill is a constant (r, c) matrix of v.
func (o *oracleGraph) fill(r, c int, v float64) *G.Node {
	d := make([]float64, r*c)
	for i := range d {
		d[i] = v
	}
	return o.mat(r, c, d, fmt.Sprintf("fill%g", v))
}

// sel is the (r, c) 0/1 matrix with ones at (i+r0, i+c0) for i < n.
func (o *oracleGraph) sel(r, c, r0, c0, n int) *G.Node {
	d := make([]float64, r*c)
	for i := 0; i < n; i++ {
		d[(i+r0)*c+i+c0] = 1
	}
	return o.mat(r, c, d, "sel")
}

// params makes an input node per tensor of a flat parameter layout (matrices
// as (rows, last dimension), vectors as one row), by name and in layout order.
func (o *oracleGraph) params(layout []Tensor, flat []float32) (map[string]*G.Node, []*G.Node) {
	p := map[string]*G.Node{}
	var wrt []*G.Node
	for _, tn := range layout {
		r, c := 1, tn.N
		if len(tn.Shape) >= 2 {
			r, c = tn.N/tn.Shape[len(tn.Shape)-1], tn.Shape[len(tn.Shape)-1]
		}
		n := o.mat(r, c, f64(flat[tn.Off:tn.Off+tn.N]), tn.Name)
		p[tn.Name], wrt = n, append(wrt, n)
	}
	return p, wrt
}

func f64(v []float32) []float64 {
	d := make([]float64, len(v))
	for i := range v {
		d[i] = float64(v[i])
	}
	return d
}

func (o *oracleGraph) mul(a, b *G.Node) *G.Node  { return o.must(G.Mul(a, b)) }
func (o *oracleGraph) add(a, b *G.Node) *G.Node  { return o.must(G.Add(a, b)) }
func (o *oracleGraph) sub(a, b *G.Node) *G.Node  { return o.must(G.Sub(a, b)) }
func (o *oracleGraph) prod(a, b *G.Node) *G.Node { return o.must(G.HadamardProd(a, b)) }
func (o *oracleGraph) tr(a *G.Node) *G.Node      { return o.must(G.Transpose(a)) }

// cols returns columns [c0, c0+n) of a (r, c) node.
func (o *oracleGraph) cols(a *G.Node, c0, n int) *G.Node {
	return o.mul(a, o.sel(a.Shape()[1], n, c0, 0, n))
}

// linear is x W^T + b for x (rows, in), W (out, in), b (1, out).
func (o *oracleGraph) linear(x, w, b *G.Node) *G.Node {
	rows := x.Shape()[0]
	return o.add(o.mul(x, o.tr(w)), o.mul(o.fill(rows, 1, 1), b))
}

func (o *oracleGraph) silu(x *G.Node) *G.Node { return o.prod(x, o.must(G.Sigmoid(x))) }

// gelu is x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
func (o *oracleGraph) gelu(x *G.Node) *G.Node {
	r, c := x.Shape()[0], x.Shape()[1]
	x3 := o.prod(o.prod(x, x), x)
	in := o.prod(o.fill(r, c, math.Sqrt(2/math.Pi)), o.add(x, o.prod(o.fill(r, c, 0.044715), x3)))
	th := o.must(G.Tanh(in))
	return o.prod(o.prod(o.fill(r, c, 0.5), x), o.add(o.fill(r, c, 1), th))
}

// layerNormMod is (x - mean) / sqrt(var + eps) (1 + scale[b]) + shift[b] over
// rows of x (N, D), with shift and scale (B, D) and expand (N, B) the one-hot
// row -> sample matrix.
func (o *oracleGraph) layerNormMod(x, shift, scale, expand *G.Node, eps float64) *G.Node {
	N, D := x.Shape()[0], x.Shape()[1]
	avg := o.fill(D, 1, 1/float64(D))
	row := o.fill(1, D, 1)
	mean := o.mul(x, avg)                              // (N, 1)
	xc := o.sub(x, o.mul(mean, row))                   // (N, D)
	vr := o.mul(o.prod(xc, xc), avg)                   // (N, 1) biased variance
	sd := o.must(G.Sqrt(o.add(vr, o.fill(N, 1, eps)))) // (N, 1)
	xhat := o.prod(xc, o.mul(o.must(G.Inverse(sd)), row))
	sc := o.add(o.fill(N, D, 1), o.mul(expand, scale))
	return o.add(o.prod(xhat, sc), o.mul(expand, shift))
}

// attention is non-causal multi-head self-attention over qkv (B*T, 3D).
func (o *oracleGraph) attention(qkv *G.Node, B, T, H, D int) *G.Node {
	dh := D / H
	var out *G.Node
	for b := 0; b < B; b++ {
		rb := o.sel(T, B*T, 0, b*T, T) // rows of sample b
		qb := o.mul(rb, qkv)           // (T, 3D)
		for h := 0; h < H; h++ {
			q := o.cols(qb, h*dh, dh)
			k := o.cols(qb, D+h*dh, dh)
			v := o.cols(qb, 2*D+h*dh, dh)
			s := o.prod(o.mul(q, o.tr(k)), o.fill(T, T, 1/math.Sqrt(float64(dh))))
			e := o.must(G.Exp(s)) // scores are O(1) here: no max subtraction needed
			den := o.mul(e, o.fill(T, 1, 1))
			p := o.prod(e, o.mul(o.must(G.Inverse(den)), o.fill(1, T, 1)))
			oh := o.mul(p, v) // (T, dh)
			// place at rows of sample b, columns of head h
			c := o.mul(o.mul(o.tr(rb), oh), o.sel(dh, D, 0, h*dh, dh))
			if out == nil {
				out = c
			} else {
				out = o.add(out, c)
			}
		}
	}
	return out
}

type oracleResult struct {
	loss  float64
	grads map[string][]float64
}

// oracleDiT evaluates L = mean((v(x, t, y) - u)^2) and its gradient with
// respect to every parameter tensor in gorgonia (float64).
func oracleDiT(t *testing.T, m *DiT, params, x, ts, y, u []float32, B int) oracleResult {
	c := m.Cfg
	T, D, N := c.T, c.D, B*c.T
	o := &oracleGraph{t: t, g: G.NewGraph()}
	// parameters: weights (out, in), biases (1, out), pos (T, D), y_emb (K+1, D)
	p, wrt := o.params(m.Tensors, params)
	lin := func(x *G.Node, name string) *G.Node { return o.linear(x, p[name+".weight"], p[name+".bias"]) }

	// constants
	half := c.TembDim / 2
	temb := make([]float64, B*c.TembDim)
	for b := 0; b < B; b++ {
		for i := 0; i < half; i++ {
			a := float64(c.TimeScale) * float64(ts[b]) * math.Exp(-math.Log(10000)*float64(i)/float64(half))
			temb[b*c.TembDim+i] = math.Cos(a)
			temb[b*c.TembDim+half+i] = math.Sin(a)
		}
	}
	expand := make([]float64, N*B) // row r belongs to sample r / T
	tile := make([]float64, N*T)   // row r gets pos[r mod T]
	for r := 0; r < N; r++ {
		expand[r*B+r/T] = 1
		tile[r*T+r%T] = 1
	}
	E := o.mat(N, B, expand, "expand")

	// conditioning
	cond := lin(o.silu(lin(o.mat(B, c.TembDim, temb, "temb"), "t1")), "t2")
	if c.NumClasses > 0 {
		oh := make([]float64, B*(c.NumClasses+1))
		for b := 0; b < B; b++ {
			oh[b*(c.NumClasses+1)+int(y[b])] = 1
		}
		cond = o.add(cond, o.mul(o.mat(B, c.NumClasses+1, oh, "onehot"), p["y_emb"]))
	}
	cs := o.silu(cond)

	// tokens
	h := o.add(lin(o.mat(N, c.C, f64(x), "x"), "inp"), o.mul(o.mat(N, T, tile, "tile"), p["pos"]))
	for l := 0; l < c.L; l++ {
		pre := fmt.Sprintf("blocks.%d.", l)
		mod := lin(cs, pre+"ada") // (B, 6D)
		part := func(k int) *G.Node { return o.cols(mod, k*D, D) }
		sh1, sc1, g1, sh2, sc2, g2 := part(0), part(1), part(2), part(3), part(4), part(5)
		a := lin(o.attention(lin(o.layerNormMod(h, sh1, sc1, E, lnEps), pre+"qkv"), B, T, c.H, D), pre+"proj")
		h = o.add(h, o.prod(o.mul(E, g1), a))
		f := lin(o.gelu(lin(o.layerNormMod(h, sh2, sc2, E, lnEps), pre+"fc1")), pre+"fc2")
		h = o.add(h, o.prod(o.mul(E, g2), f))
	}
	modf := lin(cs, "adaf")
	v := lin(o.layerNormMod(h, o.cols(modf, 0, D), o.cols(modf, D, D), E, lnEps), "out")

	diff := o.sub(v, o.mat(N, c.C, f64(u), "u"))
	loss := o.must(G.Mean(o.must(G.Square(diff))))
	if _, err := G.Grad(loss, wrt...); err != nil {
		t.Fatalf("gorgonia Grad: %v", err)
	}
	vm := G.NewTapeMachine(o.g, G.BindDualValues(wrt...))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatalf("gorgonia RunAll: %v", err)
	}
	res := oracleResult{loss: loss.Value().Data().(float64), grads: map[string][]float64{}}
	for _, tn := range m.Tensors {
		gv, err := p[tn.Name].Grad()
		if err != nil {
			t.Fatalf("gorgonia grad of %s: %v", tn.Name, err)
		}
		res.grads[tn.Name] = append([]float64(nil), gv.Data().([]float64)...)
	}
	return res
}

// Tolerances of the oracle comparison. Ours runs in float32 (unit roundoff
// 6e-8), the oracle in float64 from the same float32 parameter and input
// values, so the differences are float32 rounding accumulated through 2L+1
// normalisations, L softmaxes and ~6L+5 GEMMs forward and back: ~1e-6
// relative for the O(1) quantities here. Measured over 200 random seeds,
// times, labels and B = 2..4: loss rel <= 2.2e-7, gradient abs error <=
// 2.2e-6 for gradients up to ~5 (the fixed cases below log ~1e-7..9e-7).
// A gradient element that is small because of cancellation keeps the
// absolute error of its O(1) terms, hence an absolute part ~10x above that
// worst case; the relative part covers the largest gradients. A wrong
// backward rule gives an O(|g|) error, and a 1% error on one element is
// caught (checked below).
const (
	oracleLossRel = 1e-5
	oracleAbs     = 2e-5
	oracleRel     = 1e-3
)

type gradErr struct {
	maxAbs, maxRel, maxRef float64
	bad                    []string
}

// compareGrad checks ours against the oracle elementwise with
// |ours - ref| <= oracleAbs + oracleRel |ref|.
func compareGrad(ours []float32, ref []float64) gradErr {
	var e gradErr
	for i, r := range ref {
		d := math.Abs(float64(ours[i]) - r)
		e.maxAbs = math.Max(e.maxAbs, d)
		e.maxRef = math.Max(e.maxRef, math.Abs(r))
		if math.Abs(r) > 1e-3 {
			e.maxRel = math.Max(e.maxRel, d/math.Abs(r))
		}
		if !(d <= oracleAbs+oracleRel*math.Abs(r)) { // NaN fails too
			e.bad = append(e.bad, fmt.Sprintf("[%d] ours %.8g oracle %.8g", i, ours[i], r))
		}
	}
	return e
}

// TestDiTOracleGorgonia checks the loss and every parameter gradient of a tiny
// DiT (unconditional and class-conditional) against the gorgonia oracle.
func TestDiTOracleGorgonia(t *testing.T) {
	cases := []struct {
		classes, B int
		seed       uint64
		ts, y      []float32
	}{
		{classes: 0, B: 2, seed: 11, ts: []float32{0.3, 0.85}},
		// label 1 twice (the y_emb gradient must accumulate) and the null class 3
		{classes: 3, B: 3, seed: 12, ts: []float32{0.05, 0.5, 0.97}, y: []float32{1, 3, 1}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("classes=%d,B=%d", tc.classes, tc.B), func(t *testing.T) {
			r := rand.New(rand.NewPCG(tc.seed, 2))
			be := cpu.New(1)
			m := NewDiT(tinyConfig(tc.classes))
			c := m.Cfg
			B := tc.B
			params := randomParams(m, r)
			x := randVec(r, B*c.T*c.C, 1)
			u := randVec(r, B*c.T*c.C, 1)

			// ours: loss and dout = 2 (out - u) / len in float32, as the CFM loss does
			out := forwardHost(be, m, params, x, tc.ts, tc.y, B)
			dout := make([]float32, len(out))
			var loss float64
			for i := range out {
				e := out[i] - u[i]
				loss += float64(e) * float64(e)
				dout[i] = 2 * e / float32(len(out))
			}
			loss /= float64(len(out))
			grads := backwardHost(be, m, params, x, tc.ts, tc.y, dout, B)

			ref := oracleDiT(t, m, params, x, tc.ts, tc.y, u, B)
			if rel := math.Abs(loss-ref.loss) / math.Abs(ref.loss); !(rel <= oracleLossRel) {
				t.Errorf("loss: ours %.9g oracle %.9g (rel %.2e > %.0e)", loss, ref.loss, rel, oracleLossRel)
			} else {
				t.Logf("loss: ours %.9g oracle %.9g (rel %.2e)", loss, ref.loss, rel)
			}
			var worstAbs, worstRel float64
			for _, tn := range m.Tensors {
				e := compareGrad(grads[tn.Off:tn.Off+tn.N], ref.grads[tn.Name])
				if e.maxRef == 0 {
					t.Errorf("%s: oracle gradient is identically zero (the check would be vacuous)", tn.Name)
				}
				t.Logf("%-18s max|g| %.3e  max abs err %.2e  max rel err %.2e", tn.Name, e.maxRef, e.maxAbs, e.maxRel)
				for i, s := range e.bad {
					if i == 5 {
						t.Errorf("%s: ... %d mismatches in all", tn.Name, len(e.bad))
						break
					}
					t.Errorf("%s%s (tolerance %.0e + %.0e|oracle|)", tn.Name, s, oracleAbs, oracleRel)
				}
				worstAbs, worstRel = math.Max(worstAbs, e.maxAbs), math.Max(worstRel, e.maxRel)
			}
			t.Logf("all %d gradients: max abs err %.2e, max rel err (|g| > 1e-3) %.2e", m.NParams, worstAbs, worstRel)

			// the comparison must catch a single wrong element: 1% off on the
			// largest gradient of qkv.
			tn, _ := m.Find("blocks.1.qkv.weight")
			bad := append([]float32(nil), grads[tn.Off:tn.Off+tn.N]...)
			j := 0
			for i, g := range ref.grads[tn.Name] {
				if math.Abs(g) > math.Abs(ref.grads[tn.Name][j]) {
					j = i
				}
			}
			bad[j] *= 1.01
			if e := compareGrad(bad, ref.grads[tn.Name]); len(e.bad) != 1 {
				t.Errorf("compareGrad missed a 1%% error in %s[%d] (|g| %.3g)", tn.Name, j, ref.grads[tn.Name][j])
			}
		})
	}
}
