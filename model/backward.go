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
	ldm := 6 * D
	modAt := func(buf compute.Buffer, l, k int) compute.Buffer {
		return modView(be, be.Slice(buf, l*B*ldm, B*ldm), k, 6, B, D)
	}
	// every bias gradient, taken at the end in one MultiBiasGrad
	var bias []compute.BiasGradJob
	linearGrads := func(dx compute.Buffer, dw linearW, dy, x compute.Buffer, w linearW, n int) {
		be.Gemm(true, false, w.Out, w.In, n, 1, dy, w.Out, 0, x, w.In, 0, 1, dw.W, w.In, 0, 1)
		bias = append(bias, compute.BiasGradJob{DBias: dw.B, DY: dy, K: 1, W: w.Out, Stride: w.Out})
		if dx != nil {
			linearInputGrad(be, dx, dy, w, n, false)
		}
	}
	linearGrads(a.dln, g.Out, dout, a.lnf, w.Out, N)
	scf := modView(be, a.modf, 1, 2, B, D)
	dshf, dscf := modView(be, a.dmodf, 0, 2, B, D), modView(be, a.dmodf, 1, 2, B, D)
	be.Fill(a.dh, 0)
	// Each layer norm's backward runs with the backward of the gated
	// residual branch before it (LayerNormModBackwardGated), which reads
	// dh: the last block's MLP branch here, the attention branch in each
	// block, and the MLP branch of the block below at each block's end.
	// The weight and bias gradients of every block's layers are taken
	// after the loop (blockGrads); each layer's output gradient is kept in
	// place of its output: dfc2 in fc2, dfc1 in fc1, dproj in proj.
	if L := c.L; L == 0 {
		be.LayerNormModBackward(a.dh, dshf, dscf, a.dln, a.hL, a.meanf, a.rstdf, scf, 2*D, B, T, D)
	} else {
		// the last block's MLP branch: out = xmid + g2 fc2
		top := &a.blocks[L-1]
		be.LayerNormModBackwardGated(a.dh, dshf, dscf, a.dln, a.hL, a.meanf, a.rstdf, scf, 2*D,
			top.fc2, modAt(a.dmod, L-1, 5), modAt(a.mod, L-1, 5), top.fc2, ldm, B, T, D)
	}
	linearGrads(a.dcs, g.AdaF, a.dmodf, a.cs, w.AdaF, B)

	for l := len(a.blocks) - 1; l >= 0; l-- {
		ba, bw := &a.blocks[l], w.Blocks[l]
		// MLP: fc2 holds its gradient (dh through the gate) already
		linearInputGrad(be, dfc, ba.fc2, bw.FC2, N, false)
		be.GeluBackward(ba.fc1, dfc, ba.fc1)
		linearInputGrad(be, a.dln, ba.fc1, bw.FC1, N, false)
		// ln2, and the attention branch: xmid = xin + g1 proj
		be.LayerNormModBackwardGated(a.dh, modAt(a.dmod, l, 3), modAt(a.dmod, l, 4), a.dln, ba.xmid, ba.mean2, ba.rstd2, modAt(a.mod, l, 4), ldm,
			ba.proj, modAt(a.dmod, l, 2), modAt(a.mod, l, 2), ba.proj, ldm, B, T, D)
		linearInputGrad(be, a.dln, ba.proj, bw.Proj, N, false)
		be.AttentionBackward(ba.dqkv, a.dln, ba.qkv, bw.QKV.B, ba.att, ba.lse, B, T, c.H, D)
		linearInputGrad(be, a.dln, ba.dqkv, bw.QKV, N, false)
		// ln1, and the MLP branch of the block below
		if l == 0 {
			be.LayerNormModBackward(a.dh, modAt(a.dmod, 0, 0), modAt(a.dmod, 0, 1), a.dln, ba.xin, ba.mean1, ba.rstd1, modAt(a.mod, 0, 1), ldm, B, T, D)
		} else {
			below := &a.blocks[l-1]
			be.LayerNormModBackwardGated(a.dh, modAt(a.dmod, l, 0), modAt(a.dmod, l, 1), a.dln, ba.xin, ba.mean1, ba.rstd1, modAt(a.mod, l, 1), ldm,
				below.fc2, modAt(a.dmod, l-1, 5), modAt(a.mod, l-1, 5), below.fc2, ldm, B, T, D)
		}
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
		bias = append(bias, blockGrads(be, g.Stack.Ada, a.dmod, a.cs, false, B, gs, L),
			blockGrads(be, g.Stack.QKV, be.Slice(s.qkv, N*3*D, L*N*3*D), s.ln1, true, N, gs, L),
			blockGrads(be, g.Stack.Proj, s.proj, s.att, true, N, gs, L),
			blockGrads(be, g.Stack.FC1, s.fc1, s.ln2, true, N, gs, L),
			blockGrads(be, g.Stack.FC2, s.fc2, s.gel, true, N, gs, L))
	}

	// tokens: h0 = x W_inp^T + b + pos; dpos[t] = sum_b dh[b, t] is the
	// bias gradient of dh seen as (B, T D) rows (AddRowsGrad's sums)
	linearGrads(nil, g.Inp, a.dh, x, w.Inp, N)
	bias = append(bias, compute.BiasGradJob{DBias: g.Pos, DY: a.dh, K: 1, W: T * D, Stride: T * D})

	// conditioning
	be.SiLUBackward(a.dc, a.dcs, a.c)
	if c.NumClasses > 0 {
		be.ScatterAddRows(g.YEmb, a.dc, a.labels, D)
	}
	linearGrads(a.dc1, g.T2, a.dc, a.c1s, w.T2, B)
	be.SiLUBackward(a.dc1, a.dc1, a.c1)
	linearGrads(nil, g.T1, a.dc1, a.temb, w.T1, B)
	be.MultiBiasGrad(bias)
}

// blockGrads accumulates the weight gradients of one linear layer of each of
// L blocks, dW_l += dy_l^T x_l, as L linearBackwards would, and returns
// their bias gradients db_l += sum_r dy_l as a job for MultiBiasGrad: dy
// (L, N, Out) stacked (or longer), x (L, N, In) stacked, or (N, In) for
// every block when stacked is false; dW_l and db_l stride apart in the
// gradients (dw: the Stack views). One strided batched GEMM.
func blockGrads(be compute.Backend, dw linearW, dy, x compute.Buffer, stacked bool, N, stride, L int) compute.BiasGradJob {
	dy = be.Slice(dy, 0, L*N*dw.Out)
	xStride := 0
	if stacked {
		xStride = N * dw.In
	}
	be.Gemm(true, false, dw.Out, dw.In, N, 1, dy, dw.Out, N*dw.Out, x, dw.In, xStride, 1, dw.W, dw.In, stride, L)
	return compute.BiasGradJob{DBias: dw.B, DY: dy, K: L, W: dw.Out, Stride: stride}
}
