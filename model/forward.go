package model

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
)

// lnEps is the LayerNorm epsilon (DiT, anchor_torch.py).
const lnEps = 1e-6

// blockActs are the cached activations of one block (N = B*T rows). In
// NewActivations each is block l's view of one stack (L, N, .) of all
// blocks, so that Backward's weight gradients are one strided batched GEMM
// per layer kind; Backward overwrites proj, fc1 and fc2 with their layers'
// output gradients (the inputs of those GEMMs) and fills dqkv, which is the
// qkv of the block above (dead by then: the backward pass runs top down; the
// stack of qkv has one slot more for the top block's dqkv).
type blockActs struct {
	xin          compute.Buffer // (N, D) block input
	ln1          compute.Buffer // (N, D) modulated LN of xin
	mean1, rstd1 compute.Buffer // (N)
	qkv          compute.Buffer // (N, 3D) the QKV GEMM, without its bias (Attention adds it)
	att          compute.Buffer // (N, D) attention output
	lse          compute.Buffer // (B, H, T)
	proj         compute.Buffer // (N, D) proj(att), before the gate
	xmid         compute.Buffer // (N, D) xin + g1 proj
	ln2          compute.Buffer // (N, D)
	mean2, rstd2 compute.Buffer // (N)
	fc1          compute.Buffer // (N, M) M = MLPRatio*D
	gel          compute.Buffer // (N, M) gelu(fc1)
	fc2          compute.Buffer // (N, D)
	dqkv         compute.Buffer // (N, 3D) gradient of qkv: the next qkv slot (nil in NewInference)
}

// Activations is the workspace of one Forward/Backward at batch size B: the
// cached activations and the gradient scratch. Allocate once, reuse every step.
type Activations struct {
	B    int
	be   compute.Backend
	temb compute.Buffer // (B, TembDim)
	c1   compute.Buffer // (B, D) t1 output
	c1s  compute.Buffer // (B, D) SiLU(c1)
	c    compute.Buffer // (B, D) conditioning
	cs   compute.Buffer // (B, D) SiLU(c)
	// mod (L, B, 6D): block l's shift1, scale1, gate1, shift2, scale2, gate2
	// (D each), all blocks' adaLN layers computed at once (adaForward).
	mod    compute.Buffer
	blocks []blockActs
	// stack: the whole stacks (L, N, .) whose views the blocks' ln1, att,
	// proj, ln2, fc1, gel and fc2 are, and qkv (L+1, N, 3D): block l's qkv
	// is slot l, its dqkv slot l+1 (NewActivations only)
	stack blockActs
	hL    compute.Buffer // (N, D) output of the last block
	modf  compute.Buffer // (B, 2D)
	lnf   compute.Buffer // (N, D)
	meanf compute.Buffer // (N)
	rstdf compute.Buffer // (N)
	Out   compute.Buffer // (N, C) the velocity

	// gradient scratch
	dh, dln      compute.Buffer // (N, D)
	dfc          compute.Buffer // (N, M)
	dmod         compute.Buffer // (L, B, 6D) as mod
	dmodf        compute.Buffer // (B, 2D)
	dcs, dc, dc1 compute.Buffer // (B, D)
	dcsL         compute.Buffer // (L, B, D) each block's part of dcs
	labels       compute.Buffer // (B) class labels as float32 (nil if unconditional)
	all          []compute.Buffer

	// inference: the forward-only layout of NewInference (Backward panics).
	inference bool
}

