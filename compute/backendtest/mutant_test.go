package backendtest_test

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/backendtest"
	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/philox"
)

// The suite must fail a backend with a planted bug. Each mutant below is the
// CPU backend with one bug; TestMutants runs the named test of the suite on
// it in a child process and requires that child to fail.

// buggy is the CPU backend with the bug named by bug.
type buggy struct {
	*cpu.Backend
	bug string
}

// mutants maps a bug to the test of the suite that must catch it.
var mutants = []struct {
	bug  string
	test func(*testing.T, compute.Backend, backendtest.Options)
}{
	{"alloc-dirty", backendtest.TestBuffers},                     // Alloc does not zero
	{"gemm-alpha", backendtest.TestGemm},                         // alpha off by 1e-4 relative
	{"gemm-beta0", backendtest.TestGemm},                         // beta = 0 still reads C (NaN leaks)
	{"fill-overrun", backendtest.TestFill},                       // writes one cell past the view
	{"scale-last", backendtest.TestScale},                        // last cell off by 1e-4 relative
	{"lincomb-zero", backendtest.TestLinComb},                    // multiplies zero coefficients
	{"layernorm-eps", backendtest.TestLayerNormMod},              // eps 10x
	{"lnbwd-accumulate", backendtest.TestLayerNormModBackward},   // dshift accumulated, not overwritten
	{"attn-q", backendtest.TestAttention},                        // q off by 1e-3 relative
	{"attnbwd-dv", backendtest.TestAttentionBackward},            // dv off by 1e-3 relative
	{"gelubwd-accumulate", backendtest.TestGeluBackward},         // dx accumulated, not overwritten
	{"fillnormal-offset", backendtest.TestFillNormal},            // stream shifted by one element
	{"uniformindex-f32", backendtest.TestUniformIndex},           // u*n rounded to float32
	{"cfm-vp-f32", backendtest.TestCFMLoss},                      // naive float32 VP coefficients: Inf at t = 1-2^-24
	{"adamw-no-bias-correction", backendtest.TestAdamWStep},      // bias correction dropped
	{"gated-outside", backendtest.TestGatedResidualBackward},     // writes past its dgate chunk
	{"grad-silu", backendtest.TestGradients},                     // SiLUBackward 5% off
	{"grad-attn-dk", backendtest.TestGradients},                  // dk 5% off
	{"grad-layernorm-dscale", backendtest.TestGradients},         // dscale 5% off
	{"grad-cfm", backendtest.TestGradients},                      // dpred 5% off
	{"sum-guard", backendtest.TestSum},                           // reads one cell past the view
	{"adamw-m", backendtest.TestAdamWStep},                       // first moment not stored
	{"timestep-half", backendtest.TestTimestepEmbedding},         // frequencies over dim, not half
	{"scatter-no-repeat", backendtest.TestScatterAddRows},        // repeated indices overwrite
	{"lse-base2", backendtest.TestAttention},                     // lse in another base
	{"ema-swap", backendtest.TestEMA},                            // decay applied to params
	{"gather-off-by-one", backendtest.TestGatherRows},            // idx+1 for the last row
	{"logitnormal-mean", backendtest.TestLogitNormal},            // mean ignored
	{"residual-stride", backendtest.TestGatedResidual},           // gate read with stride D
	{"biasgrad-overwrite", backendtest.TestBiasGrad},             // dbias overwritten, not accumulated
	{"errnorm-max", backendtest.TestErrNorm},                     // scale from y1 only
	{"interp-ot-sigma", backendtest.TestCFMInterp},               // sigma_min ignored
	{"silubwd-alias", backendtest.TestSiLUBackward},              // wrong when dx aliases dy
	{"addrowsgrad-half", backendtest.TestAddRowsGrad},            // last row not added
	{"fillnormal-lanes", backendtest.TestFillNormal},             // Box-Muller lanes swapped
	{"copy-short", backendtest.TestCopy},                         // last cell not copied
	{"axpy-sign", backendtest.TestAxpy},                          // y -= a x
	{"layernorm-ld", backendtest.TestLayerNormMod},               // scale read with stride D
	{"attnbwd-overwrite", backendtest.TestAttentionBackward},     // dqkv accumulated
	{"uniform-offset", backendtest.TestFillUniform},              // stream shifted by one element
	{"adamw-wd", backendtest.TestAdamWStep},                      // weight decay applied after the update
	{"addbias-row", backendtest.TestAddBias},                     // first row skipped
	{"gelu-erf", backendtest.TestGelu},                           // exact erf GELU instead of tanh
	{"gelubwd-alias", backendtest.TestGeluBackward},              // wrong when dx aliases dy
	{"silu-last", backendtest.TestSiLU},                          // last cell off by 1e-4 relative
	{"addrows-mod", backendtest.TestAddRows},                     // p rows in blocks, not r mod P
	{"gatedbwd-dy", backendtest.TestGatedResidualBackward},       // dy accumulated
	{"lnbwd-dx-overwrite", backendtest.TestLayerNormModBackward}, // dx overwritten, not accumulated
	{"cfm-loss-overwrite", backendtest.TestCFMLoss},              // loss[0] overwritten, not added to
	{"emb-swap", backendtest.TestTimestepEmbedding},              // sin and cos halves swapped
	{"attn-causal", backendtest.TestAttention},
	{"attn-bias-ignored", backendtest.TestAttention},            // the QKV bias not added
	{"attnbwd-bias-ignored", backendtest.TestAttentionBackward}, // the backward reads qkv without it                   // causal mask
	{"gemm-ldc", backendtest.TestGemm},                          // C written with stride n
	{"errnorm-sum", backendtest.TestErrNorm},
	{"sumsquares-f32", backendtest.TestSumSquares},         // float32 running sum                     // sum instead of mean
	{"gradients-layernorm-dx", backendtest.TestGradients},  // dx 5% off
	{"gradients-gated-dgate", backendtest.TestGradients},   // dgate 5% off
	{"gradients-gelu", backendtest.TestGradients},          // gelu' 5% off
	{"lnbwd-dscale", backendtest.TestLayerNormModBackward}, // dscale 1e-3 off
	{"uniformindex-clamp", backendtest.TestUniformIndex},   // round instead of floor
	{"cfminterp-vp-swap", backendtest.TestCFMInterp},       // sigma and a swapped

	// The reconstruction, classifier, VAE and label-dropping ops.
	{"mse-sum", backendtest.TestMSELoss},                            // sum instead of mean
	{"mse-overwrite", backendtest.TestMSELoss},                      // loss[0] overwritten, not added to
	{"grad-mse", backendtest.TestGradients},                         // dpred 5% off
	{"xent-no-max", backendtest.TestSoftmaxCrossEntropy},            // float32 softmax without the row maximum
	{"xent-invalid-clamp", backendtest.TestSoftmaxCrossEntropy},     // a label outside 0..K-1 clamped into it
	{"xent-unscaled", backendtest.TestSoftmaxCrossEntropy},          // dlogits not divided by B
	{"grad-xent", backendtest.TestGradients},                        // dlogits 5% off
	{"gauss-no-clamp", backendtest.TestGaussianSample},              // logvar not clamped
	{"gauss-interleaved", backendtest.TestGaussianSample},           // h read as (mu, logvar) pairs
	{"gauss-kl-per-elem", backendtest.TestGaussianSample},           // KL divided by 2 N L
	{"gaussbwd-clamp-leak", backendtest.TestGaussianSampleBackward}, // gradient through the clamp
	{"gaussbwd-ends", backendtest.TestGaussianSampleBackward},       // no gradient at logvar = -30, 20
	{"gaussbwd-w", backendtest.TestGaussianSampleBackward},          // KL weight ignored
	{"grad-gauss-dlogvar", backendtest.TestGradients},               // dlogvar 5% off
	{"drop-offset", backendtest.TestDropLabels},                     // stream shifted by one element
	{"drop-le", backendtest.TestDropLabels},                         // u <= p
	{"drop-complement", backendtest.TestDropLabels},                 // u >= 1-p (the right fraction)

	// Clipping and the optimizer step on the device.
	{"clip-f32", backendtest.TestGradClipScale},             // float32 running sum of squares
	{"clip-flag-reset", backendtest.TestGradClipScale},      // divergence flag cleared by a finite norm
	{"clip-sumsq", backendtest.TestGradClipScale},           // scale[1] = sum of squares, not the norm
	{"clip-nan-one", backendtest.TestGradClipScale},         // a NaN norm gives factor 1 (NaN hidden)
	{"adamwdev-no-scale", backendtest.TestAdamWStepDev},     // scale[0] ignored
	{"adamwdev-no-gradscale", backendtest.TestAdamWStepDev}, // o.GradScale ignored
}

