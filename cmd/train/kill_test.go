package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latentflow/latentflow/internal/atomicfile"
	"github.com/latentflow/latentflow/model"
)

// TestKillResume is the kill test (long; LATENTFLOW_KILLTEST=1 runs it,
// LATENTFLOW_KILLTEST_N sets the number of kills, 50 by default):
// bin/train on a tiny checkerboard with a checkpoint every 5 steps is
// killed with SIGKILL at random moments and resumed with -resume -out DIR
// each time (started afresh while DIR holds no config.toml yet). After
// every kill the checkpoint, if any, loads; when a run reaches its end its
// metrics (step, loss, gradient norm, learning rate) and its final state
// (weights, EMA, AdamW moments) must equal those of an uninterrupted run,
// and no temporary file may be left in DIR. A kill that lands after the
// run ended does not count; kills go on in a new directory until N landed.
//
//	LATENTFLOW_KILLTEST=1 go test -run TestKillResume -v ./cmd/train/
func TestKillResume(t *testing.T) {
	if os.Getenv("LATENTFLOW_KILLTEST") != "1" {
		t.Skip("the kill test runs with LATENTFLOW_KILLTEST=1")
	}
	kills := 50
	if s := os.Getenv("LATENTFLOW_KILLTEST_N"); s != "" {
		kills, _ = strconv.Atoi(s)
	}
	args := []string{"-set", "data.kind=checkerboard", "-set", "data.size=0", "-set", "model.tokens=2", "-set", "model.chans=1",
		"-set", "model.num_classes=0", "-set", "model.d=16", "-set", "model.layers=1", "-set", "model.heads=2",
		"-set", "train.steps=300", "-set", "train.batch=64", "-set", "train.log_every=5", "-set", "train.ckpt_every=5",
		"-set", "train.plots=false", "-set", "sample.n=100", "-set", "sample.steps=2"}
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	start := time.Now()
	if out, errOut, code := runCmd(t, "train", append(args, "-out", ref)...); code != 0 {
		t.Fatalf("reference run: exit %d\n%s\n%s", code, out, errOut)
	}
	full := time.Since(start)
	refMetrics := metricsNoTime(t, filepath.Join(ref, "metrics.jsonl"))
	refState, err := model.LoadCheckpoint(filepath.Join(ref, "ckpt.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("uninterrupted run: %v, %d metrics lines", full, len(refMetrics))

	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	landed, runs, finished := 0, 0, 0
	withCkpt, withTemp := 0, 0 // kills after the first checkpoint; kills that left a temporary file
	run := ""
	for landed < kills {
		if run == "" {
			runs++
			run = filepath.Join(dir, "run"+strconv.Itoa(runs))
		}
		a := append([]string{}, args...)
		if _, err := os.Stat(filepath.Join(run, "config.toml")); err == nil {
			a = []string{"-out", run, "-resume"} // the README's command
		} else {
			a = append(a, "-out", run)
		}
		cmd := exec.Command(filepath.Join(binDir, "train"), a...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		wait := time.Duration(rng.Int64N(int64(full / 2))) // resumed runs have less left to do
		var err error
		killed := false
		select {
		case err = <-done:
		case <-time.After(wait):
			cmd.Process.Signal(syscall.SIGKILL)
			err = <-done
			killed = isKilled(err)
		}
		switch {
		case killed:
			landed++
			if tmp, _ := filepath.Glob(filepath.Join(run, ".*.tmp-*")); len(tmp) > 0 {
				withTemp++
			}
			if _, serr := os.Stat(filepath.Join(run, "ckpt.safetensors")); serr == nil {
				withCkpt++
				if _, lerr := model.LoadCheckpoint(filepath.Join(run, "ckpt.safetensors")); lerr != nil {
					t.Fatalf("kill %d after %v: the checkpoint does not load: %v", landed, wait, lerr)
				}
			}
		case err != nil:
			t.Fatalf("run %s ended with %v\n%s\n%s", run, err, o.String(), e.String())
		default: // the run reached its end: compare, then start another
			finished++
			checkLikeReference(t, run, refMetrics, refState)
			run = ""
		}
	}
	// Finish the last run and compare it too.
	if run != "" {
		if out, errOut, code := runCmd(t, "train", "-out", run, "-resume"); code != 0 {
			t.Fatalf("final resume: exit %d\n%s\n%s", code, out, errOut)
		}
		finished++
		checkLikeReference(t, run, refMetrics, refState)
	}
	t.Logf("%d of %d kills landed during %d runs (%d after a checkpoint, %d leaving a temporary file); every run resumed to the end equals the uninterrupted one (%d compared)",
		landed, kills, runs, withCkpt, withTemp, finished)
}

func isKilled(err error) bool {
	ee, ok := err.(*exec.ExitError)
	if !ok {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// metricsNoTime returns the lines of a metrics.jsonl without it_per_s and
// elapsed_s (wall times), as step, loss, grad_norm and lr.
func metricsNoTime(t *testing.T, path string) []string {
	var out []string
	for _, r := range records(t, path) {
		out = append(out, strconv.Itoa(r.Step)+" "+strconv.FormatFloat(r.Loss, 'g', -1, 64)+" "+
			strconv.FormatFloat(r.GradNorm, 'g', -1, 64)+" "+strconv.FormatFloat(r.LR, 'g', -1, 64))
	}
	return out
}

func checkLikeReference(t *testing.T, run string, refMetrics []string, ref *model.Checkpoint) {
	t.Helper()
	got := metricsNoTime(t, filepath.Join(run, "metrics.jsonl"))
	if !slices.Equal(got, refMetrics) {
		t.Fatalf("%s: metrics differ from the uninterrupted run:\n%s\nwant\n%s", run, strings.Join(got, "\n"), strings.Join(refMetrics, "\n"))
	}
	st, err := model.LoadCheckpoint(filepath.Join(run, "ckpt.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Step != ref.Step || !slices.Equal(st.Params, ref.Params) || !slices.Equal(st.EMA, ref.EMA) ||
		!slices.Equal(st.M, ref.M) || !slices.Equal(st.V, ref.V) {
		t.Fatalf("%s: the final state differs from the uninterrupted run's", run)
	}
	ents, _ := os.ReadDir(run)
	for _, e := range ents {
		if atomicfile.IsTemp(e.Name()) {
			t.Fatalf("%s: temporary file %s left", run, e.Name())
		}
	}
}
