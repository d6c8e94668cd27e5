package model

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/internal/fuzzseed"
)

// The fuzz target of the checkpoint loader (go test -fuzz FuzzLoadCheckpoint
// ./model/), its embedded configuration included. The seeds (testdata/fuzz/)
// are a real small checkpoint and the same file with embedded configs that
// ask for far more than the file holds. LATENTFLOW_FUZZ_SEEDS=1 go test -run
// TestFuzzSeeds ./model/ rewrites them.

// tinyCheckpoint returns a small checkpoint whose embedded config is cfg
// edited by edit (the tensors stay those of the small model).
func tinyCheckpoint(t testing.TB, edit func(*config.Config)) []byte {
	c := config.Default()
	c.Data.Kind, c.Model.Tokens, c.Model.Chans, c.Model.NumClasses = "checkerboard", 2, 1, 0
	c.Model.D, c.Model.Layers, c.Model.Heads, c.Model.MLPRatio, c.Model.TembDim = 8, 1, 2, 2, 8
	m := NewDiT(ConfigFrom(c))
	p := m.Init(1)
	st := &Checkpoint{Config: c, Model: m, Step: 3, Params: p, EMA: p, M: make([]float32, len(p)), V: make([]float32, len(p)),
		Mean: []float32{0}, Std: []float32{1}, Elapsed: 1.5}
	if edit != nil {
		edit(&st.Config)
	}
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	if err := st.Save(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkpointSeeds(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"tiny":              tinyCheckpoint(t, nil),
		"layers-1e9":        tinyCheckpoint(t, func(c *config.Config) { c.Model.Layers = 1_000_000_000 }),
		"d-1e8":             tinyCheckpoint(t, func(c *config.Config) { c.Model.D, c.Model.Heads = 100_000_000, 2 }),
		"sample-steps-1e12": tinyCheckpoint(t, func(c *config.Config) { c.Sample.Steps = 1_000_000_000_000 }),
		"layers-1000":       tinyCheckpoint(t, func(c *config.Config) { c.Model.Layers = 1000 }),
		"wide-in-bounds":    tinyCheckpoint(t, func(c *config.Config) { c.Model.D, c.Model.MLPRatio = 65536, 64 }),
		"autoencoder":       tinyFile(t, func(p string) error { return forgedAE(t, 2, 2).Save(p) }),
		"autoencoder-huge":  tinyFile(t, func(p string) error { return forgedAE(t, 60000, 60000).Save(p) }),
		"classifier": tinyFile(t, func(p string) error {
			m, err := NewMLP("", []int{4, 3, 2})
			if err != nil {
				return err
			}
			return (&Classifier{Model: m, Params: make([]float32, m.NParams)}).Save(p)
		}),
	}
}

// forgedAE is an autoencoder of 4 pixels to 2 x 1 latents that claims images
// of h x w in its metadata.
func forgedAE(t testing.TB, h, w int) *AE {
	m, err := NewAutoencoder(AEConfig{Pixels: 4, Hidden: []int{3}, T: 2, C: 1})
	if err != nil {
		t.Fatal(err)
	}
	return &AE{Model: m, Params: make([]float32, m.NParams), H: h, W: w, Mean: []float32{0}, Std: []float32{1}}
}

// tinyFile returns the bytes that save writes to a file.
func tinyFile(t testing.TB, save func(path string) error) []byte {
	p := filepath.Join(t.TempDir(), "f.safetensors")
	if err := save(p); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzLoadCheckpoint: any bytes load as a checkpoint whose buffers have the
// sizes of its model, or give an error; never a panic, and nothing is
// allocated for a model the file does not hold.
func FuzzLoadCheckpoint(f *testing.F) {
	for _, b := range checkpointSeeds(f) {
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "ckpt.safetensors")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		// The same bytes as the other files of a run: an autoencoder (of
		// any image size, as bin/sample loads it) and a classifier.
		if a, err := LoadAE(p, 0, 0, 2, 1); err == nil && len(a.Params) != a.Model.NParams {
			t.Fatalf("autoencoder of %d parameters loaded %d", a.Model.NParams, len(a.Params))
		}
		if cl, err := LoadClassifier(p); err == nil && len(cl.Params) != cl.Model.NParams {
			t.Fatalf("classifier of %d parameters loaded %d", cl.Model.NParams, len(cl.Params))
		}
		c, err := LoadCheckpoint(p)
		if err != nil {
			return
		}
		n := c.Model.NParams
		if len(c.Params) != n || len(c.EMA) != n || (c.M != nil && len(c.M) != n) || (c.V != nil) != (c.M != nil) ||
			len(c.Mean) != c.Model.Cfg.C || len(c.Std) != c.Model.Cfg.C {
			t.Fatalf("loaded buffers of sizes %d %d %d %d %d %d for %d parameters", len(c.Params), len(c.EMA), len(c.M), len(c.V), len(c.Mean), len(c.Std), n)
		}
		if err := c.Config.Validate(); err != nil {
			t.Fatalf("loaded an invalid embedded config: %v", err)
		}
	})
}

