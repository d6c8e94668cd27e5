package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/latentflow/latentflow/internal/cli"
)

// runLines runs bench with args and returns its JSON lines.
func runLines(t *testing.T, args ...string) ([]map[string]any, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	done := make(chan []map[string]any)
	go func() {
		var lines []map[string]any
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("not a JSON line: %q", sc.Text())
			}
			lines = append(lines, m)
		}
		done <- lines
	}()
	err = run(args)
	w.Close()
	os.Stdout = stdout
	return <-done, err
}

// TestBenchLines: a tiny shape on the CPU prints the train line (timed in
// the loop, with and without the device-side step values) and the three
// sampling lines, with the schema's keys and the solvers' NFE.
func TestBenchLines(t *testing.T) {
	tiny := []string{"-tokens", "2", "-chans", "2", "-d", "8", "-layers", "1", "-heads", "2", "-batch", "4",
		"-steps", "2", "-warmup", "2", "-nsample", "5", "-nfe", "4"}
	for _, graph := range []string{"-graph=true", "-graph=false"} {
		lines, err := runLines(t, append(tiny, graph)...)
		if err != nil {
			t.Fatal(err)
		}
		var whats []string
		for _, l := range lines {
			whats = append(whats, l["what"].(string))
		}
		if len(lines) != 4 || whats[0] != "train" || whats[1] != "sample_euler" || whats[2] != "sample_rk4" || whats[3] != "sample_dopri5" {
			t.Fatalf("%s: lines %v", graph, whats)
		}
		tr := lines[0]
		if ms, ok := tr["step_ms"].(float64); !ok || !(ms > 0) {
			t.Errorf("%s: step_ms %v", graph, tr["step_ms"])
		}
		if tr["graph"] != (graph == "-graph=true") || tr["batch"] != 4.0 || tr["impl"] != "latentflow-cpu" {
			t.Errorf("%s: train line %v", graph, tr)
		}
		if lines[1]["nfe"] != 4.0 || lines[2]["nfe"] != 4.0 || lines[1]["n"] != 5.0 {
			t.Errorf("%s: Euler-4 NFE %v, RK4-1 NFE %v, n %v", graph, lines[1]["nfe"], lines[2]["nfe"], lines[1]["n"])
		}
		if nfe, _ := lines[3]["nfe"].(float64); nfe < 8 || lines[3]["accepted"] == nil {
			t.Errorf("%s: dopri5 line %v", graph, lines[3])
		}
	}
}

// TestBenchBadInput: flags out of range are input errors (exit status 2).
func TestBenchBadInput(t *testing.T) {
	for _, args := range [][]string{{"-warmup", "1"}, {"-steps", "0"}, {"-shape", "huge"}, {"-d", "-1"}, {"-peak-tflops", "0"}} {
		_, err := runLines(t, args...)
		var ie cli.InputError
		if !errors.As(err, &ie) {
			t.Errorf("%v: %v, want an input error", args, err)
		}
	}
}
