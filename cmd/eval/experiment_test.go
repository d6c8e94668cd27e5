package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The NFE experiment end to end at its -quick sizes: three models trained
// through the one loop, every solver setting scored, figures and report
// written; a second run loads the models instead of training them again.
func TestNFEExperimentQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three small models")
	}
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := run([]string{"-experiment", "nfe", "-quick", "-out", dir}, &out, &errOut); err != nil {
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
	// Per model: Euler 1,2,4,8; midpoint 2,4,8; RK4 4,8; Dopri5 at 2 tolerances.
	if len(rep.Rows) != 3*11 || !(rep.W2Floor > 0) || len(rep.Curvature) != 3 {
		t.Fatalf("%d rows, floor %v, curvature %v", len(rep.Rows), rep.W2Floor, rep.Curvature)
	}
	for _, r := range rep.Rows {
		if r.Solver != "dopri5" && r.NFE != r.Steps*map[string]int{"euler": 1, "midpoint": 2, "rk4": 4}[r.Solver] {
			t.Errorf("%+v: NFE is not steps x stages", r)
		}
		if !(r.W2 > 0) || r.InCell < 0 || r.InCell > 1 {
			t.Errorf("%+v", r)
		}
	}
	for _, f := range []string{"nfe.md", "w2-vs-nfe.png", "incell-vs-nfe.png", "trajectories.png", "samples-euler4.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "nfe.md"))
	if !strings.Contains(string(md), "| ot-coupled | ot | ot |") || !strings.Contains(string(md), "## Found") {
		t.Errorf("report:\n%s", md)
	}
	errOut.Reset()
	if err := run([]string{"-experiment", "nfe", "-quick", "-out", dir}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(errOut.String(), "trained") && !strings.Contains(errOut.String(), "loaded") {
		t.Errorf("the second run trained again:\n%s", errOut.String())
	}
	if n := strings.Count(errOut.String(), ": loaded"); n != 3 {
		t.Errorf("%d models loaded on the second run, want 3:\n%s", n, errOut.String())
	}
	// bin/eval -ckpt on one of the models: samples against fresh data.
	js := filepath.Join(dir, "ckpt.json")
	out.Reset()
	if err := run([]string{"-ckpt", filepath.Join(dir, "runs", "ot", "ckpt.safetensors"), "-n", "60", "-solver", "euler", "-steps", "3", "-json", js}, &out, &errOut); err != nil {
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

func TestCurvature(t *testing.T) {
	straight := [][]float32{{0, 0}, {1, 1}, {2, 2}}
	if c := curvature(straight); math.Abs(c) > 1e-12 {
		t.Errorf("straight path: %v, want 0", c)
	}
	corner := [][]float32{{0, 0}, {1, 0}, {1, 1}}
	if c := curvature(corner); math.Abs(c-(2/math.Sqrt2-1)) > 1e-7 {
		t.Errorf("right-angle path: %v, want sqrt(2) - 1", c)
	}
	// Two paths: a straight one of length 3 and a corner of length 2, chord sqrt 2.
	two := [][]float32{{0, 0, 0, 0}, {1.5, 0, 1, 0}, {3, 0, 1, 1}}
	if c, want := curvature(two), 5/(3+math.Sqrt2)-1; math.Abs(c-want) > 1e-7 {
		t.Errorf("two paths: %v, want %v", c, want)
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

// The convergence experiment end to end at its -quick sizes.
func TestConvergenceExperimentQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("trains four small models")
	}
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := run([]string{"-experiment", "convergence", "-quick", "-out", dir}, &out, &errOut); err != nil {
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
	if len(rep.Rows) != 4 || !(rep.W2Floor > 0) {
		t.Fatalf("%d rows, floor %v", len(rep.Rows), rep.W2Floor)
	}
	for _, r := range rep.Rows {
		if !(r.W2 > 0 && r.W2Memo > 0 && r.NearHeld > 0) {
			t.Errorf("%+v", r)
		}
	}
	for _, f := range []string{"convergence.md", "w2-vs-n.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
