//go:build cuda || cudaemu

package gpu_test

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/latentflow/latentflow/gpu"
)

// RequireEnv, when set to 1 (make test-gpu sets it), turns "no GPU" from a
// skip into a failure.
const RequireEnv = "LATENTFLOW_REQUIRE_GPU"

var (
	backends   = map[gpu.Math]*gpu.Backend{}
	backendsMu sync.Mutex
)

// backend returns the shared CUDA backend of the given GEMM math, or skips
// (fails under LATENTFLOW_REQUIRE_GPU=1) when no GPU is usable.
func backend(t *testing.T, m gpu.Math) *gpu.Backend {
	t.Helper()
	backendsMu.Lock()
	defer backendsMu.Unlock()
	if b, ok := backends[m]; ok {
		return b
	}
	b, err := gpu.New(gpu.Options{Math: m})
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("CUDA backend: %v", err)
		}
		t.Skipf("no CUDA backend (%v); set %s=1 to make this a failure", err, RequireEnv)
	}
	t.Logf("CUDA device: %s, GEMM math %s", b.DeviceName(), m)
	backends[m] = b
	return b
}

func TestOpen(t *testing.T) {
	backend(t, gpu.MathTF32)
	b, err := gpu.Open("cuda")
	if err != nil || b.Name() != "cuda" {
		t.Fatalf("Open(\"cuda\") = %v, %v", b, err)
	}
	want := "cuda"
	if strings.HasPrefix(b.(*gpu.Backend).DeviceName(), "latentflow emulated") {
		want = "cpu" // the emulated device only for device = "cuda"
	}
	if a, err := gpu.Open("auto"); err != nil || a.Name() != want {
		t.Errorf("Open(\"auto\") = %v, %v; want the %s backend", a, err, want)
	}
}
