package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/internal/sysmem"
	"github.com/latentflow/latentflow/model"
)

// refused checks the contract for input the user caused: exit status 2, one
// line on stderr that contains want, no panic or goroutine dump.
func refused(t *testing.T, name string, args []string, want string) {
	t.Helper()
	_, errOut, code := runCmd(t, name, args...)
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code != 2 || len(lines) != 1 || !strings.Contains(errOut, want) ||
		strings.Contains(errOut, "panic") || strings.Contains(errOut, "goroutine") {
		t.Errorf("%s %v: exit %d, stderr %q; want exit 2 and one line mentioning %q", name, args, code, errOut, want)
	}
	if strings.Contains(errOut, name+": "+name+": ") {
		t.Errorf("%s %v: doubled prefix: %q", name, args, errOut)
	}
	if strings.Contains(errOut, ".tmp-") {
		t.Errorf("%s %v: the message names a temporary file: %q", name, args, errOut)
	}
}

// writeCheckpoint trains nothing: it writes a checkpoint of a tiny model
// whose embedded config is edited by edit (a forged or damaged file).
func writeCheckpoint(t *testing.T, path string, edit func(*config.Config)) {
	writeCheckpointOf(t, path, nil, edit)
}

// writeCheckpointOf is writeCheckpoint of the tiny model reshaped by shape.
func writeCheckpointOf(t *testing.T, path string, shape, edit func(*config.Config)) {
	t.Helper()
	c := config.Default()
	c.Data.Kind, c.Model.Tokens, c.Model.Chans, c.Model.NumClasses = "checkerboard", 2, 1, 0
	c.Model.D, c.Model.Layers, c.Model.Heads = 16, 1, 2
	if shape != nil {
		shape(&c)
	}
	m := model.NewDiT(model.ConfigFrom(c))
	p := m.Init(1)
	st := &model.Checkpoint{Config: c, Model: m, Params: p, EMA: p, M: make([]float32, len(p)), V: make([]float32, len(p)),
		Mean: make([]float32, c.Model.Chans), Std: make([]float32, c.Model.Chans)}
	for i := range st.Std {
		st.Std[i] = 1
	}
	if edit != nil {
		edit(&st.Config)
	}
	if err := st.Save(path); err != nil {
		t.Fatal(err)
	}
}

