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
}
