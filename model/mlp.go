package model

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
)

// MLP is a stack of dense layers with tanh-GELU between them (none after the
// last): for sizes [n_0, ..., n_k],
//
//	h_0 = x,  a_i = h_i W_i^T + b_i,  h_{i+1} = gelu(a_i) (i < k-1),  out = a_{k-1}.
//
// Weights are stored (out, in) under the names prefix+"layers.i.weight" and
// prefix+"layers.i.bias". It is the autoencoder's encoder and decoder and the
// evaluation classifier.
type MLP struct {
	Sizes []int // layer widths, input first
	Layout
}

// NewMLP returns the MLP with the given layer widths (at least input and output).
func NewMLP(prefix string, sizes []int) (*MLP, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("model: an MLP needs at least an input and an output width, got %v", sizes)
	}
	for _, s := range sizes {
		if s <= 0 {
			return nil, fmt.Errorf("model: MLP widths %v: all must be positive", sizes)
		}
	}
	m := &MLP{Sizes: append([]int(nil), sizes...)}
	for i := 0; i+1 < len(sizes); i++ {
		name := fmt.Sprintf("%slayers.%d.", prefix, i)
		m.add(name+"weight", initXavier, sizes[i+1], sizes[i])
		m.add(name+"bias", initZero, sizes[i+1])
	}
	return m, nil
}

// In and Out are the input and output widths.
func (m *MLP) In() int  { return m.Sizes[0] }
func (m *MLP) Out() int { return m.Sizes[len(m.Sizes)-1] }

// FLOPs is the multiply-add FLOPs of one forward pass of B rows.
func (m *MLP) FLOPs(B int) float64 {
	var f float64
	for i := 0; i+1 < len(m.Sizes); i++ {
		f += 2 * float64(B) * float64(m.Sizes[i]) * float64(m.Sizes[i+1])
	}
	return f
}

func (m *MLP) views(be compute.Backend, flat compute.Buffer) []linearW {
	if flat.Len() != m.NParams {
		panic(fmt.Sprintf("model: MLP parameter buffer has %d elements, want %d", flat.Len(), m.NParams))
	}
	ws := make([]linearW, len(m.Sizes)-1)
	for i := range ws {
		w, b := m.Tensors[2*i], m.Tensors[2*i+1]
		ws[i] = linearW{W: be.Slice(flat, w.Off, w.N), B: be.Slice(flat, b.Off, b.N), In: m.Sizes[i], Out: m.Sizes[i+1]}
	}
	return ws
}

// MLPActivations is the workspace of one MLP Forward/Backward at B rows.
type MLPActivations struct {
	B   int
	pre []compute.Buffer // (B, n_{i+1}) a_i, before GELU; pre[k-1] is the output
	act []compute.Buffer // (B, n_{i+1}) gelu(a_i), i < k-1
	d   []compute.Buffer // (B, n_{i+1}) gradient scratch, i < k-1
	Out compute.Buffer   // (B, n_k)
	be  compute.Backend
	all []compute.Buffer
}

// NewActivations allocates the workspace for B rows.
func (m *MLP) NewActivations(be compute.Backend, B int) *MLPActivations {
	a := &MLPActivations{B: B, be: be}
	al := func(n int) compute.Buffer {
		b := be.Alloc(n)
		a.all = append(a.all, b)
		return b
	}
	k := len(m.Sizes) - 1
	for i := 0; i < k; i++ {
		a.pre = append(a.pre, al(B*m.Sizes[i+1]))
		if i < k-1 {
			a.act = append(a.act, al(B*m.Sizes[i+1]))
			a.d = append(a.d, al(B*m.Sizes[i+1]))
		}
	}
	a.Out = a.pre[k-1]
	return a
}

// Free releases the workspace.
func (a *MLPActivations) Free() {
	for _, b := range a.all {
		a.be.Free(b)
	}
	a.all = nil
}

// Forward sets a.Out (B, Out) from x (B, In).
func (m *MLP) Forward(be compute.Backend, params compute.Buffer, a *MLPActivations, x compute.Buffer) {
	if x.Len() != a.B*m.In() {
		panic(fmt.Sprintf("model: MLP Forward with x of %d, want %d", x.Len(), a.B*m.In()))
	}
	ws := m.views(be, params)
	in := x
	for i, w := range ws {
		linearForward(be, a.pre[i], in, w, a.B)
		if i < len(ws)-1 {
			be.Gelu(a.act[i], a.pre[i])
			in = a.act[i]
		}
	}
}

// Backward accumulates into grads (zeroed by the caller) the parameter gradient
// for dout = dL/dOut, using the activations of the last Forward on x, and sets
// dx = dL/dx when dx is not nil.
func (m *MLP) Backward(be compute.Backend, params, grads compute.Buffer, a *MLPActivations, x, dout, dx compute.Buffer) {
	if dout.Len() != a.B*m.Out() {
		panic(fmt.Sprintf("model: MLP Backward with dout of %d, want %d", dout.Len(), a.B*m.Out()))
	}
	ws, gs := m.views(be, params), m.views(be, grads)
	d := dout
	for i := len(ws) - 1; i >= 0; i-- {
		in, din := x, dx
		if i > 0 {
			in, din = a.act[i-1], a.d[i-1]
		}
		linearBackward(be, din, gs[i], d, in, ws[i], a.B, false)
		if i > 0 {
			be.GeluBackward(din, din, a.pre[i-1])
			d = din
		}
	}
}