func TestMutants(t *testing.T) {
	if bug := os.Getenv("BACKENDTEST_MUTANT"); bug != "" {
		for _, m := range mutants {
			if m.bug == bug {
				m.test(t, buggy{cpu.New(1), bug}, backendtest.Options{})
				return
			}
		}
		t.Fatalf("unknown mutant %q", bug)
	}
	if testing.Short() {
		t.Skip("child processes in -short mode")
	}
	for _, m := range mutants {
		t.Run(m.bug, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestMutants$")
			cmd.Env = append(os.Environ(), "BACKENDTEST_MUTANT="+m.bug)
			out, err := cmd.CombinedOutput()
			switch {
			case err == nil:
				t.Errorf("the suite passed a backend with the bug %q", m.bug)
			case !bytes.Contains(out, []byte("--- FAIL")):
				t.Errorf("child failed without a test failure: %v\n%s", err, out)
			}
		})
	}
}

// data is the slice behind a CPU buffer.
func data(b compute.Buffer) []float32 { return cpu.Data(b) }

// clone returns a CPU buffer holding a copy of b.
func clone(b compute.Buffer) *cpu.Buf { return &cpu.Buf{D: append([]float32(nil), data(b)...)} }

func (b buggy) Alloc(n int) compute.Buffer {
	x := b.Backend.Alloc(n)
	if b.bug == "alloc-dirty" && n > 3 {
		data(x)[3] = 1
	}
	return x
}

