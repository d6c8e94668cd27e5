package cpu

import (
	"testing"

	"github.com/latentflow/latentflow/compute/backendtest"
)

func TestConformance(t *testing.T) { backendtest.RunAll(t, New(0), backendtest.Options{}) }

// One worker: the sequential paths of every parallel loop.
func TestConformanceSequential(t *testing.T) {
	backendtest.RunAll(t, New(1), backendtest.Options{})
}
