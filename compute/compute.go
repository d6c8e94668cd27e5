package compute

import (
	"fmt"
	"math"

	"github.com/latentflow/latentflow/philox"
)

// Buffer is a float32 array owned by a Backend. Views made with Slice share
// the storage of their parent.
type Buffer interface {
	Len() int
}

// BiasGradJob is one BiasGrads of Backend.MultiBiasGrad: dbias[k*Stride + j] +=
// sum_r DY[k, r, j] for DY [K, N, W].
type BiasGradJob struct {
	DBias, DY    Buffer
	K, W, Stride int
}

// Path selects the probability path of the CFM loss.
type Path int

const (
	// PathOT is the optimal-transport path with sigma_min s (Lipman et al. 2022, eq. 20-23):
	//   x_t = (1 - (1-s) t) x0 + t x1,   u_t = x1 - (1-s) x0.
	PathOT Path = iota
	// PathVP is the variance-preserving diffusion path of Lipman et al. 2022 (eq. 18-19),
	// with time running from noise (t=0) to data (t=1): with
	//   beta(s) = beta_min + s (beta_max - beta_min),  Tb(s) = s beta_min + s^2 (beta_max - beta_min)/2,
	//   a(t) = exp(-Tb(1-t)/2),  sigma(t) = sqrt(1 - a(t)^2),
	//   x_t = sigma(t) x0 + a(t) x1,   u_t = sigma'(t) x0 + a'(t) x1,
	//   a'(t) = a(t) beta(1-t)/2,  sigma'(t) = -a(t) a'(t) / sigma(t).
	// (The VP field diverges like 1/sqrt(1-t) at t=1; uniforms never reach 1.)
	PathVP
)

// PathParams holds the constants of a probability path.
type PathParams struct {
	Path     Path
	SigmaMin float32 // OT: the final noise level s (default 1e-4)
	BetaMin  float32 // VP: beta at the data end (default 0.1)
	BetaMax  float32 // VP: beta at the noise end (default 20)
}

// Coef returns the path coefficients at time t: x_t = a x0 + b x1 and
// u_t = da x0 + db x1 (see Path), computed in float64 and rounded.
func (p PathParams) Coef(t float32) (a, b, da, db float32) {
	switch p.Path {
	case PathOT:
		s := float64(p.SigmaMin)
		return float32(1 - (1-s)*float64(t)), t, float32(-(1 - s)), 1
	case PathVP:
		r := 1 - float64(t)
		bmin, bmax := float64(p.BetaMin), float64(p.BetaMax)
		tb := r*bmin + r*r*(bmax-bmin)/2
		al := math.Exp(-tb / 2)
		sg := math.Sqrt(math.Max(1-al*al, 0))
		dal := al * (bmin + r*(bmax-bmin)) / 2
		dsg := -al * dal / math.Max(sg, 1e-12)
		return float32(sg), float32(al), float32(dsg), float32(dal)
	}
	panic(fmt.Sprintf("compute: unknown path %d", p.Path))
}

// AdamW holds the hyper-parameters of one AdamW update (Loshchilov and Hutter 2019).
type AdamW struct {
	LR          float32 // learning rate of this step
	Beta1       float32 // first-moment decay (0.9)
	Beta2       float32 // second-moment decay (0.999)
	Eps         float32 // denominator epsilon (1e-8)
	WeightDecay float32 // decoupled weight decay (applied as p -= LR*WD*p)
	Step        int     // 1-based step number for bias correction
	GradScale   float32 // the gradient is multiplied by this first (clipping); 1 for none
}