// Slice keeps the parent's capacity for the bugs that write past a view.
func (b buggy) Slice(x compute.Buffer, off, n int) compute.Buffer {
	if b.bug == "fill-overrun" || b.bug == "sum-guard" {
		return &cpu.Buf{D: data(x)[off : off+n]}
	}
	return b.Backend.Slice(x, off, n)
}

func (b buggy) Fill(x compute.Buffer, v float32) {
	d := data(x)
	if b.bug == "fill-overrun" && cap(d) > len(d) {
		d = d[:len(d)+1]
	}
	for i := range d {
		d[i] = v
	}
}

func (b buggy) Copy(dst, src compute.Buffer) {
	b.Backend.Copy(dst, src)
	if b.bug == "copy-short" {
		data(dst)[len(data(dst))-1] = 0
	}
}

func (b buggy) Scale(x compute.Buffer, a float32) {
	b.Backend.Scale(x, a)
	if b.bug == "scale-last" {
		data(x)[len(data(x))-1] *= 1 + 1e-4
	}
}

func (b buggy) Axpy(a float32, x, y compute.Buffer) {
	if b.bug == "axpy-sign" {
		a = -a
	}
	b.Backend.Axpy(a, x, y)
}

func (b buggy) Sum(x compute.Buffer) float32 {
	d := data(x)
	if b.bug == "sum-guard" && cap(d) > len(d) {
		d = d[:len(d)+1]
	}
	var s float64
	for _, v := range d {
		s += float64(v)
	}
	return float32(s)
}

func (b buggy) SumSquares(x compute.Buffer) float32 {
	if b.bug != "sumsquares-f32" {
		return b.Backend.SumSquares(x)
	}
	var s float32
	for _, v := range data(x) {
		s += v * v
	}
	return s
}

func (b buggy) ErrNorm(e, y0, y1 compute.Buffer, rtol, atol float32) float32 {
	switch b.bug {
	case "errnorm-max":
		return b.Backend.ErrNorm(e, y1, y1, rtol, atol)
	case "errnorm-sum":
		r := b.Backend.ErrNorm(e, y0, y1, rtol, atol)
		return r * float32(math.Sqrt(float64(e.Len())))
	}
	return b.Backend.ErrNorm(e, y0, y1, rtol, atol)
}

func (b buggy) LinComb(dst, x compute.Buffer, coef []float32, ks []compute.Buffer) {
	b.Backend.LinComb(dst, x, coef, ks)
	if b.bug == "lincomb-zero" {
		for i, c := range coef {
			if c == 0 && ks[i] != nil {
				for j, v := range data(ks[i]) {
					data(dst)[j] += c * v
				}
			}
		}
	}
}