// Sizes nothing bounded, memory estimates, output paths: every case is
// refused before work starts, with one line naming the key, flag or file.
func TestRefusedBeforeWork(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	good := filepath.Join(dir, "good.safetensors")
	writeCheckpoint(t, good, nil)
	forged := map[string]func(*config.Config){
		"layers": func(c *config.Config) { c.Model.Layers = 1_000_000_000 },
		"d":      func(c *config.Config) { c.Model.D = 100_000_000 },
		"steps":  func(c *config.Config) { c.Sample.Steps = 1_000_000_000_000 },
		"wide":   func(c *config.Config) { c.Model.D, c.Model.MLPRatio = 65536, 64 },
	}
	for name, edit := range forged {
		writeCheckpoint(t, filepath.Join(dir, name+".safetensors"), edit)
	}
	// latents of 64 x 64 floats: -n 90000000 of them need terabytes
	writeCheckpointOf(t, filepath.Join(dir, "fat.safetensors"), func(c *config.Config) {
		c.Data.NPY, c.Model.Tokens, c.Model.Chans = "latents.npy", 64, 64
	}, nil)
	ck := func(name string) string { return filepath.Join(dir, name+".safetensors") }
	cases := []struct {
		cmd  string
		args []string
		want string
	}{
		{"train", []string{"-set", "model.d=100000000"}, "model.d"},
		{"train", []string{"-set", "train.batch=100000000"}, "train.batch"},
		{"train", []string{"-set", "model.layers=1000000000"}, "model.layers"},
		{"train", []string{"-set", "sample.steps=1000000000000"}, "sample.steps"},
		{"train", []string{"-set", "train.ckpt_minutes=-1"}, "train.ckpt_minutes"},
		{"train", []string{"-set", "train.batch=1000000", "-set", "model.d=4096", "-out", filepath.Join(dir, "big")}, "lower train.batch"},
		{"train", []string{"-set", "data.size=100000000", "-out", filepath.Join(dir, "big")}, "lower data.size"},
		{"train", []string{"-set", "model.d=65536", "-set", "model.layers=1024", "-set", "model.heads=1", "-out", filepath.Join(dir, "big")}, "model.d, model.layers"},
		{"train", append(append([]string{}, tiny...), "-out", file), "-out " + file},
		{"train", append(append([]string{}, tiny...), "-out", filepath.Join(file, "run")), "-out " + filepath.Join(file, "run")},
		{"sample", []string{"-ckpt", ck("layers")}, "model.layers"},
		{"sample", []string{"-ckpt", ck("d")}, "model.d"},
		{"sample", []string{"-ckpt", ck("steps")}, "sample.steps"},
		{"sample", []string{"-ckpt", ck("wide")}, "parameters"},
		{"sample", []string{"-ckpt", good, "-n", "1000000000"}, "-n 1000000000"},
		{"sample", []string{"-ckpt", ck("fat"), "-n", "90000000"}, "lower -n"},
		{"train", []string{"-config", "/dev/zero"}, "/dev/zero: not a regular file"},
		{"train", []string{"-set", "data.npy=/dev/zero", "-out", filepath.Join(dir, "big")}, "data.npy"},
		{"train", []string{"-set", "data.kind=mnist", "-set", "data.path=" + dir, "-out", filepath.Join(dir, "big")}, "data.path"},
		{"train", []string{"-set", "autoencoder.checkpoint=" + good, "-set", "data.size=50", "-out", filepath.Join(dir, "big")}, "autoencoder.checkpoint"},
		{"sample", []string{"-ckpt", "/dev/zero"}, "/dev/zero"},
		{"sample", []string{"-ckpt", good, "-cfg", "-2"}, "-cfg -2"},
		{"sample", []string{"-ckpt", good, "-steps", "0"}, "-steps 0"},
		{"sample", []string{"-ckpt", good, "-steps", "1000000"}, "-steps 1000000"},
		{"sample", []string{"-ckpt", good, "-rtol", "0"}, "-rtol 0"},
		{"sample", []string{"-ckpt", good, "-batch", "0"}, "-batch 0"},
		{"sample", []string{"-ckpt", good, "-per-class", "3"}, "-per-class 3 needs -class all"},
		{"sample", []string{"-ckpt", good, "-npy", filepath.Join(dir, "missing", "s.npy")}, "-npy " + filepath.Join(dir, "missing", "s.npy")},
		{"sample", []string{"-ckpt", good, "-png", dir}, "-png " + dir},
		{"sample", []string{"-ckpt", good, "-class", "1"}, "unconditional model"},
		{"sample", []string{"-ckpt", good, "-solver", "dopri5", "-max-steps", "1", "-rtol", "1e-6", "-atol", "1e-6"}, "sample: dopri5: gave up"},
		{"bench", []string{"-d", "0"}, "-d 0"},
		{"bench", []string{"-batch", "-3"}, "-batch -3"},
		{"bench", []string{"-batch", "1000000", "-d", "8192", "-heads", "8"}, "lower"},
	}
	// A chunk of 300000 of these latents solved at once needs about 73 GiB.
	if avail, ok := sysmem.Available(); ok && avail < 60<<30 {
		cases = append(cases, struct {
			cmd  string
			args []string
			want string
		}{"sample", []string{"-ckpt", ck("fat"), "-n", "300000", "-batch", "1048576"}, "lower -batch"})
	}
	for _, c := range cases {
		refused(t, c.cmd, c.args, c.want)
	}
	if _, err := os.Stat(filepath.Join(dir, "big")); err == nil {
		t.Errorf("a refused run made its directory")
	}
}

