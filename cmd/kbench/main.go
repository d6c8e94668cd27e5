//go:build cuda || cudaemu

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/internal/cli"
)

func main() { cli.Exit("kbench", run(os.Args[1:])) }

// Tolerances of the checks, relative to max |ref| of each output (a
// normwise bound, looser than the conformance suite's per-element scales):
// fp32 kernels differ from the CPU in summation order and expf (~1e-6);
// tensor-core attention rounds its operands to TF32 (2^-11 relative) or bf16
// (2^-8) and errs by a few of those units relative to the largest output;
// the column sums add float64 partials in another order, then round to
// float32 (one ulp at most).
var tols = map[string]float64{"fp32": 1e-4, "tf32": 4e-3, "bf16": 3e-2, "colsum": 2e-7}

// result is one JSON line.
type result struct {
	Family  string  `json:"family"`
	Variant string  `json:"variant"`
	Shape   string  `json:"shape"`
	MaxErr  float64 `json:"max_err"`
	Tol     float64 `json:"tol"`
	OK      bool    `json:"ok"`
	Ms      float64 `json:"ms,omitempty"`
	Device  string  `json:"device"`
}

type bench struct {
	only     *regexp.Regexp
	reps     int
	emulated bool
	device   string
	ref      *cpu.Backend
	gpus     map[gpu.Math]*gpu.Backend
	failed   int
}

func run(args []string) error {
	fs := flag.NewFlagSet("kbench", flag.ContinueOnError)
	only := fs.String("only", "", "run the families whose name matches this regular expression")
	reps := fs.Int("reps", 20, "timed runs per variant on a GPU (the median is reported)")
	size := fs.String("size", "", "shapes: s (small) or m (gpu-m's attention and BiasGrad); default m on a GPU, s emulated")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	re, err := regexp.Compile(*only)
	if err != nil {
		return cli.Inputf("-only %q: %v", *only, err)
	}
	if *reps < 1 {
		return cli.Inputf("-reps %d: want >= 1", *reps)
	}
	if *size != "" && *size != "s" && *size != "m" {
		return cli.Inputf("-size %q: want s or m", *size)
	}
	b := &bench{only: re, reps: *reps, ref: cpu.New(0), gpus: map[gpu.Math]*gpu.Backend{}}
	for _, m := range []gpu.Math{gpu.MathFP32, gpu.MathTF32, gpu.MathBF16} {
		g, err := gpu.New(gpu.Options{Math: m})
		if err != nil {
			return fmt.Errorf("CUDA backend (%s): %w", m, err)
		}
		defer g.Close()
		b.gpus[m] = g
		b.device = g.DeviceName()
	}
	b.emulated = strings.Contains(b.device, "emulated")
	if *size == "" {
		*size = "m"
		if b.emulated {
			*size = "s"
		}
	}
	// Attention shapes (B, T, H, D) and column sums (N, X): gpu-m's
	// attention (B 64, T 256, H 12, D 768) and its BiasGrad sizes (N = B T
	// rows of the output projection, the MLP and the final layer), or small
	// ones for the emulated device.
	attn := [][4]int{{64, 256, 12, 768}, {512, 16, 4, 256}}
	cols := [][2]int{{64 * 256, 768}, {64 * 256, 3072}, {64 * 256, 4}}
	if *size == "s" {
		attn = [][4]int{{2, 33, 2, 128}, {2, 16, 4, 256}}
		cols = [][2]int{{1000, 45}, {4096, 4}}
	}
	for _, s := range attn {
		b.attention(s[0], s[1], s[2], s[3])
	}
	for _, s := range cols {
		b.colsum(s[0], s[1])
	}
	if b.failed > 0 {
		return fmt.Errorf("%d variants failed their check", b.failed)
	}
	return nil
}

// emit prints r and counts a failure.
func (b *bench) emit(r result) {
	r.Device = b.device
	if !r.OK {
		b.failed++
	}
	line, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(line))
}

// time returns the median of b.reps device timings of f in ms, or 0 on the
// emulated device (it only checks).
func (b *bench) time(g *gpu.Backend, f func()) float64 {
	if b.emulated {
		return 0
	}
	ms := make([]float64, b.reps)
	f() // warm-up
	for i := range ms {
		t, err := g.Time(f)
		if err != nil {
			panic(err)
		}
		ms[i] = t
	}
	sort.Float64s(ms)
	return ms[len(ms)/2]
}

func randn(r *rand.Rand, n int, std float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * std)
	}
	return v
}

// maxErr returns max |got - want| / max |want| (NaN: infinite).
func maxErr(got, want []float32) float64 {
	var e, m float64
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		e, m = max(e, d), max(m, math.Abs(float64(want[i])))
	}
	if m == 0 {
		return e
	}
	return e / m
}

