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
	// OTCoupling pairs the batch's noise with its data by an exact optimal
	// assignment before the loss (flow.coupling = "ot"): minibatch OT-CFM.
	OTCoupling bool
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
	switch coupling := c.Coupling; coupling {
	case "independent":
	case "ot":
		o.OTCoupling = true
	default:
		return o, fmt.Errorf("flow.coupling = %q: want \"independent\" or \"ot\"", coupling)
	}
	return o, nil
}

// Batch holds the device buffers of one CFM batch: data X1 (B, X), noise X0,
// times T (B) and the interpolated points Xt; Perm (B) holds the OT
// coupling's assignment (allocated by the first Prepare that couples).
type Batch struct {
	X1, X0, T, Xt compute.Buffer
	Perm          compute.Buffer
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
	if b.Perm != nil {
		be.Free(b.Perm)
	}
}

// Prepare draws X0 and T for training step `step` of run `seed` and sets Xt.
func (o Objective) Prepare(be compute.Backend, b *Batch, seed, step uint64) {
	be.FillNormal(b.X0, philox.Key{Seed: seed, Step: step, Stream: philox.StreamNoise})
	o.couple(be, b)
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
	o.couple(be, b)
	if o.LogitNormal {
		be.LogitNormalAt(b.T, block, seed, philox.StreamTime, o.LogitMean, o.LogitStd)
	} else {
		be.FillUniformAt(b.T, block, seed, philox.StreamTime)
	}
	be.CFMInterp(b.Xt, b.X0, b.X1, b.T, o.Path)
}

// couple reorders the rows of X0 by the optimal assignment to X1 when the
// objective couples (Xt, overwritten by CFMInterp next, is the scratch). On
// the device throughout: nothing is read back, so the step can be captured.
func (o Objective) couple(be compute.Backend, b *Batch) {
	if !o.OTCoupling {
		return
	}
	B := b.T.Len()
	w := b.X0.Len() / B
	if b.Perm == nil {
		b.Perm = be.Alloc(B)
	}
	be.OTCoupling(b.Perm, b.X0, b.X1, w)
	be.GatherRows(b.Xt, b.X0, b.Perm, w)
	be.Copy(b.X0, b.Xt)
}
