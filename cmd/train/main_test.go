package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latentflow/latentflow/data"
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
		{"train", []string{"-set", "model.heads=5"}, "heads"},
		{"train", []string{"-config", filepath.Join(dir, "missing.toml")}, "missing.toml"},
		{"train", []string{"-set", "device=cuda", "-out", filepath.Join(dir, "x")}, "CUDA"},
		{"train", []string{"-resume", "-out", filepath.Join(dir, "nothing")}, "config.toml"},
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

// tinyImages is a digits run through both stages in a few seconds.
var tinyImages = []string{"-set", "data.size=300", "-set", "data.test_size=50", "-set", "autoencoder.width=32",
	"-set", "autoencoder.depth=1", "-set", "autoencoder.steps=20", "-set", "autoencoder.batch=32",
	"-set", "model.d=16", "-set", "model.layers=1", "-set", "model.heads=2", "-set", "train.steps=10",
	"-set", "train.batch=32", "-set", "train.log_every=5", "-set", "classifier.steps=10",
	"-set", "classifier.width=16", "-set", "sample.n=20", "-set", "sample.grid=2", "-set", "sample.steps=2"}

// The latent pipeline end to end: stage 1, the latent cache, stage 2, the
// classifier, the sample grid; then bin/sample per class and for all classes,
// reusing the autoencoder through autoencoder.checkpoint, and imported latents.
func TestImagePipelineEndToEnd(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	out, errOut, code := runCmd(t, "train", append(tinyImages, "-out", run)...)
	if code != 0 {
		t.Fatalf("train exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, f := range []string{"autoencoder.safetensors", "classifier.safetensors", "ckpt.safetensors", "latents.npy",
		"labels.npy", "reconstructions.png", "ae_loss.png", "loss.png", "samples.png", "samples.npy", "samples_labels.npy", "eval.json"} {
		if st, err := os.Stat(filepath.Join(run, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	for _, want := range []string{"test-set reconstruction PSNR", "accuracy on the 50 test images", "the classifier assigns"} {
		if !strings.Contains(out, want) {
			t.Errorf("train output lacks %q:\n%s", want, out)
		}
	}
	// The list of files at the end names every file of the run directory.
	entries, err := os.ReadDir(run)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.Contains(out, "  "+filepath.Join(run, e.Name())+"\n") {
			t.Errorf("the final file list leaves out %s:\n%s", e.Name(), out)
		}
	}
	// stderr is not a terminal here: plain progress lines, one per stage at least
	// (the first step of each), never a rewritten line.
	for _, want := range []string{"autoencoder step 1/", "classifier step 1/", "\nstep 1/"} {
		if !strings.Contains("\n"+errOut, want) {
			t.Errorf("stderr lacks the progress line %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "\r") {
		t.Errorf("progress off a terminal rewrites lines:\n%q", errOut)
	}
	shape, v, err := data.ReadNPY(filepath.Join(run, "samples.npy"))
	if err != nil || len(shape) != 3 || shape[0] != 20 || shape[1] != 28 || shape[2] != 28 {
		t.Errorf("samples.npy: shape %v, err %v; want [20 28 28]", shape, err)
	}
	for _, x := range v {
		if !(x >= 0 && x <= 1) {
			t.Fatalf("samples.npy holds %g, outside [0,1]", x)
		}
	}

	ckpt := filepath.Join(run, "ckpt.safetensors")
	npy := filepath.Join(dir, "three.npy")
	out, errOut, code = runCmd(t, "sample", "-ckpt", ckpt, "-n", "7", "-class", "3", "-cfg", "2", "-npy", npy)
	if code != 0 || !strings.Contains(out, "guidance 2") || !strings.Contains(out, "the classifier assigns") {
		t.Fatalf("sample -class 3: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if shape, _, err := data.ReadNPY(npy); err != nil || len(shape) != 3 || shape[0] != 7 {
		t.Errorf("%s: shape %v, err %v; want [7 28 28]", npy, shape, err)
	}
	png := filepath.Join(dir, "all.png")
	if out, errOut, code = runCmd(t, "sample", "-ckpt", ckpt, "-class", "all", "-per-class", "3", "-png", png); code != 0 {
		t.Fatalf("sample -class all: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(out, "30 samples") {
		t.Errorf("-class all -per-class 3 should draw 30 samples:\n%s", out)
	}
	if st, err := os.Stat(png); err != nil || st.Size() == 0 {
		t.Errorf("%s missing: %v", png, err)
	}

	// Stage 1 skipped: a pre-trained autoencoder.
	run2 := filepath.Join(dir, "run2")
	out, errOut, code = runCmd(t, "train", append(tinyImages, "-set", "autoencoder.checkpoint="+filepath.Join(run, "autoencoder.safetensors"),
		"-set", "classifier.steps=0", "-set", "train.plots=false", "-out", run2)...)
	if code != 0 || !strings.Contains(out, "loaded the autoencoder") || strings.Contains(out, "training the autoencoder") {
		t.Fatalf("train with autoencoder.checkpoint: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	// Imported latents (the cache of the first run) with labels; sampling writes latents.
	run3 := filepath.Join(dir, "run3")
	out, errOut, code = runCmd(t, "train", append(tinyImages, "-set", "data.npy="+filepath.Join(run, "latents.npy"),
		"-set", "data.labels="+filepath.Join(run, "labels.npy"), "-set", "train.plots=false", "-out", run3)...)
	if code != 0 || !strings.Contains(out, "imported latents: 300 rows of 7 x 14") {
		t.Fatalf("train on imported latents: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	lat := filepath.Join(dir, "lat.npy")
	if out, errOut, code = runCmd(t, "sample", "-ckpt", filepath.Join(run3, "ckpt.safetensors"), "-n", "5", "-class", "1", "-npy", lat); code != 0 {
		t.Fatalf("sample latents: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if shape, _, err := data.ReadNPY(lat); err != nil || !slices.Equal(shape, []int{5, 7, 14}) {
		t.Errorf("%s: shape %v, err %v; want [5 7 14]", lat, shape, err)
	}
}

// Malformed IDX and .npy files, a wrong autoencoder.checkpoint and mismatched
// labels: one clear line, exit status 2.
func TestBadLatentInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	idxDir := filepath.Join(dir, "idx")
	os.MkdirAll(idxDir, 0o755)
	// images header claims 10 images of 28x28 but holds 3 bytes; labels fine
	os.WriteFile(filepath.Join(idxDir, "train-images-idx3-ubyte"), []byte{0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3}, 0o644)
	os.WriteFile(filepath.Join(idxDir, "train-labels-idx1-ubyte"), []byte{0, 0, 8, 1, 0, 0, 0, 10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 0o644)
	notNPY := write("latents.npy", []byte("this is not an npy file"))
	good := filepath.Join(dir, "good.npy")
	if err := data.WriteNPY(good, []int{4, 98}, make([]float32, 4*98)); err != nil {
		t.Fatal(err)
	}
	wrongShape := filepath.Join(dir, "wrong.npy")
	data.WriteNPY(wrongShape, []int{4, 5}, make([]float32, 20))
	fewLabels := filepath.Join(dir, "labels.npy")
	data.WriteNPYInt64(fewLabels, []int{3}, []int64{0, 1, 2})
	notAE := write("ae.safetensors", []byte("\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":1}"))
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-set", "data.kind=mnist", "-set", "data.path=" + idxDir}, "train-images-idx3-ubyte"},
		{[]string{"-set", "data.kind=fashion-mnist", "-set", "data.path=" + filepath.Join(dir, "none")}, "data.path"},
		{[]string{"-set", "data.npy=" + notNPY}, "latents.npy"},
		{[]string{"-set", "data.npy=" + wrongShape}, "shape [4 5]"},
		{[]string{"-set", "data.npy=" + good}, "data.labels"},
		{[]string{"-set", "data.npy=" + good, "-set", "data.labels=" + fewLabels}, "3 labels for 4 latents"},
		{[]string{"-set", "autoencoder.checkpoint=" + notAE}, "ae.safetensors"},
		{[]string{"-set", "autoencoder.checkpoint=" + filepath.Join(dir, "missing.safetensors")}, "missing.safetensors"},
	}
	for _, c := range cases {
		args := append(append([]string{}, tinyImages...), c.args...)
		_, errOut, code := runCmd(t, "train", append(args, "-out", filepath.Join(dir, "out"))...)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "panic") {
			t.Errorf("train %v: exit %d, stderr %q; want exit 2 and one line mentioning %q", c.args, code, errOut, c.want)
		}
	}
}