// Resume reads the run's own config.toml, refuses changes of the model or
// the data by key (before writing anything), accepts a longer train.steps,
// removes leftover temporary files and continues elapsed_s.
func TestResumeContinuesTheRun(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	if out, errOut, code := runCmd(t, "train", append(tiny, "-set", "train.plots=false", "-out", run)...); code != 0 {
		t.Fatalf("train exit %d: %s %s", code, out, errOut)
	}
	before := snapshot(t, run)
	refused(t, "train", []string{"-out", run, "-resume", "-set", "model.d=32"}, "model.d")
	refused(t, "train", []string{"-out", run, "-resume", "-set", "data.kind=moons"}, "data.kind")
	refused(t, "train", []string{"-out", run, "-resume", "-config", filepath.Join("..", "..", "examples", "checkerboard.toml")}, "a resumed run cannot change")
	if after := snapshot(t, run); after != before {
		t.Errorf("a refused resume changed the run directory:\n%s\n%s", before, after)
	}
	leftover := filepath.Join(run, ".ckpt.safetensors.tmp-123456")
	os.WriteFile(leftover, []byte("half a checkpoint"), 0o644)
	out, errOut, code := runCmd(t, "train", "-out", run, "-resume", "-set", "train.steps=60")
	if code != 0 || !strings.Contains(out, "resuming") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(leftover); err == nil {
		t.Error("the leftover temporary file is still there")
	}
	recs := records(t, filepath.Join(run, "metrics.jsonl"))
	if len(recs) != 6 || recs[5].Step != 60 {
		t.Fatalf("metrics after resume: %+v", recs)
	}
	if !(recs[4].ElapsedS > recs[3].ElapsedS) {
		t.Errorf("elapsed_s restarted at the resume: step 40 %.3f s, step 50 %.3f s", recs[3].ElapsedS, recs[4].ElapsedS)
	}
	ck, err := model.LoadCheckpoint(filepath.Join(run, "ckpt.safetensors"))
	if err != nil || ck.Step != 60 || !(ck.Elapsed >= recs[5].ElapsedS-1) {
		t.Errorf("checkpoint after resume: %v, step %d, elapsed %.3f (metrics %.3f)", err, ck.Step, ck.Elapsed, recs[5].ElapsedS)
	}
}

// snapshot lists the names, sizes and modification times of dir's files.
func snapshot(t *testing.T, dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range ents {
		info, _ := e.Info()
		b.WriteString(e.Name() + " " + strconv.FormatInt(info.Size(), 10) + " " + info.ModTime().String() + "\n")
	}
	return b.String()
}

type record struct {
	Step     int     `json:"step"`
	Loss     float64 `json:"loss"`
	GradNorm float64 `json:"grad_norm"`
	LR       float64 `json:"lr"`
	ElapsedS float64 `json:"elapsed_s"`
}

func records(t *testing.T, path string) []record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rs []record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rs = append(rs, r)
	}
	return rs
}

