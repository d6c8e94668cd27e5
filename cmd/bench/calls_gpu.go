//go:build cuda || cudaemu

package main

import (
	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/gpu"
)

// callCounts returns the CUDA backend's counts of queued work (gpu.Calls)
// by name, or false for another backend.
func callCounts(be compute.Backend) (map[string]int64, bool) {
	g, ok := be.(*gpu.Backend)
	if !ok {
		return nil, false
	}
	c := g.Calls()
	return map[string]int64{"kernels": c.Kernels, "gemms": c.Gemms, "memops": c.Memops, "uploads": c.Uploads,
		"graphs": c.Graphs}, true
}
