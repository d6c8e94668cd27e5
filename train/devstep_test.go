package train

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/flow"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
)

// DevRun is a small class-conditional flow run for the tests of the loop
// with the per-step values on the device (Loop.Graph): 20 steps of a cosine
// schedule with 8 warmup steps, the EMA in its warm-up throughout, label
// dropout and clipping, batches gathered from 64 resident rows.
type devRun struct {
	tc  config.Train
	m   *model.DiT
	obj flow.Objective
	x   []float32 // (64, X) rows
	y   []float32 // (64) labels
}

func newDevRun(t *testing.T) devRun {
	cfg := config.Default()
	cfg.Model.Tokens, cfg.Model.Chans, cfg.Model.D, cfg.Model.Layers, cfg.Model.Heads = 4, 2, 32, 1, 2
	cfg.Model.NumClasses = 3
	cfg.Train.Batch, cfg.Train.Steps, cfg.Train.Warmup, cfg.Train.GradClip = 16, 20, 8, 0.5
	cfg.Train.Schedule, cfg.Train.MinLRRatio, cfg.Train.LR = "cosine", 0.1, 3e-3
	obj, err := flow.NewObjective(cfg.Flow)
	if err != nil {
		t.Fatal(err)
	}
	r := devRun{tc: cfg.Train, m: model.NewDiT(model.ConfigFrom(cfg)), obj: obj, x: make([]float32, 64*8), y: make([]float32, 64)}
	philox.Key{Seed: 11, Stream: philox.StreamData}.FillNormal(r.x, 0)
	for i := range r.y {
		r.y[i] = float32(i % 3)
	}
	return r
}

// run trains from st (nil: the initial weights) from step first to 20 on be,
// stopping after the checkpoint of stopAfter (> 0), and returns the final
// state and the (step, loss, grad_norm, lr) of the metrics.
func (r devRun) run(t *testing.T, be compute.Backend, graph bool, st *model.Checkpoint, first, stopAfter int) (*model.Checkpoint, []Record) {
	t.Helper()
	if st == nil {
		p := r.m.Init(3)
		st = &model.Checkpoint{Params: p, EMA: p, M: make([]float32, r.m.NParams), V: make([]float32, r.m.NParams)}
	}
	tr := NewTrainer(be, r.m, r.obj, r.tc, 5, st)
	defer tr.Free()
	tr.ClassDropout = 0.2
	src := &Rows{X: be.Alloc(len(r.x)), Y: be.Alloc(len(r.y)), N: len(r.y), Width: len(r.x) / len(r.y), Seed: 5, Stream: philox.StreamIndex}
	defer func() { src.Free(be); be.Free(src.X); be.Free(src.Y) }()
	be.Upload(src.X, r.x)
	be.Upload(src.Y, r.y)
	out := &model.Checkpoint{Params: make([]float32, r.m.NParams), EMA: make([]float32, r.m.NParams),
		M: make([]float32, r.m.NParams), V: make([]float32, r.m.NParams)}
	var metrics bytes.Buffer
	l := Loop{Steps: r.tc.Steps, First: first, LogEvery: 5, CkptEvery: 10, StopAfter: stopAfter, Graph: graph, Metrics: &metrics,
		Checkpoint: func(step int) error { out.Step = step; return tr.Download(out) }}
	if _, err := l.Run(be, tr, src); err != nil {
		t.Fatal(err)
	}
	var recs []Record
	for _, line := range strings.Split(strings.TrimSpace(metrics.String()), "\n") {
		var rec Record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		rec.ItPerS, rec.ElapsedS = 0, 0
		recs = append(recs, rec)
	}
	return out, recs
}

// SameRun reports the first difference between two runs' states and records.
func SameRun(t *testing.T, what string, a, b *model.Checkpoint, ra, rb []Record) {
	t.Helper()
	if a.Step != b.Step {
		t.Errorf("%s: step %d and %d", what, a.Step, b.Step)
	}
	for _, c := range []struct {
		name string
		x, y []float32
	}{{"params", a.Params, b.Params}, {"ema", a.EMA, b.EMA}, {"m", a.M, b.M}, {"v", a.V, b.V}} {
		for i := range c.x {
			if math.Float32bits(c.x[i]) != math.Float32bits(c.y[i]) {
				t.Errorf("%s: %s[%d] = %v and %v", what, c.name, i, c.x[i], c.y[i])
				break
			}
		}
	}
	if len(ra) != len(rb) {
		t.Fatalf("%s: %d and %d records", what, len(ra), len(rb))
	}
	for i := range ra {
		if ra[i] != rb[i] {
			t.Errorf("%s: record %+v and %+v", what, ra[i], rb[i])
		}
	}
}

// On the CPU the loop with the per-step values on the device (StepAdvance,
// the *At ops, the batch gathered at the block's step) equals the direct
// loop bit for bit, through the LR warmup, the cosine decay and the EMA
// warm-up; and its resumed run equals the uninterrupted one.
func TestDevStepLoopMatchesDirect(t *testing.T) {
	be := cpu.New(1)
	r := newDevRun(t)
	direct, rd := r.run(t, be, false, nil, 1, 0)
	dev, rv := r.run(t, be, true, nil, 1, 0)
	SameRun(t, "direct vs device values", direct, dev, rd, rv)
	half, rh := r.run(t, be, true, nil, 1, 10)
	rest, rr := r.run(t, be, true, half, 11, 0)
	SameRun(t, "uninterrupted vs resumed", dev, rest, rv, append(rh, rr...))
}
