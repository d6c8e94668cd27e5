package model

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/latentflow/latentflow/philox"
	"github.com/latentflow/latentflow/safetensors"
)

// Tensor is one named parameter tensor inside the flat parameter buffer.
type Tensor struct {
	Name  string
	Shape []int
	Off   int // offset in the flat buffer
	N     int // number of elements
	init  initKind
}

type initKind int

const (
	initZero initKind = iota
	initXavier
	initNormal02
)

// Layout is the table of contents of a flat parameter buffer: each tensor's
// name, shape and offset, in order, with an index by name. The DiT, the MLP
// and the autoencoder embed one; the optimizer, the EMA, clipping and the
// checkpoints see only the flat buffer and its Layout.
type Layout struct {
	Tensors []Tensor
	NParams int // floats in the flat buffer
	index   map[string]int
}

// add appends a tensor of the given shape.
func (l *Layout) add(name string, init initKind, shape ...int) {
	n := 1
	for _, s := range shape {
		n *= s
	}
	if l.index == nil {
		l.index = map[string]int{}
	}
	if _, dup := l.index[name]; dup {
		panic("model: tensor " + name + " declared twice")
	}
	l.index[name] = len(l.Tensors)
	l.Tensors = append(l.Tensors, Tensor{Name: name, Shape: shape, Off: l.NParams, N: n, init: init})
	l.NParams += n
}

// concat appends every tensor of o after the tensors of l.
func (l *Layout) concat(o Layout) {
	for _, t := range o.Tensors {
		l.add(t.Name, t.init, t.Shape...)
	}
}

// Find returns the tensor with the given name.
func (l *Layout) Find(name string) (Tensor, bool) {
	i, ok := l.index[name]
	if !ok {
		return Tensor{}, false
	}
	return l.Tensors[i], true
}

// Init returns freshly initialised parameters (see the package doc): tensor
// i is drawn from the Philox stream (seed, step 0, philox.StreamInit+i).
func (l *Layout) Init(seed uint64) []float32 {
	if len(l.Tensors) > int(philox.InitStreams) {
		panic(fmt.Sprintf("model: %d tensors, more than the %d initialisation streams", len(l.Tensors), philox.InitStreams))
	}
	p := make([]float32, l.NParams)
	for i, t := range l.Tensors {
		k := philox.Key{Seed: seed, Step: 0, Stream: philox.StreamInit + uint32(i)}
		v := p[t.Off : t.Off+t.N]
		switch t.init {
		case initXavier:
			out, in := t.Shape[0], t.Shape[1]
			a := float32(math.Sqrt(6 / float64(in+out)))
			k.FillUniform(v, 0)
			for j := range v {
				v[j] = a * (2*v[j] - 1)
			}
		case initNormal02:
			k.FillNormal(v, 0)
			for j := range v {
				v[j] *= 0.02
			}
		}
	}
	return p
}

// SafeTensors names the tensors of flat (a buffer with this layout) for
// safetensors.Write, each name prefixed; the data are views of flat.
func (l *Layout) SafeTensors(prefix string, flat []float32) []safetensors.Tensor {
	if len(flat) != l.NParams {
		panic(fmt.Sprintf("model: flat buffer of %d values for a layout of %d", len(flat), l.NParams))
	}
	ts := make([]safetensors.Tensor, 0, len(l.Tensors))
	for _, t := range l.Tensors {
		ts = append(ts, safetensors.Tensor{Name: prefix + t.Name, Shape: slices.Clone(t.Shape), Data: flat[t.Off : t.Off+t.N]})
	}
	return ts
}

// Gather collects the tensors prefix+name of this layout from the tensors
// of a file (by name) into a new flat buffer, checking that each exists with
// the layout's shape. path names the file in errors.
func (l *Layout) Gather(path, prefix string, byName map[string]safetensors.Tensor) ([]float32, error) {
	flat := make([]float32, l.NParams)
	for _, lt := range l.Tensors {
		t, ok := byName[prefix+lt.Name]
		if !ok {
			return nil, fmt.Errorf("%s: tensor %q missing", path, prefix+lt.Name)
		}
		if !slices.Equal(t.Shape, lt.Shape) {
			return nil, fmt.Errorf("%s: tensor %q has shape %v, want %v", path, t.Name, t.Shape, lt.Shape)
		}
		copy(flat[lt.Off:], t.Data)
	}
	return flat, nil
}

// writeFile writes tensors and metadata (with "format") atomically as a
// safetensors file of one of our formats; kind names it in the error.
func writeFile(path, format, kind string, ts []safetensors.Tensor, meta map[string]string) error {
	meta["format"] = format
	if err := safetensors.Write(path, ts, meta); err != nil {
		return fmt.Errorf("writing %s: %w", kind, err)
	}
	return nil
}

