package config

import _ "embed" // for the embedded default.toml

// Config is the whole run configuration of latentflow. Its TOML form is
// documented key by key in default.toml; the zero value is not useful, start
// from Default.
type Config struct {
	// Seed keys the Philox generator that draws every random number of the
	// run (initial weights, noise, times, batch indices). TOML integers are
	// signed 64-bit, so Validate accepts 0 .. 2^63-1.
	Seed uint64 `toml:"seed"`
	// Device is where the run computes: "cpu", "cuda", or "auto" (cuda when
	// the binary was built with CUDA and a GPU is present, else cpu).
	Device string `toml:"device"`

	Data        Data        `toml:"data"`
	Autoencoder Autoencoder `toml:"autoencoder"`
	Model       Model       `toml:"model"`
	Flow        Flow        `toml:"flow"`
	Train       Train       `toml:"train"`
	Sample      Sample      `toml:"sample"`
	Classifier  Classifier  `toml:"classifier"`
}

// Data selects the training data.
type Data struct {
	// Kind is the data set: the images "digits" (procedural, no download),
	// "fashion-mnist" or "mnist" (IDX files in Path), or the 2-dimensional
	// "checkerboard", "gaussians8", "moons", "spirals". Ignored when NPY is set.
	Kind string `toml:"kind"`
	// Size is the number of training rows: digits rendered; the first Size
	// IDX images (0 = all); a fixed 2D set drawn once from the seed (0 draws
	// fresh 2D samples every step).
	Size int `toml:"size"`
	// TestSize is the number of held-out images for the reconstruction and
	// classifier scores (digits: rendered apart from the training set; IDX:
	// the first TestSize test images, 0 = all).
	TestSize int `toml:"test_size"`
	// Path is the directory holding the IDX files of "fashion-mnist" or
	// "mnist" ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]); "" means
	// Debian's dataset-fashion-mnist location for fashion-mnist.
	Path string `toml:"path"`
	// NPY names a .npy file of latents (n, T*C) or (n, T, C) made elsewhere:
	// stage 2 trains on them directly (no autoencoder) and sampling writes
	// latents. Labels optionally names a .npy of n integer class labels.
	NPY    string `toml:"npy"`
	Labels string `toml:"labels"`
}

// Autoencoder is stage 1 of an image run: a dense autoencoder from images to
// latents of model.tokens x model.chans.
type Autoencoder struct {
	// Checkpoint names a pre-trained autoencoder.safetensors; "" trains one.
	Checkpoint string  `toml:"checkpoint"`
	Width      int     `toml:"width"`     // hidden width of the encoder and the decoder
	Depth      int     `toml:"depth"`     // hidden layers of each
	KLWeight   float64 `toml:"kl_weight"` // weight of the KL term (a VAE); 0 = deterministic autoencoder
	Steps      int     `toml:"steps"`     // AdamW steps
	Batch      int     `toml:"batch"`     // images per step
	LR         float64 `toml:"lr"`        // peak learning rate (warmup then cosine decay to 5%)
	Warmup     int     `toml:"warmup"`    // steps of linear warmup
}

// Classifier is the small MLP trained on the real training images to score
// class-conditional samples (image runs with labels only).
type Classifier struct {
	Width int     `toml:"width"` // hidden width
	Depth int     `toml:"depth"` // hidden layers
	Steps int     `toml:"steps"` // AdamW steps; 0 = no classifier
	Batch int     `toml:"batch"` // images per step
	LR    float64 `toml:"lr"`    // peak learning rate
}

// Model is the shape of the DiT velocity transformer. Dimension letters as
// in package compute: T tokens, C channels, D width, H heads, L layers.
type Model struct {
	D        int `toml:"d"`         // model width D (floats per token inside the transformer)
	Layers   int `toml:"layers"`    // transformer blocks L
	Heads    int `toml:"heads"`     // attention heads H; must divide D (head width Dh = D/H)
	MLPRatio int `toml:"mlp_ratio"` // MLP hidden width = MLPRatio * D
	Tokens   int `toml:"tokens"`    // tokens per sample T; T*C must equal the data's dimension
	Chans    int `toml:"chans"`     // channels per token C (floats per token in data space)

	// TimeScale multiplies t in [0,1] before the sinusoidal embedding (so the
	// sinusoid sees TimeScale*t). DiT and the benchmark anchor use 1000; the
	// default 10 keeps v(x, t) smooth in t, so ODE solvers need far fewer
	// steps at the same sample quality (docs/design-notes.md).
	TimeScale  float64 `toml:"time_scale"`
	TembDim    int     `toml:"temb_dim"`    // width of the sinusoidal timestep embedding (even)
	NumClasses int     `toml:"num_classes"` // class labels; 0 = unconditional, >0 adds a class embedding with one extra null class
	// ClassDropout is the probability, in [0,1), that a training label is
	// replaced by the null class (for classifier-free guidance). Used only
	// when NumClasses > 0.
	ClassDropout float64 `toml:"class_dropout"`
}