// SIGINT (and SIGTERM) end the run after the current step with a
// checkpoint, exit 0 and say how to resume; the resumed run ends with the
// metrics of an uninterrupted one.
func TestInterruptCheckpointsAndResumes(t *testing.T) {
	dir := t.TempDir()
	long := append(append([]string{}, tiny...), "-set", "train.steps=100000", "-set", "train.ckpt_every=0", "-set", "train.plots=false")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		run := filepath.Join(dir, sig.String())
		cmd := exec.Command(filepath.Join(binDir, "train"), append(long, "-out", run)...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for the first metrics line, then interrupt.
		deadline := time.Now().Add(60 * time.Second)
		for {
			if b, _ := os.ReadFile(filepath.Join(run, "metrics.jsonl")); len(b) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		if err != nil {
			t.Fatalf("%v: %v\n%s\n%s", sig, err, o.String(), e.String())
		}
		m := regexp.MustCompile(`stopped after step (\d+) of 100000`).FindStringSubmatch(o.String())
		if m == nil || !strings.Contains(o.String(), "-out "+run+" -resume") {
			t.Fatalf("%v: no resume line:\n%s", sig, o.String())
		}
		step, _ := strconv.Atoi(m[1])
		ck, err := model.LoadCheckpoint(filepath.Join(run, "ckpt.safetensors"))
		if err != nil || ck.Step != step {
			t.Fatalf("%v: checkpoint %v at step %v, want step %d", sig, err, ck, step)
		}
		if tmp, _ := filepath.Glob(filepath.Join(run, ".*.tmp-*")); len(tmp) > 0 {
			t.Errorf("%v: temporary files left: %v", sig, tmp)
		}
	}
	// The interrupted run, resumed with a shorter train.steps than it was
	// given (the schedule changes, so compare with a run of that length made
	// the same way): here just that it resumes to the end.
	run := filepath.Join(dir, syscall.SIGINT.String())
	ck, _ := model.LoadCheckpoint(filepath.Join(run, "ckpt.safetensors"))
	if out, errOut, code := runCmd(t, "train", "-out", run, "-resume", "-set", "train.steps="+strconv.Itoa(ck.Step+20)); code != 0 {
		t.Fatalf("resume after SIGINT: exit %d\n%s\n%s", code, out, errOut)
	}
}

// Sampling a class-conditional model without -class is unconditional (the
// null class) and says so; -class all -per-class K draws exactly classes x K.
func TestSampleFlagsSayWhatTheyMean(t *testing.T) {
	dir := t.TempDir()
	lat := filepath.Join(dir, "lat.npy")
	labels := filepath.Join(dir, "labels.npy")
	// imported latents with 3 classes: a class-conditional non-image run
	writeLatents(t, lat, labels)
	run := filepath.Join(dir, "run")
	args := []string{"-set", "data.npy=" + lat, "-set", "data.labels=" + labels, "-set", "model.tokens=2", "-set", "model.chans=2",
		"-set", "model.num_classes=3", "-set", "model.d=16", "-set", "model.layers=1", "-set", "model.heads=2",
		"-set", "train.steps=10", "-set", "train.batch=16", "-set", "train.log_every=5", "-set", "train.plots=false", "-out", run}
	out, errOut, code := runCmd(t, "train", args...)
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out, "-png") {
		t.Errorf("the hint for imported latents suggests -png, which they cannot use:\n%s", out)
	}
	hint := regexp.MustCompile(`sample with: bin/sample (.*)`).FindStringSubmatch(out)
	if hint == nil {
		t.Fatalf("no hint:\n%s", out)
	}
	hargs := strings.Fields(strings.ReplaceAll(hint[1], "latents.npy", filepath.Join(dir, "hint.npy")))
	if o, e, c := runCmd(t, "sample", hargs...); c != 0 {
		t.Errorf("the hint %q fails: exit %d\n%s\n%s", hint[1], c, o, e)
	}
	ckpt := filepath.Join(run, "ckpt.safetensors")
	o, e, c := runCmd(t, "sample", "-ckpt", ckpt, "-n", "4")
	if c != 0 || !strings.Contains(o, "no -class: sampling unconditionally (the null class") {
		t.Errorf("no -class: exit %d\n%s\n%s", c, o, e)
	}
	o, e, c = runCmd(t, "sample", "-ckpt", ckpt, "-class", "all", "-per-class", "5", "-npy", filepath.Join(dir, "all.npy"))
	if c != 0 || !strings.Contains(o, "15 samples") {
		t.Errorf("-class all -per-class 5 of 3 classes: exit %d, want 15 samples\n%s\n%s", c, o, e)
	}
	refused(t, "sample", []string{"-ckpt", ckpt, "-class", "all", "-per-class", "5", "-n", "100"}, "give one of them")
	refused(t, "sample", []string{"-ckpt", ckpt, "-class", "all", "-n", "7"}, "multiple of the 3 classes")
	refused(t, "sample", []string{"-ckpt", ckpt, "-cfg", "3"}, "-cfg 3 needs -class")
	refused(t, "sample", []string{"-ckpt", ckpt, "-png", filepath.Join(dir, "x.png")}, "-png")
}

