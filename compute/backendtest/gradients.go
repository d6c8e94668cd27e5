package backendtest

import (
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// fdStep is the central-difference step, for inputs of order one.
const fdStep = 1e-2

// TestGradients checks each backward op of the backend against central
// differences of the backend's own forward op, in float32, on tiny shapes:
// for a random weighting w, L = sum w * y (y the forward output) is
// evaluated with one input cell moved by +-fdStep, and (L+ - L-) / (x+ - x-)
// must match the gradient the backward op returns for dy = w within
// FDTol (|g| + rms(g)).
func TestGradients(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	s.run(t, "LayerNormMod", s.gradLayerNormMod)
	s.run(t, "Attention", s.gradAttention)
	s.run(t, "Gelu", func(t *testing.T) { s.gradAct(t, b.Gelu, b.GeluBackward) })
	s.run(t, "SiLU", func(t *testing.T) { s.gradAct(t, b.SiLU, b.SiLUBackward) })
	s.run(t, "GatedResidual", s.gradGatedResidual)
	for _, p := range paths {
		s.run(t, "CFMLoss/"+p.name, func(t *testing.T) { s.gradCFMLoss(t, p.p) })
	}
	s.run(t, "MSELoss", s.gradMSELoss)
	s.run(t, "SoftmaxCrossEntropy", s.gradSoftmaxCrossEntropy)
	s.run(t, "GaussianSample", func(t *testing.T) { s.gradGaussianSample(t, false) })
	s.run(t, "GaussianSample/clamped", func(t *testing.T) { s.gradGaussianSample(t, true) })
}

// fd compares grad (indexed like in's view) at the given cells of in with
// central differences of loss, which must read in's current contents.
func (s *suite) fd(t *testing.T, in *region, cells []int, grad []float32, loss func() float64) {
	t.Helper()
	x := in.data()
	fdv := make([]float64, len(cells))
	var rms float64
	for k, c := range cells {
		cell := s.b.Slice(in.buf, c, 1)
		xp, xm := float32(float64(x[c])+fdStep), float32(float64(x[c])-fdStep)
		s.b.Upload(cell, []float32{xp})
		lp := loss()
		s.b.Upload(cell, []float32{xm})
		lm := loss()
		s.b.Upload(cell, x[c:c+1])
		fdv[k] = (lp - lm) / (float64(xp) - float64(xm))
		rms += float64(grad[c]) * float64(grad[c])
	}
	rms = sqrt(rms / float64(len(cells)))
	bad, worst, worstAt := 0, 0.0, 0
	for k, c := range cells {
		g := float64(grad[c])
		err, allowed := abs(fdv[k]-g), s.o.FDTol*(abs(g)+rms)+tiny
		if !(err <= allowed) {
			if bad < maxReports {
				t.Errorf("d%s%s = %v, central difference %v (error %.3g > %.3g)", in.name, in.at(c), g, fdv[k], err, allowed)
			}
			bad++
		} else if err/allowed > worst {
			worst, worstAt = err/allowed, c
		}
	}
	if bad > maxReports {
		t.Errorf("d%s: %d wrong cells in all", in.name, bad)
	}
	if bad == 0 {
		s.note(t, worst, "d"+in.name+in.at(worstAt))
	}
}

// dot returns sum w_i y_i in float64.
func dot(w, y []float32) float64 {
	var s float64
	for i := range w {
		s += float64(w[i]) * float64(y[i])
	}
	return s
}

// all returns 0..n-1.
func all(n int) []int {
	c := make([]int, n)
	for i := range c {
		c[i] = i
	}
	return c
}

func (s *suite) gradLayerNormMod(t *testing.T) {
	const B, T, D, eps = 2, 2, 5, 1e-5
	const N, ld = B * T, 2*D + 1
	b := s.b
	// Rows of standard deviation ~2: the curvature grows like rstd^3, and with
	// it the truncation error of the central differences.
	x := s.region("x", s.normal(N*D, 2)).rows(D)
	mod := s.strided("mod", B, D, ld, 2, func(n int) []float32 { return s.normal(n, 0.5) })
	y, mean, rstd := s.out("y", N*D), s.out("mean", N), s.out("rstd", N)
	w := s.normal(N*D, 1)
	loss := func() float64 {
		b.LayerNormMod(y.buf, mean.buf, rstd.buf, x.buf, mod.view(0), mod.view(1), ld, B, T, D, eps)
		return dot(w, y.download())
	}
	loss()
	dy := s.region("dy", w)
	dx := s.region("dx", filled(N*D, 0)).rows(D)
	dmod := s.strided("dmod", B, D, ld, 2, func(n int) []float32 { return filled(n, 0) })
	b.LayerNormModBackward(dx.buf, dmod.view(0), dmod.view(1), dy.buf, x.buf, mean.buf, rstd.buf, mod.view(1), ld, B, T, D)
	s.fd(t, x, all(N*D), dx.download(), loss)
	dm := dmod.download()
	s.fd(t, mod.region, mod.cells(0), dm, loss) // shift
	s.fd(t, mod.region, mod.cells(1), dm, loss) // scale
}

// gradAttention checks AttentionBackward against central differences of
// Attention, the second shape with a bias (whose gradient is the column sums
// of dqkv: the bias is added to every row).
func (s *suite) gradAttention(t *testing.T) {
	for i, sh := range []struct{ B, T, H, D int }{{1, 3, 2, 4}, {2, 2, 1, 3}} {
		B, T, H, D := sh.B, sh.T, sh.H, sh.D
		b := s.b
		qkv := s.region("qkv", s.normal(B*T*3*D, 1)).rows(3 * D)
		var bias *region
		if i == 1 {
			bias = s.region("bias", s.normal(3*D, 1))
		}
		out, lse := s.out("out", B*T*D), s.out("lse", B*H*T)
		w := s.normal(B*T*D, 1)
		loss := func() float64 {
			b.Attention(out.buf, lse.buf, qkv.buf, bias.buffer(), B, T, H, D)
			return dot(w, out.download())
		}
		loss()
		dout := s.region("dout", w)
		dqkv := s.out("dqkv", B*T*3*D)
		b.AttentionBackward(dqkv.buf, dout.buf, qkv.buf, bias.buffer(), out.buf, lse.buf, B, T, H, D)
		g := dqkv.download()
		s.fd(t, qkv, all(B*T*3*D), g, loss)
		if bias != nil {
			db := make([]float32, 3*D)
			for r := range B * T {
				for j := range db {
					db[j] += g[r*3*D+j]
				}
			}
			s.fd(t, bias, all(3*D), db, loss)
		}
	}
}

func (s *suite) gradAct(t *testing.T, fwd func(y, x compute.Buffer), bwd func(dx, dy, x compute.Buffer)) {
	const n = 17
	x := s.region("x", s.actInputs(n))
	copy(x.data()[9:], []float32{-3, -1.5, -0.7, -0.2, 0.3, 0.9, 2, 3.5})
	x.upload(x.data())
	y := s.out("y", n)
	w := s.normal(n, 1)
	loss := func() float64 {
		fwd(y.buf, x.buf)
		return dot(w, y.download())
	}
	dy := s.region("dy", w)
	dx := s.out("dx", n)
	bwd(dx.buf, dy.buf, x.buf)
	s.fd(t, x, all(n), dx.download(), loss)
}

func (s *suite) gradGatedResidual(t *testing.T) {
	const B, T, D = 2, 3, 4
	const N, ld = B * T, 2*D + 1
	b := s.b
	x0 := s.normal(N*D, 1)
	x := s.region("x", x0)
	y := s.region("y", s.normal(N*D, 1)).rows(D)
	mod := s.strided("gate", B, D, ld, 2, func(n int) []float32 { return s.normal(n, 1) })
	w := s.normal(N*D, 1)
	loss := func() float64 {
		b.Upload(x.buf, x0)
		b.GatedResidual(x.buf, mod.view(1), y.buf, ld, B, T, D)
		return dot(w, x.download())
	}
	dx := s.region("dx", w)
	dy := s.out("dy", N*D)
	dmod := s.strided("dgate", B, D, ld, 2, func(n int) []float32 { return filled(n, 0) })
	b.GatedResidualBackward(dy.buf, dmod.view(1), dx.buf, mod.view(1), y.buf, ld, B, T, D)
	s.fd(t, mod.region, mod.cells(1), dmod.download(), loss)
	s.fd(t, y, all(N*D), dy.download(), loss)
}

func (s *suite) gradCFMLoss(t *testing.T, p compute.PathParams) {
	const B, X = 2, 3
	b := s.b
	x0 := s.region("x0", s.normal(B*X, 1))
	x1 := s.region("x1", s.normal(B*X, 1))
	pred := s.region("pred", s.normal(B*X, 1)).rows(X)
	tt := s.region("t", []float32{0.3, 0.8})
	l := s.region("loss", []float32{0})
	dpred := s.out("dpred", B*X)
	loss := func() float64 {
		b.Upload(l.buf, []float32{0})
		b.CFMLoss(l.buf, dpred.buf, pred.buf, x0.buf, x1.buf, tt.buf, p)
		return float64(l.download()[0])
	}
	loss()
	s.fd(t, pred, all(B*X), dpred.download(), loss)
}

func (s *suite) gradMSELoss(t *testing.T) {
	const n = 7
	b := s.b
	pred := s.region("pred", s.normal(n, 1))
	target := s.region("target", s.normal(n, 1))
	l := s.region("loss", []float32{0})
	dpred := s.out("dpred", n)
	loss := func() float64 {
		b.Upload(l.buf, []float32{0})
		b.MSELoss(l.buf, dpred.buf, pred.buf, target.buf)
		return float64(l.download()[0])
	}
	loss()
	s.fd(t, pred, all(n), dpred.download(), loss)
}

// gradSoftmaxCrossEntropy checks dlogits on rows with a class (a row without
// one has dlogits p / B but adds nothing to the loss: no derivative to check).
func (s *suite) gradSoftmaxCrossEntropy(t *testing.T) {
	const B, K = 3, 5
	b := s.b
	logits := s.region("logits", s.normal(B*K, 1.5)).rows(K)
	labels := s.region("labels", s.labelsOf(B, K))
	l := s.region("loss", []float32{0})
	dlogits := s.out("dlogits", B*K)
	loss := func() float64 {
		b.Upload(l.buf, []float32{0})
		b.SoftmaxCrossEntropy(l.buf, dlogits.buf, logits.buf, labels.buf, K)
		return float64(l.download()[0])
	}
	loss()
	s.fd(t, logits, all(B*K), dlogits.download(), loss)
}

// gradGaussianSample checks dh against central differences of <dz, z> + kl,
// with log-variances in [-2, 2] (away from the clamp) and two below it, or,
// clamped, all outside it on both sides (their central differences and
// gradients must be exactly zero).
func (s *suite) gradGaussianSample(t *testing.T, clamped bool) {
	const N, L, w = 3, 2, 0.7
	b := s.b
	hv := make([]float32, 2*N*L)
	mu, lv := s.normal(N*L, 1), s.uniform(N*L, -2, 2)
	if clamped {
		copy(lv, []float32{-35, 25, -31, 21, -100, 100})
	} else {
		// Below the clamp only: above it exp(20) makes z and kl so large
		// that their float32 rounding swamps the differences of the others.
		copy(lv[N*L-2:], []float32{-35, -31})
	}
	var lvCells []int
	for r := range N {
		copy(hv[r*2*L:], mu[r*L:(r+1)*L])
		copy(hv[r*2*L+L:], lv[r*L:(r+1)*L])
		for j := range L {
			lvCells = append(lvCells, r*2*L+L+j)
		}
	}
	h := s.region("h", hv).rows(2 * L)
	eps := s.region("eps", s.normal(N*L, 1))
	z, kl := s.out("z", N*L), s.region("kl", []float32{0})
	wz := s.normal(N*L, 1)
	loss := func() float64 {
		b.Upload(kl.buf, []float32{0})
		b.GaussianSample(z.buf, kl.buf, h.buf, eps.buf, L, w)
		return dot(wz, z.download()) + float64(kl.download()[0])
	}
	loss()
	dz := s.region("dz", wz)
	dh := s.out("dh", 2*N*L)
	b.GaussianSampleBackward(dh.buf, dz.buf, h.buf, eps.buf, L, w)
	g := dh.download()
	if !clamped {
		s.fd(t, h, all(2*N*L), g, loss)
		return
	}
	// All outside: central differences are exactly 0, and so must dlogvar be.
	s.fd(t, h, lvCells, g, loss)
	for _, c := range lvCells {
		if g[c] != 0 {
			t.Errorf("dh%s = %v for logvar %v outside the clamp, want 0", h.at(c), g[c], hv[c])
		}
	}
}