// Flow is the probability path and how training times are drawn.
type Flow struct {
	// Path is the probability path: "ot" (optimal transport, with SigmaMin)
	// or "vp" (variance preserving, with BetaMin and BetaMax).
	Path     string  `toml:"path"`
	SigmaMin float64 `toml:"sigma_min"` // OT path: noise level left at t=1, in [0,1)
	BetaMin  float64 `toml:"beta_min"`  // VP path: beta at the data end (t=1), > 0
	BetaMax  float64 `toml:"beta_max"`  // VP path: beta at the noise end (t=0), > BetaMin

	// TimeSampling is the distribution of training times t in (0,1):
	// "uniform", or "logit-normal" (t = sigmoid(n), n ~ N(LogitMean, LogitStd^2)).
	TimeSampling string  `toml:"time_sampling"`
	LogitMean    float64 `toml:"logit_mean"` // logit-normal: mean of the normal, in logit units
	LogitStd     float64 `toml:"logit_std"`  // logit-normal: standard deviation of the normal, > 0

	// Coupling pairs each batch's noise with its data: "independent" (as
	// drawn) or "ot" (an exact optimal assignment of the batch's noise rows
	// to its data rows under squared distance: minibatch OT-CFM, Tong et al.
	// 2023; compute.Backend.OTCoupling).
	Coupling string `toml:"coupling"`
}

// Train is the optimisation: AdamW with warmup and a schedule, gradient
// clipping, EMA, and what is written during the run.
type Train struct {
	Steps  int     `toml:"steps"`  // optimiser steps
	Batch  int     `toml:"batch"`  // samples per step B
	LR     float64 `toml:"lr"`     // peak learning rate (reached at the end of warmup)
	Warmup int     `toml:"warmup"` // steps of linear warmup from 0 to LR; 0 = none

	// Schedule is the learning rate after warmup: "constant", or "cosine"
	// (cosine decay from LR at the end of warmup to MinLRRatio*LR at the
	// last step).
	Schedule    string  `toml:"schedule"`
	MinLRRatio  float64 `toml:"min_lr_ratio"` // cosine: final learning rate as a fraction of LR, in [0,1]
	Beta1       float64 `toml:"beta1"`        // AdamW first-moment decay, in [0,1)
	Beta2       float64 `toml:"beta2"`        // AdamW second-moment decay, in [0,1)
	Eps         float64 `toml:"eps"`          // AdamW denominator epsilon, > 0
	WeightDecay float64 `toml:"weight_decay"` // AdamW decoupled weight decay per unit LR, >= 0
	GradClip    float64 `toml:"grad_clip"`    // max global gradient L2 norm; 0 = no clipping
	EMADecay    float64 `toml:"ema_decay"`    // decay of the exponential moving average of the weights, in [0,1); 0 = no EMA
	LogEvery    int     `toml:"log_every"`    // steps between lines of metrics.jsonl
	CkptEvery   int     `toml:"ckpt_every"`   // steps between checkpoints (one is always written at the end); 0 = only at the end
	// CkptMinutes also checkpoints when this many minutes of wall time have
	// passed since the last checkpoint (every stage); 0 = by steps only.
	CkptMinutes float64 `toml:"ckpt_minutes"`
	Plots       bool    `toml:"plots"` // write PNG figures at the end of training
	// Graph, on a device that can capture (device = "cuda"), captures one
	// training step as a CUDA graph and replays it every step, its per-step
	// values read from a step counter on the device; false queues each step
	// from the host (the same numbers, bit for bit). The CPU always queues
	// directly.
	Graph bool `toml:"graph"`
}

