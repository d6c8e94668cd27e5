package sample

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
)

// Velocity evaluates a DiT velocity field for a fixed batch of B samples,
// optionally with classifier-free guidance:
//
//	v = v(x, t, null) + w (v(x, t, y) - v(x, t, null))
//
// for every latent channel (w = 1 is plain conditional sampling).
type Velocity struct {
	be     compute.Backend
	m      *model.DiT
	params compute.Buffer
	acts   *model.Activations
	t      compute.Buffer // (B) the current time, broadcast
	y      compute.Buffer // (B) labels or nil
	null   compute.Buffer // (B) the null class, for guidance
	cond   compute.Buffer // (B*T*C) conditional prediction scratch
	cfg    float32
	NFE    int // model evaluations so far (a guided evaluation counts once)
}

// NewVelocity prepares the field of model m with parameters params for B samples.
// labels (B, float32 class numbers) may be nil for an unconditional model;
// cfg is the guidance weight (used only with labels; 1 = no guidance).
func NewVelocity(be compute.Backend, m *model.DiT, params compute.Buffer, B int, labels []float32, cfg float32) *Velocity {
	v := &Velocity{be: be, m: m, params: params, acts: m.NewActivations(be, B), t: be.Alloc(B), cfg: cfg}
	if m.Cfg.NumClasses > 0 {
		if labels == nil {
			labels = make([]float32, B)
			for i := range labels {
				labels[i] = float32(m.Cfg.NumClasses) // unconditional = the null class
			}
		}
		if len(labels) != B {
			panic(fmt.Sprintf("sample: %d labels for %d samples", len(labels), B))
		}
		v.y = be.Alloc(B)
		be.Upload(v.y, labels)
		if cfg != 1 {
			null := make([]float32, B)
			for i := range null {
				null[i] = float32(m.Cfg.NumClasses)
			}
			v.null = be.Alloc(B)
			be.Upload(v.null, null)
			v.cond = be.Alloc(B * m.Cfg.T * m.Cfg.C)
		}
	}
	return v
}

// Free releases the workspace.
func (v *Velocity) Free() {
	v.acts.Free()
	for _, b := range []compute.Buffer{v.t, v.y, v.null, v.cond} {
		if b != nil {
			v.be.Free(b)
		}
	}
}

// Field returns the velocity as an ODE right-hand side.
func (v *Velocity) Field() Field {
	return func(t float32, x, out compute.Buffer) {
		v.NFE++
		v.be.Fill(v.t, t)
		v.m.Forward(v.be, v.params, v.acts, x, v.t, v.y)
		if v.null == nil {
			v.be.Copy(out, v.acts.Out)
			return
		}
		v.be.Copy(v.cond, v.acts.Out)
		v.m.Forward(v.be, v.params, v.acts, x, v.t, v.null)
		// out = uncond + w (cond - uncond) = (1-w) uncond + w cond
		v.be.LinComb(out, v.cond, []float32{v.cfg - 1}, []compute.Buffer{v.cond})
		v.be.Axpy(1-v.cfg, v.acts.Out, out)
	}
}

// Generate draws n samples of the model: x(0) ~ N(0, I) from the Philox stream
// (seed, 0, philox.StreamSample), integrated to t = 1 with the solver o. It returns the
// samples in model space (n, T*C) and the solver statistics; Stats.NFE counts
// model evaluations (twice per field evaluation with guidance).
func Generate(be compute.Backend, m *model.DiT, params compute.Buffer, n int, labels []float32, cfg float32,
	seed uint64, o Options) ([]float32, Stats, error) {
	X := m.Cfg.T * m.Cfg.C
	if err := fitsDevice(be, m, n); err != nil {
		return nil, Stats{}, err
	}
	x := be.Alloc(n * X)
	defer be.Free(x)
	be.FillNormal(x, philox.Key{Seed: seed, Step: 0, Stream: philox.StreamSample})
	v := NewVelocity(be, m, params, n, labels, cfg)
	defer v.Free()
	st, err := Solve(be, v.Field(), x, o)
	if err != nil {
		return nil, st, err
	}
	if v.null != nil {
		st.NFE *= 2
	}
	out := make([]float32, n*X)
	be.Download(out, x)
	return out, st, be.Sync()
}

// memInfoer is a backend that reports its device memory (the CUDA backend).
type memInfoer interface {
	MemInfo() (free, total int64, err error)
}

// fitsDevice returns an error when sampling n at once would need more device
// memory than is free: Generate evaluates all n samples in one batch with the
// training activations of the model (model.DiT.ActivationFloats), plus the
// state, the solver's stages and the guidance scratch. Backends without
// MemInfo (the CPU) are not checked.
func fitsDevice(be compute.Backend, m *model.DiT, n int) error {
	mi, ok := be.(memInfoer)
	if !ok {
		return nil
	}
	free, total, err := mi.MemInfo()
	if err != nil {
		return nil // unknown: let the allocation report it
	}
	X := int64(m.Cfg.T) * int64(m.Cfg.C)
	// The state, up to 7 stages (dopri5) and 2 more for the error estimate
	// and the guidance's conditional output.
	need := 4 * (m.ActivationFloats(n) + 10*int64(n)*X)
	if need > free {
		return fmt.Errorf("sample: %d samples at once need %.1f GiB of device memory (the model's activations for a batch of %d), but %.1f GiB of %.1f GiB are free: sample fewer at a time (-n)",
			n, gib(need), n, gib(free), gib(total))
	}
	return nil
}

func gib(b int64) float64 { return float64(b) / (1 << 30) }