// NewActivations allocates the workspace for batch size B.
func (m *DiT) NewActivations(be compute.Backend, B int) *Activations {
	c := m.Cfg
	N, D, M := B*c.T, c.D, c.MLPRatio*c.D
	a := &Activations{B: B, be: be}
	al := func(n int) compute.Buffer {
		b := be.Alloc(n)
		a.all = append(a.all, b)
		return b
	}
	a.temb, a.c1, a.c1s, a.c, a.cs = al(B*c.TembDim), al(B*D), al(B*D), al(B*D), al(B*D)
	a.mod = al(B * c.L * 6 * D)
	// one stack (L, N, n) for each activation a weight gradient reads
	s := &a.stack
	s.ln1, s.att, s.proj, s.ln2 = al(c.L*N*D), al(c.L*N*D), al(c.L*N*D), al(c.L*N*D)
	s.fc1, s.gel, s.fc2 = al(c.L*N*M), al(c.L*N*M), al(c.L*N*D)
	if c.L > 0 {
		s.qkv = al((c.L + 1) * N * 3 * D)
	}
	for l := 0; l < c.L; l++ {
		at := func(stack compute.Buffer, n int) compute.Buffer { return be.Slice(stack, l*N*n, N*n) }
		a.blocks = append(a.blocks, blockActs{
			xin: al(N * D), ln1: at(s.ln1, D), mean1: al(N), rstd1: al(N),
			qkv: at(s.qkv, 3*D), att: at(s.att, D), lse: al(B * c.H * c.T), proj: at(s.proj, D),
			xmid: al(N * D), ln2: at(s.ln2, D), mean2: al(N), rstd2: al(N),
			fc1: at(s.fc1, M), gel: at(s.gel, M), fc2: at(s.fc2, D), dqkv: be.Slice(s.qkv, (l+1)*N*3*D, N*3*D),
		})
	}
	a.hL, a.modf, a.lnf, a.meanf, a.rstdf, a.Out = al(N*D), al(B*2*D), al(N*D), al(N), al(N), al(N*c.C)
	a.dh, a.dln, a.dfc, a.dmod, a.dmodf = al(N*D), al(N*D), al(N*M), al(B*c.L*6*D), al(B*2*D)
	a.dcs, a.dc, a.dc1, a.dcsL = al(B*D), al(B*D), al(B*D), al(c.L*B*D)
	if c.NumClasses > 0 {
		a.labels = al(B)
	}
	return a
}

// ActivationFloats returns the float32s NewActivations(be, B) allocates: the
// cached activations of every block and the gradient scratch (4 bytes each).
func (m *DiT) ActivationFloats(B int) int64 {
	c := m.Cfg
	b, N, D, M := int64(B), int64(B)*int64(c.T), int64(c.D), int64(c.MLPRatio)*int64(c.D)
	block := 7*N*D + 6*b*D + 4*N + 3*N*D + b*int64(c.H)*int64(c.T) + 2*N*M
	n := b*int64(c.TembDim) + 4*b*D + int64(c.L)*block
	if c.L > 0 {
		n += 3 * N * D // the top block's dqkv (the qkv stack's extra slot)
	}
	n += N*D + b*2*D + N*D + 2*N + N*int64(c.C)                // final layer
	n += 2*N*D + N*M + b*int64(c.L*6+2)*D + (3+int64(c.L))*b*D // gradient scratch
	if c.NumClasses > 0 {
		n += b
	}
	return n
}

