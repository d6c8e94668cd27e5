//go:build cuda || cudaemu

package gpu_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/eval"
	"github.com/latentflow/latentflow/flow"
	"github.com/latentflow/latentflow/generate"
	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
	"github.com/latentflow/latentflow/pipeline"
	"github.com/latentflow/latentflow/sample"
	"github.com/latentflow/latentflow/train"
)

// Whole training steps on the CPU and on the GPU (fp32 GEMMs) from the same
// weights and the same Philox streams (data, noise, times are generated on
// each device): the loss, the gradient norm and every gradient agree, and
// the step-1 update agrees wherever the gradient is not noise.
func TestTrainStepMatchesCPU(t *testing.T) {
	g := backend(t, gpu.MathFP32)
	c := cpu.New(0)
	cfg := config.Default()
	cfg.Model.Tokens, cfg.Model.Chans, cfg.Model.D, cfg.Model.Layers, cfg.Model.Heads = 16, 4, 64, 2, 2
	cfg.Train.Batch, cfg.Train.Steps, cfg.Train.Warmup = 32, 100, 3
	m := model.NewDiT(model.ConfigFrom(cfg))
	obj, err := flow.NewObjective(config.Default().Flow)
	if err != nil {
		t.Fatal(err)
	}
	p := m.Init(3)
	st := &model.Checkpoint{Params: p, EMA: p, M: make([]float32, m.NParams), V: make([]float32, m.NParams)}
	trs := map[string]*train.Trainer{}
	for name, be := range map[string]compute.Backend{"cpu": c, "cuda": g} {
		tr := train.NewTrainer(be, m, obj, cfg.Train, 5, st)
		defer tr.Free()
		be.FillNormal(tr.Batch.X1, philox.Key{Seed: 9, Stream: philox.StreamData})
		trs[name] = tr
	}
	down := func(be compute.Backend, b compute.Buffer) []float32 {
		v := make([]float32, b.Len())
		be.Download(v, b)
		return v
	}
	for step := 1; step <= 3; step++ {
		trs["cpu"].Step(step)
		trs["cuda"].Step(step)
		gc, _, err := trs["cpu"].GradNorm()
		if err != nil {
			t.Fatal(err)
		}
		gg, _, err := trs["cuda"].GradNorm()
		if err != nil {
			t.Fatal(err)
		}
		lc, lg := down(c, trs["cpu"].Loss)[0], down(g, trs["cuda"].Loss)[0]
		t.Logf("step %d: loss cpu %.7g cuda %.7g; grad norm cpu %.7g cuda %.7g", step, lc, lg, gc, gg)
		tol := 1e-4 * float64(step*step) // the states drift apart by rounding, step by step
		if math.Abs(float64(lc-lg)) > tol*math.Abs(float64(lc)) {
			t.Errorf("step %d: loss %v on the GPU, %v on the CPU", step, lg, lc)
		}
		if math.Abs(gc-gg) > 10*tol*gc {
			t.Errorf("step %d: gradient norm %v on the GPU, %v on the CPU", step, gg, gc)
		}
		dc, dg := down(c, trs["cpu"].Grads), down(g, trs["cuda"].Grads)
		rms := gc / math.Sqrt(float64(len(dc)))
		worst := 0.0
		for i := range dc {
			worst = math.Max(worst, math.Abs(float64(dc[i]-dg[i]))/(math.Abs(float64(dc[i]))+rms))
		}
		t.Logf("step %d: gradients: max |d| / (|g| + rms g) = %.2g", step, worst)
		if worst > 10*tol {
			t.Errorf("step %d: gradients differ by %.2g of (|g| + rms g)", step, worst)
		}
		if step == 1 {
			pc, pg := down(c, trs["cpu"].Params), down(g, trs["cuda"].Params)
			for i := range pc {
				if math.Abs(float64(dc[i])) > 1e-2*rms && math.Abs(float64(pc[i]-pg[i])) > 1e-6*(1+math.Abs(float64(pc[i]))) {
					t.Errorf("step 1: parameter %d = %v on the GPU, %v on the CPU (gradient %v)", i, pg[i], pc[i], dc[i])
					break
				}
			}
		}
	}
}

