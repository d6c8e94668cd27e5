package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Allowed values of the enumerated keys.
var (
	devices       = []string{"auto", "cpu", "cuda"}
	dataKinds     = []string{"digits", "fashion-mnist", "mnist", "checkerboard", "gaussians8", "moons", "spirals"}
	paths         = []string{"ot", "vp"}
	timeSamplings = []string{"uniform", "logit-normal"}
	couplings     = []string{"independent", "ot"}
	schedules     = []string{"constant", "cosine"}
	solvers       = []string{"euler", "midpoint", "heun", "rk4", "dopri5"}
)

// Sanity bounds of the sizes a configuration (a file, -set, or the config
// embedded in a checkpoint) may ask for. They are far above any run this
// program is made for and low enough that no product of them overflows an
// int64 count of floats; whether a run within them fits the machine is the
// memory estimate's to say (pipeline), before anything is allocated.
const (
	MaxWidth    = 1 << 16 // model.d, model.chans, model.temb_dim, autoencoder.width, classifier.width
	MaxLayers   = 1024    // model.layers
	MaxDepth    = 64      // autoencoder.depth, classifier.depth
	MaxMLPRatio = 64      // model.mlp_ratio
	MaxTokens   = 1 << 16 // model.tokens
	MaxClasses  = 1 << 20 // model.num_classes
	MaxBatch    = 1 << 20 // train.batch, autoencoder.batch, classifier.batch, sample.batch
	// MaxCoupledBatch bounds train.batch with flow.coupling = "ot": the exact
	// assignment keeps a batch x batch float64 cost matrix (128 MiB at 4096)
	// and takes O(batch^3) operations a step (1.6 s at 512 on 2 CPU cores).
	MaxCoupledBatch  = 4096
	MaxSteps         = 1_000_000_000 // optimiser steps, warmups, log and checkpoint intervals
	MaxRows          = 100_000_000   // data.size, data.test_size
	MaxSolverSteps   = 100_000       // sample.steps
	MaxAdaptiveSteps = 10_000_000    // sample.max_steps
	MaxSamples       = 100_000_000   // sample.n (and bin/sample -n)
	MaxGrid          = 10_000        // sample.grid
	MaxCkptMinutes   = 100_000       // train.ckpt_minutes
)

// dataDim is the dimension of one sample of each data kind (what
// model.tokens * model.chans must equal).
var dataDim = map[string]int{
	"checkerboard": 2,
	"gaussians8":   2,
	"moons":        2,
	"spirals":      2,
}

