//go:build !cuda && !cudaemu

package main

import "github.com/latentflow/latentflow/internal/cli"

func main() {
	cli.Exit("kbench", cli.Inputf("built without CUDA support: go build -tags cuda (or cudaemu) ./cmd/kbench"))
}
