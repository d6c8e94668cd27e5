package flow

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/philox"
)

// Objective is a probability path with its time distribution.
type Objective struct {
	Path        compute.PathParams
	LogitNormal bool    // draw t = sigmoid(N(LogitMean, LogitStd^2)) instead of U(0,1)
	LogitMean   float32 // logit-normal mean
	LogitStd    float32 // logit-normal standard deviation
}

// NewObjective builds the objective of a [flow] section.
func NewObjective(c config.Flow) (Objective, error) {
	o := Objective{
		Path:      compute.PathParams{SigmaMin: float32(c.SigmaMin), BetaMin: float32(c.BetaMin), BetaMax: float32(c.BetaMax)},
		LogitMean: float32(c.LogitMean), LogitStd: float32(c.LogitStd),
	}
	switch path := c.Path; path {
	case "ot":
		o.Path.Path = compute.PathOT
	case "vp":
		o.Path.Path = compute.PathVP
	default:
		return o, fmt.Errorf("flow.path = %q: want \"ot\" or \"vp\"", path)
	}
	switch timeSampling := c.TimeSampling; timeSampling {
	case "uniform":
	case "logit-normal":
		o.LogitNormal = true
	default:
		return o, fmt.Errorf("flow.time_sampling = %q: want \"uniform\" or \"logit-normal\"", timeSampling)
	}
	return o, nil
}

// Batch holds the device buffers of one CFM batch: data X1 (B, X), noise X0,
// times T (B) and the interpolated points Xt.
type Batch struct {
	X1, X0, T, Xt compute.Buffer
}

// NewBatch allocates a batch of B samples of X floats.
func NewBatch(be compute.Backend, B, X int) *Batch {
	return &Batch{X1: be.Alloc(B * X), X0: be.Alloc(B * X), T: be.Alloc(B), Xt: be.Alloc(B * X)}
}

// Free releases the batch buffers.
func (b *Batch) Free(be compute.Backend) {
	for _, x := range []compute.Buffer{b.X1, b.X0, b.T, b.Xt} {
		be.Free(x)
	}
}

// Prepare draws X0 and T for training step `step` of run `seed` and sets Xt.
func (o Objective) Prepare(be compute.Backend, b *Batch, seed, step uint64) {
	be.FillNormal(b.X0, philox.Key{Seed: seed, Step: step, Stream: philox.StreamNoise})
	tk := philox.Key{Seed: seed, Step: step, Stream: philox.StreamTime}
	if o.LogitNormal {
		be.LogitNormal(b.T, tk, o.LogitMean, o.LogitStd)
	} else {
		be.FillUniform(b.T, tk)
	}
	be.CFMInterp(b.Xt, b.X0, b.X1, b.T, o.Path)
}

// Loss adds the CFM loss of the prediction pred (B, X) to loss[0] and sets its gradient dpred.
func (o Objective) Loss(be compute.Backend, loss, dpred, pred compute.Buffer, b *Batch) {
	be.CFMLoss(loss, dpred, pred, b.X0, b.X1, b.T, o.Path)
}

// PrepareAt is Prepare with the step read from a step block on the device
// (compute.Backend.StepAdvance): the same X0, T and Xt as Prepare(be, b,
// seed, step of block), for a step captured once and replayed.
func (o Objective) PrepareAt(be compute.Backend, b *Batch, seed uint64, block compute.Buffer) {
	be.FillNormalAt(b.X0, block, seed, philox.StreamNoise)
	if o.LogitNormal {
		be.LogitNormalAt(b.T, block, seed, philox.StreamTime, o.LogitMean, o.LogitStd)
	} else {
		be.FillUniformAt(b.T, block, seed, philox.StreamTime)
	}
	be.CFMInterp(b.Xt, b.X0, b.X1, b.T, o.Path)
}