func (b buggy) Gemm(transA, transB bool, m, n, k int, alpha float32, a compute.Buffer, lda, strideA int,
	bb compute.Buffer, ldb, strideB int, beta float32, c compute.Buffer, ldc, strideC int, batch int) {
	switch b.bug {
	case "gemm-alpha":
		alpha *= 1 + 1e-4
	case "gemm-beta0":
		if beta == 0 {
			beta = 1e-30
		}
	case "gemm-ldc":
		ldc = n
	}
	b.Backend.Gemm(transA, transB, m, n, k, alpha, a, lda, strideA, bb, ldb, strideB, beta, c, ldc, strideC, batch)
}

func (b buggy) AddBias(x, bias compute.Buffer) {
	if b.bug == "addbias-row" {
		nb := bias.Len()
		b.Backend.AddBias(&cpu.Buf{D: data(x)[nb:]}, bias)
		return
	}
	b.Backend.AddBias(x, bias)
}

func (b buggy) BiasGrad(dbias, dy compute.Buffer) {
	if b.bug == "biasgrad-overwrite" {
		b.Backend.Fill(dbias, 0)
	}
	b.Backend.BiasGrad(dbias, dy)
}

func (b buggy) AddRows(x, p compute.Buffer, P int) {
	if b.bug == "addrows-mod" && P > 1 {
		X := p.Len() / P
		xs, ps := data(x), data(p)
		N := len(xs) / X
		for r := range N {
			q := min(r*P/N, P-1)
			for j := range X {
				xs[r*X+j] += ps[q*X+j]
			}
		}
		return
	}
	b.Backend.AddRows(x, p, P)
}

func (b buggy) AddRowsGrad(dp, dx compute.Buffer, P int) {
	if b.bug == "addrowsgrad-half" {
		X := dp.Len() / P
		d := data(dx)
		b.Backend.AddRowsGrad(dp, &cpu.Buf{D: append(append([]float32(nil), d[:len(d)-X]...), make([]float32, X)...)}, P)
		return
	}
	b.Backend.AddRowsGrad(dp, dx, P)
}

func (b buggy) GatherRows(dst, src, idx compute.Buffer, w int) {
	b.Backend.GatherRows(dst, src, idx, w)
	if b.bug == "gather-off-by-one" && src.Len() > w {
		ix := data(idx)
		r := (int(ix[len(ix)-1]) + 1) % (src.Len() / w)
		copy(data(dst)[(len(ix)-1)*w:], data(src)[r*w:(r+1)*w])
	}
}

func (b buggy) ScatterAddRows(dst, src, idx compute.Buffer, w int) {
	b.Backend.ScatterAddRows(dst, src, idx, w)
	if b.bug == "scatter-no-repeat" {
		// Row idx[0] (repeated) ends up holding only src row 0, as if
		// concurrent adds had overwritten each other.
		r := int(data(idx)[0])
		copy(data(dst)[r*w:(r+1)*w], data(src)[:w])
	}
}

func (b buggy) LayerNormMod(y, mean, rstd, x, shift, scale compute.Buffer, ld, B, T, D int, eps float32) {
	switch b.bug {
	case "layernorm-eps":
		eps *= 10
	case "layernorm-ld":
		if ld != D && B > 1 {
			sc := make([]float32, B*D)
			for i := range B {
				copy(sc[i*D:(i+1)*D], data(scale)[i*D:])
			}
			sh := make([]float32, B*D)
			for i := range B {
				copy(sh[i*D:(i+1)*D], data(shift)[i*ld:])
			}
			b.Backend.LayerNormMod(y, mean, rstd, x, &cpu.Buf{D: sh}, &cpu.Buf{D: sc}, D, B, T, D, eps)
			return
		}
	}
	b.Backend.LayerNormMod(y, mean, rstd, x, shift, scale, ld, B, T, D, eps)
}

