//go:build !cuda

package gpu

import (
	"errors"

	"github.com/latentflow/latentflow/compute"
)

// ErrNoCUDA is returned for device "cuda" by a build without CUDA support.
var ErrNoCUDA = errors.New("built without CUDA support: build with make gpu")

// Built reports whether this binary was built with the CUDA backend.
const Built = false

func openCUDA() (compute.Backend, error) { return nil, ErrNoCUDA }
