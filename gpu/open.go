package gpu

import (
	"errors"
	"fmt"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/cpu"
)

// ErrNoCUDA is returned for device "cuda" by a build without CUDA support.
var ErrNoCUDA = errors.New("device = \"cuda\": this binary was built without CUDA support (build with make gpu on a CUDA host)")

// Open returns the backend for the configuration key device: "cpu", "cuda" or
// "auto" (CUDA when available, else the CPU).
func Open(device string) (compute.Backend, error) {
	switch device {
	case "cpu", "auto":
		return cpu.New(0), nil
	case "cuda":
		return nil, ErrNoCUDA
	}
	return nil, fmt.Errorf("device = %q: want \"auto\", \"cpu\" or \"cuda\"", device)
}
