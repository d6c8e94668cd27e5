package pipeline

import (
	"fmt"
	"math"
	"slices"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
	"github.com/latentflow/latentflow/train"
)

// source is the flow's data: a fixed set of rows (latents, or a fixed 2D
// set) served by train.Rows once on the device, or a 2D generator drawing
// fresh samples every step.
type source struct {
	kind      string
	seed      uint64
	size      int       // rows of a fixed set, 0 = fresh samples each step
	X         int       // floats per row
	mean, std []float32 // (C) per-channel normalisation
	host      []float32 // the fixed set (size, X), unnormalised
	labels    []float32 // (size) class labels of the fixed set, or nil
	rows      *train.Rows
}

// newArraySource serves batches of a fixed set of rows (latents) with
// optional labels, normalised per channel.
func newArraySource(rows, labels []float32, mc model.Config, seed uint64) *source {
	X := mc.T * mc.C
	s := &source{kind: "array", seed: seed, size: len(rows) / X, X: X, host: rows, labels: labels}
	s.mean, s.std = data.ChannelStats(rows, mc.C)
	return s
}

// newToySource serves a built-in 2D data set.
func newToySource(cfg config.Config, mc model.Config) (*source, error) {
	const dim = 2 // every built-in data set is 2-dimensional
	X := mc.T * mc.C
	if X != dim {
		return nil, fmt.Errorf("model.tokens * model.chans = %d * %d = %d, but data.kind = %q has dimension %d", mc.T, mc.C, X, cfg.Data.Kind, dim)
	}
	if mc.NumClasses > 0 {
		return nil, fmt.Errorf("model.num_classes = %d, but data.kind = %q has no labels", mc.NumClasses, cfg.Data.Kind)
	}
	s := &source{kind: cfg.Data.Kind, seed: cfg.Seed, size: cfg.Data.Size, X: X}
	// Normalisation statistics from the fixed set, or from 2^16 samples of the generator.
	n := s.size
	if n == 0 {
		n = 1 << 16
	}
	ref, err := data.Toy(s.kind, n, philox.Key{Seed: cfg.Seed, Step: math.MaxUint64, Stream: philox.StreamData})
	if err != nil {
		return nil, fmt.Errorf("data.kind: %w", err)
	}
	s.mean, s.std = data.ChannelStats(ref, mc.C)
	if s.size > 0 {
		s.host = ref
	}
	return s, nil
}

// upload normalises a fixed data set with (mean, std) and moves it to the device.
func (s *source) upload(be compute.Backend) {
	if s.host == nil {
		return
	}
	v := slices.Clone(s.host)
	data.Normalise(v, s.mean, s.std)
	s.rows = &train.Rows{X: be.Alloc(len(v)), N: s.size, Width: s.X, Seed: s.seed, Stream: philox.StreamIndex}
	be.Upload(s.rows.X, v)
	if s.labels != nil {
		s.rows.Y = be.Alloc(len(s.labels))
		be.Upload(s.rows.Y, s.labels)
	}
}

// free releases the device copy.
func (s *source) free(be compute.Backend) {
	if s.rows == nil {
		return
	}
	s.rows.Free(be)
	be.Free(s.rows.X)
	if s.rows.Y != nil {
		be.Free(s.rows.Y)
	}
}

// FillAt fills x1 (and y) with the batch of the block's step on the device
// (train.DevSource): rows gathered from the resident set, or a 2D batch
// drawn by compute.Backend.ToyBatchAt, equal to Fill's bit for bit.
func (s *source) FillAt(be compute.Backend, x1, y, block compute.Buffer) {
	if s.rows != nil {
		s.rows.FillAt(be, x1, y, block)
		return
	}
	kind, ok := compute.ToyOf(s.kind)
	if !ok {
		panic("pipeline: no device generator for data.kind " + s.kind) // the kind was checked in newToySource
	}
	var mean, std [2]float32 // per coordinate (the channels are C = 1 or 2 of the 2 coordinates)
	for j := range mean {
		mean[j], std[j] = s.mean[j%len(s.mean)], s.std[j%len(s.std)]
	}
	be.ToyBatchAt(x1, block, kind, s.seed, philox.StreamData, mean, std)
}

// Fill fills x1 (B, X) with the batch of training step `step`, and y (B)
// with its labels when y is not nil (train.Source).
func (s *source) Fill(be compute.Backend, x1, y compute.Buffer, step uint64) {
	if s.rows != nil {
		s.rows.Fill(be, x1, y, step)
		return
	}
	B := x1.Len() / s.X
	v, err := data.Toy(s.kind, B, philox.Key{Seed: s.seed, Step: step, Stream: philox.StreamData})
	if err != nil {
		panic(err) // the kind was checked in newToySource
	}
	data.Normalise(v, s.mean, s.std)
	be.Upload(x1, v)
}
