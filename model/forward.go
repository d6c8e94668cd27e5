package model

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
)

// lnEps is the LayerNorm epsilon (DiT, anchor_torch.py).
const lnEps = 1e-6

// blockActs are the cached activations of one block (N = B*T rows).
type blockActs struct {
	xin          compute.Buffer // (N, D) block input
	mod          compute.Buffer // (B, 6D) shift1, scale1, gate1, shift2, scale2, gate2
	ln1          compute.Buffer // (N, D) modulated LN of xin
	mean1, rstd1 compute.Buffer // (N)
	qkv          compute.Buffer // (N, 3D)
	att          compute.Buffer // (N, D) attention output
	lse          compute.Buffer // (B, H, T)
	proj         compute.Buffer // (N, D) proj(att), before the gate
	xmid         compute.Buffer // (N, D) xin + g1 proj
	ln2          compute.Buffer // (N, D)
	mean2, rstd2 compute.Buffer // (N)
	fc1          compute.Buffer // (N, M) M = MLPRatio*D
	gel          compute.Buffer // (N, M) gelu(fc1)
	fc2          compute.Buffer // (N, D)
}

// Activations is the workspace of one Forward/Backward at batch size B: the
// cached activations and the gradient scratch. Allocate once, reuse every step.
type Activations struct {
	B      int
	be     compute.Backend
	temb   compute.Buffer // (B, TembDim)
	c1     compute.Buffer // (B, D) t1 output
	c1s    compute.Buffer // (B, D) SiLU(c1)
	c      compute.Buffer // (B, D) conditioning
	cs     compute.Buffer // (B, D) SiLU(c)
	blocks []blockActs
	hL     compute.Buffer // (N, D) output of the last block
	modf   compute.Buffer // (B, 2D)
	lnf    compute.Buffer // (N, D)
	meanf  compute.Buffer // (N)
	rstdf  compute.Buffer // (N)
	Out    compute.Buffer // (N, C) the velocity

	// gradient scratch
	dh, dln, dtmp compute.Buffer // (N, D)
	dqkv          compute.Buffer // (N, 3D)
	dfc           compute.Buffer // (N, M)
	dmod          compute.Buffer // (B, 6D)
	dcs, dc, dc1  compute.Buffer // (B, D)
	labels        compute.Buffer // (B) class labels as float32 (nil if unconditional)
	all           []compute.Buffer
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
	for l := 0; l < c.L; l++ {
		a.blocks = append(a.blocks, blockActs{
			xin: al(N * D), mod: al(B * 6 * D), ln1: al(N * D), mean1: al(N), rstd1: al(N),
			qkv: al(N * 3 * D), att: al(N * D), lse: al(B * c.H * c.T), proj: al(N * D),
			xmid: al(N * D), ln2: al(N * D), mean2: al(N), rstd2: al(N),
			fc1: al(N * M), gel: al(N * M), fc2: al(N * D),
		})
	}
	a.hL, a.modf, a.lnf, a.meanf, a.rstdf, a.Out = al(N*D), al(B*2*D), al(N*D), al(N), al(N), al(N*c.C)
	a.dh, a.dln, a.dtmp, a.dqkv, a.dfc, a.dmod = al(N*D), al(N*D), al(N*D), al(N*3*D), al(N*M), al(B*6*D)
	a.dcs, a.dc, a.dc1 = al(B*D), al(B*D), al(B*D)
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
	n += N*D + b*2*D + N*D + 2*N + N*int64(c.C) // final layer
	n += 3*N*D + N*3*D + N*M + b*6*D + 3*b*D    // gradient scratch
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
	be.TimestepEmbedding(a.temb, t, c.TembDim, c.TimeScale)
	linearForward(be, a.c1, a.temb, w.T1, B)
	be.SiLU(a.c1s, a.c1)
	linearForward(be, a.c, a.c1s, w.T2, B)
	if c.NumClasses > 0 {
		if y == nil || y.Len() != B {
			panic("model: class-conditional Forward needs labels y of length B")
		}
		be.Copy(a.labels, y)
		be.GatherRows(a.dc, w.YEmb, a.labels, D) // dc is free scratch during the forward pass
		be.Axpy(1, a.dc, a.c)
	}
	be.SiLU(a.cs, a.c)

	// tokens (N, D)
	h := a.hL
	if c.L > 0 {
		h = a.blocks[0].xin
	}
	linearForward(be, h, x, w.Inp, N)
	be.AddRows(h, w.Pos, T)

	for l := range a.blocks {
		ba, bw := &a.blocks[l], w.Blocks[l]
		linearForward(be, ba.mod, a.cs, bw.Ada, B)
		sh1, sc1, g1 := be.Slice(ba.mod, 0, (B-1)*6*D+D), be.Slice(ba.mod, D, (B-1)*6*D+D), be.Slice(ba.mod, 2*D, (B-1)*6*D+D)
		sh2, sc2, g2 := be.Slice(ba.mod, 3*D, (B-1)*6*D+D), be.Slice(ba.mod, 4*D, (B-1)*6*D+D), be.Slice(ba.mod, 5*D, (B-1)*6*D+D)

		be.LayerNormMod(ba.ln1, ba.mean1, ba.rstd1, ba.xin, sh1, sc1, 6*D, B, T, D, lnEps)
		linearForward(be, ba.qkv, ba.ln1, bw.QKV, N)
		be.Attention(ba.att, ba.lse, ba.qkv, B, T, c.H, D)
		linearForward(be, ba.proj, ba.att, bw.Proj, N)
		be.Copy(ba.xmid, ba.xin)
		be.GatedResidual(ba.xmid, g1, ba.proj, 6*D, B, T, D)

		be.LayerNormMod(ba.ln2, ba.mean2, ba.rstd2, ba.xmid, sh2, sc2, 6*D, B, T, D, lnEps)
		linearForward(be, ba.fc1, ba.ln2, bw.FC1, N)
		be.Gelu(ba.gel, ba.fc1)
		linearForward(be, ba.fc2, ba.gel, bw.FC2, N)
		next := a.hL
		if l+1 < len(a.blocks) {
			next = a.blocks[l+1].xin
		}
		be.Copy(next, ba.xmid)
		be.GatedResidual(next, g2, ba.fc2, 6*D, B, T, D)
	}

	linearForward(be, a.modf, a.cs, w.AdaF, B)
	shf, scf := be.Slice(a.modf, 0, (B-1)*2*D+D), be.Slice(a.modf, D, (B-1)*2*D+D)
	be.LayerNormMod(a.lnf, a.meanf, a.rstdf, a.hL, shf, scf, 2*D, B, T, D, lnEps)
	linearForward(be, a.Out, a.lnf, w.Out, N)
}

