package model

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
)

// Config is the shape of a DiT velocity field.
type Config struct {
	T          int     // tokens per sample
	C          int     // channels per token
	D          int     // width
	L          int     // blocks
	H          int     // attention heads (divides D)
	MLPRatio   int     // MLP hidden width = MLPRatio * D
	TembDim    int     // width of the sinusoidal timestep embedding (even)
	TimeScale  float32 // the sinusoid sees TimeScale * t
	NumClasses int     // 0: unconditional; otherwise class labels 0..NumClasses-1 plus the null class NumClasses
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.T <= 0 || c.C <= 0:
		return fmt.Errorf("model: tokens = %d, chans = %d: both must be positive", c.T, c.C)
	case c.D <= 0 || c.L <= 0 || c.H <= 0:
		return fmt.Errorf("model: d = %d, layers = %d, heads = %d: all must be positive", c.D, c.L, c.H)
	case c.D%c.H != 0:
		return fmt.Errorf("model: heads = %d does not divide d = %d", c.H, c.D)
	case c.MLPRatio <= 0:
		return fmt.Errorf("model: mlp_ratio = %d: must be positive", c.MLPRatio)
	case c.TembDim <= 0 || c.TembDim%2 != 0:
		return fmt.Errorf("model: temb_dim = %d: must be a positive even number", c.TembDim)
	case c.NumClasses < 0:
		return fmt.Errorf("model: num_classes = %d: must be >= 0", c.NumClasses)
	}
	return nil
}

type linearW struct {
	W, B    compute.Buffer // (Out, In), (Out)
	In, Out int
}

type blockW struct {
	Ada, QKV, Proj, FC1, FC2 linearW
}

// weights are views into a flat buffer with the DiT layout.
type weights struct {
	Inp, T1, T2, AdaF, Out linearW
	Pos                    compute.Buffer // (T, D)
	YEmb                   compute.Buffer // (NumClasses+1, D) or nil
	Blocks                 []blockW
	// Stack holds each of the blocks' linear layers for all blocks at once:
	// W and B are views from block 0's weight and bias to the end of block
	// L-1's, BlockStride floats from one block's to the next (nil when L = 0).
	// The strided batched GEMMs and AddBiases/BiasGrads of adaForward and
	// Backward use them.
	Stack       blockW
	BlockStride int
}

// DiT is the velocity transformer: its configuration and parameter layout.
// It holds no buffers; parameters, gradients and activations are passed in.
type DiT struct {
	Cfg Config
	Layout
}

// NewDiT returns the model for a valid configuration (it panics otherwise).
func NewDiT(cfg Config) *DiT {
	if err := cfg.Validate(); err != nil {
		panic(err.Error())
	}
	m := &DiT{Cfg: cfg}
	D, C, T := cfg.D, cfg.C, cfg.T
	lin := func(name string, out, in int, w initKind) {
		m.add(name+".weight", w, out, in)
		m.add(name+".bias", initZero, out)
	}
	lin("inp", D, C, initXavier)
	m.add("pos", initNormal02, 1, T, D)
	lin("t1", D, cfg.TembDim, initNormal02)
	lin("t2", D, D, initNormal02)
	if cfg.NumClasses > 0 {
		m.add("y_emb", initNormal02, cfg.NumClasses+1, D)
	}
	for l := 0; l < cfg.L; l++ {
		p := fmt.Sprintf("blocks.%d.", l)
		lin(p+"qkv", 3*D, D, initXavier)
		lin(p+"proj", D, D, initXavier)
		lin(p+"fc1", cfg.MLPRatio*D, D, initXavier)
		lin(p+"fc2", D, cfg.MLPRatio*D, initXavier)
		lin(p+"ada", 6*D, D, initZero)
	}
	lin("adaf", 2*D, D, initZero)
	lin("out", C, D, initZero)
	return m
}

// views slices a flat buffer (parameters or gradients) into the model's tensors.
func (m *DiT) views(be compute.Backend, flat compute.Buffer) weights {
	if flat.Len() != m.NParams {
		panic(fmt.Sprintf("model: flat buffer has %d elements, want %d", flat.Len(), m.NParams))
	}
	get := func(name string) compute.Buffer {
		t, ok := m.Find(name)
		if !ok {
			return nil
		}
		return be.Slice(flat, t.Off, t.N)
	}
	lin := func(name string, out, in int) linearW {
		return linearW{W: get(name + ".weight"), B: get(name + ".bias"), In: in, Out: out}
	}
	c := m.Cfg
	D := c.D
	w := weights{
		Inp:  lin("inp", D, c.C),
		T1:   lin("t1", D, c.TembDim),
		T2:   lin("t2", D, D),
		AdaF: lin("adaf", 2*D, D),
		Out:  lin("out", c.C, D),
		Pos:  get("pos"),
		YEmb: get("y_emb"),
	}
	for l := 0; l < c.L; l++ {
		p := fmt.Sprintf("blocks.%d.", l)
		w.Blocks = append(w.Blocks, blockW{
			Ada:  lin(p+"ada", 6*D, D),
			QKV:  lin(p+"qkv", 3*D, D),
			Proj: lin(p+"proj", D, D),
			FC1:  lin(p+"fc1", c.MLPRatio*D, D),
			FC2:  lin(p+"fc2", D, c.MLPRatio*D),
		})
	}
	if c.L > 0 {
		// Every block has the same tensors in the same order, so block l's
		// tensors sit l block sizes after block 0's.
		first, _ := m.Find("blocks.0.qkv.weight")
		last, _ := m.Find("blocks.0.ada.bias")
		w.BlockStride = last.Off + last.N - first.Off
		span := (c.L - 1) * w.BlockStride
		stack := func(name string, out, in int) linearW {
			tw, _ := m.Find("blocks.0." + name + ".weight")
			tb, _ := m.Find("blocks.0." + name + ".bias")
			if tl, _ := m.Find(fmt.Sprintf("blocks.%d.%s.weight", c.L-1, name)); tl.Off != tw.Off+span {
				panic("model: the blocks' tensors are not evenly spaced")
			}
			return linearW{W: be.Slice(flat, tw.Off, span+tw.N), B: be.Slice(flat, tb.Off, span+tb.N), In: in, Out: out}
		}
		w.Stack = blockW{Ada: stack("ada", 6*D, D), QKV: stack("qkv", 3*D, D), Proj: stack("proj", D, D),
			FC1: stack("fc1", c.MLPRatio*D, D), FC2: stack("fc2", D, c.MLPRatio*D)}
	}
	return w
}

// FLOPs returns the multiply-add FLOPs (2 per MAC) of one forward pass for B samples,
// counting GEMMs and attention (the standard MFU convention); a training step is
// about 3x this.
func (m *DiT) FLOPs(B int) float64 {
	c := m.Cfg
	N := float64(B * c.T)
	D, T := float64(c.D), float64(c.T)
	perBlock := N*(3*D*D+D*D+2*float64(c.MLPRatio)*D*D)*2 + float64(B)*6*D*D*2 + // linears
		float64(B)*T*T*D*2*2 // QK^T and PV
	return float64(c.L)*perBlock + N*(float64(c.C)*D*2+D*float64(c.C)*2) +
		float64(B)*(float64(c.TembDim)*D+D*D+2*D*D)*2
}
