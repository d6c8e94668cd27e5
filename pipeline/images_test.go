package pipeline

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/model"
)

func tinyImageConfig() config.Config {
	c := config.Default()
	c.Data.Size, c.Data.TestSize = 200, 40
	c.Autoencoder.Width, c.Autoencoder.Depth, c.Autoencoder.Steps, c.Autoencoder.Batch = 32, 1, 30, 16
	c.Train.LogEvery = 10
	return c
}

// Stage 1 with the KL term (a VAE): the loss stays finite and falls, Encode
// returns the means (T*C per image), the checkpoint round-trips, and a
// checkpoint for another latent shape is refused with a message naming it.
func TestVAEStageAndCheckpoint(t *testing.T) {
	c := tinyImageConfig()
	c.Autoencoder.KLWeight = 1e-3
	im, err := LoadImages(c)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	be := cpu.New(0)
	ae, err := TrainAE(be, c, im, filepath.Join(dir, "ae.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	steps, losses, err := readLoss(filepath.Join(dir, "ae.jsonl"))
	if err != nil || len(losses) != 3 || !(losses[2] < losses[0]) {
		t.Errorf("stage-1 losses %v at steps %v (err %v): want 3 finite values, falling", losses, steps, err)
	}
	L := c.Model.Tokens * c.Model.Chans
	if ae.Model.Enc.Out() != 2*L {
		t.Errorf("VAE encoder outputs %d, want 2L = %d (mu | logvar)", ae.Model.Enc.Out(), 2*L)
	}
	z, err := ae.Encode(be, im.Test)
	if err != nil || len(z) != im.NTest()*L {
		t.Fatalf("Encode: %d values, err %v; want %d", len(z), err, im.NTest()*L)
	}
	for _, v := range z {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite latent")
		}
	}
	rec, err := ae.Decode(be, z)
	if err != nil || len(rec) != len(im.Test) {
		t.Fatalf("Decode: %d values, err %v", len(rec), err)
	}
	if p := PSNR(rec, im.Test); !(p > 5 && p < 60) {
		t.Errorf("PSNR %g dB after 30 steps: implausible", p)
	}

	p := filepath.Join(dir, "ae.safetensors")
	if err := ae.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := model.LoadAE(p, im.H, im.W, c.Model.Tokens, c.Model.Chans)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Params, ae.Params) || !slices.Equal(back.Mean, ae.Mean) || !slices.Equal(back.Std, ae.Std) ||
		back.Model.Cfg.KL != ae.Model.Cfg.KL || !slices.Equal(back.Model.Cfg.Hidden, ae.Model.Cfg.Hidden) {
		t.Error("autoencoder checkpoint does not round-trip")
	}
	if _, err := model.LoadAE(p, im.H, im.W, 2, 49); err == nil || !strings.Contains(err.Error(), "ae.safetensors") {
		t.Errorf("LoadAE with another latent shape = %v, want an error naming the file", err)
	}
	// Another kind of file is refused by name.
	if _, err := model.LoadClassifier(p); err == nil || !strings.Contains(err.Error(), "not a latentflow classifier") {
		t.Errorf("LoadClassifier(autoencoder) = %v", err)
	}
	os.WriteFile(filepath.Join(dir, "junk"), []byte("junk"), 0o644)
	if _, err := model.LoadAE(filepath.Join(dir, "junk"), 0, 0, 7, 14); err == nil {
		t.Error("LoadAE accepted junk")
	}
}

// The classifier learns the digits quickly and its checkpoint round-trips.
func TestClassifier(t *testing.T) {
	c := tinyImageConfig()
	c.Data.Size = 1000
	c.Classifier.Steps, c.Classifier.Width = 150, 64
	im, err := LoadImages(c)
	if err != nil {
		t.Fatal(err)
	}
	be := cpu.New(0)
	dir := t.TempDir()
	cl, err := TrainClassifier(be, c, im, filepath.Join(dir, "cls.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	pred, err := cl.Predict(be, im.Test)
	if err != nil {
		t.Fatal(err)
	}
	if acc := model.Accuracy(pred, im.YTest); acc < 0.8 {
		t.Errorf("classifier accuracy %.2f on held-out digits after 150 steps, want >= 0.8", acc)
	}
	p := filepath.Join(dir, "cls.safetensors")
	if err := cl.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := model.LoadClassifier(p)
	if err != nil || !slices.Equal(back.Params, cl.Params) || !slices.Equal(back.Model.Sizes, cl.Model.Sizes) {
		t.Errorf("classifier checkpoint does not round-trip (err %v)", err)
	}
}

// Stage 1 interrupted after its first step writes its state and a resume
// continues it: the same autoencoder and the same metrics as without the
// interruption; the state file is gone once the stage is done.
func TestStageInterruptResumes(t *testing.T) {
	c := tinyImageConfig()
	c.Train.LogEvery = 4
	im, err := LoadImages(c)
	if err != nil {
		t.Fatal(err)
	}
	be := cpu.New(0)
	full, cut := t.TempDir(), t.TempDir()
	want, err := TrainAE(be, c, im, filepath.Join(full, "ae.jsonl"), Options{Out: full})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	close(stop)
	_, err = TrainAE(be, c, im, filepath.Join(cut, "ae.jsonl"), Options{Out: cut, Interrupt: stop})
	var ie *interruptedError
	if !errors.As(err, &ie) || ie.step != 1 {
		t.Fatalf("interrupted stage: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cut, "autoencoder.state.safetensors")); err != nil {
		t.Fatal(err)
	}
	got, err := TrainAE(be, c, im, filepath.Join(cut, "ae.jsonl"), Options{Out: cut, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Params, want.Params) {
		t.Error("the resumed autoencoder differs from the uninterrupted one")
	}
	a, b := readRecords(t, filepath.Join(full, "ae.jsonl")), readRecords(t, filepath.Join(cut, "ae.jsonl"))
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d and %d records", len(a), len(b))
	}
	for i := range a {
		if a[i].Step != b[i].Step || a[i].Loss != b[i].Loss || a[i].GradNorm != b[i].GradNorm {
			t.Errorf("record %d: %+v resumed, %+v uninterrupted", i, b[i], a[i])
		}
	}
}