// Backend is the set of operations a compute device provides. Every method
// documents the exact arithmetic; compute/cpu implements it with plain loops
// and compute/backendtest checks any backend against those loops.
//
// "rows" below means rows of a row-major [N, X] matrix; a per-sample vector
// "[B, X] with stride ld" is broadcast over the T rows of its sample
// (row r belongs to sample r / T).
type Backend interface {
	// Name is a short name ("cpu", "cuda").
	Name() string

	// Alloc returns a zeroed buffer of n float32s.
	Alloc(n int) Buffer
	// Free releases a buffer (views must not be freed).
	Free(b Buffer)
	// Slice returns a view of n elements of b starting at off.
	Slice(b Buffer, off, n int) Buffer
	// Upload copies src into dst[0:len(src)].
	Upload(dst Buffer, src []float32)
	// Download copies src[0:len(dst)] into dst.
	Download(dst []float32, src Buffer)
	// Sync waits for all queued work and reports an asynchronous failure.
	Sync() error

	// Fill sets every element of x to v.
	Fill(x Buffer, v float32)
	// Copy sets dst = src (equal lengths).
	Copy(dst, src Buffer)
	// Scale sets x *= a.
	Scale(x Buffer, a float32)
	// Axpy sets y += a*x.
	Axpy(a float32, x, y Buffer)
	// LinComb sets dst = x + sum_i coef[i] * ks[i] (the ODE stage update); dst may alias x.
	// Coefficients equal to 0 are skipped (their buffer may be nil).
	LinComb(dst, x Buffer, coef []float32, ks []Buffer)
	// ErrNorm returns the Dopri5 error norm sqrt(mean_i (e_i / (atol + rtol max(|y0_i|, |y1_i|)))^2).
	ErrNorm(e, y0, y1 Buffer, rtol, atol float32) float32
	// SumSquares returns sum_i x_i^2 (accumulated in float64 on the CPU).
	SumSquares(x Buffer) float32
	// Sum returns sum_i x_i.
	Sum(x Buffer) float32

	// Gemm computes, for each of batch matrices (b = 0..batch-1),
	//   C_b = alpha * op(A_b) * op(B_b) + beta * C_b
	// with op(X) = X or X^T, op(A) m x k, op(B) k x n, C m x n, all row-major with
	// leading dimensions lda, ldb, ldc and element offsets A_b = A + b*strideA etc.
	// beta = 0 overwrites C (NaNs in C are ignored).
	Gemm(transA, transB bool, m, n, k int, alpha float32,
		a Buffer, lda, strideA int, b Buffer, ldb, strideB int,
		beta float32, c Buffer, ldc, strideC int, batch int)

	// AddBias sets x[r, j] += bias[j] for the rows r of x [N, len(bias)].
	AddBias(x, bias Buffer)
	// BiasGrad sets dbias[j] += sum_r dy[r, j] for dy [N, len(dbias)].
	BiasGrad(dbias, dy Buffer)
	// AddBiases sets x[k, r, j] += bias[k*stride + j] for x [K, N, W], k < K, j < W:
	// AddBias for the outputs of K layers of width W stacked in x, whose biases lie
	// stride apart (in a flat parameter buffer), in one pass.
	AddBiases(x, bias Buffer, K, W, stride int)
	// BiasGrads sets dbias[k*stride + j] += sum_r dy[k, r, j] for dy [K, N, W]: BiasGrad
	// of each of the K layers of AddBiases, in one pass.
	BiasGrads(dbias, dy Buffer, K, W, stride int)
	// MultiBiasGrad runs BiasGrads(j.DBias, j.DY, j.K, j.W, j.Stride) for every job (one
	// pass on a GPU: the bias gradients of a whole backward pass at its end). No job's
	// DBias may overlap any job's DY.
	MultiBiasGrad(jobs []BiasGradJob)
	// AddRows sets x[r, j] += p[r mod P, j] for x [N, X], p [P, X] (positional embedding).
	AddRows(x, p Buffer, P int)
	// AddRowsGrad sets dp[r mod P, j] += dx[r, j].
	AddRowsGrad(dp, dx Buffer, P int)

	// LayerNormMod is layernorm without affine parameters followed by adaLN modulation,
	// for x, y [N, D] with N = B*T:
	//   mean_r = mean_j x[r,j], rstd_r = 1/sqrt(var_r + eps) (biased variance),
	//   y[r,j] = (x[r,j] - mean_r) * rstd_r * (1 + scale[b,j]) + shift[b,j],  b = r / T,
	// with shift and scale [B, D] views of stride ld. mean and rstd [N] are saved for
	// the backward pass.
	LayerNormMod(y, mean, rstd, x, shift, scale Buffer, ld, B, T, D int, eps float32)
	// LayerNormModBackward takes dy and the saved statistics and sets
	//   dx[r,:] += the gradient through the normalisation (accumulated),
	//   dshift[b,j] = sum_{r in b} dy[r,j],  dscale[b,j] = sum_{r in b} dy[r,j] xhat[r,j]
	// (overwritten; views of stride ld).
	LayerNormModBackward(dx, dshift, dscale, dy, x, mean, rstd, scale Buffer, ld, B, T, D int)
	// ResidualLayerNormMod is BiasGatedResidual(out, x, res, bias, gate, ldg, B, T, D)
	// followed by LayerNormMod(y, mean, rstd, out, shift, scale, ld, B, T, D, eps), in
	// one pass: a block's residual update and the layer norm that reads it.
	ResidualLayerNormMod(out, x, res, bias, gate Buffer, ldg int, y, mean, rstd, shift, scale Buffer, ld, B, T, D int, eps float32)
	// LayerNormModBackwardGated is LayerNormModBackward(dx, dshift, dscale, dy, x, mean,
	// rstd, scale, ld, B, T, D) followed by GatedResidualBackward(gdy, gdgate, dx, gate,
	// gy, ldg, B, T, D) of the residual branch that produced the layer norm's input.
	LayerNormModBackwardGated(dx, dshift, dscale, dy, x, mean, rstd, scale Buffer, ld int,
		gdy, gdgate, gate, gy Buffer, ldg, B, T, D int)

	// Attention is non-causal multi-head self-attention over qkv [B, T, 3D], laid out
	// per token as (q | k | v), each as H heads of Dh = D/H:
	//   out[b,t,h*Dh:(h+1)*Dh] = sum_s softmax_s(q_t . k_s / sqrt(Dh)) v_s,
	// out [B, T, D]; lse [B, H, T] receives the log-sum-exp of each softmax row.
	// bias [3D] (the QKV layer's; nil for none) is added to every row of qkv
	// as it is read, as AddBias(qkv, bias) would add it; qkv is not changed.
	Attention(out, lse, qkv, bias Buffer, B, T, H, D int)
	// AttentionBackward sets dqkv [B, T, 3D] (overwritten) from dout, the inputs
	// (qkv and bias as Attention read them) and the saved out and lse; dqkv is
	// also the gradient of the bias-added qkv.
	AttentionBackward(dqkv, dout, qkv, bias, out, lse Buffer, B, T, H, D int)

	// Gelu sets y = gelu_tanh(x) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
	Gelu(y, x Buffer)
	// GeluBackward sets dx = dy * gelu_tanh'(x) (overwritten); dx may alias dy or x.
	GeluBackward(dx, dy, x Buffer)
	// BiasGelu sets x[r, j] += bias[j] (kept: the backward pass reads it) and
	// y = gelu_tanh(x) for x [N, len(bias)]: AddBias then Gelu, in one pass.
	BiasGelu(y, x, bias Buffer)
	// SiLU sets y = x * sigmoid(x).
	SiLU(y, x Buffer)
	// BiasSiLU sets x[r, j] += bias[j] (kept: the backward pass reads it) and
	// y = silu(x) for x [N, len(bias)]: AddBias then SiLU, in one pass.
	BiasSiLU(y, x, bias Buffer)
	// SiLUBackward sets dx = dy * silu'(x) (overwritten); dx may alias dy.
	SiLUBackward(dx, dy, x Buffer)

	// GatedResidual sets x[r,j] += gate[b,j] * y[r,j], b = r/T, gate a [B, D] view of stride ld.
	GatedResidual(x, gate, y Buffer, ld, B, T, D int)
	// BiasGatedResidual sets y[r,j] += bias[j] (kept for the backward pass) and
	// out[r,j] = x[r,j] + gate[b,j] * y[r,j] (out may be x): AddBias(y, bias),
	// Copy(out, x) and GatedResidual(out, gate, y, ...) in one pass.
	BiasGatedResidual(out, x, y, bias, gate Buffer, ld, B, T, D int)
	// GatedResidualBackward sets dy[r,j] = gate[b,j] * dx[r,j] (overwritten) and
	// dgate[b,j] = sum_{r in b} dx[r,j] * y[r,j] (overwritten, stride ld); dy may alias y.
	GatedResidualBackward(dy, dgate, dx, gate, y Buffer, ld, B, T, D int)

	// TimestepEmbedding sets emb [B, dim] from t [B]: with half = dim/2 and
	// f_i = exp(-ln(10000) i / half), a = scale * t_b * f_i,
	//   emb[b, i] = cos(a), emb[b, half+i] = sin(a).
	TimestepEmbedding(emb, t Buffer, dim int, scale float32)

	// GatherRows sets dst[i, :] = src[idx[i], :] for rows of width w; idx holds
	// row numbers as float32 (exact below 2^24).
	GatherRows(dst, src, idx Buffer, w int)

	// ScatterAddRows sets dst[idx[i], :] += src[i, :] for rows of width w (the
	// gradient of GatherRows); repeated indices accumulate.
	ScatterAddRows(dst, src, idx Buffer, w int)

	// FillUniform and FillNormal write element i of the Philox stream k into x[i]
	// exactly as philox.Key.FillUniform / FillNormal with offset 0.
	FillUniform(x Buffer, k philox.Key)
	FillNormal(x Buffer, k philox.Key)
	// UniformIndex sets idx[i] = min(floor(u_i * n), n-1) (the product exact in float64;
	// stored as float32), u the Philox uniform stream k: batch indices into a dataset
	// of n <= 2^24 rows.
	UniformIndex(idx Buffer, n int, k philox.Key)

	// CFMInterp sets, for x0, x1, xt [B, X] and t [B], the point on the path:
	//   x_t = a(t) x0 + b(t) x1 (see Path).
	CFMInterp(xt, x0, x1, t Buffer, p PathParams)
	// CFMLoss is the fused flow-matching loss: with the path target
	// u = da(t) x0 + db(t) x1 (PathParams.Coef) it sets dpred = 2 (pred - u) / len(pred)
	// and adds mean((pred - u)^2) to loss[0]. The loss stays on the device: the host
	// reads it only when it logs.
	CFMLoss(loss, dpred, pred, x0, x1, t Buffer, p PathParams)
	// LogitNormal sets t_i = sigmoid(mean + std z_i), z the Philox normal stream k
	// (logit-normal time sampling, Esser et al. 2024).
	LogitNormal(t Buffer, k philox.Key, mean, std float32)

	// AdamWStep applies one AdamW step to params with gradient grad (multiplied by
	// o.GradScale first), moments m and v (all the same length):
	//   g = GradScale*grad; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
	//   p -= LR (WD p + (m/(1-b1^step)) / (sqrt(v/(1-b2^step)) + eps)).
	AdamWStep(params, grad, m, v Buffer, o AdamW)
	// GradClipScale computes the global-norm clipping factor of g on the device, so a
	// training step needs no host read. With the sum of squares accumulated in float64
	// in an order fixed by len(g) (deterministic run to run),
	//   n = sqrt(sum_i float64(g_i)^2)                           (float64)
	//   scale[0] = 1                       if maxNorm <= 0 or n <= maxNorm,
	//            = float32(float64(maxNorm) / n)   otherwise,
	//   scale[1] = float32(n)   (the norm before clipping, for the host to read when it logs),
	//   scale[2] = 1 if n is not finite (NaN or Inf); left unchanged otherwise,
	// for scale a buffer of 3. scale[2] is a sticky divergence flag: the host clears it
	// (Fill or Upload) and reads it at log intervals. A NaN norm gives scale[0] = NaN
	// (when maxNorm > 0) and an infinite one scale[0] = 0, so it also reaches the weights.
	GradClipScale(scale, g Buffer, maxNorm float32)
	// AdamWStepDev is AdamWStep with the gradient multiplied by o.GradScale * scale[0],
	// scale[0] read on the device (the factor of GradClipScale):
	//   gs = o.GradScale * scale[0] (float32), then AdamWStep with GradScale = gs.
	AdamWStepDev(params, grad, m, v, scale Buffer, o AdamW)
	// EMA sets ema = decay*ema + (1-decay)*params.
	EMA(ema, params Buffer, decay float32)

	// MSELoss is the mean squared error of a reconstruction: it sets
	// dpred = 2 (pred - target) / len(pred) and adds mean((pred - target)^2) to loss[0].
	MSELoss(loss, dpred, pred, target Buffer)
	// SoftmaxCrossEntropy takes logits [B, K] and labels [B] (class numbers as float32):
	// with p = softmax of each row it sets dlogits = (p - onehot(label)) / B (overwritten)
	// and adds mean_b (-log p[b, label_b]) to loss[0].
	SoftmaxCrossEntropy(loss, dlogits, logits, labels Buffer, K int)
	// GaussianSample is the VAE reparameterisation: h [N, 2L] holds (mu | logvar) per row,
	// eps [N, L] standard normals; with lv = clamp(logvar, -30, 20),
	//   z[r, j] = mu[r, j] + exp(lv[r, j] / 2) eps[r, j],
	// and it adds w * sum_{r,j} (mu^2 + exp(lv) - 1 - lv) / (2 N) to kl[0] (the KL divergence
	// to N(0, I) per sample, weighted).
	GaussianSample(z, kl, h, eps Buffer, L int, w float32)
	// GaussianSampleBackward sets dh [N, 2L] (overwritten) to the gradient of the sum of
	// <dz, z> and the weighted KL term with respect to h (zero through the clamp).
	GaussianSampleBackward(dh, dz, h, eps Buffer, L int, w float32)
	// DropLabels replaces each label y[i] by null with probability p: y[i] = null when
	// u_i < p, u the Philox uniform stream k (classifier-free guidance training).
	DropLabels(y Buffer, k philox.Key, p, null float32)

	// Per-step values on the device, for a training loop captured once and
	// replayed every step (docs/gpu-notes.md). A step block [StepBlockLen]
	// holds the values of one step s (see StepBlock); StepAdvance copies them
	// from a schedule table computed by the host (ScheduleRow) under a step
	// counter in device memory. The ops below are the ops above with the
	// Philox key's Step, or the step's hyper-parameters, read from a block:
	// each equals its host twin with the block's values, bit for bit.

	// StepAdvance reads the step s = counter[0] (uint32 bits, StepBits), sets
	// block[0] = counter[0], block[1:5] = table[4(s-1) : 4s] and
	// counter[0] = StepBits(s+1). A step outside [1, len(table)/4] sets
	// block[1:5] to NaN (which reaches the weights: the loop sees a divergence).
	StepAdvance(block, table, counter Buffer)
	// FillUniformAt and FillNormalAt are FillUniform and FillNormal with the key
	// (seed, step of block, stream).
	FillUniformAt(x, block Buffer, seed uint64, stream uint32)
	FillNormalAt(x, block Buffer, seed uint64, stream uint32)
	// UniformIndexAt is UniformIndex with the key (seed, step of block, stream).
	UniformIndexAt(idx Buffer, n int, block Buffer, seed uint64, stream uint32)
	// LogitNormalAt is LogitNormal with the key (seed, step of block, stream).
	LogitNormalAt(t, block Buffer, seed uint64, stream uint32, mean, std float32)
	// DropLabelsAt is DropLabels with the key (seed, step of block, stream).
	DropLabelsAt(y, block Buffer, seed uint64, stream uint32, p, null float32)
	// AdamWStepAt is AdamWStepDev with the learning rate and the bias
	// corrections of the block: o.LR and o.Step are ignored, and the update
	// uses LR = block[1], 1 - b1^step = block[2], 1 - b2^step = block[3].
	AdamWStepAt(params, grad, m, v, scale, block Buffer, o AdamW)
	// EMAAt is EMA with decay = block[4].
	EMAAt(ema, params, block Buffer)
	// ToyBatchAt sets x [B, 2] to B points of the 2D distribution kind drawn
	// from the Philox stream (seed, step of block, stream), exactly as
	// data.Toy(kind.String(), B, key), then normalised per coordinate as
	// data.Normalise: x = (x - mean) / std in float32.
	ToyBatchAt(x, block Buffer, kind Toy, seed uint64, stream uint32, mean, std [2]float32)

	// --- The device-resident sampler (sample/device.go) ---
	// A solver clock is a buffer of 2: clock[0] the step m of a fixed-step
	// solve and clock[1] the model evaluations (NFE) so far, both whole numbers
	// held as float32 (exact below 2^24), so a captured solver step reads its
	// time on the device.

	// SolverTime sets every element of t to the stage time of a fixed-step solve
	// of steps equal steps over [t0, t1] at fraction c of step m = clock[0]:
	//   tm = t1                                   if m = steps-1 and c = 1,
	//      = t0 + ((m + c) (t1 - t0)) / steps     otherwise (float64, each
	//   operation rounded once, no FMA), t[i] = float32(tm).
	SolverTime(t, clock Buffer, t0, t1 float64, steps int, c float64)
	// SolverTick ends a solver step: clock[0] += 1, clock[1] += nfe.
	SolverTick(clock Buffer, nfe float32)

	// --- Dopri5 on the device (compute/dopri5.go has the state and its spec) ---
	// st is a controller state of Dopri5StateLen words; none of these reads back.

	// Dopri5Norm sets word slot of st (Dopri5D0, Dopri5D1 or Dopri5Err) to
	// ErrNorm(e, y0, y1, rtol, atol), computed as ErrNorm computes it.
	Dopri5Norm(st Buffer, slot int, e, y0, y1 Buffer, rtol, atol float32)
	// Dopri5Control runs the controller operation ctl on st (Dopri5State.Control).
	Dopri5Control(st Buffer, ctl Dopri5Ctl, p Dopri5Params)
	// Dopri5Stage sets dst = x + sum_i StageCoef(coef[i]) ks[i] (the state's
	// h times coef[i], rounded to float32), skipping coef[i] = 0, with
	// LinComb's arithmetic; dst may alias x.
	Dopri5Stage(dst, x, st Buffer, coef []float64, ks []Buffer)
	// Dopri5Time sets every element of t to the state's StageTime(c, end, p).
	Dopri5Time(t, st Buffer, c float64, end bool, p Dopri5Params)
	// Dopri5Accept sets dst = src when the state's Accept word is set.
	Dopri5Accept(dst, src, st Buffer)

	// --- Minibatch optimal-transport coupling (flow.coupling = "ot") ---

	// OTCoupling sets perm [n] to an optimal assignment between the rows of
	// x1 and x0 (both [n, w], n = perm.Len()): perm[i], a row number as
	// float32, is the row of x0 paired with row i of x1, minimising
	//   sum_i C[i][perm[i]],  C[i][j] = sum_k (x1[i,k] - x0[j,k])^2
	// with C in float64 (each subtraction, product and sum rounded once, in
	// the order of k: no FMA). The assignment is exact: the shortest
	// augmenting path method with dual potentials (Kuhn-Munkres in the form
	// of Jonker and Volgenant's Dijkstra search; compute/cpu coupling.go
	// gives the order of every operation, ties to the lowest column). A
	// non-finite cost sets perm to NaN, which GatherRows rejects.
	// GatherRows(x0', x0, perm, w) then pairs row i of x1 with row i of x0'.
	OTCoupling(perm, x0, x1 Buffer, w int)
}

