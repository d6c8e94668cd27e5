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
// for every latent channel (w = 1 is plain conditional sampling). It uses
// the model's forward-only activations (model.DiT.NewInference).
type Velocity struct {
	be     compute.Backend
	m      *model.DiT
	params compute.Buffer
	acts   *model.Activations
	B      int            // samples per evaluation
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
	v := &Velocity{be: be, m: m, params: params, acts: m.NewInference(be, B), B: B, t: be.Alloc(B), cfg: cfg}
	if m.Cfg.NumClasses > 0 {
		v.y = be.Alloc(B)
		v.SetLabels(labels)
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

// SetLabels uploads the class labels of the B samples (nil: the null class
// for all, unconditional). It does nothing for an unconditional model and
// panics when len(labels) is not B.
func (v *Velocity) SetLabels(labels []float32) {
	if v.y == nil {
		return
	}
	if labels == nil {
		labels = make([]float32, v.B)
		for i := range labels {
			labels[i] = float32(v.m.Cfg.NumClasses) // unconditional = the null class
		}
	}
	if len(labels) != v.B {
		panic(fmt.Sprintf("sample: %d labels for %d samples", len(labels), v.B))
	}
	v.be.Upload(v.y, labels)
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
		v.be.Fill(v.t, t)
		v.eval(v.t, x, out)
	}
}

// eval is one (guided) evaluation at the times tb (B), into out.
func (v *Velocity) eval(tb, x, out compute.Buffer) {
	v.NFE++
	v.m.Forward(v.be, v.params, v.acts, x, tb, v.y)
	if v.null == nil {
		v.be.Copy(out, v.acts.Out)
		return
	}
	v.be.Copy(v.cond, v.acts.Out)
	v.m.Forward(v.be, v.params, v.acts, x, tb, v.null)
	// out = uncond + w (cond - uncond) = (1-w) uncond + w cond
	v.be.LinComb(out, v.cond, []float32{v.cfg - 1}, []compute.Buffer{v.cond})
	v.be.Axpy(1-v.cfg, v.acts.Out, out)
}

// Guided reports whether an evaluation runs the model twice (guidance).
func (v *Velocity) Guided() bool { return v.null != nil }

// DefaultBatch is the chunk size of Generate when Options.Batch is 0: 1024
// samples at once (at gpu-m, T 256 D 768, the forward-only activations of
// 1024 samples are 11.3 GiB; a 2D toy model needs 14 MB).
const DefaultBatch = 1024

// Generate draws n samples of the model: x(0) ~ N(0, I) from the Philox stream
// (seed, 0, philox.StreamSample), integrated to t = 1 with the solver o. It returns the
// samples in model space (n, T*C) and the solver statistics; Stats.NFE counts
// model evaluations (twice per field evaluation with guidance).
//
// The samples are solved in chunks of o.Batch (DefaultBatch when 0) with
// the forward-only activations of one chunk, so device memory is bounded
// whatever n. Sample i starts from elements i*T*C ... of the noise stream
// whatever the chunking, and a fixed-step solver treats every sample
// alone, so its samples do not depend on the chunk size (bit for bit with
// the portable CPU GEMM and the emulated device; the CPU's SIMD GEMM rounds
// rows of a partial 12-row tile differently, a few ulp). Dopri5 controls
// the step size per chunk: one error norm over the chunk's samples, so
// its samples (and steps) depend on o.Batch, within the tolerance; for
// given n, o.Batch and seed they are deterministic. The Stats are those of
// one trajectory: for each count the largest over the chunks (every chunk
// has the same for a fixed-step solver).
//
// A fixed-step solver runs on the device without host reads (deviceFixed:
// one captured graph per step where the backend captures), unless Observe
// is set, which needs the host between steps: it then runs Work.Solve (the
// same samples, bit for bit) and Observe sees each chunk's trajectory in
// turn. Dopri5 runs on the device too: its controller state stays there and
// the host looks at it every dopri5Poll attempts (Work.dopri5).
func Generate(be compute.Backend, m *model.DiT, params compute.Buffer, n int, labels []float32, cfg float32,
	seed uint64, o Options) ([]float32, Stats, error) {
	if err := o.Validate(); err != nil {
		return nil, Stats{}, err
	}
	if labels != nil && len(labels) != n {
		panic(fmt.Sprintf("sample: Generate: %d labels for %d samples", len(labels), n))
	}
	X := m.Cfg.T * m.Cfg.C
	B := min(o.batch(), n)
	if err := fitsDevice(be, m, B); err != nil {
		return nil, Stats{}, err
	}
	key := philox.Key{Seed: seed, Step: 0, Stream: philox.StreamSample}
	out := make([]float32, n*X)
	var (
		v    *Velocity
		w    *Work
		x    compute.Buffer
		tot  Stats
		free = func() {
			if v != nil {
				v.Free()
				w.Free()
				be.Free(x)
			}
		}
	)
	defer func() { free() }()
	for s := 0; s < n; s += B {
		b := min(B, n-s)
		if v == nil || v.B != b { // the first chunk, and a shorter last one
			free()
			v = NewVelocity(be, m, params, b, nil, cfg)
			w = NewWork(be, b*X)
			x = be.Alloc(b * X)
		}
		if labels != nil {
			v.SetLabels(labels[s : s+b])
		}
		chunk := out[s*X : (s+b)*X]
		key.FillNormal(chunk, s*X) // = be.FillNormal of the whole n*X, from element s*X
		be.Upload(x, chunk)
		var st Stats
		var err error
		tb := tableaus[o.Method]
		switch {
		case tb != nil && o.Observe == nil:
			st, err = w.deviceFixed(tb, v, x, o) // counts both model calls of a guided evaluation
		case o.Method == Dopri5 && o.Observe == nil:
			nfe := float32(1)
			if v.Guided() {
				nfe = 2
			}
			st, err = w.dopri5(v.eval, v.t, x, o, nfe, true)
		default:
			st, err = w.Solve(v.Field(), x, o)
			if v.Guided() {
				st.NFE *= 2
			}
		}
		tot = Stats{NFE: max(tot.NFE, st.NFE), Accepted: max(tot.Accepted, st.Accepted), Rejected: max(tot.Rejected, st.Rejected)}
		if err != nil {
			return nil, tot, err
		}
		be.Download(chunk, x)
	}
	return out, tot, be.Sync()
}

// memInfoer is a backend that reports its device memory (the CUDA backend).
type memInfoer interface {
	MemInfo() (free, total int64, err error)
}

// SampleFloats returns the float32s of device memory that Generate holds to
// sample B at once (a chunk of Options.Batch): the forward-only activations
// of the model (model.DiT.InferenceFloats), the time and label buffers, the
// state, up to 7 stages and 2 more (Dopri5: the stage input and the error
// estimate), and the guidance's conditional output.
func SampleFloats(m *model.DiT, B int) int64 {
	X := int64(m.Cfg.T) * int64(m.Cfg.C)
	return m.InferenceFloats(B) + 3*int64(B) + 11*int64(B)*X
}

// fitsDevice returns an error when sampling n at once would need more device
// memory than is free (SampleFloats). Backends without MemInfo (the CPU)
// are not checked.
func fitsDevice(be compute.Backend, m *model.DiT, n int) error {
	mi, ok := be.(memInfoer)
	if !ok {
		return nil
	}
	free, total, err := mi.MemInfo()
	if err != nil {
		return nil // unknown: let the allocation report it
	}
	need := 4 * SampleFloats(m, n)
	if need > free {
		return fmt.Errorf("sample: %d samples at once need %.1f GiB of device memory (the model's forward pass for a batch of %d), but %.1f GiB of %.1f GiB are free: sample fewer at a time (sample.batch, -batch)",
			n, gib(need), n, gib(free), gib(total))
	}
	return nil
}

func gib(b int64) float64 { return float64(b) / (1 << 30) }
