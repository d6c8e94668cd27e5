package backendtest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// The reference loops are the specification the suite holds backends to, so
// their backward formulas are checked here against float64 central
// differences of their forward loops (step 1e-6: truncation ~1e-12, rounding
// ~1e-10 relative), and the path coefficients against their time derivatives
// and against compute.PathParams.Coef.

const (
	fd64Step = 1e-6
	fd64Tol  = 1e-6 // relative to 1 + |g|
)

// fd64 compares grad with central differences of loss over every cell of x.
func fd64(t *testing.T, name string, x, grad []float64, loss func() float64) {
	t.Helper()
	for i := range x {
		x0 := x[i]
		x[i] = x0 + fd64Step
		lp := loss()
		x[i] = x0 - fd64Step
		lm := loss()
		x[i] = x0
		fd := (lp - lm) / (2 * fd64Step)
		if !(abs(fd-grad[i]) <= fd64Tol*(1+abs(grad[i]))) {
			t.Errorf("d%s[%d] = %.10g, central difference %.10g", name, i, grad[i], fd)
		}
	}
}

func randn(r *rand.Rand, n int, std float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = std * r.NormFloat64()
	}
	return x
}

func dot64(w, y []float64) float64 {
	var s float64
	for i := range w {
		s += w[i] * y[i]
	}
	return s
}

func scratch(n int) []float64 { return make([]float64, n) }

func TestRefLayerNormModGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const B, T, D, eps = 2, 3, 5, 1e-5
	const N, ld = B * T, 2*D + 1
	x := randn(r, N*D, 1)
	mod := randn(r, (B-1)*ld+2*D, 0.5)
	shift, scale := mod[0:], mod[D:]
	w := randn(r, N*D, 1)
	y, mean, rstd := scratch(N*D), scratch(N), scratch(N)
	loss := func() float64 {
		refLayerNormMod(y, scratch(N*D), mean, scratch(N), rstd, scratch(N), x, shift, scale, ld, B, T, D, eps)
		return dot64(w, y)
	}
	loss()
	dx, dmod := scratch(N*D), scratch(len(mod))
	refLayerNormModBackward(dx, scratch(N*D), dmod[0:], scratch(len(mod)), dmod[D:], scratch(len(mod)),
		w, x, mean, rstd, scale, ld, B, T, D)
	fd64(t, "x", x, dx, loss)
	fd64(t, "mod", mod, dmod, loss) // shift and scale; the padding has gradient 0
}

func TestRefAttentionGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const B, T, H, D = 2, 3, 2, 4
	qkv := randn(r, B*T*3*D, 1)
	w := randn(r, B*T*D, 1)
	out, lse := scratch(B*T*D), scratch(B*H*T)
	loss := func() float64 {
		refAttention(out, scratch(B*T*D), lse, scratch(B*H*T), qkv, B, T, H, D)
		return dot64(w, out)
	}
	loss()
	dqkv := scratch(B * T * 3 * D)
	refAttentionBackward(dqkv, scratch(len(dqkv)), w, qkv, out, lse, B, T, H, D)
	fd64(t, "qkv", qkv, dqkv, loss)
}

func TestRefActivationGrads(t *testing.T) {
	for _, c := range []struct {
		name      string
		f, fprime func(float64) (float64, float64)
	}{{"gelu", refGelu, refGeluGrad}, {"silu", refSiLU, refSiLUGrad}} {
		x := []float64{-20, -6, -3, -1, -0.3, 0, 1e-3, 0.4, 1.2, 3, 7, 20}
		g := make([]float64, len(x))
		for i, v := range x {
			g[i], _ = c.fprime(v)
		}
		for i := range x {
			xi := x[i : i+1]
			fd64(t, c.name, xi, g[i:i+1], func() float64 { y, _ := c.f(xi[0]); return y })
		}
	}
}

func TestRefGatedResidualGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const B, T, D = 2, 3, 4
	const N, ld = B * T, 3*D + 1
	x0, y := randn(r, N*D, 1), randn(r, N*D, 1)
	gate := randn(r, (B-1)*ld+D, 1)
	w := randn(r, N*D, 1)
	x := scratch(N * D)
	loss := func() float64 {
		copy(x, x0)
		refGatedResidual(x, scratch(N*D), gate, y, ld, B, T, D)
		return dot64(w, x)
	}
	dy, dgate := scratch(N*D), scratch(len(gate))
	refGatedResidualBackward(dy, scratch(N*D), dgate, scratch(len(gate)), w, gate, y, ld, B, T, D)
	fd64(t, "gate", gate, dgate, loss)
	fd64(t, "y", y, dy, loss)
}

func TestRefCFMLossGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const B, X = 3, 2
	for _, p := range paths {
		x0, x1, pred := randn(r, B*X, 1), randn(r, B*X, 1), randn(r, B*X, 1)
		ts := []float64{0.1, 0.5, 0.97}
		dpred := scratch(B * X)
		loss := func() float64 {
			l, _ := refCFMLoss(scratch(B*X), scratch(B*X), pred, x0, x1, ts, p.p)
			return l
		}
		refCFMLoss(dpred, scratch(B*X), pred, x0, x1, ts, p.p)
		fd64(t, "pred/"+p.name, pred, dpred, loss)
	}
}

// The targets are the time derivatives of the path, and the coefficients
// agree with compute.PathParams.Coef to float32 rounding.
func TestRefPathCoef(t *testing.T) {
	for _, p := range paths {
		for _, tt := range []float64{1.0 / (1 << 24), 0.01, 0.3, 0.5, 0.9, 0.999, maxUniform} {
			tt = float64(float32(tt))
			c := pathCoef(p.p, tt)
			if tt < 0.999 {
				h := 1e-6
				cp, cm := pathCoef(p.p, tt+h), pathCoef(p.p, tt-h)
				if da := (cp.a - cm.a) / (2 * h); abs(da-c.da) > 1e-6*(1+abs(c.da)) {
					t.Errorf("%s t=%g: da = %g, central difference %g", p.name, tt, c.da, da)
				}
				if db := (cp.b - cm.b) / (2 * h); abs(db-c.db) > 1e-6*(1+abs(c.db)) {
					t.Errorf("%s t=%g: db = %g, central difference %g", p.name, tt, c.db, db)
				}
			}
			a, b, da, db := p.p.Coef(float32(tt))
			for _, v := range [][2]float64{{float64(a), c.a}, {float64(b), c.b}, {float64(da), c.da}, {float64(db), c.db}} {
				if abs(v[0]-v[1]) > 1e-6*abs(v[1]) || math.IsNaN(v[0]) {
					t.Errorf("%s t=%g: PathParams.Coef = %v %v %v %v, reference %v %v %v %v", p.name, tt, a, b, da, db, c.a, c.b, c.da, c.db)
					break
				}
			}
		}
	}
	// VP: sigma^2 + a^2 = 1 and x_t at t -> 1 is the data.
	c := pathCoef(compute.PathParams{Path: compute.PathVP, BetaMin: 0.1, BetaMax: 20}, maxUniform)
	if abs(c.a*c.a+c.b*c.b-1) > 1e-15 || c.a > 1e-4 || math.IsInf(c.da, 0) {
		t.Errorf("VP at t = 1-2^-24: sigma %g, a %g, sigma' %g", c.a, c.b, c.da)
	}
}

func TestRefMSELossGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	pred, target := randn(r, 7, 1), randn(r, 7, 1)
	dpred := scratch(7)
	loss := func() float64 {
		l, _ := refMSELoss(scratch(7), scratch(7), pred, target)
		return l
	}
	refMSELoss(dpred, scratch(7), pred, target)
	fd64(t, "pred", pred, dpred, loss)
}

func TestRefSoftmaxCrossEntropyGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const B, K = 4, 6
	x := randn(r, B*K, 2)
	labels := []float64{5, 0, 2, 2}
	dx := scratch(B * K)
	loss := func() float64 {
		l, _ := refSoftmaxCrossEntropy(scratch(B*K), scratch(B*K), x, labels, K)
		return l
	}
	refSoftmaxCrossEntropy(dx, scratch(B*K), x, labels, K)
	fd64(t, "logits", x, dx, loss)
}

// The gradient of <dz, z> + kl, inside the clamp and (zero) outside it.
func TestRefGaussianSampleGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const N, L, w = 3, 3, 0.6
	h := randn(r, 2*N*L, 1)
	h[L], h[L+1] = -35, -31 // logvar of row 0 below the clamp (above it, exp(20) swamps the differences)
	eps, dz := randn(r, N*L, 1), randn(r, N*L, 1)
	z := scratch(N * L)
	loss := func() float64 {
		kl, _ := refGaussianSample(z, scratch(N*L), h, eps, L, w)
		return dot64(dz, z) + kl
	}
	dh := scratch(2 * N * L)
	refGaussianSampleBackward(dh, scratch(2*N*L), dz, h, eps, L, w)
	fd64(t, "h", h, dh, loss)
	h[L+2] = 25 // and above it
	refGaussianSampleBackward(dh, scratch(2*N*L), dz, h, eps, L, w)
	if dh[L] != 0 || dh[L+1] != 0 || dh[L+2] != 0 {
		t.Errorf("dlogvar outside the clamp = %v, want 0", dh[L:2*L])
	}
}
