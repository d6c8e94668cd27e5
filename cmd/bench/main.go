// Command bench times latentflow's train step and Euler sampling and prints
// one JSON line per measurement, in the schema of docs/bench.md:
//
//	bench [-backend cpu|cuda] [--tokens T --chans C --d D --layers L --heads H]
//	      [--batch B --steps K --nsample N --nfe F] [--shape cpu-s|gpu-s|gpu-m]
//	      [-peak-tflops P] [-solvers euler,rk4,dopri5]
//
// The default shape is cpu-s. With -backend cuda the train line also carries
// "mfu" (model FLOPs per step, 3 x DiT.FLOPs(B) for forward and backward,
// over the step time and P TFLOP/s, default the H100's measured dense bf16
// rate), "peak_mem_mb" (the backend's allocation high-water mark: every
// buffer and scratch buffer, not the CUDA context, cuBLAS workspace or
// staging) and "device_used_mb" (cuMemGetInfo's total - free after the run,
// every allocation on the device included); "precision" names the GEMM
// arithmetic (tf32 unless LATENTFLOW_GEMM says fp32 or bf16).
//
// The train step is timed in the training loop itself (train.Loop, batches
// gathered on the device from 4096 resident rows of N(0, 1) data, one log
// at the end): the clock runs from the end of the warm-up steps (the first
// runs directly, the second is captured: setup stays out) to the end of the
// loop, its one log read included.
// -graph=true (the default, as train.graph) reads every per-step value from
// the device and, on CUDA, replays one captured step as a graph: distinct
// steps, each with its own noise, batch, learning rate and EMA decay;
// -graph=false queues every step directly from the host. The line carries
// "graph" and the launches of one step ("launches": kernels, GEMMs, memory
// ops) on CUDA.
//
// The sampling lines time sample.Generate with Euler, RK4 and Dopri5, all
// on the device (a captured step or attempt replayed; the NFE counted on
// the device); "sample_mem_mb" is the device memory of one chunk from the
// inference layout (sample.SampleFloats); on CUDA the Euler line carries
// "launches_per_step", the operations of one captured solver step (one
// model evaluation and the update), which a replay issues as one graph.
// Exit status: 0 ok, 2 bad input, 1 other failure.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/flow"
	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/internal/cli"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
	"github.com/latentflow/latentflow/pipeline"
	"github.com/latentflow/latentflow/sample"
	"github.com/latentflow/latentflow/train"
)

// commit is set by the Makefile (-ldflags "-X main.commit=...").
var commit = ""

type shape struct{ T, C, D, L, H, B, N, NFE int }

var shapes = map[string]shape{
	"cpu-s": {16, 4, 128, 4, 4, 256, 1024, 20},
	"gpu-s": {16, 4, 256, 6, 4, 512, 4096, 100},
	"gpu-m": {256, 4, 768, 12, 12, 64, 1024, 50},
}

func main() { cli.Exit("bench", run(os.Args[1:])) }

