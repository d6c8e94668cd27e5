package main

import (
	"io"

	"github.com/latentflow/latentflow/internal/cli"
)

// runExperiment runs experiment name, writing its report into out.
func runExperiment(name, out string, quick bool, stdout, stderr io.Writer) error {
	switch name {
	default:
		return cli.Inputf("-experiment %q: want nfe or convergence", name)
	}
}