// readFile reads a safetensors file of one of our formats (metadata
// "format"; kind names it in the error, "checkpoint", "classifier") and
// returns its tensors by name and its metadata.
func readFile(path, format, kind string) (map[string]safetensors.Tensor, map[string]string, error) {
	ts, meta, err := safetensors.Read(path)
	if err != nil {
		return nil, nil, err
	}
	if meta["format"] != format {
		return nil, nil, fmt.Errorf("%s: not a latentflow %s (format %q, want %q)", path, kind, meta["format"], format)
	}
	byName := make(map[string]safetensors.Tensor, len(ts))
	for _, t := range ts {
		byName[t.Name] = t
	}
	return byName, meta, nil
}

// readStats reads the per-channel statistics tensors meanName and stdName
// (C floats each; std positive) of a checkpoint.
func readStats(path string, byName map[string]safetensors.Tensor, meanName, stdName string, C int) (mean, std []float32, err error) {
	for _, s := range []struct {
		name string
		dst  *[]float32
	}{{meanName, &mean}, {stdName, &std}} {
		t, ok := byName[s.name]
		if !ok || len(t.Data) != C {
			return nil, nil, fmt.Errorf("%s: tensor %q missing or not of length %d", path, s.name, C)
		}
		*s.dst = t.Data
	}
	for _, s := range std {
		if !(s > 0) {
			return nil, nil, fmt.Errorf("%s: %s has a non-positive entry", path, stdName)
		}
	}
	return mean, std, nil
}

// stageFormat names the layout of stage checkpoints (metadata "format").
const stageFormat = "latentflow/stage-v1"

// StageState is the training state of a stage of an image run (the
// autoencoder, the classifier) cut by a checkpoint: its step, weights and
// AdamW moments in the stage model's flat layout, and the log interval and
// wall time the checkpoint cuts (as in Checkpoint).
type StageState struct {
	Step         int
	Params, M, V []float32
	LossSum      float32
	LossSteps    int
	Elapsed      float64
}

// SaveStage writes the state s of the stage named stage, a model with
// layout l, atomically.
func (l *Layout) SaveStage(path, stage string, s *StageState) error {
	var ts []safetensors.Tensor
	for _, p := range []struct {
		prefix string
		flat   []float32
	}{{"", s.Params}, {"adam_m.", s.M}, {"adam_v.", s.V}} {
		ts = append(ts, l.SafeTensors(p.prefix, p.flat)...)
	}
	meta := map[string]string{"stage": stage, "step": strconv.Itoa(s.Step),
		"loss_sum": strconv.FormatFloat(float64(s.LossSum), 'g', -1, 32), "loss_steps": strconv.Itoa(s.LossSteps),
		"elapsed_s": strconv.FormatFloat(s.Elapsed, 'f', 3, 64)}
	return writeFile(path, stageFormat, stage+" state", ts, meta)
}

// LoadStage reads a state written by SaveStage for the stage named stage,
// checking it against the layout l.
func (l *Layout) LoadStage(path, stage string) (*StageState, error) {
	byName, meta, err := readFile(path, stageFormat, stage+" state")
	if err != nil {
		return nil, err
	}
	if meta["stage"] != stage {
		return nil, fmt.Errorf("%s: the state of stage %q, want %q", path, meta["stage"], stage)
	}
	s := &StageState{}
	sum, err1 := strconv.ParseFloat(meta["loss_sum"], 32)
	s.Step, err = strconv.Atoi(meta["step"])
	steps, err2 := strconv.Atoi(meta["loss_steps"])
	el, err3 := strconv.ParseFloat(meta["elapsed_s"], 64)
	if err != nil || err1 != nil || err2 != nil || err3 != nil || s.Step < 1 || steps < 0 || steps > s.Step ||
		math.IsNaN(sum) || math.IsInf(sum, 0) || !(el >= 0) || math.IsInf(el, 0) {
		return nil, fmt.Errorf("%s: bad step, loss_sum, loss_steps or elapsed_s in metadata", path)
	}
	s.LossSum, s.LossSteps, s.Elapsed = float32(sum), steps, el
	if s.Params, err = l.Gather(path, "", byName); err != nil {
		return nil, err
	}
	if s.M, err = l.Gather(path, "adam_m.", byName); err != nil {
		return nil, err
	}
	if s.V, err = l.Gather(path, "adam_v.", byName); err != nil {
		return nil, err
	}
	return s, nil
}