// NewInference allocates a forward-only workspace for batch size B: Forward
// fills a.Out exactly as with NewActivations (the same ops on the same
// values), but nothing is kept for Backward, which panics on it. Every block
// uses the same buffers, and buffers whose lives do not overlap are shared
// (N = B*T rows, M = MLPRatio*D):
//
//	h     (N, D)   the residual stream: block inputs and outputs, hL
//	xmid  (N, D)   xin + g1 proj
//	ln    (N, D)   ln1, then the attention output, then ln2; lnf
//	proj  (N, D)   proj(att), then fc2
//	qkv   (N, 3D)
//	fc1, gel (N, M)
//	mean, rstd (N), lse (B, H, T), mod (L, B, 6D), modf (B, 2D)
//	temb (B, TembDim), c1, c1s, c, cs, label scratch (B, D), labels (B)
//	Out   (N, C)
//
// so the floats (InferenceFloats) are 7 N D + 2 N M + ..., independent of L.
func (m *DiT) NewInference(be compute.Backend, B int) *Activations {
	c := m.Cfg
	N, D, M := B*c.T, c.D, c.MLPRatio*c.D
	a := &Activations{B: B, be: be, inference: true}
	al := func(n int) compute.Buffer {
		b := be.Alloc(n)
		a.all = append(a.all, b)
		return b
	}
	a.temb, a.c1, a.c1s, a.c, a.cs = al(B*c.TembDim), al(B*D), al(B*D), al(B*D), al(B*D)
	h, ln, proj, mean, rstd := al(N*D), al(N*D), al(N*D), al(N), al(N)
	a.mod = al(B * c.L * 6 * D)
	shared := blockActs{
		xin: h, ln1: ln, mean1: mean, rstd1: rstd,
		qkv: al(N * 3 * D), att: ln, lse: al(B * c.H * c.T), proj: proj,
		xmid: al(N * D), ln2: ln, mean2: mean, rstd2: rstd,
		fc1: al(N * M), gel: al(N * M), fc2: proj,
	}
	for range c.L {
		a.blocks = append(a.blocks, shared)
	}
	a.hL, a.modf, a.lnf, a.meanf, a.rstdf, a.Out = h, al(B*2*D), ln, mean, rstd, al(N*c.C)
	a.dc = al(B * D) // the label embedding's scratch in Forward
	if c.NumClasses > 0 {
		a.labels = al(B)
	}
	return a
}

// InferenceFloats returns the float32s NewInference(be, B) allocates (4
// bytes each).
func (m *DiT) InferenceFloats(B int) int64 {
	c := m.Cfg
	b, N, D, M := int64(B), int64(B)*int64(c.T), int64(c.D), int64(c.MLPRatio)*int64(c.D)
	n := b*int64(c.TembDim) + 4*b*D                 // conditioning
	n += 4*N*D + 3*N*D + 2*N*M + 2*N                // h, ln, proj, xmid; qkv; fc1, gel; mean, rstd
	n += 6*b*D*int64(c.L) + b*int64(c.H)*int64(c.T) // mod, lse
	n += 2*b*D + N*int64(c.C) + b*D                 // modf, Out, label scratch
	if c.NumClasses > 0 {
		n += b
	}
	return n
}

// Free releases the workspace.
func (a *Activations) Free() {
	for _, b := range a.all {
		a.be.Free(b)
	}
	a.all = nil
}

