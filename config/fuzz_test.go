package config

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/latentflow/latentflow/internal/fuzzseed"
)

// The fuzz target of the config loader (go test -fuzz FuzzParse ./config/);
// seeds in testdata/fuzz/FuzzParse (LATENTFLOW_FUZZ_SEEDS=1 go test -run
// TestFuzzSeeds ./config/ rewrites them).

func configSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{
		"default":      DefaultTOML(),
		"empty":        nil,
		"bad-type":     []byte("[train]\nbatch = \"many\"\n"),
		"unknown":      []byte("[train]\nlrr = 0.1\n"),
		"huge":         []byte("[model]\nd = 100000000\nlayers = 1000000000\n[sample]\nsteps = 1000000000000\n"),
		"nan":          []byte("[train]\nlr = nan\n"),
		"array-tables": []byte("[[model]]\nd = 1\n"),
		"dotted":       []byte("model.d = 64\ntrain = {steps = 3}\n"),
		"neg-seed":     []byte("seed = -1\n[modle]\nd = 3\n"),
	}
	for _, p := range []string{"../examples/checkerboard.toml", "../examples/fashion-mnist.toml"} {
		if b, err := os.ReadFile(p); err == nil {
			seeds[filepath.Base(p)] = b
		}
	}
	return seeds
}

// FuzzParse: any text gives a config or an *Error naming the file; what
// Parse accepts survives Encode and Parse again (compared as encodings, since
// NaN != NaN), and Validate of it gives nil or an *Error (never a panic).
func FuzzParse(f *testing.F) {
	for _, b := range configSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse("fuzz.toml", b)
		if err != nil {
			if _, ok := err.(*Error); !ok || !strings.HasPrefix(err.Error(), "config: fuzz.toml") {
				t.Fatalf("error %q (%T) does not name the file", err, err)
			}
			return
		}
		text, err := c.Encode()
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		back, err := Parse("encoded.toml", text)
		if err != nil {
			t.Fatalf("Parse(Encode()): %v\n%s", err, text)
		}
		if text2, _ := back.Encode(); !bytes.Equal(text, text2) {
			t.Fatalf("round trip changed\n%s\ninto\n%s", text, text2)
		}
		if err := c.Validate(); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Validate error of type %T: %v", err, err)
			}
		} else if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip of a valid config:\n%+v\n%+v", back, c)
		}
	})
}

func TestFuzzSeeds(t *testing.T) {
	for name, b := range configSeeds(t) {
		p := filepath.Join("testdata", "fuzz", "FuzzParse", name)
		if os.Getenv("LATENTFLOW_FUZZ_SEEDS") == "1" {
			if err := fuzzseed.Write(".", "FuzzParse", name, b); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := os.Stat(p); err != nil { // the content may lag the generator: any seed is a valid input
			t.Errorf("seed %s missing (LATENTFLOW_FUZZ_SEEDS=1 go test -run TestFuzzSeeds ./config/): %v", p, err)
		}
	}
}
