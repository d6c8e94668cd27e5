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

// checkerboard trains cfg (a checkerboard configuration) on backend be
// through the whole pipeline (cfg.Device names it), draws n samples of the
// EMA weights with the run's solver, and returns the fraction inside the
// filled cells and the exact W2 to n fresh data points.
func checkerboard(t *testing.T, be compute.Backend, cfg config.Config, n int) (in, w2 float64) {
	t.Helper()
	cfg.Train.Plots = false
	res, err := pipeline.Run(cfg, pipeline.Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: trained %d steps in %.1f s, final loss %.4f", cfg.Device, res.Steps, res.Seconds, res.FinalLoss)
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
	xs, stats, err := sample.Generate(be, st.Model, params, n, nil, 1, cfg.Seed, o)
	if err != nil {
		t.Fatal(err)
	}
	data.Denormalise(xs, st.Mean, st.Std)
	target, err := data.Toy("checkerboard", n, philox.Key{Seed: philox.SaltEvalTarget.Seed(cfg.Seed), Step: 1, Stream: philox.StreamData})
	if err != nil {
		t.Fatal(err)
	}
	if w2, err = eval.W2(xs, target, 2); err != nil {
		t.Fatal(err)
	}
	in = data.CheckerboardFraction(xs)
	t.Logf("checkerboard on %s: %d samples (%s, NFE %d): %.1f%% in the filled cells, exact W2 %.3f", cfg.Device, n, o.Method, stats.NFE, 100*in, w2)
	return in, w2
}

func checkerboardConfig(t *testing.T) config.Config {
	cfg, err := config.Load(filepath.Join("..", "examples", "checkerboard.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
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
	cfg := checkerboardConfig(t)
	cfg.Device = "cuda"
	if in, w2 := checkerboard(t, be, cfg, 2000); in < 0.95 || w2 > 0.30 {
		t.Errorf("below the bar: %.1f%% in-cell (want >= 95%%), W2 %.3f (want <= 0.30)", 100*in, w2)
	}
}

// ciSteps and ciBatch size the checkerboard of TestCheckerboardCI to fit CI
// on the emulated device.
const ciSteps, ciBatch = 300, 128

// TestCheckerboardCI is the checkerboard bar at the size CI affords (the
// example's model and schedule, ciSteps steps of ciBatch, 1000 samples by
// RK4 with 5 steps): the
// GPU run (TF32 GEMMs, the backend Open("cuda") gives) must learn as well as
// the CPU run of the same configuration, trained in the same test: in-cell
// fraction at most 4 points below the CPU's and W2 at most 0.05 above it
// (the two runs see the same Philox streams but drift apart by rounding; at
// 1000 samples the estimators' own spread is about 1.5 points and 0.02), and
// better than the untrained model (> 55% in-cell: its adaLN-zero output is
// zero, so its samples are the Gaussian noise, about 50% in the cells). At
// this size the CPU reached 59.5% and W2 0.538 with RK4-20 (the emulated
// device 63.6% and 0.515); the 95% bar needs the full 12000 steps
// (TestCheckerboardOnGPU).
func TestCheckerboardCI(t *testing.T) {
	be := backend(t, gpu.MathTF32)
	cfg := checkerboardConfig(t)
	cfg.Train.Steps, cfg.Train.Batch, cfg.Train.Warmup = ciSteps, ciBatch, ciSteps/10
	cfg.Train.CkptEvery, cfg.Train.LogEvery = ciSteps, ciSteps/3
	cfg.Sample.Steps = 5 // RK4, NFE 20
	const n = 1000
	cfg.Device = "cpu"
	inC, w2C := checkerboard(t, cpu.New(0), cfg, n)
	cfg.Device = "cuda"
	inG, w2G := checkerboard(t, be, cfg, n)
	if inG < inC-0.04 || w2G > w2C+0.05 || inG <= 0.55 {
		t.Errorf("%s after %d steps: %.1f%% in-cell, W2 %.3f; the CPU: %.1f%%, W2 %.3f (want within 4 points and 0.05, and > 55%%)",
			be.DeviceName(), ciSteps, 100*inG, w2G, 100*inC, w2C)
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