func (b buggy) LayerNormModBackward(dx, dshift, dscale, dy, x, mean, rstd, scale compute.Buffer, ld, B, T, D int) {
	var old []float32
	if b.bug == "lnbwd-accumulate" {
		old = append(old, data(dshift)...)
	}
	if b.bug == "lnbwd-dx-overwrite" {
		b.Backend.Fill(dx, 0)
	}
	b.Backend.LayerNormModBackward(dx, dshift, dscale, dy, x, mean, rstd, scale, ld, B, T, D)
	for bi := range B {
		for j := range D {
			switch b.bug {
			case "lnbwd-accumulate":
				data(dshift)[bi*ld+j] += old[bi*ld+j]
			case "lnbwd-dscale":
				data(dscale)[bi*ld+j] *= 1 + 1e-3
			case "grad-layernorm-dscale":
				data(dscale)[bi*ld+j] *= 1.05
			}
		}
	}
	if b.bug == "gradients-layernorm-dx" {
		b.Backend.Scale(dx, 1.05)
	}
}

func (b buggy) Attention(out, lse, qkv, bias compute.Buffer, B, T, H, D int) {
	switch b.bug {
	case "attn-bias-ignored":
		bias = nil
	case "attn-q":
		q := clone(qkv)
		for r := range B * T {
			for j := range D {
				q.D[r*3*D+j] *= 1 + 1e-3
			}
		}
		qkv = q
	case "attn-causal":
		// Tokens see only themselves and earlier ones: run each prefix.
		if T > 1 {
			for t := T; t >= 1; t-- {
				sub := &cpu.Buf{D: make([]float32, t*3*D)}
				o := &cpu.Buf{D: make([]float32, t*D)}
				l := &cpu.Buf{D: make([]float32, H*t)}
				for bi := range B {
					copy(sub.D, data(qkv)[bi*T*3*D:bi*T*3*D+t*3*D])
					b.Backend.Attention(o, l, sub, bias, 1, t, H, D)
					copy(data(out)[(bi*T+t-1)*D:(bi*T+t)*D], o.D[(t-1)*D:])
					for h := range H {
						data(lse)[(bi*H+h)*T+t-1] = l.D[h*t+t-1]
					}
				}
			}
			return
		}
	}
	b.Backend.Attention(out, lse, qkv, bias, B, T, H, D)
	if b.bug == "lse-base2" {
		for i, v := range data(lse) {
			data(lse)[i] = v / float32(math.Ln2)
		}
	}
}

func (b buggy) AttentionBackward(dqkv, dout, qkv, bias, out, lse compute.Buffer, B, T, H, D int) {
	if b.bug == "attnbwd-bias-ignored" {
		bias = nil
	}
	var old []float32
	if b.bug == "attnbwd-overwrite" {
		old = append(old, data(dqkv)...)
	}
	b.Backend.AttentionBackward(dqkv, dout, qkv, bias, out, lse, B, T, H, D)
	d := data(dqkv)
	for r := range B * T {
		for j := range D {
			switch b.bug {
			case "attnbwd-dv":
				d[r*3*D+2*D+j] *= 1 + 1e-3
			case "grad-attn-dk":
				d[r*3*D+D+j] *= 1.05
			}
		}
	}
	for i := range old {
		d[i] += old[i]
	}
}

func (b buggy) Gelu(y, x compute.Buffer) {
	if b.bug != "gelu-erf" {
		b.Backend.Gelu(y, x)
		return
	}
	for i, v := range data(x) {
		data(y)[i] = float32(0.5 * float64(v) * (1 + math.Erf(float64(v)/math.Sqrt2)))
	}
}

func (b buggy) GeluBackward(dx, dy, x compute.Buffer) {
	switch b.bug {
	case "gelubwd-accumulate":
		t := &cpu.Buf{D: make([]float32, dx.Len())}
		b.Backend.GeluBackward(t, dy, x)
		b.Backend.Axpy(1, t, dx)
	case "gelubwd-alias":
		if &data(dx)[0] == &data(dy)[0] {
			b.Backend.GeluBackward(dx, &cpu.Buf{D: filled(dx.Len(), 1)}, x)
			return
		}
		b.Backend.GeluBackward(dx, dy, x)
	default:
		b.Backend.GeluBackward(dx, dy, x)
		if b.bug == "gradients-gelu" {
			b.Backend.Scale(dx, 1.05)
		}
	}
}

func filled(n int, v float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = v
	}
	return x
}

