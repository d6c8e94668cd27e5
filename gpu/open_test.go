//go:build !cuda && !cudaemu

package gpu

import (
	"errors"
	"strings"
	"testing"
)

func TestOpenWithoutCUDA(t *testing.T) {
	for _, d := range []string{"cpu", "auto"} {
		b, err := Open(d)
		if err != nil || b.Name() != "cpu" {
			t.Errorf("Open(%q) = %v, %v; want the CPU backend", d, b, err)
		}
	}
	_, err := Open("cuda")
	if !errors.Is(err, ErrNoCUDA) || !strings.Contains(err.Error(), "built without CUDA support: build with make gpu") {
		t.Errorf("Open(\"cuda\") error = %v", err)
	}
	if _, err := Open("tpu"); err == nil {
		t.Error("Open(\"tpu\") accepted")
	}
}
