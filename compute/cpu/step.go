package cpu

import (
	"fmt"
	"math"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/philox"
)

// The per-step ops (compute.Backend.StepAdvance and the *At ops): each is
// its host twin with the key's Step, or the hyper-parameters, read from a
// step block. They are the spec of kernels/step.cu.

// blockKey is the Philox key (seed, step of block, stream).
func blockKey(block compute.Buffer, seed uint64, stream uint32) philox.Key {
	b := Data(block)
	need(len(b) == compute.StepBlockLen, "step block of %d values, want %d", len(b), compute.StepBlockLen)
	return philox.Key{Seed: seed, Step: compute.BlockStep(b[0]), Stream: stream}
}

// StepAdvance copies the table row of the counter's step into block and
// advances the counter (see compute.Backend).
func (be *Backend) StepAdvance(block, table, counter compute.Buffer) {
	b, tab, c := Data(block), Data(table), Data(counter)
	need(len(b) == compute.StepBlockLen, "StepAdvance: block of %d values, want %d", len(b), compute.StepBlockLen)
	need(len(c) >= 1 && len(tab)%4 == 0, "StepAdvance: counter of %d, table of %d values", len(c), len(tab))
	s := compute.BlockStep(c[0])
	b[0] = c[0]
	if s >= 1 && s <= uint64(len(tab)/4) {
		copy(b[1:], tab[4*(s-1):4*s])
	} else {
		for i := 1; i < len(b); i++ {
			b[i] = float32(math.NaN())
		}
	}
	c[0] = math.Float32frombits(uint32(s + 1))
}

// FillUniformAt is FillUniform at the block's step.
func (be *Backend) FillUniformAt(x, block compute.Buffer, seed uint64, stream uint32) {
	be.FillUniform(x, blockKey(block, seed, stream))
}

// FillNormalAt is FillNormal at the block's step.
func (be *Backend) FillNormalAt(x, block compute.Buffer, seed uint64, stream uint32) {
	be.FillNormal(x, blockKey(block, seed, stream))
}

// UniformIndexAt is UniformIndex at the block's step.
func (be *Backend) UniformIndexAt(idx compute.Buffer, n int, block compute.Buffer, seed uint64, stream uint32) {
	be.UniformIndex(idx, n, blockKey(block, seed, stream))
}

// LogitNormalAt is LogitNormal at the block's step.
func (be *Backend) LogitNormalAt(t, block compute.Buffer, seed uint64, stream uint32, mean, std float32) {
	be.LogitNormal(t, blockKey(block, seed, stream), mean, std)
}

// DropLabelsAt is DropLabels at the block's step.
func (be *Backend) DropLabelsAt(y, block compute.Buffer, seed uint64, stream uint32, p, null float32) {
	be.DropLabels(y, blockKey(block, seed, stream), p, null)
}

// AdamWStepAt is AdamWStepDev with LR and the bias corrections of the block.
func (be *Backend) AdamWStepAt(params, grad, m, v, scale, block compute.Buffer, o compute.AdamW) {
	ps, gs, ms, vs, sc, b := Data(params), Data(grad), Data(m), Data(v), Data(scale), Data(block)
	need(len(gs) == len(ps) && len(ms) == len(ps) && len(vs) == len(ps), "AdamWStepAt lengths")
	need(len(sc) >= 1, "AdamWStepAt: empty scale")
	need(len(b) == compute.StepBlockLen, "AdamWStepAt: block of %d values", len(b))
	o.GradScale *= sc[0]
	o.LR = b[1]
	be.adamW(ps, gs, ms, vs, o, b[2], b[3])
}

// EMAAt is EMA with the block's decay.
func (be *Backend) EMAAt(ema, params, block compute.Buffer) {
	b := Data(block)
	need(len(b) == compute.StepBlockLen, "EMAAt: block of %d values", len(b))
	be.EMA(ema, params, b[4])
}

// ToyBatchAt draws the 2D batch of the block's step with data.Toy and
// normalises it with data.Normalise.
func (be *Backend) ToyBatchAt(x, block compute.Buffer, kind compute.Toy, seed uint64, stream uint32, mean, std [2]float32) {
	xs := Data(x)
	need(len(xs)%2 == 0, "ToyBatchAt: %d values, not (x, y) pairs", len(xs))
	v, err := data.Toy(kind.String(), len(xs)/2, blockKey(block, seed, stream))
	if err != nil {
		panic(fmt.Sprintf("cpu: ToyBatchAt: %v", err))
	}
	data.Normalise(v, mean[:], std[:])
	copy(xs, v)
}
