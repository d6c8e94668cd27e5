package data

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/latentflow/latentflow/internal/fuzzseed"
)

// The fuzz targets of the data readers (go test -fuzz FuzzIDX ./data/,
// -fuzz FuzzNPY). Their seed corpora are in testdata/fuzz/; go test runs
// every seed as a test. LATENTFLOW_FUZZ_SEEDS=1 go test -run TestFuzzSeeds
// rewrites the generated seeds.

// idxSeeds are IDX inputs: valid raw and gzip files and broken headers.
func idxSeeds() map[string][]byte {
	raw := []byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	return map[string][]byte{
		"valid-2x2x3":     raw,
		"valid-gzip":      gz.Bytes(),
		"labels":          {0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9},
		"claims-too-much": {0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28, 1},
		"zero-dim":        {0, 0, 8, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff},
		"bad-type":        {0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0},
		"truncated-gzip":  gz.Bytes()[:len(gz.Bytes())-6],
	}
}

// FuzzIDX: any bytes, raw or gzip, give an IDX whose dimensions hold exactly
// its data, or an error; never a panic or an allocation beyond the input.
func FuzzIDX(f *testing.F) {
	for _, b := range idxSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := decodeIDX(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		n := 1
		for _, d := range a.Dims {
			n *= d
		}
		if n != len(a.Data) {
			t.Fatalf("dims %v hold %d bytes, data has %d", a.Dims, n, len(a.Data))
		}
	})
}

// npySeeds are the .npy fixtures of testdata/ (valid and invalid ones).
func npySeeds(t testing.TB) map[string][]byte {
	files, err := filepath.Glob(filepath.Join("testdata", "*.npy"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .npy fixtures: %v", err)
	}
	seeds := map[string][]byte{}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		seeds[filepath.Base(p)] = b
	}
	return seeds
}

// FuzzNPY: any bytes give an array whose shape holds exactly its values (as
// floats and, for 1-D integral data, as labels), or an error naming the file.
func FuzzNPY(f *testing.F) {
	for _, b := range npySeeds(f) {
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "in.npy")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		shape, v, err := ReadNPY(p)
		if err != nil {
			if !bytes.Contains([]byte(err.Error()), []byte(p)) {
				t.Fatalf("error does not name the file: %v", err)
			}
		} else {
			n := 1
			for _, s := range shape {
				n *= s
			}
			if n != len(v) {
				t.Fatalf("shape %v holds %d values, got %d", shape, n, len(v))
			}
		}
		if labels, err := ReadNPYLabels(p); err == nil {
			for _, l := range labels {
				if l < 0 {
					t.Fatalf("negative label %d", l)
				}
			}
		}
	})
}

// TestFuzzSeeds writes the generated seeds into testdata/fuzz when
// LATENTFLOW_FUZZ_SEEDS=1, and otherwise checks they are there.
func TestFuzzSeeds(t *testing.T) {
	for target, seeds := range map[string]map[string][]byte{"FuzzIDX": idxSeeds(), "FuzzNPY": npySeeds(t)} {
		for name, b := range seeds {
			p := filepath.Join("testdata", "fuzz", target, name)
			if os.Getenv("LATENTFLOW_FUZZ_SEEDS") == "1" {
				if err := fuzzseed.Write(".", target, name, b); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if _, err := os.Stat(p); err != nil { // the content may lag the generator: any seed is a valid input
				t.Errorf("seed %s missing (LATENTFLOW_FUZZ_SEEDS=1 go test -run TestFuzzSeeds ./data/): %v", p, err)
			}
		}
	}
}