// Backward accumulates into grads (same layout as params, zeroed by the
// caller) the gradient of a loss whose gradient w.r.t. a.Out is dout, using
// the activations of the last Forward.
func (m *DiT) Backward(be compute.Backend, params, grads compute.Buffer, a *Activations, x, dout compute.Buffer) {
	c := m.Cfg
	B, T, D := a.B, c.T, c.D
	N := B * T
	if dout.Len() != N*c.C {
		panic(fmt.Sprintf("model: Backward with dout of %d, want %d", dout.Len(), N*c.C))
	}
	w, g := m.views(be, params), m.views(be, grads)
	M := c.MLPRatio * D
	dfc := be.Slice(a.dfc, 0, N*M)

	// final layer
	linearBackward(be, a.dln, g.Out, dout, a.lnf, w.Out, N, false)
	dmodf := be.Slice(a.dmod, 0, B*2*D)
	scf := be.Slice(a.modf, D, (B-1)*2*D+D)
	be.Fill(a.dh, 0)
	be.LayerNormModBackward(a.dh, be.Slice(dmodf, 0, (B-1)*2*D+D), be.Slice(dmodf, D, (B-1)*2*D+D),
		a.dln, a.hL, a.meanf, a.rstdf, scf, 2*D, B, T, D)
	linearBackward(be, a.dcs, g.AdaF, dmodf, a.cs, w.AdaF, B, false)

	view := func(buf compute.Buffer, k int) compute.Buffer { return be.Slice(buf, k*D, (B-1)*6*D+D) }
	for l := len(a.blocks) - 1; l >= 0; l-- {
		ba, bw, bg := &a.blocks[l], w.Blocks[l], g.Blocks[l]
		// MLP branch: out = xmid + g2 fc2   (dh is d out, and d xmid through the residual)
		be.GatedResidualBackward(a.dtmp, view(a.dmod, 5), a.dh, view(ba.mod, 5), ba.fc2, 6*D, B, T, D)
		linearBackward(be, dfc, bg.FC2, a.dtmp, ba.gel, bw.FC2, N, false)
		be.GeluBackward(dfc, dfc, ba.fc1)
		linearBackward(be, a.dln, bg.FC1, dfc, ba.ln2, bw.FC1, N, false)
		be.LayerNormModBackward(a.dh, view(a.dmod, 3), view(a.dmod, 4), a.dln, ba.xmid, ba.mean2, ba.rstd2, view(ba.mod, 4), 6*D, B, T, D)
		// attention branch: xmid = xin + g1 proj
		be.GatedResidualBackward(a.dtmp, view(a.dmod, 2), a.dh, view(ba.mod, 2), ba.proj, 6*D, B, T, D)
		linearBackward(be, a.dln, bg.Proj, a.dtmp, ba.att, bw.Proj, N, false)
		be.AttentionBackward(a.dqkv, a.dln, ba.qkv, ba.att, ba.lse, B, T, c.H, D)
		linearBackward(be, a.dln, bg.QKV, a.dqkv, ba.ln1, bw.QKV, N, false)
		be.LayerNormModBackward(a.dh, view(a.dmod, 0), view(a.dmod, 1), a.dln, ba.xin, ba.mean1, ba.rstd1, view(ba.mod, 1), 6*D, B, T, D)
		// modulation
		linearBackward(be, a.dcs, bg.Ada, a.dmod, a.cs, bw.Ada, B, true)
	}

	// tokens: h0 = x W_inp^T + b + pos
	linearBackward(be, nil, g.Inp, a.dh, x, w.Inp, N, false)
	be.AddRowsGrad(g.Pos, a.dh, T)

	// conditioning
	be.SiLUBackward(a.dc, a.dcs, a.c)
	if c.NumClasses > 0 {
		be.ScatterAddRows(g.YEmb, a.dc, a.labels, D)
	}
	linearBackward(be, a.dc1, g.T2, a.dc, a.c1s, w.T2, B, false)
	be.SiLUBackward(a.dc1, a.dc1, a.c1)
	linearBackward(be, nil, g.T1, a.dc1, a.temb, w.T1, B, false)
}