func (b buggy) SiLU(y, x compute.Buffer) {
	b.Backend.SiLU(y, x)
	if b.bug == "silu-last" {
		data(y)[len(data(y))-1] *= 1 + 1e-4
	}
}

func (b buggy) SiLUBackward(dx, dy, x compute.Buffer) {
	if b.bug == "silubwd-alias" && &data(dx)[0] == &data(dy)[0] {
		b.Backend.SiLUBackward(dx, &cpu.Buf{D: filled(dx.Len(), 1)}, x)
		return
	}
	b.Backend.SiLUBackward(dx, dy, x)
	if b.bug == "grad-silu" {
		b.Backend.Scale(dx, 1.05)
	}
}

func (b buggy) GatedResidual(x, gate, y compute.Buffer, ld, B, T, D int) {
	if b.bug == "residual-stride" && ld != D && B > 1 {
		g := make([]float32, (B-1)*ld+D)
		copy(g, data(gate)[:B*D])
		b.Backend.GatedResidual(x, &cpu.Buf{D: g}, y, D, B, T, D)
		return
	}
	b.Backend.GatedResidual(x, gate, y, ld, B, T, D)
}

func (b buggy) GatedResidualBackward(dy, dgate, dx, gate, y compute.Buffer, ld, B, T, D int) {
	var old []float32
	if b.bug == "gatedbwd-dy" {
		old = append(old, data(dy)...)
	}
	b.Backend.GatedResidualBackward(dy, dgate, dx, gate, y, ld, B, T, D)
	switch b.bug {
	case "gated-outside":
		if dgate.Len() > D {
			data(dgate)[D] = 0
		}
	case "gradients-gated-dgate":
		for bi := range B {
			for j := range D {
				data(dgate)[bi*ld+j] *= 1.05
			}
		}
	}
	for i := range old {
		data(dy)[i] += old[i]
	}
}

func (b buggy) TimestepEmbedding(emb, t compute.Buffer, dim int, scale float32) {
	switch b.bug {
	case "timestep-half":
		half := dim / 2
		for bi, tb := range data(t) {
			for i := range half {
				a := float64(scale) * float64(tb) * math.Exp(-math.Log(10000)*float64(i)/float64(dim))
				data(emb)[bi*dim+i] = float32(math.Cos(a))
				data(emb)[bi*dim+half+i] = float32(math.Sin(a))
			}
		}
	case "emb-swap":
		b.Backend.TimestepEmbedding(emb, t, dim, scale)
		half := dim / 2
		for bi := range t.Len() {
			row := data(emb)[bi*dim : (bi+1)*dim]
			for i := range half {
				row[i], row[half+i] = row[half+i], row[i]
			}
		}
	default:
		b.Backend.TimestepEmbedding(emb, t, dim, scale)
	}
}

func (b buggy) FillUniform(x compute.Buffer, k philox.Key) {
	if b.bug == "uniform-offset" {
		k.FillUniform(data(x), 1)
		return
	}
	b.Backend.FillUniform(x, k)
}

func (b buggy) FillNormal(x compute.Buffer, k philox.Key) {
	switch b.bug {
	case "fillnormal-offset":
		k.FillNormal(data(x), 1)
	case "fillnormal-lanes":
		d := data(x)
		for i := range d {
			z := k.Normals(uint32(i / 4))
			d[i] = z[i%4^1]
		}
	default:
		b.Backend.FillNormal(x, k)
	}
}

func (b buggy) UniformIndex(idx compute.Buffer, n int, k philox.Key) {
	d := data(idx)
	k.FillUniform(d, 0)
	for i, u := range d {
		switch b.bug {
		case "uniformindex-f32":
			d[i] = float32(min(int(math.Floor(float64(u*float32(n)))), n-1))
		case "uniformindex-clamp":
			d[i] = float32(min(int(math.Round(float64(u)*float64(n))), n-1))
		default:
			d[i] = float32(min(int(math.Floor(float64(u)*float64(n))), n-1))
		}
	}
}

func (b buggy) LogitNormal(t compute.Buffer, k philox.Key, mean, std float32) {
	if b.bug == "logitnormal-mean" {
		mean = 0
	}
	b.Backend.LogitNormal(t, k, mean, std)
}