// StepBlockLen is the length of a step block (see Backend.StepAdvance).
const StepBlockLen = 5

// StepBits is the float32 whose bits are the step s (s < 2^32): the form of
// a step in a counter and in block[0].
func StepBits(s uint64) float32 {
	if s >= 1<<32 {
		panic(fmt.Sprintf("compute: step %d exceeds the 32-bit step counter", s))
	}
	return math.Float32frombits(uint32(s))
}

// BlockStep is the step of a block's (or a counter's) first value.
func BlockStep(v float32) uint64 { return uint64(math.Float32bits(v)) }

// ScheduleRow is one row of a StepAdvance table: the step's learning rate,
// its AdamW bias corrections and its EMA decay, each rounded to float32 from
// the host's float64 exactly as the direct step rounds it.
type ScheduleRow struct {
	LR, BC1, BC2, Decay float32
}

// BiasCorrections are AdamW's 1 - b1^step and 1 - b2^step, computed in
// float64 and rounded (as AdamWStep does).
func BiasCorrections(b1, b2 float32, step int) (bc1, bc2 float32) {
	return float32(1 - math.Pow(float64(b1), float64(step))), float32(1 - math.Pow(float64(b2), float64(step)))
}

// Toy names a built-in 2D distribution of ToyBatchAt.
type Toy int

