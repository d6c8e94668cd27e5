package model

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
)

// Backward accumulates into grads (same layout as params, zeroed by the
// caller) the gradient of a loss whose gradient w.r.t. a.Out is dout, using
// the activations of the last Forward.
func (m *DiT) Backward(be compute.Backend, params, grads compute.Buffer, a *Activations, x, dout compute.Buffer) {
	c := m.Cfg
	B, T, D := a.B, c.T, c.D
	N := B * T
	if a.inference {
		panic("model: Backward with the forward-only activations of NewInference")
	}
	if dout.Len() != N*c.C {
		panic(fmt.Sprintf("model: Backward with dout of %d, want %d", dout.Len(), N*c.C))
	}
	w, g := m.views(be, params), m.views(be, grads)
	M := c.MLPRatio * D
	dfc := be.Slice(a.dfc, 0, N*M)

	// final layer
	linearBackward(be, a.dln, g.Out, dout, a.lnf, w.Out, N, false)
	dmodf := be.Slice(a.dmod, 0, B*2*D)
	scf := modView(be, a.modf, 1, 2, B, D)
	be.Fill(a.dh, 0)
	be.LayerNormModBackward(a.dh, modView(be, dmodf, 0, 2, B, D), modView(be, dmodf, 1, 2, B, D),
		a.dln, a.hL, a.meanf, a.rstdf, scf, 2*D, B, T, D)
	linearBackward(be, a.dcs, g.AdaF, dmodf, a.cs, w.AdaF, B, false)

	ldm := c.L * 6 * D
	for l := len(a.blocks) - 1; l >= 0; l-- {
		ba, bw, bg := &a.blocks[l], w.Blocks[l], g.Blocks[l]
		view := func(buf compute.Buffer, k int) compute.Buffer { return modView(be, buf, 6*l+k, 6*c.L, B, D) }
		// MLP branch: out = xmid + g2 fc2   (dh is d out, and d xmid through the residual)
		be.GatedResidualBackward(a.dtmp, view(a.dmod, 5), a.dh, view(a.mod, 5), ba.fc2, ldm, B, T, D)
		linearBackward(be, dfc, bg.FC2, a.dtmp, ba.gel, bw.FC2, N, false)
		be.GeluBackward(dfc, dfc, ba.fc1)
		linearBackward(be, a.dln, bg.FC1, dfc, ba.ln2, bw.FC1, N, false)
		be.LayerNormModBackward(a.dh, view(a.dmod, 3), view(a.dmod, 4), a.dln, ba.xmid, ba.mean2, ba.rstd2, view(a.mod, 4), ldm, B, T, D)
		// attention branch: xmid = xin + g1 proj
		be.GatedResidualBackward(a.dtmp, view(a.dmod, 2), a.dh, view(a.mod, 2), ba.proj, ldm, B, T, D)
		linearBackward(be, a.dln, bg.Proj, a.dtmp, ba.att, bw.Proj, N, false)
		be.AttentionBackward(a.dqkv, a.dln, ba.qkv, ba.att, ba.lse, B, T, c.H, D)
		linearBackward(be, a.dln, bg.QKV, a.dqkv, ba.ln1, bw.QKV, N, false)
		be.LayerNormModBackward(a.dh, view(a.dmod, 0), view(a.dmod, 1), a.dln, ba.xin, ba.mean1, ba.rstd1, view(a.mod, 1), ldm, B, T, D)
		// modulation: dcs += dmod_l W_l (the weight and bias gradients of all
		// blocks after the loop)
		D6 := 6 * D
		be.Gemm(false, false, B, D, D6, 1, be.Slice(a.dmod, l*D6, (B-1)*ldm+D6), ldm, 0, bw.Ada.W, D, 0, 1, a.dcs, D, 0, 1)
	}
	if c.L > 0 {
		adaBackward(be, g, a.dmod, a.cs, c.L, B)
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

// adaBackward accumulates every block's adaLN weight and bias gradients from
// dmod (B, L*6D, laid out as Activations.mod) and cs (B, D), as L
// linearBackwards would (dW_l += dmod_l^T cs, db_l += sum_b dmod_l): one
// strided batched GEMM and one BiasGrads.
func adaBackward(be compute.Backend, g weights, dmod, cs compute.Buffer, L, B int) {
	D6, D := g.Ada.Out, g.Ada.In
	be.Gemm(true, false, D6, D, B, 1, dmod, L*D6, D6, cs, D, 0, 1, g.Ada.W, D, g.AdaStride, L)
	be.BiasGrads(g.Ada.B, dmod, L, D6, g.AdaStride)
}