func (b buggy) CFMInterp(xt, x0, x1, t compute.Buffer, p compute.PathParams) {
	switch {
	case b.bug == "interp-ot-sigma" && p.Path == compute.PathOT:
		p.SigmaMin = 0
	case b.bug == "cfminterp-vp-swap" && p.Path == compute.PathVP:
		x0, x1 = x1, x0
	}
	b.Backend.CFMInterp(xt, x0, x1, t, p)
}

func (b buggy) CFMLoss(loss, dpred, pred, x0, x1, t compute.Buffer, p compute.PathParams) {
	switch {
	case b.bug == "cfm-loss-overwrite":
		data(loss)[0] = 0
	case b.bug == "cfm-vp-f32" && p.Path == compute.PathVP:
		// The VP coefficients in naive float32.
		X := pred.Len() / t.Len()
		n := float32(pred.Len())
		var sum float32
		for i, pv := range data(pred) {
			tt := data(t)[i/X]
			r := 1 - tt
			beta := p.BetaMin + r*(p.BetaMax-p.BetaMin)
			tb := r*p.BetaMin + r*r*(p.BetaMax-p.BetaMin)/2
			al := float32(math.Exp(float64(-tb / 2)))
			sg := float32(math.Sqrt(float64(1 - al*al)))
			dal := al * beta / 2
			dsg := -al * dal / sg
			u := dsg*data(x0)[i] + dal*data(x1)[i]
			data(dpred)[i] = 2 * (pv - u) / n
			sum += (pv - u) * (pv - u)
		}
		data(loss)[0] += sum / n
		return
	}
	b.Backend.CFMLoss(loss, dpred, pred, x0, x1, t, p)
	if b.bug == "grad-cfm" {
		b.Backend.Scale(dpred, 1.05)
	}
}

func (b buggy) AdamWStep(params, grad, m, v compute.Buffer, o compute.AdamW) {
	switch b.bug {
	case "adamw-no-bias-correction":
		o.Step = 1 << 30
	case "adamw-m":
		old := clone(m)
		b.Backend.AdamWStep(params, grad, m, v, o)
		copy(data(m), old.D)
		return
	case "adamw-wd":
		wd := o.WeightDecay
		o.WeightDecay = 0
		b.Backend.AdamWStep(params, grad, m, v, o)
		for i, p := range data(params) {
			data(params)[i] = p - o.LR*wd*p
		}
		return
	}
	b.Backend.AdamWStep(params, grad, m, v, o)
}

func (b buggy) GradClipScale(scale, g compute.Buffer, maxNorm float32) {
	sc := data(scale)
	switch b.bug {
	case "clip-f32":
		var s float32
		for _, v := range data(g) {
			s += v * v
		}
		n := math.Sqrt(float64(s))
		sc[0], sc[1] = 1, float32(n)
		if maxNorm > 0 && n > float64(maxNorm) {
			sc[0] = float32(float64(maxNorm) / n)
		}
		if math.IsNaN(n) || math.IsInf(n, 0) {
			sc[2] = 1
		}
		return
	case "clip-flag-reset":
		b.Backend.GradClipScale(scale, g, maxNorm)
		if !math.IsNaN(float64(sc[1])) && !math.IsInf(float64(sc[1]), 0) {
			sc[2] = 0
		}
		return
	}
	b.Backend.GradClipScale(scale, g, maxNorm)
	switch b.bug {
	case "clip-sumsq":
		sc[1] *= sc[1]
	case "clip-nan-one":
		if math.IsNaN(float64(sc[0])) {
			sc[0] = 1
		}
	}
}

func (b buggy) AdamWStepDev(params, grad, m, v, scale compute.Buffer, o compute.AdamW) {
	switch b.bug {
	case "adamwdev-no-scale":
		b.Backend.AdamWStep(params, grad, m, v, o)
		return
	case "adamwdev-no-gradscale":
		o.GradScale = 1
	}
	b.Backend.AdamWStepDev(params, grad, m, v, scale, o)
}

func (b buggy) EMA(ema, params compute.Buffer, decay float32) {
	if b.bug == "ema-swap" {
		for i, p := range data(params) {
			data(ema)[i] = (1-decay)*data(ema)[i] + decay*p
		}
		return
	}
	b.Backend.EMA(ema, params, decay)
}