// TestLoadCheckpointRefusesOversizedConfigs: an embedded config asking for
// more than the file holds, or beyond the bounds, is one error naming the
// file, before the model is allocated.
func TestLoadCheckpointRefusesOversizedConfigs(t *testing.T) {
	seeds := checkpointSeeds(t)
	for name, want := range map[string]string{"layers-1e9": "model.layers", "d-1e8": "model.d",
		"sample-steps-1e12": "sample.steps", "layers-1000": "parameters", "wide-in-bounds": "parameters"} {
		p := filepath.Join(t.TempDir(), name+".safetensors")
		os.WriteFile(p, seeds[name], 0o644)
		_, err := LoadCheckpoint(p)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(want)) || !bytes.Contains([]byte(err.Error()), []byte(p)) {
			t.Errorf("%s: error %v, want one naming %s and %q", name, err, p, want)
		}
	}
	p := filepath.Join(t.TempDir(), "tiny.safetensors")
	os.WriteFile(p, seeds["tiny"], 0o644)
	c, err := LoadCheckpoint(p)
	if err != nil || c.Step != 3 || c.Elapsed != 1.5 {
		t.Fatalf("tiny checkpoint: %v, %+v", err, c)
	}
}

func TestFuzzSeeds(t *testing.T) {
	for name, b := range checkpointSeeds(t) {
		p := filepath.Join("testdata", "fuzz", "FuzzLoadCheckpoint", name)
		if os.Getenv("LATENTFLOW_FUZZ_SEEDS") == "1" {
			if err := fuzzseed.Write(".", "FuzzLoadCheckpoint", name, b); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := os.Stat(p); err != nil { // the content may lag the generator: any seed is a valid input
			t.Errorf("seed %s missing (LATENTFLOW_FUZZ_SEEDS=1 go test -run TestFuzzSeeds ./model/): %v", p, err)
		}
	}
}

// A forged autoencoder.safetensors (bin/sample loads the one beside a
// checkpoint for any image size) whose metadata claims huge images is one
// error naming the file, before the model is allocated.
func TestLoadAERefusesForgedSizes(t *testing.T) {
	m, err := NewAutoencoder(AEConfig{Pixels: 4, Hidden: []int{3}, T: 1, C: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, hw := range [][2]int{{1_000_000_000, 1_000_000_000}, {60000, 60000}} {
		a := &AE{Model: m, Params: make([]float32, m.NParams), H: hw[0], W: hw[1], Mean: []float32{0, 0}, Std: []float32{1, 1}}
		p := filepath.Join(t.TempDir(), "autoencoder.safetensors")
		if err := a.Save(p); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadAE(p, 0, 0, 1, 2); err == nil || !bytes.Contains([]byte(err.Error()), []byte(p)) {
			t.Errorf("%v: LoadAE error %v, want one naming %s", hw, err, p)
		}
	}
}
