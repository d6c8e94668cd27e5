//go:build !cuda && !cudaemu

package gpu

import (
	"errors"

	"github.com/latentflow/latentflow/compute"
)

// ErrNoCUDA is returned for device "cuda" by a build without CUDA support.
var ErrNoCUDA = errors.New("built without CUDA support: build with make gpu")

// autoCUDA: device = "auto" tries CUDA.
const autoCUDA = false

func openCUDA() (compute.Backend, error) { return nil, ErrNoCUDA }
