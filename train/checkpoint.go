package train

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/safetensors"
)

// checkpointFormat names the layout of our checkpoints; it is stored in the metadata.
const checkpointFormat = "latentflow/dit-v1"

// Checkpoint is the whole training state on the host. Params, EMA, M and V
// use the model's flat layout; M and V may be nil (a weights-only file).
type Checkpoint struct {
	Config config.Config
	Model  *model.DiT
	Step   int       // optimizer steps taken
	Params []float32 // raw weights
	EMA    []float32 // EMA weights (equal to Params when EMA is off)
	M, V   []float32 // AdamW moments
	Mean   []float32 // (C) per-channel data mean subtracted before training
	Std    []float32 // (C) per-channel data std divided out before training
}

// ModelConfig maps the [model] section to the model's configuration.
func ModelConfig(c config.Config) model.Config {
	m := c.Model
	return model.Config{T: m.Tokens, C: m.Chans, D: m.D, L: m.Layers, H: m.Heads, MLPRatio: m.MLPRatio,
		TembDim: m.TembDim, TimeScale: float32(m.TimeScale), NumClasses: m.NumClasses}
}

// Save writes the checkpoint atomically (temporary file, fsync, rename).
func (c *Checkpoint) Save(path string) error {
	text, err := c.Config.Encode()
	if err != nil {
		return fmt.Errorf("encoding config for %s: %w", path, err)
	}
	var ts []safetensors.Tensor
	add := func(prefix string, flat []float32) {
		if flat == nil {
			return
		}
		for _, t := range c.Model.Layout {
			ts = append(ts, safetensors.Tensor{Name: prefix + t.Name, Shape: slices.Clone(t.Shape), Data: flat[t.Off : t.Off+t.N]})
		}
	}
	add("", c.Params)
	add("ema.", c.EMA)
	add("adam_m.", c.M)
	add("adam_v.", c.V)
	C := len(c.Mean)
	ts = append(ts, safetensors.Tensor{Name: "data.mean", Shape: []int{C}, Data: c.Mean},
		safetensors.Tensor{Name: "data.std", Shape: []int{C}, Data: c.Std})
	meta := map[string]string{
		"format": checkpointFormat,
		"step":   strconv.Itoa(c.Step),
		"config": string(text),
	}
	if err := safetensors.Write(path, ts, meta); err != nil {
		return fmt.Errorf("writing checkpoint: %w", err)
	}
	return nil
}

// LoadCheckpoint reads and checks a checkpoint written by Save.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	ts, meta, err := safetensors.Read(path)
	if err != nil {
		return nil, err
	}
	if meta["format"] != checkpointFormat {
		return nil, fmt.Errorf("%s: not a latentflow checkpoint (format %q, want %q)", path, meta["format"], checkpointFormat)
	}
	c := &Checkpoint{}
	if c.Step, err = strconv.Atoi(meta["step"]); err != nil || c.Step < 0 {
		return nil, fmt.Errorf("%s: bad step %q in metadata", path, meta["step"])
	}
	if c.Config, err = config.Parse(path+" (embedded config)", []byte(meta["config"])); err != nil {
		return nil, err
	}
	if err := c.Config.Validate(); err != nil {
		return nil, fmt.Errorf("%s (embedded config): %w", path, err)
	}
	mc := ModelConfig(c.Config)
	if err := mc.Validate(); err != nil {
		return nil, fmt.Errorf("%s (embedded config): %w", path, err)
	}
	c.Model = model.NewDiT(mc)
	byName := make(map[string]safetensors.Tensor, len(ts))
	for _, t := range ts {
		byName[t.Name] = t
	}
	get := func(prefix string, required bool) ([]float32, error) {
		flat := make([]float32, c.Model.NParams)
		for i, lt := range c.Model.Layout {
			t, ok := byName[prefix+lt.Name]
			if !ok {
				if i == 0 && !required {
					return nil, nil
				}
				return nil, fmt.Errorf("%s: tensor %q missing", path, prefix+lt.Name)
			}
			if !slices.Equal(t.Shape, lt.Shape) {
				return nil, fmt.Errorf("%s: tensor %q has shape %v, the config says %v", path, t.Name, t.Shape, lt.Shape)
			}
			copy(flat[lt.Off:], t.Data)
		}
		return flat, nil
	}
	if c.Params, err = get("", true); err != nil {
		return nil, err
	}
	if c.EMA, err = get("ema.", false); err != nil {
		return nil, err
	}
	if c.EMA == nil {
		c.EMA = slices.Clone(c.Params)
	}
	if c.M, err = get("adam_m.", false); err != nil {
		return nil, err
	}
	if c.V, err = get("adam_v.", c.M != nil); err != nil {
		return nil, err
	}
	for _, s := range []struct {
		name string
		dst  *[]float32
	}{{"data.mean", &c.Mean}, {"data.std", &c.Std}} {
		t, ok := byName[s.name]
		if !ok || len(t.Data) != mc.C {
			return nil, fmt.Errorf("%s: tensor %q missing or not of length %d", path, s.name, mc.C)
		}
		*s.dst = t.Data
	}
	for _, s := range c.Std {
		if !(s > 0) {
			return nil, errors.New(path + ": data.std has a non-positive entry")
		}
	}
	return c, nil
}
