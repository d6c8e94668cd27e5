package model

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/safetensors"
)

// checkpointFormat names the layout of our checkpoints; it is stored in the metadata.
const checkpointFormat = "latentflow/dit-v1"

// Checkpoint is the whole training state of a flow on the host, as stored
// in ckpt.safetensors. Params, EMA, M and V use the model's flat layout; M
// and V may be nil (a weights-only file).
type Checkpoint struct {
	Config config.Config
	Model  *DiT
	Step   int       // optimizer steps taken
	Params []float32 // raw weights
	EMA    []float32 // EMA weights (equal to Params when EMA is off)
	M, V   []float32 // AdamW moments
	Mean   []float32 // (C) per-channel data mean subtracted before training
	Std    []float32 // (C) per-channel data std divided out before training
	// Elapsed is the wall time in seconds the flow's training loop has run
	// up to Step, over every resume (metrics.jsonl elapsed_s continues it).
	Elapsed float64
	// LossSum and LossSteps are the log interval the checkpoint cuts (the
	// loss summed over the LossSteps steps since the last metrics record),
	// so that a resumed run logs the same means (train.Loop.Resume).
	LossSum   float32
	LossSteps int
}

// ConfigFrom maps the [model] section to the DiT's configuration.
func ConfigFrom(c config.Config) Config {
	m := c.Model
	return Config{T: m.Tokens, C: m.Chans, D: m.D, L: m.Layers, H: m.Heads, MLPRatio: m.MLPRatio,
		TembDim: m.TembDim, TimeScale: float32(m.TimeScale), NumClasses: m.NumClasses}
}

// Save writes the checkpoint atomically (temporary file, fsync, rename).
func (c *Checkpoint) Save(path string) error {
	text, err := c.Config.Encode()
	if err != nil {
		return fmt.Errorf("encoding config for %s: %w", path, err)
	}
	var ts []safetensors.Tensor
	for _, p := range []struct {
		prefix string
		flat   []float32
	}{{"", c.Params}, {"ema.", c.EMA}, {"adam_m.", c.M}, {"adam_v.", c.V}} {
		if p.flat != nil {
			ts = append(ts, c.Model.SafeTensors(p.prefix, p.flat)...)
		}
	}
	C := len(c.Mean)
	ts = append(ts, safetensors.Tensor{Name: "data.mean", Shape: []int{C}, Data: c.Mean},
		safetensors.Tensor{Name: "data.std", Shape: []int{C}, Data: c.Std})
	meta := map[string]string{"step": strconv.Itoa(c.Step), "config": string(text),
		"elapsed_s": strconv.FormatFloat(c.Elapsed, 'f', 3, 64),
		"loss_sum":  strconv.FormatFloat(float64(c.LossSum), 'g', -1, 32), "loss_steps": strconv.Itoa(c.LossSteps)}
	return writeFile(path, checkpointFormat, "checkpoint", ts, meta)
}

// LoadCheckpoint reads and checks a checkpoint written by Save.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	byName, meta, err := readFile(path, checkpointFormat, "checkpoint")
	if err != nil {
		return nil, err
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
	mc := ConfigFrom(c.Config)
	if err := mc.Validate(); err != nil {
		return nil, fmt.Errorf("%s (embedded config): %w", path, err)
	}
	if e, ok := meta["elapsed_s"]; ok { // absent in checkpoints written before it
		if c.Elapsed, err = strconv.ParseFloat(e, 64); err != nil || !(c.Elapsed >= 0) || math.IsInf(c.Elapsed, 0) {
			return nil, fmt.Errorf("%s: bad elapsed_s %q in metadata", path, e)
		}
	}
	if ls, ok := meta["loss_steps"]; ok { // absent in checkpoints written before it
		sum, err1 := strconv.ParseFloat(meta["loss_sum"], 32)
		steps, err2 := strconv.Atoi(ls)
		if err1 != nil || err2 != nil || steps < 0 || steps > c.Step || math.IsNaN(sum) || math.IsInf(sum, 0) {
			return nil, fmt.Errorf("%s: bad loss_sum %q or loss_steps %q in metadata", path, meta["loss_sum"], ls)
		}
		c.LossSum, c.LossSteps = float32(sum), steps
	}
	// The embedded config is within the sanity bounds (Validate), so the
	// table of tensors is small; check the size it implies against the
	// file before any parameter buffer is allocated.
	c.Model = NewDiT(mc)
	if err := holds(path+" (embedded config)", byName, c.Model.NParams); err != nil {
		return nil, err
	}
	get := func(prefix string, required bool) ([]float32, error) {
		if _, ok := byName[prefix+c.Model.Tensors[0].Name]; !ok && !required {
			return nil, nil // an optional part (EMA, moments) absent as a whole
		}
		return c.Model.Gather(path, prefix, byName)
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
	if c.Mean, c.Std, err = readStats(path, byName, "data.mean", "data.std", mc.C); err != nil {
		return nil, err
	}
	return c, nil
}

// SampleWeights uploads the weights that sampling uses: the EMA weights, or
// the raw ones when sample.ema = false. The caller frees the buffer.
func (c *Checkpoint) SampleWeights(be compute.Backend) compute.Buffer {
	w := c.EMA
	if !c.Config.Sample.EMA {
		w = c.Params
	}
	return upload(be, w)
}

// upload allocates a buffer holding v.
func upload(be compute.Backend, v []float32) compute.Buffer {
	b := be.Alloc(len(v))
	be.Upload(b, v)
	return b
}