// The checkerboard trains on the GPU to the CPU's quality bar: at least 95%
// of 2000 RK4-20 samples in the filled cells and exact W2 to 2000 fresh data
// points at most 0.30 (examples/checkerboard.toml, 12000 steps, TF32 GEMMs).
// Long: runs only with LATENTFLOW_GPU_LONG=1 (make test-gpu sets it).
func TestCheckerboardOnGPU(t *testing.T) {
	if os.Getenv("LATENTFLOW_GPU_LONG") != "1" {
		t.Skip("set LATENTFLOW_GPU_LONG=1 to train the checkerboard on the GPU")
	}
	be := backend(t, gpu.MathTF32)
	cfg, err := config.Load(filepath.Join("..", "examples", "checkerboard.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Device = "cuda"
	cfg.Train.Plots = false
	res, err := pipeline.Run(cfg, pipeline.Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trained %d steps in %.1f s, final loss %.4f", res.Steps, res.Seconds, res.FinalLoss)
	st, err := model.LoadCheckpoint(res.Ckpt)
	if err != nil {
		t.Fatal(err)
	}
	o, err := generate.SolverOptions(st.Config.Sample)
	if err != nil {
		t.Fatal(err)
	}
	params := be.Alloc(len(st.EMA))
	defer be.Free(params)
	be.Upload(params, st.EMA)
	const n = 2000
	xs, stats, err := sample.Generate(be, st.Model, params, n, nil, 1, cfg.Seed, o)
	if err != nil {
		t.Fatal(err)
	}
	data.Denormalise(xs, st.Mean, st.Std)
	target, err := data.Toy("checkerboard", n, philox.Key{Seed: philox.SaltEvalTarget.Seed(cfg.Seed), Step: 1, Stream: philox.StreamData})
	if err != nil {
		t.Fatal(err)
	}
	w2, err := eval.W2(xs, target, 2)
	if err != nil {
		t.Fatal(err)
	}
	in := data.CheckerboardFraction(xs)
	t.Logf("checkerboard on %s: %d samples (%s, NFE %d): %.1f%% in the filled cells, exact W2 %.3f", be.DeviceName(), n, o.Method, stats.NFE, 100*in, w2)
	if in < 0.95 || w2 > 0.30 {
		t.Errorf("below the bar: %.1f%% in-cell (want >= 95%%), W2 %.3f (want <= 0.30)", 100*in, w2)
	}
}

// A captured train step replays the direct one bit for bit: two trainers
// from the same state run step 1 directly; then one runs step 2 directly and
// the other replays a graph of step 2. Weights, EMA, moments, the loss and the
// gradient norm must agree exactly (every kernel is deterministic, and cuBLAS
// runs on the same stream and workspace). Class-conditional, so label dropout
// is captured too.
func TestCapturedTrainStep(t *testing.T) {
	g := backend(t, gpu.MathTF32)
	cfg := config.Default()
	cfg.Model.Tokens, cfg.Model.Chans, cfg.Model.D, cfg.Model.Layers, cfg.Model.Heads = 16, 4, 64, 2, 2
	cfg.Model.NumClasses = 3
	cfg.Train.Batch, cfg.Train.Steps, cfg.Train.Warmup, cfg.Train.GradClip = 32, 100, 3, 0.5
	m := model.NewDiT(model.ConfigFrom(cfg))
	obj, err := flow.NewObjective(config.Default().Flow)
	if err != nil {
		t.Fatal(err)
	}
	p := m.Init(3)
	st := &model.Checkpoint{Params: p, EMA: p, M: make([]float32, m.NParams), V: make([]float32, m.NParams)}
	labels := make([]float32, cfg.Train.Batch)
	for i := range labels {
		labels[i] = float32(i % 3)
	}
	var trs [2]*train.Trainer
	for i := range trs {
		tr := train.NewTrainer(g, m, obj, cfg.Train, 5, st)
		defer tr.Free()
		tr.ClassDropout = 0.2
		g.FillNormal(tr.Batch.X1, philox.Key{Seed: 9, Stream: philox.StreamData})
		g.Upload(tr.Y, labels)
		tr.Step(1)
		trs[i] = tr
	}
	trs[0].Step(2)
	graph, err := trs[1].CaptureStep(2)
	if err != nil {
		t.Fatalf("CaptureStep: %v", err)
	}
	defer graph.Close()
	if err := graph.Launch(); err != nil {
		t.Fatalf("Launch: %v", err)
	}
	for _, tr := range trs {
		if _, _, err := tr.GradNorm(); err != nil {
			t.Fatal(err)
		}
	}
	down := func(b compute.Buffer) []float32 {
		v := make([]float32, b.Len())
		g.Download(v, b)
		return v
	}
	for _, c := range []struct {
		name string
		a, b compute.Buffer
	}{{"params", trs[0].Params, trs[1].Params}, {"ema", trs[0].EMA, trs[1].EMA}, {"m", trs[0].M, trs[1].M},
		{"v", trs[0].V, trs[1].V}, {"loss", trs[0].Loss, trs[1].Loss}, {"clip", trs[0].Clip, trs[1].Clip}} {
		a, b := down(c.a), down(c.b)
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Errorf("%s[%d]: direct %v, replayed %v", c.name, i, a[i], b[i])
				break
			}
		}
	}
}