// Validate checks every value of c and returns the first that is out of
// range as an *Error naming the key, the value and what was expected, e.g.
//
//	config: train.batch = -4: must be a positive integer
//
// The File of the error is empty; Resolve fills it with the source of the
// value.
func (c *Config) Validate() error {
	v := validator{}
	v.check(c.Seed <= math.MaxInt64, "seed", c.Seed, "must be at most 2^63-1 (TOML integers are signed 64-bit)")
	v.oneOf("device", c.Device, devices)

	d := &c.Data
	if d.NPY == "" {
		v.oneOf("data.kind", d.Kind, dataKinds)
	}
	v.nonNegative("data.size", d.Size)
	v.atMost("data.size", d.Size, MaxRows)
	v.nonNegative("data.test_size", d.TestSize)
	v.atMost("data.test_size", d.TestSize, MaxRows)
	if d.Kind == "digits" && d.NPY == "" {
		v.check(d.Size > 0, "data.size", d.Size, "must be a positive integer for data.kind \"digits\" (images rendered)")
	}
	if d.Kind == "mnist" && d.NPY == "" {
		v.check(d.Path != "", "data.path", d.Path, "must name the directory of the MNIST IDX files for data.kind \"mnist\"")
	}
	v.check(d.Labels == "" || d.NPY != "", "data.labels", d.Labels, "needs data.npy (labels belong to imported latents)")

	a := &c.Autoencoder
	v.positive("autoencoder.width", a.Width)
	v.atMost("autoencoder.width", a.Width, MaxWidth)
	v.positive("autoencoder.depth", a.Depth)
	v.atMost("autoencoder.depth", a.Depth, MaxDepth)
	v.nonNegativeFloat("autoencoder.kl_weight", a.KLWeight)
	v.positive("autoencoder.steps", a.Steps)
	v.atMost("autoencoder.steps", a.Steps, MaxSteps)
	v.positive("autoencoder.batch", a.Batch)
	v.atMost("autoencoder.batch", a.Batch, MaxBatch)
	v.positiveFloat("autoencoder.lr", a.LR)
	v.nonNegative("autoencoder.warmup", a.Warmup)
	v.atMost("autoencoder.warmup", a.Warmup, MaxSteps)

	m := &c.Model
	v.positive("model.d", m.D)
	v.atMost("model.d", m.D, MaxWidth)
	v.positive("model.layers", m.Layers)
	v.atMost("model.layers", m.Layers, MaxLayers)
	v.positive("model.heads", m.Heads)
	if m.D > 0 && m.Heads > 0 {
		v.check(m.D%m.Heads == 0, "model.heads", m.Heads, fmt.Sprintf("must divide model.d = %d", m.D))
	}
	v.positive("model.mlp_ratio", m.MLPRatio)
	v.atMost("model.mlp_ratio", m.MLPRatio, MaxMLPRatio)
	v.positive("model.tokens", m.Tokens)
	v.atMost("model.tokens", m.Tokens, MaxTokens)
	v.positive("model.chans", m.Chans)
	v.atMost("model.chans", m.Chans, MaxWidth)
	if dim, ok := dataDim[d.Kind]; ok && d.NPY == "" && m.Tokens > 0 && m.Chans > 0 {
		v.check(m.Tokens*m.Chans == dim, "model.tokens", m.Tokens,
			fmt.Sprintf("model.tokens * model.chans = %d * %d must equal %d, the dimension of data.kind %q",
				m.Tokens, m.Chans, dim, d.Kind))
	}
	v.positiveFloat("model.time_scale", m.TimeScale)
	v.positive("model.temb_dim", m.TembDim)
	v.atMost("model.temb_dim", m.TembDim, MaxWidth)
	v.check(m.TembDim%2 == 0, "model.temb_dim", m.TembDim, "must be even (half sines, half cosines)")
	v.nonNegative("model.num_classes", m.NumClasses)
	v.atMost("model.num_classes", m.NumClasses, MaxClasses)
	v.unitOpen("model.class_dropout", m.ClassDropout)

	f := &c.Flow
	v.oneOf("flow.path", f.Path, paths)
	v.unitOpen("flow.sigma_min", f.SigmaMin)
	v.check(isFinite(f.BetaMin) && f.BetaMin >= 0, "flow.beta_min", f.BetaMin, "must be a finite number >= 0")
	v.check(isFinite(f.BetaMax) && f.BetaMax > f.BetaMin, "flow.beta_max", f.BetaMax,
		"must be a finite number > flow.beta_min = "+formatFloat(f.BetaMin))
	v.oneOf("flow.time_sampling", f.TimeSampling, timeSamplings)
	v.oneOf("flow.coupling", f.Coupling, couplings)
	v.check(isFinite(f.LogitMean), "flow.logit_mean", f.LogitMean, "must be a finite number")
	v.positiveFloat("flow.logit_std", f.LogitStd)

	t := &c.Train
	v.positive("train.steps", t.Steps)
	v.atMost("train.steps", t.Steps, MaxSteps)
	v.positive("train.batch", t.Batch)
	v.atMost("train.batch", t.Batch, MaxBatch)
	if c.Flow.Coupling == "ot" {
		v.check(t.Batch <= MaxCoupledBatch, "train.batch", t.Batch,
			fmt.Sprintf("must be at most %d with flow.coupling = \"ot\" (an exact assignment per batch: O(batch^3) a step)", MaxCoupledBatch))
	}
	v.positiveFloat("train.lr", t.LR)
	v.nonNegative("train.warmup", t.Warmup)
	v.atMost("train.warmup", t.Warmup, MaxSteps)
	v.oneOf("train.schedule", t.Schedule, schedules)
	v.check(isFinite(t.MinLRRatio) && t.MinLRRatio >= 0 && t.MinLRRatio <= 1,
		"train.min_lr_ratio", t.MinLRRatio, "must be in [0, 1]")
	v.unitOpen("train.beta1", t.Beta1)
	v.unitOpen("train.beta2", t.Beta2)
	v.positiveFloat("train.eps", t.Eps)
	v.nonNegativeFloat("train.weight_decay", t.WeightDecay)
	v.nonNegativeFloat("train.grad_clip", t.GradClip)
	v.unitOpen("train.ema_decay", t.EMADecay)
	v.positive("train.log_every", t.LogEvery)
	v.atMost("train.log_every", t.LogEvery, MaxSteps)
	v.nonNegative("train.ckpt_every", t.CkptEvery)
	v.atMost("train.ckpt_every", t.CkptEvery, MaxSteps)
	v.check(isFinite(t.CkptMinutes) && t.CkptMinutes >= 0 && t.CkptMinutes <= MaxCkptMinutes, "train.ckpt_minutes", t.CkptMinutes,
		fmt.Sprintf("must be a number of minutes in [0, %d] (0 = no timed checkpoints)", MaxCkptMinutes))
	v.check(!t.Graph || uint64(t.Steps) < 1<<32, "train.steps", t.Steps,
		"must be below 2^32 with train.graph = true (the device's step counter has 32 bits)")

	s := &c.Sample
	v.oneOf("sample.solver", s.Solver, solvers)
	v.positive("sample.steps", s.Steps)
	v.atMost("sample.steps", s.Steps, MaxSolverSteps)
	v.positiveFloat("sample.rtol", s.RTol)
	v.positiveFloat("sample.atol", s.ATol)
	v.positive("sample.max_steps", s.MaxSteps)
	v.atMost("sample.max_steps", s.MaxSteps, MaxAdaptiveSteps)
	v.positive("sample.n", s.N)
	v.atMost("sample.n", s.N, MaxSamples)
	v.positive("sample.batch", s.Batch)
	v.atMost("sample.batch", s.Batch, MaxBatch)
	v.check(isFinite(s.CFG) && s.CFG >= 0, "sample.cfg", s.CFG, "must be a finite number >= 0 (1 = no guidance)")
	v.positive("sample.grid", s.Grid)
	v.atMost("sample.grid", s.Grid, MaxGrid)

	k := &c.Classifier
	v.positive("classifier.width", k.Width)
	v.atMost("classifier.width", k.Width, MaxWidth)
	v.positive("classifier.depth", k.Depth)
	v.atMost("classifier.depth", k.Depth, MaxDepth)
	v.nonNegative("classifier.steps", k.Steps)
	v.atMost("classifier.steps", k.Steps, MaxSteps)
	v.positive("classifier.batch", k.Batch)
	v.atMost("classifier.batch", k.Batch, MaxBatch)
	v.positiveFloat("classifier.lr", k.LR)

	if v.err != nil {
		return v.err
	}
	return nil
}

