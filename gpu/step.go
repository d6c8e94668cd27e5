//go:build cuda || cudaemu

package gpu

import (
	"github.com/latentflow/latentflow/compute"
)

// Launch wrappers of kernels/step.cu: the per-step ops of a captured
// training loop. Each reads the step (or the step's hyper-parameters) from a
// step block in device memory and matches the compute/cpu method of the same
// name (compute/cpu/step.go) bit for bit.

// stepBlock checks a step block's length and returns it.
func (be *Backend) stepBlock(op string, block compute.Buffer) *Buf {
	b := be.buf(block)
	need(b.n == compute.StepBlockLen, "%s: step block of %d values, want %d", op, b.n, compute.StepBlockLen)
	return b
}

// StepAdvance copies the table row of the counter's step into block and
// advances the counter (kernel step_advance, one thread). Matches cpu
// Backend.StepAdvance.
func (be *Backend) StepAdvance(block, table, counter compute.Buffer) {
	b, tab, c := be.stepBlock("StepAdvance", block), be.buf(table), be.buf(counter)
	need(c.n >= 1 && tab.n%4 == 0, "StepAdvance: counter of %d, table of %d values", c.n, tab.n)
	be.enter()
	defer be.leave()
	be.launch("step_advance", d1(1), d1(1), 0, b.p, tab.p, c.p, tab.n/4)
}

// philoxAt launches a Philox kernel of step.cu: (x, n, extra..., block, seed, stream, tail...).
func (be *Backend) philoxAt(name string, x *Buf, block compute.Buffer, seed uint64, stream uint32, extra, tail []any) {
	need(x.n <= 1<<31-4, "%s: %d elements exceed the Philox counter range of the kernels", name, x.n)
	b := be.stepBlock(name, block)
	be.enter()
	defer be.leave()
	args := append([]any{x.p, x.n}, extra...)
	args = append(args, b.p, seed, stream)
	args = append(args, tail...)
	be.launch(name, d1(((x.n+3)/4+255)/256), d1(256), 0, args...)
}

// FillUniformAt is FillUniform at the block's step (kernel fill_uniform_at).
// Matches cpu Backend.FillUniformAt.
func (be *Backend) FillUniformAt(x, block compute.Buffer, seed uint64, stream uint32) {
	be.philoxAt("fill_uniform_at", be.buf(x), block, seed, stream, nil, nil)
}

// FillNormalAt is FillNormal at the block's step (kernel fill_normal_at).
// Matches cpu Backend.FillNormalAt.
func (be *Backend) FillNormalAt(x, block compute.Buffer, seed uint64, stream uint32) {
	be.philoxAt("fill_normal_at", be.buf(x), block, seed, stream, nil, nil)
}

// UniformIndexAt is UniformIndex at the block's step (kernel
// uniform_index_at). Matches cpu Backend.UniformIndexAt.
func (be *Backend) UniformIndexAt(idx compute.Buffer, n int, block compute.Buffer, seed uint64, stream uint32) {
	need(n > 0 && n <= 1<<24, "UniformIndexAt: n = %d out of (0, 2^24]", n)
	be.philoxAt("uniform_index_at", be.buf(idx), block, seed, stream, []any{n}, nil)
}

// LogitNormalAt is LogitNormal at the block's step (kernel logit_normal_at).
// Matches cpu Backend.LogitNormalAt.
func (be *Backend) LogitNormalAt(t, block compute.Buffer, seed uint64, stream uint32, mean, std float32) {
	be.philoxAt("logit_normal_at", be.buf(t), block, seed, stream, nil, []any{mean, std})
}

// DropLabelsAt is DropLabels at the block's step (kernel drop_labels_at).
// Matches cpu Backend.DropLabelsAt.
func (be *Backend) DropLabelsAt(y, block compute.Buffer, seed uint64, stream uint32, p, null float32) {
	be.philoxAt("drop_labels_at", be.buf(y), block, seed, stream, []any{p, null}, nil)
}

// AdamWStepAt is AdamWStepDev with the learning rate and the bias
// corrections read from the block (kernel adamw_at). Matches cpu
// Backend.AdamWStepAt.
func (be *Backend) AdamWStepAt(params, grad, m, v, scale, block compute.Buffer, o compute.AdamW) {
	p, g, mb, vb, sc := be.buf(params), be.buf(grad), be.buf(m), be.buf(v), be.buf(scale)
	bl := be.stepBlock("AdamWStepAt", block)
	need(g.n == p.n && mb.n == p.n && vb.n == p.n, "AdamWStepAt lengths")
	need(sc.n >= 1, "AdamWStepAt: empty scale")
	be.enter()
	defer be.leave()
	gr, t := elem(p.n)
	be.launch("adamw_at", gr, t, 0, p.p, g.p, mb.p, vb.p, sc.p, bl.p, p.n, o.Beta1, o.Beta2, o.WeightDecay, o.Eps,
		o.GradScale)
}

// EMAAt is EMA with the block's decay (kernel ema_at). Matches cpu Backend.EMAAt.
func (be *Backend) EMAAt(ema, params, block compute.Buffer) {
	e, p := be.buf(ema), be.buf(params)
	bl := be.stepBlock("EMAAt", block)
	need(e.n == p.n, "EMAAt lengths")
	be.enter()
	defer be.leave()
	g, t := elem(e.n)
	be.launch("ema_at", g, t, 0, e.p, p.p, e.n, bl.p)
}

// ToyBatchAt draws a normalised 2D batch at the block's step (kernel
// toy_batch_at, one thread per point). Matches cpu Backend.ToyBatchAt
// (data.Toy, then data.Normalise) bit for bit.
func (be *Backend) ToyBatchAt(x, block compute.Buffer, kind compute.Toy, seed uint64, stream uint32, mean, std [2]float32) {
	xb := be.buf(x)
	bl := be.stepBlock("ToyBatchAt", block)
	need(xb.n%2 == 0, "ToyBatchAt: %d values, not (x, y) pairs", xb.n)
	need(kind >= compute.ToyCheckerboard && kind <= compute.ToySpirals, "ToyBatchAt: unknown distribution %v", kind)
	n := xb.n / 2
	need(n <= 1<<28, "ToyBatchAt: %d points exceed the Philox stream", n)
	be.enter()
	defer be.leave()
	be.launch("toy_batch_at", d1((n+255)/256), d1(256), 0, xb.p, n, int(kind), bl.p, seed, stream,
		mean[0], mean[1], std[0], std[1])
}

// Calls returns the counts of queued operations since New.
func (be *Backend) Calls() Calls {
	be.enter()
	defer be.leave()
	return be.calls
}

// named counts the queued operations by name: a kernel by its name, a
// cuBLAS GEMM as "gemm", a fill as "fill", a copy as "copy". The caller
// holds enter.
func (be *Backend) named(name string) {
	if be.byName == nil {
		be.byName = map[string]int64{}
	}
	be.byName[name]++
}

// CallsByName returns the operations queued since New (as Calls counts
// them, uploads and graph replays aside) by kernel name, "gemm", "fill" and
// "copy": where a step's launches come from.
func (be *Backend) CallsByName() map[string]int64 {
	be.enter()
	defer be.leave()
	m := make(map[string]int64, len(be.byName))
	for k, v := range be.byName {
		m[k] = v
	}
	return m
}
