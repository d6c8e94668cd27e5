// Command bench times latentflow's train step and Euler sampling and prints
// one JSON line per measurement, in the schema of docs/bench.md:
//
//	bench [-backend cpu|cuda] [--tokens T --chans C --d D --layers L --heads H]
//	      [--batch B --steps K --nsample N --nfe F] [--shape cpu-s|gpu-s|gpu-m]
//	      [-peak-tflops P]
//
// The default shape is cpu-s. With -backend cuda the train line also carries
// "mfu" (model FLOPs per step, 3 x DiT.FLOPs(B) for forward and backward,
// over the step time and P TFLOP/s, default the H100's measured dense bf16
// rate), "peak_mem_mb" (the backend's allocation high-water mark: every
// buffer and scratch buffer, not the CUDA context, cuBLAS workspace or
// staging) and "device_used_mb" (cuMemGetInfo's total - free after the run,
// every allocation on the device included); "precision" names the GEMM
// arithmetic (tf32 unless LATENTFLOW_GEMM says fp32 or bf16). -graph (CUDA)
// captures step warmup+1 once and times its replays ("graph": true): the
// same work per step, with that step's noise and learning rate repeated.
// Exit status: 0 ok, 2 bad input, 1 other failure.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/flow"
	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/internal/cli"
	"github.com/latentflow/latentflow/internal/progress"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
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
	graph := fs.Bool("graph", false, "cuda: time replays of one captured train step (a CUDA graph of step warmup+1, its noise and LR repeated)")
	peakTFLOPs := fs.Float64("peak-tflops", 790, "peak TFLOP/s for MFU (default: H100 dense bf16, measured on 8192^3)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	s, ok := shapes[*shapeName]
	if !ok {
		return cli.Inputf("-shape %q: want cpu-s, gpu-s or gpu-m", *shapeName)
	}
	for _, o := range []struct {
		dst *int
		v   int
	}{{&s.T, *T}, {&s.C, *C}, {&s.D, *D}, {&s.L, *L}, {&s.H, *H}, {&s.B, *B}, {&s.N, *N}, {&s.NFE, *nfe}} {
		if o.v < 0 {
			return cli.Inputf("negative size %d", o.v)
		}
		if o.v > 0 {
			*o.dst = o.v
		}
	}
	if *steps <= 0 || *warm < 0 {
		return cli.Inputf("-steps %d, -warmup %d: want steps > 0 and warmup >= 0", *steps, *warm)
	}
	if *graph && *warm < 1 {
		return cli.Inputf("-graph needs -warmup >= 1 (a direct step sizes the scratch buffers before capture)")
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
	m := model.NewDiT(mc)
	obj, err := flow.NewObjective(cfg.Flow) // the default OT path, uniform times
	if err != nil {
		return cli.Input(err)
	}
	p := m.Init(1)
	st := &model.Checkpoint{Params: p, EMA: p, M: make([]float32, m.NParams), V: make([]float32, m.NParams)}
	tr := train.NewTrainer(be, m, obj, cfg.Train, 1, st)
	be.FillNormal(tr.Batch.X1, philox.Key{Seed: 1, Stream: philox.StreamData})
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
	var t0 time.Time
	var g compute.Graph
	if *graph {
		for i := 1; i <= *warm; i++ {
			tr.Step(i)
		}
		if g, err = tr.CaptureStep(*warm + 1); err != nil {
			return cli.Input(err)
		}
		defer g.Close()
	}
	var calls0 map[string]int64
	pr := progress.New(os.Stderr, terminal, "bench train", 1, *warm+*steps)
	for i := 1; i <= *warm+*steps; i++ {
		if pr.Due(i) {
			pr.Print(i, math.NaN())
		}
		if i == *warm+1 {
			if err := be.Sync(); err != nil {
				return err
			}
			t0 = time.Now()
			calls0, _ = callCounts(be)
		}
		switch {
		case g == nil:
			tr.Step(i)
		case i > *warm:
			if err := g.Launch(); err != nil {
				return err
			}
		}
	}
	if err := be.Sync(); err != nil {
		return err
	}
	dt := time.Since(t0).Seconds() / float64(*steps)
	pr.Done()
	flops := 3 * m.FLOPs(s.B)
	line := map[string]any{"what": "train", "params": m.NParams, "batch": s.B, "step_ms": dt * 1e3,
		"samples_per_s": float64(s.B) / dt, "gflop_per_s": flops / dt / 1e9}
	if *graph {
		line["graph"] = true
	}
	addCalls(line, be, calls0, float64(*steps), "_per_step")
	if be.Name() == "cuda" {
		line["mfu"] = flops / dt / (*peakTFLOPs * 1e12)
		line["peak_tflops"] = *peakTFLOPs
		addMem(line, be)
	}
	if _, _, err := tr.GradNorm(); err != nil {
		return err
	}
	if err := emit(line); err != nil {
		return err
	}
	if *skipSample || s.N == 0 {
		return nil
	}
	// The sampler: the fixed-step solvers on the device (one captured graph
	// per step on CUDA, no host read inside the trajectory; NFE counted on
	// the device), Dopri5 driven from the host (one error norm per attempt).
	for _, o := range []sample.Options{
		{Method: sample.Euler, Steps: s.NFE},
		{Method: sample.RK4, Steps: max(1, s.NFE/4)},
		{Method: sample.Dopri5, Rtol: 1e-3, Atol: 1e-3},
	} {
		t0 := time.Now()
		calls0, _ := callCounts(be)
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
		addCalls(line, be, calls0, float64(max(stats.NFE, 1)), "_per_nfe")
		if be.Name() == "cuda" {
			addMem(line, be)
		}
		if err := emit(line); err != nil {
			return err
		}
	}
	return nil
}

// addCalls adds the work the host queued since c0 (callCounts), divided by
// n, as KIND+suffix (kernels, gemms, memops, uploads, graphs) and
// "launches"+suffix, their sum: the host's launch calls. A graph replay is one
// launch (its kernels were counted once, at capture). Nothing for the CPU.
func addCalls(line map[string]any, be compute.Backend, c0 map[string]int64, n float64, suffix string) {
	c1, ok := callCounts(be)
	if !ok || c0 == nil {
		return
	}
	var sum int64
	for k, v := range c1 {
		line[k+suffix] = float64(v-c0[k]) / n
		sum += v - c0[k]
	}
	line["launches"+suffix] = float64(sum) / n
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
