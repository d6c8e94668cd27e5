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
	v.nonNegative("data.test_size", d.TestSize)
	if d.Kind == "digits" && d.NPY == "" {
		v.check(d.Size > 0, "data.size", d.Size, "must be a positive integer for data.kind \"digits\" (images rendered)")
	}
	if d.Kind == "mnist" && d.NPY == "" {
		v.check(d.Path != "", "data.path", d.Path, "must name the directory of the MNIST IDX files for data.kind \"mnist\"")
	}
	v.check(d.Labels == "" || d.NPY != "", "data.labels", d.Labels, "needs data.npy (labels belong to imported latents)")

	a := &c.Autoencoder
	v.positive("autoencoder.width", a.Width)
	v.positive("autoencoder.depth", a.Depth)
	v.nonNegativeFloat("autoencoder.kl_weight", a.KLWeight)
	v.positive("autoencoder.steps", a.Steps)
	v.positive("autoencoder.batch", a.Batch)
	v.positiveFloat("autoencoder.lr", a.LR)
	v.nonNegative("autoencoder.warmup", a.Warmup)

	m := &c.Model
	v.positive("model.d", m.D)
	v.positive("model.layers", m.Layers)
	v.positive("model.heads", m.Heads)
	if m.D > 0 && m.Heads > 0 {
		v.check(m.D%m.Heads == 0, "model.heads", m.Heads, fmt.Sprintf("must divide model.d = %d", m.D))
	}
	v.positive("model.mlp_ratio", m.MLPRatio)
	v.positive("model.tokens", m.Tokens)
	v.positive("model.chans", m.Chans)
	if dim, ok := dataDim[d.Kind]; ok && d.NPY == "" && m.Tokens > 0 && m.Chans > 0 {
		v.check(m.Tokens*m.Chans == dim, "model.tokens", m.Tokens,
			fmt.Sprintf("model.tokens * model.chans = %d * %d must equal %d, the dimension of data.kind %q",
				m.Tokens, m.Chans, dim, d.Kind))
	}
	v.positiveFloat("model.time_scale", m.TimeScale)
	v.positive("model.temb_dim", m.TembDim)
	v.check(m.TembDim%2 == 0, "model.temb_dim", m.TembDim, "must be even (half sines, half cosines)")
	v.nonNegative("model.num_classes", m.NumClasses)
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
	v.positive("train.batch", t.Batch)
	v.positiveFloat("train.lr", t.LR)
	v.nonNegative("train.warmup", t.Warmup)
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
	v.nonNegative("train.ckpt_every", t.CkptEvery)
	v.check(!t.Graph || uint64(t.Steps) < 1<<32, "train.steps", t.Steps,
		"must be below 2^32 with train.graph = true (the device's step counter has 32 bits)")

	s := &c.Sample
	v.oneOf("sample.solver", s.Solver, solvers)
	v.positive("sample.steps", s.Steps)
	v.positiveFloat("sample.rtol", s.RTol)
	v.positiveFloat("sample.atol", s.ATol)
	v.positive("sample.max_steps", s.MaxSteps)
	v.positive("sample.n", s.N)
	v.positive("sample.batch", s.Batch)
	v.check(isFinite(s.CFG) && s.CFG >= 0, "sample.cfg", s.CFG, "must be a finite number >= 0 (1 = no guidance)")
	v.positive("sample.grid", s.Grid)

	k := &c.Classifier
	v.positive("classifier.width", k.Width)
	v.positive("classifier.depth", k.Depth)
	v.nonNegative("classifier.steps", k.Steps)
	v.positive("classifier.batch", k.Batch)
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