func upload(b compute.Backend, v []float32) compute.Buffer {
	x := b.Alloc(len(v))
	b.Upload(x, v)
	return x
}

func download(b compute.Backend, x compute.Buffer, n int) []float32 {
	v := make([]float32, n)
	b.Download(v, x)
	return v
}

// attention checks (and times) Attention and AttentionBackward in each math
// mode against the CPU.
func (b *bench) attention(B, T, H, D int) {
	shape := fmt.Sprintf("B=%d,T=%d,H=%d,D=%d", B, T, H, D)
	r := rand.New(rand.NewPCG(uint64(T), uint64(D)))
	qkv, dout := randn(r, B*T*3*D, 1), randn(r, B*T*D, 1)
	run := b.only.MatchString("attention_fwd")
	runB := b.only.MatchString("attention_bwd")
	if !run && !runB {
		return
	}
	c := b.ref
	cq, cd := upload(c, qkv), upload(c, dout)
	co, cl, cg := c.Alloc(B*T*D), c.Alloc(B*H*T), c.Alloc(B*T*3*D)
	c.Attention(co, cl, cq, B, T, H, D)
	c.AttentionBackward(cg, cd, cq, co, cl, B, T, H, D)
	out, lse, dqkv := download(c, co, B*T*D), download(c, cl, B*H*T), download(c, cg, B*T*3*D)
	for _, m := range []gpu.Math{gpu.MathFP32, gpu.MathTF32, gpu.MathBF16} {
		g := b.gpus[m]
		variant := "scalar-fp32"
		if m != gpu.MathFP32 {
			variant = "tc-" + m.String()
		}
		gq, gd, go_, gl := upload(g, qkv), upload(g, dout), upload(g, out), upload(g, lse)
		o, l, dg := g.Alloc(B*T*D), g.Alloc(B*H*T), g.Alloc(B*T*3*D)
		if run {
			g.Attention(o, l, gq, B, T, H, D)
			e := max(maxErr(download(g, o, B*T*D), out), maxErr(download(g, l, B*H*T), lse))
			ms := b.time(g, func() { g.Attention(o, l, gq, B, T, H, D) })
			b.emit(result{Family: "attention_fwd", Variant: variant, Shape: shape, MaxErr: e, Tol: tols[m.String()],
				OK: e <= tols[m.String()], Ms: ms})
		}
		if runB {
			g.AttentionBackward(dg, gd, gq, go_, gl, B, T, H, D)
			e := maxErr(download(g, dg, B*T*3*D), dqkv)
			ms := b.time(g, func() { g.AttentionBackward(dg, gd, gq, go_, gl, B, T, H, D) })
			b.emit(result{Family: "attention_bwd", Variant: variant, Shape: shape, MaxErr: e, Tol: tols[m.String()],
				OK: e <= tols[m.String()], Ms: ms})
		}
		for _, x := range []compute.Buffer{gq, gd, go_, gl, o, l, dg} {
			g.Free(x)
		}
	}
	for _, x := range []compute.Buffer{cq, cd, co, cl, cg} {
		c.Free(x)
	}
}

// colsum checks (and times) the column sums of BiasGrad across the rows per
// block R, and BiasGrad itself, against the CPU.
func (b *bench) colsum(N, X int) {
	if !b.only.MatchString("colsum") {
		return
	}
	shape := fmt.Sprintf("N=%d,X=%d", N, X)
	r := rand.New(rand.NewPCG(uint64(N), uint64(X)))
	dy, y0 := randn(r, N*X, 1), randn(r, X, 1)
	c := b.ref
	cd, cy := upload(c, dy), upload(c, y0)
	c.BiasGrad(cy, cd)
	want := download(c, cy, X)
	g := b.gpus[gpu.MathTF32]
	gd, gy := upload(g, dy), g.Alloc(X)
	check := func(variant string, f func()) {
		g.Upload(gy, y0)
		f()
		e := maxErr(download(g, gy, X), want)
		ms := b.time(g, f) // (accumulates into gy: the timing only)
		b.emit(result{Family: "colsum", Variant: variant, Shape: shape, MaxErr: e, Tol: tols["colsum"],
			OK: e <= tols["colsum"], Ms: ms})
	}
	for R := 64; R <= 4096; R *= 2 {
		if (N+R-1)/R > 65535 {
			continue
		}
		check(fmt.Sprintf("R=%d", R), func() { g.ColSumRows(gy, gd, R) })
	}
	check("BiasGrad", func() { g.BiasGrad(gy, gd) })
	g.Free(gd)
	g.Free(gy)
	c.Free(cd)
	c.Free(cy)
}
