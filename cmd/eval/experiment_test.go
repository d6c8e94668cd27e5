package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latentflow/latentflow/gpu"
	"github.com/latentflow/latentflow/philox"
)

// The NFE experiment end to end at its -quick sizes, on the checkerboard and
// the procedural digits' latents (no download): 3 paths x 2 seeds on each,
// trained through the one loop, every solver setting scored, figures and
// report written; a second run loads the models instead of training them.
func TestNFEExperimentQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twelve small models")
	}
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := run([]string{"-experiment", "nfe", "-quick", "-images", "digits", "-out", dir}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	raw, err := os.ReadFile(filepath.Join(dir, "nfe.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep nfeReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	// Per data set, model and seed: Euler 1,2,4,8; midpoint 2,4,8; RK4 4,8; Dopri5 at 2 tolerances.
	if len(rep.Data) != 2 || len(rep.Rows) != 2*3*2*11 || len(rep.Seeds) != 2 {
		t.Fatalf("%d data sets, %d rows, seeds %v", len(rep.Data), len(rep.Rows), rep.Seeds)
	}
	if rep.Trained != 12 || rep.Loaded != 0 {
		t.Errorf("first run: %d models trained, %d loaded; want 12, 0", rep.Trained, rep.Loaded)
	}
	cb, dg := rep.Data[0], rep.Data[1]
	if cb.Name != "checkerboard" || dg.Name != "digits" || cb.Dim != 2 || dg.Dim != 98 {
		t.Fatalf("data sets %+v, %+v", cb, dg)
	}
	if !(cb.W2Floor > 0 && dg.W2Floor > 0 && dg.FDFloor > 0 && dg.FDRecon > 0 && dg.AccReal > 0.2) {
		t.Errorf("floors: %+v", dg)
	}
	for _, d := range rep.Data {
		if len(d.Curvature) != 3 || len(d.Curvature[0]) != 2 || len(d.TrainSecs) != 3 {
			t.Errorf("%s: curvature %v, training seconds %v", d.Name, d.Curvature, d.TrainSecs)
		}
	}
	differ := false
	for i, r := range rep.Rows {
		if r.Solver != "dopri5" && r.NFE != r.Steps*map[string]int{"euler": 1, "midpoint": 2, "rk4": 4}[r.Solver] {
			t.Errorf("%+v: NFE is not steps x stages", r)
		}
		if !(r.W2 > 0) {
			t.Errorf("%+v", r)
		}
		if r.Data == "checkerboard" && (r.InCell < 0 || r.InCell > 1 || r.FD != 0) {
			t.Errorf("%+v", r)
		}
		if r.Data == "digits" && (!(r.FD > 0) || r.Acc < 0 || r.Acc > 1 || r.InCell != 0) {
			t.Errorf("%+v", r)
		}
		// The same setting of seed 1 (11 rows on): another model, other numbers.
		if r.Seed == 0 && i+11 < len(rep.Rows) && rep.Rows[i+11].Seed == 1 && rep.Rows[i+11].W2 != r.W2 {
			differ = true
		}
	}
	if !differ {
		t.Error("seeds 0 and 1 gave the same numbers everywhere")
	}
	for _, f := range []string{"nfe.md", "checkerboard-w2-vs-nfe.png", "checkerboard-incell-vs-nfe.png", "checkerboard-trajectories.png",
		"checkerboard-samples-euler4.png", "digits-w2-vs-nfe.png", "digits-fd-vs-nfe.png", "digits-acc-vs-nfe.png", "digits-samples.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "nfe.md"))
	for _, want := range []string{"| ot-coupled | ot | ot |", "## Found", "## digits", " ± ", "FD", "rows top to bottom: ot, euler NFE 2"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	errOut.Reset()
	if err := run([]string{"-experiment", "nfe", "-quick", "-images", "digits", "-out", dir}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(errOut.String(), "): loaded"); n != 12 {
		t.Errorf("%d models loaded on the second run, want 12:\n%s", n, errOut.String())
	}
	if !strings.Contains(errOut.String(), "digits: stage 1: loaded") {
		t.Errorf("the second run trained stage 1 again:\n%s", errOut.String())
	}
	raw, _ = os.ReadFile(filepath.Join(dir, "nfe.json"))
	var rep2 nfeReport
	if err := json.Unmarshal(raw, &rep2); err != nil || rep2.Loaded != 12 || rep2.Trained != 0 {
		t.Errorf("second run: %d trained, %d loaded, want 0, 12 (%v)", rep2.Trained, rep2.Loaded, err)
	}
	if md, _ := os.ReadFile(filepath.Join(dir, "nfe.md")); !strings.Contains(string(md), "12 loaded from -runs") {
		t.Errorf("the second report does not say that its models were loaded")
	}
	// bin/eval -ckpt on one of the models: samples against fresh data.
	js := filepath.Join(dir, "ckpt.json")
	out.Reset()
	if err := run([]string{"-ckpt", filepath.Join(dir, "runs", "checkerboard", "ot-seed0", "ckpt.safetensors"), "-n", "60", "-solver", "euler", "-steps", "3", "-json", js}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	raw, _ = os.ReadFile(js)
	var r report
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, x := range r.Results {
		names[x.Name] = true
	}
	if r.N != 60 || r.D != 2 || r.NFE != 3 || !names["w2"] || !names["in_cell"] || names["nearest_train"] {
		t.Errorf("-ckpt report %+v", r)
	}
}

// The image measures on inputs of known quality: the encoded held-out
// images score far better than Gaussian noise in latent space, in the
// feature Frechet distance and in the class accuracy.
func TestImageScores(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small autoencoder and classifier")
	}
	be, err := gpu.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	s := nfeSizes(true, 0, "digits", "").Image
	s.AESteps, s.ClsSteps = 300, 200
	ls, err := prepareLatents(be, s, t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	N, L := s.N, ls.L
	real := ls.test[N*L : 2*N*L] // the second held-out set, scored against the first
	labels := ls.im.YTest[N : 2*N]
	fdReal, accReal, _, err := ls.imageScores(be, real, labels)
	if err != nil {
		t.Fatal(err)
	}
	noise := make([]float32, N*L)
	philox.Key{Seed: 9}.FillNormal(noise, 0)
	for i := range noise { // noise of the latents' scale
		noise[i] = ls.ae.Mean[i%len(ls.ae.Mean)] + ls.ae.Std[i%len(ls.ae.Std)]*noise[i]
	}
	fdNoise, accNoise, _, err := ls.imageScores(be, noise, labels)
	if err != nil {
		t.Fatal(err)
	}
	if !(fdReal > 0 && fdNoise > 3*fdReal) {
		t.Errorf("FD: held-out latents %.3f, noise %.3f; want noise > 3x", fdReal, fdNoise)
	}
	if !(accReal > 0.6 && accNoise < 0.4) {
		t.Errorf("class accuracy: held-out latents %.3f, noise %.3f", accReal, accNoise)
	}
}

func TestStatAndCompare(t *testing.T) {
	s := statOf([]float64{1, 2, 3, math.NaN(), 6})
	if s.N != 4 || math.Abs(s.Mean-3) > 1e-15 || math.Abs(s.SD-math.Sqrt(14.0/3)) > 1e-12 {
		t.Errorf("statOf: %+v, want mean 3, sd sqrt(14/3), 4 values", s)
	}
	if s := statOf([]float64{2}); s.Mean != 2 || s.SD != 0 || s.pm(2) != "2.00" {
		t.Errorf("one value: %+v %q", s, s.pm(2))
	}
	a, b := stat{Mean: 1, SD: 0.1, N: 3}, stat{Mean: 1.5, SD: 0.1, N: 3}
	if !strings.HasPrefix(compare(a, b), "beats") || !strings.HasPrefix(compare(b, a), "loses") {
		t.Errorf("compare: %q, %q", compare(a, b), compare(b, a))
	}
	b.SD = 0.45
	if !strings.HasPrefix(compare(a, b), "ties") {
		t.Errorf("overlapping spreads: %q", compare(a, b))
	}
	// aggregate: two seeds of one setting become one line with their mean and spread.
	rows := []nfeRow{{Data: "d", Model: "m", Seed: 0, Solver: "euler", Steps: 2, NFE: 2, W2: 1},
		{Data: "d", Model: "m", Seed: 0, Solver: "dopri5", Tol: 1e-3, NFE: 10, W2: 0.5},
		{Data: "d", Model: "m", Seed: 1, Solver: "euler", Steps: 2, NFE: 2, W2: 3},
		{Data: "d", Model: "m", Seed: 1, Solver: "dopri5", Tol: 1e-3, NFE: 14, W2: 0.7}}
	ag := aggregate(rows)
	if len(ag) != 2 || ag[0].W2.Mean != 2 || math.Abs(ag[0].W2.SD-math.Sqrt2) > 1e-12 || ag[1].NFE.Mean != 12 {
		t.Errorf("aggregate: %+v", ag)
	}
	if a, ok := find(ag, "d", "m", "dopri5", 0, 1e-3); !ok || math.Abs(a.W2.Mean-0.6) > 1e-12 {
		t.Errorf("find dopri5: %+v %v", a, ok)
	}
}

func TestCurvature(t *testing.T) {
	straight := [][]float32{{0, 0}, {1, 1}, {2, 2}}
	if c := curvature(straight, 2); math.Abs(c) > 1e-12 {
		t.Errorf("straight path: %v, want 0", c)
	}
	corner := [][]float32{{0, 0}, {1, 0}, {1, 1}}
	if c := curvature(corner, 2); math.Abs(c-(2/math.Sqrt2-1)) > 1e-7 {
		t.Errorf("right-angle path: %v, want sqrt(2) - 1", c)
	}
	// Two paths: a straight one of length 3 and a corner of length 2, chord sqrt 2.
	two := [][]float32{{0, 0, 0, 0}, {1.5, 0, 1, 0}, {3, 0, 1, 1}}
	if c, want := curvature(two, 2), 5/(3+math.Sqrt2)-1; math.Abs(c-want) > 1e-7 {
		t.Errorf("two paths: %v, want %v", c, want)
	}
	// One path in 3D along three edges of the unit cube: length 3, chord sqrt 3.
	cube := [][]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {1, 1, 1}}
	if c, want := curvature(cube, 3), 3/math.Sqrt(3)-1; math.Abs(c-want) > 1e-7 {
		t.Errorf("3D path: %v, want %v", c, want)
	}
}

func TestFitSlope(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	y := []float64{0.5, 0, -0.5, -1}
	s, ci := fitSlope(x, y)
	if math.Abs(s+0.5) > 1e-12 || math.Abs(ci) > 1e-12 {
		t.Errorf("exact line: slope %v +- %v, want -0.5 +- 0", s, ci)
	}
	// Residuals +-0.1 alternating: rss 0.04, sxx 5, se = sqrt(0.04/2/5), ci = 4.303 se.
	y = []float64{0.6, -0.1, -0.4, -1.1}
	s, ci = fitSlope(x, y)
	var want float64
	{
		mx, my := 2.5, (0.6-0.1-0.4-1.1)/4
		var sxx, sxy float64
		for i := range x {
			sxx += (x[i] - mx) * (x[i] - mx)
			sxy += (x[i] - mx) * (y[i] - my)
		}
		want = sxy / sxx
		var rss float64
		for i := range x {
			r := y[i] - my - want*(x[i]-mx)
			rss += r * r
		}
		if wci := 4.303 * math.Sqrt(rss/2/sxx); math.Abs(ci-wci) > 1e-12 {
			t.Errorf("ci %v, want %v", ci, wci)
		}
	}
	if math.Abs(s-want) > 1e-12 {
		t.Errorf("slope %v, want %v", s, want)
	}
	if s, _ := fitSlope(x[:2], y[:2]); !math.IsNaN(s) {
		t.Errorf("two points: slope %v, want NaN", s)
	}
}

// The convergence experiment end to end at its -quick sizes, on the
// checkerboard and the digits' latents.
func TestConvergenceExperimentQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("trains eight small models")
	}
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := run([]string{"-experiment", "convergence", "-quick", "-images", "digits", "-out", dir}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	raw, err := os.ReadFile(filepath.Join(dir, "convergence.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep convReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 8 || len(rep.Data) != 2 || !(rep.Data[0].W2Floor > 0) || !(rep.Data[1].W2Floor > 0) || rep.Data[1].Dim != 98 {
		t.Fatalf("%d rows, data %+v", len(rep.Rows), rep.Data)
	}
	near := map[int]float64{}
	for _, r := range rep.Rows {
		if !(r.W2 > 0 && r.W2Memo > 0 && r.NearHeld > 0) {
			t.Errorf("%+v", r)
		}
		if r.Data == "digits latents" {
			// The training set of size n is the first n latents, whatever the seed.
			if v, ok := near[r.N]; ok && v != r.NearHeld {
				t.Errorf("n %d: held-out nearest distance %v and %v", r.N, v, r.NearHeld)
			}
			near[r.N] = r.NearHeld
		}
	}
	// A larger training set lies closer to held-out points.
	if !(near[400] < near[100]) {
		t.Errorf("held-out nearest distance n 100: %v, n 400: %v", near[100], near[400])
	}
	for _, f := range []string{"convergence.md", "checkerboard-w2-vs-n.png", "digits-latents-w2-vs-n.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "convergence.md"))
	if !strings.Contains(string(md), "## digits latents") || !strings.Contains(string(md), "memoriser") {
		t.Errorf("report:\n%s", md)
	}
}
