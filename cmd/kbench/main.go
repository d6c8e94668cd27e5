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
// float32 (one ulp at most); the layer norm backward's rows repeat the CPU's
// float32 arithmetic on float64 sums rounded once (a few ulp of the row's
// scale, after cancellation), its column sums are the colsum case.
var tols = map[string]float64{"fp32": 1e-4, "tf32": 4e-3, "bf16": 3e-2, "colsum": 2e-7, "ln_bwd": 1e-5}

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
	// Layer norm backward (B, T, D): gpu-m's and gpu-s's blocks.
	attn := [][4]int{{64, 256, 12, 768}, {512, 16, 4, 256}}
	cols := [][2]int{{64 * 256, 768}, {64 * 256, 3072}, {64 * 256, 4}}
	lns := [][3]int{{64, 256, 768}, {256, 16, 128}}
	if *size == "s" {
		attn = [][4]int{{2, 33, 2, 128}, {2, 16, 4, 256}}
		cols = [][2]int{{1000, 45}, {4096, 4}}
		lns = [][3]int{{3, 70, 40}, {16, 16, 128}}
	}
	for _, s := range attn {
		b.attention(s[0], s[1], s[2], s[3])
	}
	for _, s := range cols {
		b.colsum(s[0], s[1])
	}
	for _, s := range lns {
		b.lnBackward(s[0], s[1], s[2])
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
	c.Attention(co, cl, cq, nil, B, T, H, D)
	c.AttentionBackward(cg, cd, cq, nil, co, cl, B, T, H, D)
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
			g.Attention(o, l, gq, nil, B, T, H, D)
			e := max(maxErr(download(g, o, B*T*D), out), maxErr(download(g, l, B*H*T), lse))
			ms := b.time(g, func() { g.Attention(o, l, gq, nil, B, T, H, D) })
			b.emit(result{Family: "attention_fwd", Variant: variant, Shape: shape, MaxErr: e, Tol: tols[m.String()],
				OK: e <= tols[m.String()], Ms: ms})
		}
		if runB {
			g.AttentionBackward(dg, gd, gq, nil, go_, gl, B, T, H, D)
			e := maxErr(download(g, dg, B*T*3*D), dqkv)
			ms := b.time(g, func() { g.AttentionBackward(dg, gd, gq, nil, go_, gl, B, T, H, D) })
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

// lnBackward checks (and times) LayerNormModBackwardGated (kernel ln_bwd:
// rows, then the modulation and gate sums over row blocks) across the rows
// per block R, and with its own choice, against the CPU: dx, dshift,
// dscale, gdy and gdgate, the worst of the five.
func (b *bench) lnBackward(B, T, D int) {
	if !b.only.MatchString("ln_bwd") {
		return
	}
	shape := fmt.Sprintf("B=%d,T=%d,D=%d", B, T, D)
	r := rand.New(rand.NewPCG(uint64(B*T), uint64(D)))
	N, ld := B*T, 6*D // the modulation's row stride, as in the model
	x, dy, gy, dx0 := randn(r, N*D, 1), randn(r, N*D, 1), randn(r, N*D, 1), randn(r, N*D, 1)
	mod := randn(r, B*ld, 0.5)
	c := b.ref
	// mean and rstd of x from the CPU forward (y is scratch)
	cx, cmod := upload(c, x), upload(c, mod)
	cy, cm, cr := c.Alloc(N*D), c.Alloc(N), c.Alloc(N)
	view := func(be compute.Backend, m compute.Buffer, k int) compute.Buffer { return be.Slice(m, k*D, (B-1)*ld+D) }
	c.LayerNormMod(cy, cm, cr, cx, view(c, cmod, 0), view(c, cmod, 1), ld, B, T, D, 1e-6)
	mean, rstd := download(c, cm, N), download(c, cr, N)
	// every output starts as NaN but dx, which accumulates
	nan := make([]float32, B*ld)
	for i := range nan {
		nan[i] = float32(math.NaN())
	}
	cdx, cdy, cgy, cd := upload(c, dx0), upload(c, dy), upload(c, gy), upload(c, nan)
	cgdy := c.Alloc(N * D)
	c.LayerNormModBackwardGated(cdx, view(c, cd, 0), view(c, cd, 1), cdy, cx, cm, cr, view(c, cmod, 1), ld,
		cgdy, view(c, cd, 2), view(c, cmod, 2), cgy, ld, B, T, D)
	wdx, wgdy, wd := download(c, cdx, N*D), download(c, cgdy, N*D), download(c, cd, B*ld)
	g := b.gpus[gpu.MathTF32]
	gx, gmod, gm, gr, gdy, ggy := upload(g, x), upload(g, mod), upload(g, mean), upload(g, rstd), upload(g, dy), upload(g, gy)
	gdx, gd, ggdy := g.Alloc(N*D), g.Alloc(B*ld), g.Alloc(N*D)
	// the sums of the three modulation columns written: shift, scale, gate
	sums := func(v []float32) []float32 {
		var s []float32
		for bb := range B {
			s = append(s, v[bb*ld:bb*ld+3*D]...)
		}
		return s
	}
	check := func(variant string, R int) {
		f := func() {
			if R == 0 {
				g.LayerNormModBackwardGated(gdx, view(g, gd, 0), view(g, gd, 1), gdy, gx, gm, gr, view(g, gmod, 1), ld,
					ggdy, view(g, gd, 2), view(g, gmod, 2), ggy, ld, B, T, D)
			} else {
				g.LayerNormModBackwardGatedRows(R, gdx, view(g, gd, 0), view(g, gd, 1), gdy, gx, gm, gr, view(g, gmod, 1), ld,
					ggdy, view(g, gd, 2), view(g, gmod, 2), ggy, ld, B, T, D)
			}
		}
		g.Upload(gdx, dx0)
		g.Upload(gd, nan)
		f()
		e := max(maxErr(download(g, gdx, N*D), wdx), maxErr(download(g, ggdy, N*D), wgdy),
			maxErr(sums(download(g, gd, B*ld)), sums(wd)))
		ms := b.time(g, f) // (dx accumulates: the timing only)
		b.emit(result{Family: "ln_bwd", Variant: variant, Shape: shape, MaxErr: e, Tol: tols["ln_bwd"],
			OK: e <= tols["ln_bwd"], Ms: ms})
	}
	for R := 8; R < 2*T && R <= 256; R *= 2 {
		check(fmt.Sprintf("R=%d", min(R, T)), min(R, T))
	}
	check("default", 0)
	for _, x := range []compute.Buffer{gx, gmod, gm, gr, gdy, ggy, gdx, gd, ggdy} {
		g.Free(x)
	}
	for _, x := range []compute.Buffer{cx, cmod, cy, cm, cr, cdx, cdy, cgy, cd, cgdy} {
		c.Free(x)
	}
}
