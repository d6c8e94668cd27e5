package emu

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The committed zz_*.cc files are what gen.go writes now (a stale kernel
// table fails here). No build tag: it runs without a C++ compiler.
func TestGeneratedTable(t *testing.T) {
	if _, err := os.Stat("gen.go"); err != nil {
		t.Skip("gen.go not in the working directory (run by go test in gpu/emu)")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	dir := t.TempDir()
	cmd := exec.Command(goBin, "run", "gen.go", "-o", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen.go: %v\n%s", err, out)
	}
	fresh, _ := filepath.Glob(filepath.Join(dir, "zz_*.cc"))
	committed, _ := filepath.Glob("zz_*.cc")
	if len(fresh) != len(committed) {
		t.Errorf("gen.go writes %d files, %d are committed: run go generate in gpu/emu", len(fresh), len(committed))
	}
	for _, f := range fresh {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Base(f))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale or missing: run go generate in gpu/emu", filepath.Base(f))
		}
	}
}