func run(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	backend := fs.String("backend", "cpu", "cpu or cuda")
	shapeName := fs.String("shape", "cpu-s", "named shape: cpu-s, gpu-s, gpu-m (flags below override it)")
	T := fs.Int("tokens", 0, "tokens T")
	C := fs.Int("chans", 0, "channels C")
	D := fs.Int("d", 0, "width D")
	L := fs.Int("layers", 0, "blocks L")
	H := fs.Int("heads", 0, "heads H")
	B := fs.Int("batch", 0, "train batch B")
	steps := fs.Int("steps", 10, "timed train steps")
	warm := fs.Int("warmup", 2, "untimed train steps first")
	N := fs.Int("nsample", 0, "samples for the Euler benchmark")
	nfe := fs.Int("nfe", 0, "Euler steps (NFE)")
	skipSample := fs.Bool("no-sample", false, "skip the sampling benchmark")
	solvers := fs.String("solvers", "euler,rk4,dopri5", "the sampling benchmarks to run, comma-separated: euler, rk4, dopri5")
	graph := fs.Bool("graph", true, "per-step values on the device and, on CUDA, one captured step replayed (train.graph); false: every step queued from the host")
	peakTFLOPs := fs.Float64("peak-tflops", 790, "peak TFLOP/s for MFU (default: H100 dense bf16, measured on 8192^3)")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile of the whole run to this file (go tool pprof)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return cli.Inputf("-cpuprofile: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	s, ok := shapes[*shapeName]
	if !ok {
		return cli.Inputf("-shape %q: want cpu-s, gpu-s or gpu-m", *shapeName)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, o := range []struct {
		name string
		dst  *int
		v    int
		max  int
	}{{"tokens", &s.T, *T, config.MaxTokens}, {"chans", &s.C, *C, config.MaxWidth}, {"d", &s.D, *D, config.MaxWidth},
		{"layers", &s.L, *L, config.MaxLayers}, {"heads", &s.H, *H, config.MaxWidth}, {"batch", &s.B, *B, config.MaxBatch},
		{"nsample", &s.N, *N, config.MaxSamples}, {"nfe", &s.NFE, *nfe, config.MaxSolverSteps}} {
		if !given[o.name] {
			continue
		}
		if o.v <= 0 || o.v > o.max {
			return cli.Inputf("-%s %d: want a size in 1..%d", o.name, o.v, o.max)
		}
		*o.dst = o.v
	}
	if *steps <= 0 || *warm < 0 || *steps > config.MaxSteps || *warm > config.MaxSteps {
		return cli.Inputf("-steps %d, -warmup %d: want steps in 1..%d and warmup in 0..%d", *steps, *warm, config.MaxSteps, config.MaxSteps)
	}
	if *warm < 2 {
		return cli.Inputf("-warmup %d: want >= 2 (the loop runs its first step directly and captures the second: both stay out of the timing)", *warm)
	}
	runSolver := map[string]bool{}
	for _, name := range strings.Split(*solvers, ",") {
		switch name {
		case "euler", "rk4", "dopri5":
			runSolver[name] = true
		default:
			return cli.Inputf("-solvers %q: %q is not one of euler, rk4, dopri5", *solvers, name)
		}
	}
	if !(*peakTFLOPs > 0) {
		return cli.Inputf("-peak-tflops %g: want > 0", *peakTFLOPs)
	}
	cfg := config.Default()
	cfg.Device = *backend
	cfg.Model.Tokens, cfg.Model.Chans, cfg.Model.D, cfg.Model.Layers, cfg.Model.Heads = s.T, s.C, s.D, s.L, s.H
	// The anchor's model: 256-dim sinusoid of 1000 t, MLP ratio 4, unconditional.
	cfg.Model.TimeScale, cfg.Model.TembDim, cfg.Model.MLPRatio, cfg.Model.NumClasses = 1000, 256, 4, 0
	cfg.Train.Batch, cfg.Train.Steps, cfg.Train.LR, cfg.Train.Warmup = s.B, *warm+*steps, 1e-4, 0
	cfg.Train.Schedule = "constant"
	mc := model.ConfigFrom(cfg) // (not cfg.Validate: the shape need not fit a data set)
	if err := mc.Validate(); err != nil {
		return cli.Input(err)
	}
	be, err := gpu.Open(*backend)
	if err != nil {
		return cli.Input(err)
	}
	// The memory of the benchmark's training state and sampling, before it
	// is allocated (the estimate of a run on fresh 2D points of this shape).
	est := cfg
	est.Data.Kind, est.Data.Size, est.Classifier.Steps = "checkerboard", 0, 0
	est.Sample.N, est.Sample.Batch = max(1, s.N), max(1, s.N)
	if err := pipeline.CheckMemory(be, est); err != nil {
		return cli.Input(err)
	}
	m := model.NewDiT(mc)
	obj, err := flow.NewObjective(cfg.Flow) // the default OT path, uniform times
	if err != nil {
		return cli.Input(err)
	}
	p := m.Init(1)
	st := &model.Checkpoint{Params: p, EMA: p, M: make([]float32, m.NParams), V: make([]float32, m.NParams)}
	tr := train.NewTrainer(be, m, obj, cfg.Train, 1, st)
	const rows = 4096
	X := s.T * s.C
	data := be.Alloc(rows * X)
	defer be.Free(data)
	be.FillNormal(data, philox.Key{Seed: 1, Stream: philox.StreamData})
	src := &train.Rows{X: data, N: rows, Width: X, Seed: 1, Stream: philox.StreamData}
	defer src.Free(be)
	// Progress on stderr: a line rewritten on a terminal, one every 30 s otherwise.
	terminal := cli.IsTerminal(os.Stderr)

	precision := "fp32"
	if p, ok := be.(interface{ Precision() string }); ok {
		precision = p.Precision()
	}
	device := deviceName(be.Name())
	if d, ok := be.(interface{ DeviceName() string }); ok {
		device = d.DeviceName()
	}
	common := map[string]any{"impl": "latentflow-" + be.Name(), "tokens": s.T, "chans": s.C, "d": s.D, "layers": s.L,
		"heads": s.H, "precision": precision, "device": device, "commit": commitID()}
	emit := func(kv map[string]any) error {
		for k, v := range common {
			kv[k] = v
		}
		b, err := json.Marshal(kv)
		if err != nil {
			return err
		}
		fmt.Println(string(b))
		return nil
	}
	// The loop of warmup + steps; the clock starts when the warm-up steps
	// have run (the loop's first step runs directly, the next is captured)
	// and stops when the loop returns, after its one log read at the end.
	var t0 time.Time
	l := train.Loop{Name: "bench train", Steps: *warm + *steps, First: 1, LogEvery: *warm + *steps, Graph: *graph,
		Progress: os.Stderr, Terminal: terminal, Queued: func(step int) error {
			if step != *warm {
				return nil
			}
			err := be.Sync()
			t0 = time.Now()
			return err
		}}
	if _, err := l.Run(be, tr, src); err != nil {
		return err
	}
	dt := time.Since(t0).Seconds() / float64(*steps)
	flops := 3 * m.FLOPs(s.B)
	line := map[string]any{"what": "train", "params": m.NParams, "batch": s.B, "step_ms": dt * 1e3,
		"samples_per_s": float64(s.B) / dt, "gflop_per_s": flops / dt / 1e9}
	line["graph"] = *graph
	if c, ok := launches(be, func() { tr.Step(1) }); ok {
		line["launches"] = c // of one step queued directly; a graph replay issues them at once
	}
	if be.Name() == "cuda" {
		line["mfu"] = flops / dt / (*peakTFLOPs * 1e12)
		line["peak_tflops"] = *peakTFLOPs
		addMem(line, be)
	}
	if err := emit(line); err != nil {
		return err
	}
	if *skipSample || s.N == 0 {
		return nil
	}
	// The sampler: on the device (one captured graph per step or Dopri5
	// attempt on CUDA; NFE counted on the device).
	for _, o := range []sample.Options{
		{Method: sample.Euler, Steps: s.NFE},
		{Method: sample.RK4, Steps: max(1, s.NFE/4)},
		{Method: sample.Dopri5, Rtol: 1e-3, Atol: 1e-3},
	} {
		if !runSolver[string(o.Method)] {
			continue
		}
		t0 := time.Now()
		_, stats, err := sample.Generate(be, m, tr.Params, s.N, nil, 1, 1, o)
		if err != nil {
			return err
		}
		sec := time.Since(t0).Seconds()
		line := map[string]any{"what": "sample_" + string(o.Method), "n": s.N, "nfe": stats.NFE, "s": sec,
			"samples_per_s": float64(s.N) / sec, "nfe_per_s": float64(stats.NFE) / sec,
			"sample_mem_mb": float64(4*sample.SampleFloats(m, min(s.N, sample.DefaultBatch))) / (1 << 20)}
		if o.Method.Adaptive() {
			line["accepted"], line["rejected"] = stats.Accepted, stats.Rejected
		}
		if o.Method == sample.Euler {
			// Generate with 3 steps records the step into a graph once more than
			// with 1 (the first step runs directly either way): the difference
			// is one step's operations.
			gen := func(steps int) func() {
				return func() {
					sample.Generate(be, m, tr.Params, min(s.N, 8), nil, 1, 1, sample.Options{Method: sample.Euler, Steps: steps})
				}
			}
			if c1, ok := launches(be, gen(1)); ok {
				c3, _ := launches(be, gen(3))
				per := map[string]int64{}
				for k, v := range c3 {
					per[k] = v - c1[k]
				}
				line["launches_per_step"] = per
			}
		}
		if be.Name() == "cuda" {
			addMem(line, be)
		}
		if err := emit(line); err != nil {
			return err
		}
	}
	return nil
}

// launches counts the operations fn queues on a backend that counts them
// (the CUDA backend, real or emulated): kernel launches, GEMM calls and
// memory operations. It waits for the device first and after.
func launches(be compute.Backend, fn func()) (map[string]int64, bool) {
	c, ok := be.(interface{ Calls() gpu.Calls })
	if !ok {
		return nil, false
	}
	be.Sync()
	a := c.Calls()
	fn()
	be.Sync()
	b := c.Calls()
	return map[string]int64{"kernels": b.Kernels - a.Kernels, "gemms": b.Gemms - a.Gemms, "memops": b.Memops - a.Memops,
		"total": b.Kernels - a.Kernels + b.Gemms - a.Gemms + b.Memops - a.Memops}, true
}

// addMem adds the CUDA backend's memory figures to a JSON line (see the
// package comment); a backend without them adds nothing.
func addMem(line map[string]any, be any) {
	const mb = 1 << 20
	if p, ok := be.(interface{ PeakAllocBytes() int64 }); ok {
		line["peak_mem_mb"] = float64(p.PeakAllocBytes()) / mb
		line["peak_mem_source"] = "backend allocation high-water mark"
	}
	if m, ok := be.(interface {
		MemInfo() (free, total int64, err error)
	}); ok {
		if free, total, err := m.MemInfo(); err == nil {
			line["device_used_mb"] = float64(total-free) / mb
		}
	}
}

func commitID() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value[:min(12, len(s.Value))]
			}
		}
	}
	return "unknown"
}

func deviceName(backend string) string {
	if backend != "cpu" {
		return backend
	}
	name := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				if i := strings.Index(line, ":"); i >= 0 {
					name = strings.TrimSpace(line[i+1:])
				}
				break
			}
		}
	}
	return fmt.Sprintf("%s x%d", name, runtime.NumCPU())
}
