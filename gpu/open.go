package gpu

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/cpu"
)

// Open returns the backend for the configuration key device: "cpu", "cuda" or
// "auto" (CUDA when this binary was built with it and a GPU is usable, else
// the CPU; the emulated device of a cudaemu build is used only for "cuda").
func Open(device string) (compute.Backend, error) {
	switch device {
	case "cpu":
		return cpu.New(0), nil
	case "auto":
		if !autoCUDA {
			return cpu.New(0), nil
		}
		if b, err := openCUDA(); err == nil {
			return b, nil
		}
		return cpu.New(0), nil
	case "cuda":
		b, err := openCUDA()
		if err != nil {
			return nil, fmt.Errorf("device = \"cuda\": %w", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("device = %q: want \"auto\", \"cpu\" or \"cuda\"", device)
}
