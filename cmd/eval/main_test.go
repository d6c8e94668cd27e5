package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/internal/cli"
	"github.com/latentflow/latentflow/philox"
)

// bruteW2 is an optimal assignment found independently of package eval: the
// minimum over all n! permutations of the mean squared distance.
func bruteW2(a, b []float32, d int) float64 {
	n := len(a) / d
	best := math.Inf(1)
	used := make([]bool, n)
	var rec func(i int, s float64)
	rec = func(i int, s float64) {
		if s >= best {
			return
		}
		if i == n {
			best = s
			return
		}
		for j := 0; j < n; j++ {
			if used[j] {
				continue
			}
			var c float64
			for k := 0; k < d; k++ {
				t := float64(a[i*d+k]) - float64(b[j*d+k])
				c += t * t
			}
			used[j] = true
			rec(i+1, s+c)
			used[j] = false
		}
	}
	rec(0, 0)
	return math.Sqrt(best / float64(n))
}

func normals(n int, seed uint64, shift float32) []float32 {
	v := make([]float32, n)
	philox.Key{Seed: seed, Stream: 9}.FillNormal(v, 0)
	for i := range v {
		v[i] += shift
	}
	return v
}

func writeNPY(t *testing.T, dir, name string, shape []int, v []float32) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := data.WriteNPY(p, shape, v); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEvalTwoFiles(t *testing.T) {
	dir := t.TempDir()
	const n, d = 8, 3
	a, b, b2 := normals(n*d, 1, 0.5), normals(n*d, 2, 0), normals(n*d, 3, 0)
	pa := writeNPY(t, dir, "a.npy", []int{n, d}, a)
	pb := writeNPY(t, dir, "b.npy", []int{n, 1, d}, b) // (n, 1, 3): points of 3 coordinates
	pb2 := writeNPY(t, dir, "b2.npy", []int{n, d}, b2)
	js := filepath.Join(dir, "out.json")
	var out, errOut bytes.Buffer
	if err := run([]string{"-a", pa, "-b", pb, "-b2", pb2, "-train", pb2, "-json", js}, &out, &errOut); err != nil {
		t.Fatalf("eval: %v (%s)", err, errOut.String())
	}
	raw, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var r report
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	got := map[string][2]float64{}
	for _, x := range r.Results {
		got[x.Name] = [2]float64{x.Value, x.Floor}
	}
	if r.N != n || r.D != d {
		t.Errorf("n, d = %d, %d; want %d, %d", r.N, r.D, n, d)
	}
	if w := bruteW2(a, b, d); math.Abs(got["w2"][0]-w) > 1e-6 {
		t.Errorf("w2 = %.9g, brute force %.9g", got["w2"][0], w)
	}
	if w := bruteW2(b2, b, d); math.Abs(got["w2"][1]-w) > 1e-6 {
		t.Errorf("w2 floor = %.9g, brute force %.9g", got["w2"][1], w)
	}
	// b2 is the training set: its own points are at distance 0.
	if got["nearest_train"][1] != 0 || got["nearest_train"][0] <= 0 {
		t.Errorf("nearest_train = %v, want > 0 with floor 0", got["nearest_train"])
	}
	for _, name := range []string{"w2", "sinkhorn", "sliced_w2", "mmd2", "frechet", "nearest_train"} {
		if _, ok := got[name]; !ok {
			t.Errorf("no %s in the JSON", name)
		}
		if !strings.Contains(out.String(), name) {
			t.Errorf("no %s in the table:\n%s", name, out.String())
		}
	}
}

// Without -b2 the floor's set is the second half of -b.
func TestEvalSplitReference(t *testing.T) {
	dir := t.TempDir()
	const n, d = 7, 2
	a, b := normals(n*d, 4, 0), normals(2*n*d+d, 5, 0) // 2n+1 rows: the last is unused
	pa := writeNPY(t, dir, "a.npy", []int{n, d}, a)
	pb := writeNPY(t, dir, "b.npy", []int{2*n + 1, d}, b)
	js := filepath.Join(dir, "out.json")
	var out, errOut bytes.Buffer
	if err := run([]string{"-a", pa, "-b", pb, "-only", "w2", "-json", js}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(js)
	var r report
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Results) != 1 {
		t.Fatalf("results %+v, want w2 only", r.Results)
	}
	if w := bruteW2(a, b[:n*d], d); math.Abs(r.Results[0].Value-w) > 1e-6 {
		t.Errorf("w2 = %v, brute force %v", r.Results[0].Value, w)
	}
	if w := bruteW2(b[n*d:2*n*d], b[:n*d], d); math.Abs(r.Results[0].Floor-w) > 1e-6 {
		t.Errorf("floor = %v, brute force %v", r.Results[0].Floor, w)
	}
}

func TestEvalBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeNPY(t, dir, "good.npy", []int{10, 2}, normals(20, 1, 0))
	three := writeNPY(t, dir, "three.npy", []int{10, 3}, normals(30, 1, 0))
	nan := normals(20, 1, 0)
	nan[7] = float32(math.NaN())
	withNaN := writeNPY(t, dir, "nan.npy", []int{10, 2}, nan)
	flat := writeNPY(t, dir, "flat.npy", []int{10}, normals(10, 1, 0))
	junk := filepath.Join(dir, "junk.npy")
	if err := os.WriteFile(junk, []byte("not an npy file"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.npy")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-b", good}, "give exactly one of -a"},
		{[]string{"-a", good}, "-b REF.npy is required"},
		{[]string{"-a", missing, "-b", good}, "-a " + missing},
		{[]string{"-a", good, "-b", junk}, "-b " + junk},
		{[]string{"-a", good, "-b", three}, "points of 3 coordinates"},
		{[]string{"-a", flat, "-b", good}, "-a " + flat + ": shape [10]"},
		{[]string{"-a", withNaN, "-b", good}, withNaN + ": point 3 has coordinate NaN"},
		{[]string{"-a", good, "-b", good, "-n", "6"}, "-n 6: the sets allow at most 5"},
		{[]string{"-a", good, "-b", good, "-only", "w3"}, `-only: unknown measure "w3"`},
		{[]string{"-a", good, "-b", good, "-eps", "-1"}, "-eps -1"},
		{[]string{"-experiment", "nfe"}, "-experiment nfe needs -out"},
		{[]string{"-experiment", "fid", "-out", dir}, `-experiment "fid"`},
		{[]string{"-ckpt", missing}, "-ckpt " + missing},
		{[]string{"-a", three, "-b", three, "-checkerboard"}, "-checkerboard: the sets have 3 coordinates"},
		{[]string{"-experiment", "convergence", "-out", dir, "-seeds", "-1"}, "-seeds -1"},
	} {
		var out, errOut bytes.Buffer
		err := run(c.args, &out, &errOut)
		var ie cli.InputError
		if err == nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want an input error (exit 2) saying %q", c.args, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error of several lines: %q", c.args, err)
		}
	}
}