// validator keeps the first failed check.
type validator struct {
	err *Error
}

func (v *validator) check(ok bool, key string, value any, msg string) {
	if ok || v.err != nil {
		return
	}
	var s string
	switch x := value.(type) {
	case string:
		s = strconv.Quote(x)
	case float64:
		s = formatFloat(x)
	default:
		s = fmt.Sprint(x)
	}
	v.err = &Error{Key: key, Value: s, Msg: msg}
}

func (v *validator) positive(key string, n int) {
	v.check(n > 0, key, n, "must be a positive integer")
}

// atMost checks the sanity bound of a size (see the Max constants).
func (v *validator) atMost(key string, n, bound int) {
	v.check(n <= bound, key, n, fmt.Sprintf("must be at most %d (latentflow's bound for this key)", bound))
}

func (v *validator) nonNegative(key string, n int) {
	v.check(n >= 0, key, n, "must be an integer >= 0")
}

func (v *validator) positiveFloat(key string, x float64) {
	v.check(isFinite(x) && x > 0, key, x, "must be a finite number > 0")
}

func (v *validator) nonNegativeFloat(key string, x float64) {
	v.check(isFinite(x) && x >= 0, key, x, "must be a finite number >= 0")
}

// unitOpen checks a probability or decay rate: x in [0, 1).
func (v *validator) unitOpen(key string, x float64) {
	v.check(x >= 0 && x < 1, key, x, "must be in [0, 1)")
}

func (v *validator) oneOf(key, s string, allowed []string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	q := make([]string, len(allowed))
	for i, a := range allowed {
		q[i] = strconv.Quote(a)
	}
	v.check(false, key, s, "must be one of "+strings.Join(q, ", "))
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
