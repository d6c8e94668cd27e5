package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binaries builds bin/train and bin/sample into a temporary directory once.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "latentflow-cmd-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	for _, c := range []string{"train", "sample", "bench"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, c), "../"+c).CombinedOutput()
		if err != nil {
			os.Stderr.Write(out)
			panic(err)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runCmd(t *testing.T, name string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("running %s: %v", name, err)
	}
	return o.String(), e.String(), code
}

// tiny is a 2D checkerboard configuration that trains in about a second.
var tiny = []string{"-set", "data.kind=checkerboard", "-set", "model.tokens=2", "-set", "model.chans=1",
	"-set", "model.num_classes=0", "-set", "model.d=16", "-set", "model.layers=1", "-set", "model.heads=2",
	"-set", "train.steps=40", "-set", "train.batch=64", "-set", "train.log_every=10",
	"-set", "train.ckpt_every=20", "-set", "sample.n=200", "-set", "sample.steps=4"}

func TestTrainSampleEndToEnd(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	out, errOut, code := runCmd(t, "train", append(tiny, "-out", run)...)
	if code != 0 {
		t.Fatalf("train exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(out, "results in "+run) {
		t.Errorf("train does not say where its results are:\n%s", out)
	}
	for _, f := range []string{"config.toml", "ckpt.safetensors", "metrics.jsonl", "loss.png", "samples.png", "trajectories.png"} {
		if st, err := os.Stat(filepath.Join(run, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	metrics, _ := os.ReadFile(filepath.Join(run, "metrics.jsonl"))
	if n := strings.Count(string(metrics), "\n"); n != 4 {
		t.Errorf("metrics.jsonl has %d lines, want 4 (every 10 of 40 steps)", n)
	}

	// Resume beyond the end: continue to step 60 from the checkpoint at 40.
	out, errOut, code = runCmd(t, "train", append(tiny, "-set", "train.steps=60", "-out", run, "-resume")...)
	if code != 0 || !strings.Contains(out, "resuming") {
		t.Fatalf("resume exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	npy := filepath.Join(dir, "s.npy")
	out, errOut, code = runCmd(t, "sample", "-ckpt", filepath.Join(run, "ckpt.safetensors"), "-n", "100",
		"-solver", "heun", "-steps", "5", "-npy", npy, "-png", filepath.Join(dir, "s.png"))
	if code != 0 {
		t.Fatalf("sample exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(out, "NFE 10") {
		t.Errorf("sample output does not report NFE 10 (heun, 5 steps):\n%s", out)
	}
	if st, err := os.Stat(npy); err != nil || st.Size() != 128+100*2*4 {
		t.Errorf("%s: %v, size %v; want a 100x2 float32 .npy", npy, err, st)
	}
}

// Bad input: one line on stderr naming the problem, exit status 2, no panic.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknown := write("unknown.toml", "[train]\nlrr = 0.1\n")
	mistyped := write("mistyped.toml", "[train]\nbatch = \"many\"\n")
	corrupt := write("corrupt.safetensors", "\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":1}")
	cases := []struct {
		cmd  string
		args []string
		want string // a fragment the message must contain
	}{
		{"train", []string{"-config", unknown}, "train.lrr"},
		{"train", []string{"-config", mistyped}, "train.batch"},
		{"train", []string{"-set", "train.batch=-4"}, "train.batch"},
		{"train", []string{"-set", "model.heads=3"}, "heads"},
		{"train", []string{"-config", filepath.Join(dir, "missing.toml")}, "missing.toml"},
		{"train", []string{"-set", "device=cuda", "-out", filepath.Join(dir, "x")}, "CUDA"},
		{"train", []string{"-resume", "-out", filepath.Join(dir, "nothing")}, "ckpt.safetensors"},
		{"train", []string{"-bogus"}, "bogus"},
		{"sample", []string{"-ckpt", filepath.Join(dir, "missing.safetensors")}, "missing.safetensors"},
		{"sample", []string{"-ckpt", corrupt}, "corrupt.safetensors"},
		{"sample", []string{}, "-ckpt"},
		{"bench", []string{"-shape", "huge"}, "huge"},
	}
	for _, c := range cases {
		_, errOut, code := runCmd(t, c.cmd, c.args...)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "panic") {
			t.Errorf("%s %v: exit %d, stderr %q; want exit 2 and one line mentioning %q", c.cmd, c.args, code, errOut, c.want)
		}
	}
}

// An unknown solver in a valid checkpoint, and a checkpoint with a flipped byte.
func TestBadSamplerInput(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	if out, errOut, code := runCmd(t, "train", append(tiny, "-set", "train.plots=false", "-out", run)...); code != 0 {
		t.Fatalf("train exit %d: %s %s", code, out, errOut)
	}
	ckpt := filepath.Join(run, "ckpt.safetensors")
	_, errOut, code := runCmd(t, "sample", "-ckpt", ckpt, "-solver", "leapfrog")
	if code != 2 || !strings.Contains(errOut, "leapfrog") {
		t.Errorf("unknown solver: exit %d, stderr %q", code, errOut)
	}
	b, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-5] ^= 0x40
	bad := filepath.Join(dir, "flipped.safetensors")
	os.WriteFile(bad, b, 0o644)
	_, errOut, code = runCmd(t, "sample", "-ckpt", bad)
	if code != 2 || !strings.Contains(errOut, "checksum") {
		t.Errorf("flipped byte: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = runCmd(t, "sample", "-ckpt", ckpt, "-n", "-3")
	if code != 2 || !strings.Contains(errOut, "-n") {
		t.Errorf("negative -n: exit %d, stderr %q", code, errOut)
	}
}
