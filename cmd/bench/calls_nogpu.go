//go:build !cuda && !cudaemu

package main

import "github.com/latentflow/latentflow/compute"

// callCounts: the CPU backend launches nothing.
func callCounts(compute.Backend) (map[string]int64, bool) { return nil, false }