// Forward computes the velocity a.Out (B*T, C) for x (B*T, C) at times t (B),
// with class labels y (B, float32 in 0..NumClasses, NumClasses = null) when the
// model is class-conditional (y is ignored otherwise and may be nil).
func (m *DiT) Forward(be compute.Backend, params compute.Buffer, a *Activations, x, t, y compute.Buffer) {
	c := m.Cfg
	B, T, D := a.B, c.T, c.D
	N := B * T
	if x.Len() != N*c.C || t.Len() != B {
		panic(fmt.Sprintf("model: Forward with x of %d and t of %d, want %d and %d", x.Len(), t.Len(), N*c.C, B))
	}
	w := m.views(be, params)

	// conditioning c (B, D)
	// (each bias added with the SiLU after it, BiasSiLU, where nothing comes
	// between them)
	be.TimestepEmbedding(a.temb, t, c.TembDim, c.TimeScale)
	gemmForward(be, a.c1, a.temb, w.T1, B)
	be.BiasSiLU(a.c1s, a.c1, w.T1.B)
	if c.NumClasses > 0 {
		if y == nil || y.Len() != B {
			panic("model: class-conditional Forward needs labels y of length B")
		}
		linearForward(be, a.c, a.c1s, w.T2, B)
		be.Copy(a.labels, y)
		be.GatherRows(a.dc, w.YEmb, a.labels, D) // dc is free scratch during the forward pass
		be.Axpy(1, a.dc, a.c)
		be.SiLU(a.cs, a.c)
	} else {
		gemmForward(be, a.c, a.c1s, w.T2, B)
		be.BiasSiLU(a.cs, a.c, w.T2.B)
	}

	// tokens (N, D)
	h := a.hL
	if c.L > 0 {
		h = a.blocks[0].xin
	}
	linearForward(be, h, x, w.Inp, N)
	be.AddRows(h, w.Pos, T)

	// every block's modulation (L, B, 6D) at once: one GEMM, one bias pass;
	// the final layer's (B, 2D)
	ldm := 6 * D
	if c.L > 0 {
		adaForward(be, a.mod, a.cs, w, c.L, B)
	}
	linearForward(be, a.modf, a.cs, w.AdaF, B)
	shf, scf := modView(be, a.modf, 0, 2, B, D), modView(be, a.modf, 1, 2, B, D)
	if c.L == 0 {
		be.LayerNormMod(a.lnf, a.meanf, a.rstdf, a.hL, shf, scf, 2*D, B, T, D, lnEps)
	}
	// Each residual update runs with the layer norm that reads it
	// (ResidualLayerNormMod): ln2 in the block, the next block's ln1 (or the
	// final layer's) at its end.
	modAt := func(l, k int) compute.Buffer { return modView(be, be.Slice(a.mod, l*B*ldm, B*ldm), k, 6, B, D) }
	for l := range a.blocks {
		ba, bw := &a.blocks[l], w.Blocks[l]
		if l == 0 {
			be.LayerNormMod(ba.ln1, ba.mean1, ba.rstd1, ba.xin, modAt(0, 0), modAt(0, 1), ldm, B, T, D, lnEps)
		}
		gemmForward(be, ba.qkv, ba.ln1, bw.QKV, N) // its bias is added as attention reads it
		be.Attention(ba.att, ba.lse, ba.qkv, bw.QKV.B, B, T, c.H, D)
		gemmForward(be, ba.proj, ba.att, bw.Proj, N) // its bias is added in the residual
		be.ResidualLayerNormMod(ba.xmid, ba.xin, ba.proj, bw.Proj.B, modAt(l, 2), ldm,
			ba.ln2, ba.mean2, ba.rstd2, modAt(l, 3), modAt(l, 4), ldm, B, T, D, lnEps)

		gemmForward(be, ba.fc1, ba.ln2, bw.FC1, N) // its bias is added with the GELU
		be.BiasGelu(ba.gel, ba.fc1, bw.FC1.B)
		gemmForward(be, ba.fc2, ba.gel, bw.FC2, N)
		next, ln, mean, rstd, sh, sc, ld := a.hL, a.lnf, a.meanf, a.rstdf, shf, scf, 2*D
		if l+1 < len(a.blocks) {
			nb := &a.blocks[l+1]
			next, ln, mean, rstd, sh, sc, ld = nb.xin, nb.ln1, nb.mean1, nb.rstd1, modAt(l+1, 0), modAt(l+1, 1), ldm
		}
		be.ResidualLayerNormMod(next, ba.xmid, ba.fc2, bw.FC2.B, modAt(l, 5), ldm, ln, mean, rstd, sh, sc, ld, B, T, D, lnEps)
	}

	linearForward(be, a.Out, a.lnf, w.Out, N)
}

// adaForward sets mod (L, B, 6D) to every block's adaLN modulation of cs
// (B, D): mod[l] = cs W_l^T + b_l, as L linearForwards would set them, in
// one strided batched GEMM (W_l AdaStride apart in the parameters) and one
// AddBiases.
func adaForward(be compute.Backend, mod, cs compute.Buffer, w weights, L, B int) {
	ada := w.Stack.Ada
	D6, D := ada.Out, ada.In
	be.Gemm(false, true, B, D6, D, 1, cs, D, 0, ada.W, D, w.BlockStride, 0, mod, D6, B*D6, L)
	be.AddBiases(mod, ada.B, L, D6, w.BlockStride)
}

// modView is chunk k (D columns) of every row of a modulation buffer of B
// rows of n*D: a strided view that starts at column k*D, rows n*D apart.
func modView(be compute.Backend, mod compute.Buffer, k, n, B, D int) compute.Buffer {
	return be.Slice(mod, k*D, (B-1)*n*D+D)
}
