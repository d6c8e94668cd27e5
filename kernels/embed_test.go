package kernels

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every .cu file has its committed PTX, and every extern "C" __global__
// kernel of the source appears as an entry of that PTX: a stale PTX (a kernel
// added to a .cu without make kernels) fails here, in the plain CPU build.
func TestEmbeddedPTXMatchesSources(t *testing.T) {
	srcs, err := filepath.Glob("*.cu")
	if err != nil || len(srcs) == 0 {
		t.Fatalf("no .cu sources: %v", err)
	}
	kernel := regexp.MustCompile(`extern "C" __global__ void (?:__launch_bounds__\([^)]*\) )?(\w+)\(`)
	var want []string
	for _, src := range srcs {
		name := strings.TrimSuffix(src, ".cu")
		want = append(want, name)
		text, err := PTX(name)
		if err != nil {
			t.Errorf("%s: %v (run make kernels)", src, err)
			continue
		}
		if !strings.Contains(text, ".target sm_80") {
			t.Errorf("%s.ptx does not target sm_80", name)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range kernel.FindAllStringSubmatch(string(b), -1) {
			if !strings.Contains(text, ".entry "+m[1]+"(") {
				t.Errorf("%s.ptx lacks kernel %s (run make kernels)", name, m[1])
			}
		}
	}
	slices.Sort(want)
	if got := Modules(); !slices.Equal(got, want) {
		t.Errorf("embedded modules %v, sources %v", got, want)
	}
}