// The toy distributions (data.ToyNames, in that order).
const (
	ToyCheckerboard Toy = iota
	ToyGaussians8
	ToyMoons
	ToySpirals
)

var toyNames = [...]string{"checkerboard", "gaussians8", "moons", "spirals"}

// String is the distribution's data.kind name.
func (k Toy) String() string {
	if k < 0 || int(k) >= len(toyNames) {
		return fmt.Sprintf("Toy(%d)", int(k))
	}
	return toyNames[k]
}

// ToyOf returns the Toy of a data.kind name, and false for a kind that is
// not a built-in 2D distribution.
func ToyOf(name string) (Toy, bool) {
	for i, n := range toyNames {
		if n == name {
			return Toy(i), true
		}
	}
	return 0, false
}

// Graph is a recorded sequence of a backend's operations (a CUDA graph),
// replayed by Launch with the arguments it was recorded with: the same
// buffers, sizes and scalars (Philox keys, learning rates); the buffers'
// contents are whatever they hold at the replay.
type Graph interface {
	// Launch queues one replay (it does not wait: Sync does).
	Launch() error
	// Close waits for queued work and releases the graph.
	Close() error
}

// Capturer is implemented by backends that can record operations into a
// Graph (the CUDA backend; the CPU backend does not). CaptureGraph runs
// nothing: it records what fn queues. Inside fn, operations that allocate or
// read back (Alloc, Free, Upload, Download, Sync, Sum, SumSquares, ErrNorm)
// are errors; run fn once before capturing it, so that scratch buffers have
// their final sizes.
type Capturer interface {
	CaptureGraph(fn func()) (Graph, error)
}