// Sample is the ODE solver that integrates the learned velocity from noise
// (t=0) to data (t=1), and the end-of-training samples.
type Sample struct {
	// Solver is "euler", "midpoint", "heun", "rk4" (fixed steps) or
	// "dopri5" (adaptive, with RTol, ATol and MaxSteps).
	Solver   string  `toml:"solver"`
	Steps    int     `toml:"steps"`     // fixed-step solvers: steps over [0,1]
	RTol     float64 `toml:"rtol"`      // dopri5: relative error tolerance per step, > 0
	ATol     float64 `toml:"atol"`      // dopri5: absolute error tolerance per step, > 0
	MaxSteps int     `toml:"max_steps"` // dopri5: accepted plus rejected steps before giving up
	N        int     `toml:"n"`         // samples drawn for the end-of-training figures and scores
	Batch    int     `toml:"batch"`     // samples solved at once (a chunk): bounds the memory of sampling whatever n
	EMA      bool    `toml:"ema"`       // sample with the EMA weights (the raw weights when train.ema_decay = 0)
	CFG      float64 `toml:"cfg"`       // classifier-free guidance weight of class-conditional samples (1 = none)
	Grid     int     `toml:"grid"`      // class-conditional figures: samples per class (columns of the grid)
}

//go:embed default.toml
var defaultTOML []byte

// DefaultTOML returns the embedded default.toml: every key with its default
// value, meaning and unit. Decoding it gives exactly Default(). The slice is
// a fresh copy.
func DefaultTOML() []byte {
	return append([]byte(nil), defaultTOML...)
}

// Default returns the default configuration: the latent pipeline on the
// procedural digits (stage 1 a dense autoencoder to 7 x 14 latents, stage 2 a
// class-conditional DiT with D=96, L=4, H=4, the OT path, RK4 sampling with
// guidance 2), sized to finish in under 10 minutes on 2 CPU cores.
func Default() Config {
	return Config{
		Seed:   0,
		Device: "cpu",
		Data: Data{
			Kind:     "digits",
			Size:     20000,
			TestSize: 2000,
		},
		Autoencoder: Autoencoder{
			Width:    512,
			Depth:    2,
			KLWeight: 0,
			Steps:    1500,
			Batch:    128,
			LR:       1e-3,
			Warmup:   100,
		},
		Model: Model{
			D:            96,
			Layers:       4,
			Heads:        4,
			MLPRatio:     4,
			Tokens:       7,
			Chans:        14,
			TimeScale:    10,
			TembDim:      256,
			NumClasses:   10,
			ClassDropout: 0.1,
		},
		Flow: Flow{
			Path:         "ot",
			SigmaMin:     1e-4,
			BetaMin:      0.1,
			BetaMax:      20,
			TimeSampling: "uniform",
			LogitMean:    0,
			LogitStd:     1,
			Coupling:     "independent",
		},
		Train: Train{
			Steps:       2000,
			Batch:       256,
			LR:          1e-3,
			Warmup:      200,
			Schedule:    "cosine",
			MinLRRatio:  0.05,
			Beta1:       0.9,
			Beta2:       0.999,
			Eps:         1e-8,
			WeightDecay: 0,
			GradClip:    1,
			EMADecay:    0.999,
			LogEvery:    100,
			CkptEvery:   250,
			CkptMinutes: 10,
			Plots:       true,
			Graph:       true,
		},
		Sample: Sample{
			Solver:   "rk4",
			Steps:    10,
			RTol:     1e-5,
			ATol:     1e-5,
			MaxSteps: 10000,
			Batch:    1024,
			N:        500,
			EMA:      true,
			CFG:      2,
			Grid:     10,
		},
		Classifier: Classifier{
			Width: 256,
			Depth: 1,
			Steps: 1000,
			Batch: 128,
			LR:    1e-3,
		},
	}
}

// Images reports whether the run is the latent pipeline on images (stage 1
// autoencoder, stage 2 flow on its latents).
func (d Data) Images() bool {
	return d.NPY == "" && (d.Kind == "digits" || d.Kind == "fashion-mnist" || d.Kind == "mnist")
}

// Latents reports whether the flow trains on imported latents (data.npy).
func (d Data) Latents() bool { return d.NPY != "" }