func writeLatents(t *testing.T, lat, labels string) {
	t.Helper()
	const n = 60
	v := make([]float32, n*4)
	y := make([]int64, n)
	for i := range v {
		v[i] = float32(i%7) - 3
	}
	for i := range y {
		y[i] = int64(i % 3)
	}
	if err := data.WriteNPY(lat, []int{n, 4}, v); err != nil {
		t.Fatal(err)
	}
	if err := data.WriteNPYInt64(labels, []int{n}, y); err != nil {
		t.Fatal(err)
	}
}

// The README's resume command, as written (-out DIR -resume), on a digits
// run interrupted in stage 1 and in stage 2: exit 0 and a line telling how
// to resume at each interrupt; the resumed run ends with every file of an
// image run.
func TestReadmeResumeDigits(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "digits")
	args := append(append([]string{}, tinyImages...), "-set", "autoencoder.steps=1500", "-set", "train.steps=2000",
		"-set", "train.ckpt_every=50", "-out", run)
	interruptWhen := func(args []string, ready func() bool) string {
		cmd := exec.Command(filepath.Join(binDir, "train"), args...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(120 * time.Second); !ready() && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGINT)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("interrupted run: %v\n%s\n%s", err, o.String(), e.String())
		}
		if !strings.Contains(o.String(), "continue with: ") || !strings.Contains(o.String(), "-out "+run+" -resume") {
			t.Fatalf("no resume line:\n%s", o.String())
		}
		return o.String()
	}
	// Stage 1 (a long autoencoder stage): interrupted once it logs.
	out := interruptWhen(args, func() bool {
		b, _ := os.ReadFile(filepath.Join(run, "ae_metrics.jsonl"))
		return len(b) > 0
	})
	if !strings.Contains(out, "the autoencoder stopped after step") {
		t.Errorf("stage 1 interrupt:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(run, "autoencoder.state.safetensors")); err != nil {
		t.Errorf("no stage-1 state after the interrupt: %v", err)
	}
	refused(t, "train", []string{"-out", run, "-resume", "-set", "autoencoder.steps=20"}, "autoencoder.steps")
	// Resumed as written: stage 1 continues from its state, then stage 2
	// starts, and is interrupted in turn.
	cmdArgs := []string{"-out", run, "-resume"}
	out = interruptWhen(cmdArgs, func() bool {
		b, _ := os.ReadFile(filepath.Join(run, "metrics.jsonl"))
		return len(b) > 0
	})
	if !strings.Contains(out, "stage 2 (the flow) stopped after step") || !strings.Contains(out, "autoencoder") {
		t.Errorf("stage 2 interrupt:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(run, "autoencoder.state.safetensors")); err == nil {
		t.Error("the stage-1 state is still there after stage 1 ended")
	}
	out, errOut, code := runCmd(t, "train", "-out", run, "-resume")
	if code != 0 || !strings.Contains(out, "resuming") || !strings.Contains(out, "stage 1: resuming with") {
		t.Fatalf("resume as written: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, f := range []string{"ckpt.safetensors", "samples.png", "eval.json", "classifier.safetensors"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("after resume: %v", err)
		}
	}
	if ck, err := model.LoadCheckpoint(filepath.Join(run, "ckpt.safetensors")); err != nil || ck.Step != 2000 {
		t.Errorf("after resume: %v, step %v", err, ck)
	}
}
