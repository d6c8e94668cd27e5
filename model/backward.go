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

	ldm := 6 * D
	for l := len(a.blocks) - 1; l >= 0; l-- {
		ba, bw := &a.blocks[l], w.Blocks[l]
		mod, dmod := be.Slice(a.mod, l*B*ldm, B*ldm), be.Slice(a.dmod, l*B*ldm, B*ldm)
		view := func(buf compute.Buffer, k int) compute.Buffer { return modView(be, buf, k, 6, B, D) }
		// The weight and bias gradients of every block's layers are taken
		// after the loop (blockGrads); each layer's output gradient is kept
		// in place of its output: dfc2 in fc2, dfc1 in fc1, dproj in proj.
		// MLP branch: out = xmid + g2 fc2   (dh is d out, and d xmid through the residual)
		be.GatedResidualBackward(ba.fc2, view(dmod, 5), a.dh, view(mod, 5), ba.fc2, ldm, B, T, D)
		linearInputGrad(be, dfc, ba.fc2, bw.FC2, N, false)
		be.GeluBackward(ba.fc1, dfc, ba.fc1)
		linearInputGrad(be, a.dln, ba.fc1, bw.FC1, N, false)
		be.LayerNormModBackward(a.dh, view(dmod, 3), view(dmod, 4), a.dln, ba.xmid, ba.mean2, ba.rstd2, view(mod, 4), ldm, B, T, D)
		// attention branch: xmid = xin + g1 proj
		be.GatedResidualBackward(ba.proj, view(dmod, 2), a.dh, view(mod, 2), ba.proj, ldm, B, T, D)
		linearInputGrad(be, a.dln, ba.proj, bw.Proj, N, false)
		be.AttentionBackward(ba.dqkv, a.dln, ba.qkv, ba.att, ba.lse, B, T, c.H, D)
		linearInputGrad(be, a.dln, ba.dqkv, bw.QKV, N, false)
		be.LayerNormModBackward(a.dh, view(dmod, 0), view(dmod, 1), a.dln, ba.xin, ba.mean1, ba.rstd1, view(mod, 1), ldm, B, T, D)
	}
	if c.L > 0 {
		// modulation: dcs += sum_l dmod_l W_l, the L products in one strided
		// batched GEMM, added in block order in one LinComb
		s, gs, L, ada := &a.stack, g.BlockStride, c.L, w.Stack.Ada
		be.Gemm(false, false, B, D, ada.Out, 1, a.dmod, ada.Out, B*ada.Out, ada.W, D, gs, 0, a.dcsL, D, B*D, L)
		ones, terms := make([]float32, L), make([]compute.Buffer, L)
		for l := range L {
			ones[l], terms[l] = 1, be.Slice(a.dcsL, l*B*D, B*D)
		}
		be.LinComb(a.dcs, a.dcs, ones, terms)
		blockGrads(be, g.Stack.Ada, a.dmod, a.cs, false, B, gs, L)
		blockGrads(be, g.Stack.QKV, s.dqkv, s.ln1, true, N, gs, L)
		blockGrads(be, g.Stack.Proj, s.proj, s.att, true, N, gs, L)
		blockGrads(be, g.Stack.FC1, s.fc1, s.ln2, true, N, gs, L)
		blockGrads(be, g.Stack.FC2, s.fc2, s.gel, true, N, gs, L)
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

// blockGrads accumulates the weight and bias gradients of one linear layer
// of each of L blocks, dW_l += dy_l^T x_l and db_l += sum_r dy_l, as L
// linearBackwards would: dy (L, N, Out) stacked (or longer), x (L, N, In)
// stacked, or (N, In) for every block when stacked is false; dW_l and db_l
// stride apart in the gradients (dw: the Stack views). One strided batched
// GEMM and one BiasGrads.
func blockGrads(be compute.Backend, dw linearW, dy, x compute.Buffer, stacked bool, N, stride, L int) {
	dy = be.Slice(dy, 0, L*N*dw.Out)
	xStride := 0
	if stacked {
		xStride = N * dw.In
	}
	be.Gemm(true, false, dw.Out, dw.In, N, 1, dy, dw.Out, N*dw.Out, x, dw.In, xStride, 1, dw.W, dw.In, stride, L)
	be.BiasGrads(dw.B, dy, L, dw.Out, stride)
}