func (b buggy) MSELoss(loss, dpred, pred, target compute.Buffer) {
	switch b.bug {
	case "mse-sum":
		tmp := &cpu.Buf{D: []float32{0}}
		b.Backend.MSELoss(tmp, dpred, pred, target)
		data(loss)[0] += tmp.D[0] * float32(pred.Len())
		return
	case "mse-overwrite":
		data(loss)[0] = 0
	}
	b.Backend.MSELoss(loss, dpred, pred, target)
	if b.bug == "grad-mse" {
		b.Backend.Scale(dpred, 1.05)
	}
}

func (b buggy) SoftmaxCrossEntropy(loss, dlogits, logits, labels compute.Buffer, K int) {
	switch b.bug {
	case "xent-no-max":
		x, d, y := data(logits), data(dlogits), data(labels)
		B := len(y)
		var sum float32
		for r := range B {
			var z float32
			for _, v := range x[r*K : (r+1)*K] {
				z += float32(math.Exp(float64(v)))
			}
			for j, v := range x[r*K : (r+1)*K] {
				p := float32(math.Exp(float64(v))) / z
				if j == int(y[r]) {
					sum -= float32(math.Log(float64(p)))
					p--
				}
				d[r*K+j] = p / float32(B)
			}
		}
		data(loss)[0] += sum / float32(B)
		return
	case "xent-invalid-clamp":
		c := clone(labels)
		for i, v := range c.D {
			if v != v {
				v = 0
			}
			c.D[i] = float32(min(max(int(v), 0), K-1))
		}
		labels = c
	}
	b.Backend.SoftmaxCrossEntropy(loss, dlogits, logits, labels, K)
	switch b.bug {
	case "xent-unscaled":
		b.Backend.Scale(dlogits, float32(labels.Len()))
	case "grad-xent":
		b.Backend.Scale(dlogits, 1.05)
	}
}

func (b buggy) GaussianSample(z, kl, h, eps compute.Buffer, L int, w float32) {
	switch b.bug {
	case "gauss-no-clamp":
		hs, es, zs := data(h), data(eps), data(z)
		N := len(es) / L
		var s float64
		for r := range N {
			for j := range L {
				mu, lv := float64(hs[r*2*L+j]), float64(hs[r*2*L+L+j])
				zs[r*L+j] = float32(mu + math.Exp(lv/2)*float64(es[r*L+j]))
				s += mu*mu + math.Exp(lv) - 1 - lv
			}
		}
		data(kl)[0] += float32(float64(w) * s / float64(2*N))
		return
	case "gauss-interleaved":
		c := clone(h)
		for r := range h.Len() / (2 * L) {
			row := data(h)[r*2*L : (r+1)*2*L]
			for j := range L {
				c.D[r*2*L+j], c.D[r*2*L+L+j] = row[2*j], row[2*j+1]
			}
		}
		h = c
	case "gauss-kl-per-elem":
		w /= float32(L)
	}
	b.Backend.GaussianSample(z, kl, h, eps, L, w)
}

func (b buggy) GaussianSampleBackward(dh, dz, h, eps compute.Buffer, L int, w float32) {
	switch b.bug {
	case "gaussbwd-clamp-leak":
		c := clone(h)
		for i, v := range c.D {
			if i%(2*L) >= L {
				c.D[i] = min(max(v, -30), 20)
			}
		}
		h = c
	case "gaussbwd-w":
		w = 1
	}
	b.Backend.GaussianSampleBackward(dh, dz, h, eps, L, w)
	for i, v := range data(h) {
		if i%(2*L) < L {
			continue
		}
		switch {
		case b.bug == "gaussbwd-ends" && (v == -30 || v == 20):
			data(dh)[i] = 0
		case b.bug == "grad-gauss-dlogvar":
			data(dh)[i] *= 1.05
		}
	}
}

func (b buggy) DropLabels(y compute.Buffer, k philox.Key, p, null float32) {
	d := data(y)
	u := make([]float32, len(d))
	switch b.bug {
	case "drop-offset":
		k.FillUniform(u, 1)
	default:
		k.FillUniform(u, 0)
	}
	for i, v := range u {
		var drop bool
		switch b.bug {
		case "drop-le":
			drop = v <= p
		case "drop-complement":
			drop = v >= 1-p
		default:
			drop = v < p
		}
		if drop {
			d[i] = null
		}
	}
}
