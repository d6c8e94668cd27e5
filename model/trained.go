package model

import (
	"fmt"
	"math"
	"strconv"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/safetensors"
)

// The trained networks of an image run beside the flow: the autoencoder
// (autoencoder.safetensors) and the evaluation classifier
// (classifier.safetensors), with batched inference over whole sets.

// aeFormat names the layout of autoencoder checkpoints (metadata "format").
const aeFormat = "latentflow/autoencoder-v1"

// clsFormat names the layout of classifier checkpoints (metadata "format").
const clsFormat = "latentflow/classifier-v1"

// AE is a trained autoencoder with its latent normalisation.
type AE struct {
	Model     *Autoencoder
	Params    []float32
	H, W      int
	Mean, Std []float32 // (C) per-channel statistics of the training latents
}

// AEConfigFrom maps the run configuration to the autoencoder's shape for
// images of h x w.
func AEConfigFrom(c config.Config, h, w int) AEConfig {
	a := c.Autoencoder
	hidden := make([]int, a.Depth)
	for i := range hidden {
		hidden[i] = a.Width
	}
	return AEConfig{Pixels: h * w, Hidden: hidden, T: c.Model.Tokens, C: c.Model.Chans, KL: float32(a.KLWeight)}
}

// Save writes the autoencoder atomically as safetensors.
func (a *AE) Save(path string) error {
	c := a.Model.Cfg
	ts := append(a.Model.SafeTensors("", a.Params), safetensors.Tensor{Name: "latent.mean", Shape: []int{c.C}, Data: a.Mean},
		safetensors.Tensor{Name: "latent.std", Shape: []int{c.C}, Data: a.Std})
	meta := map[string]string{
		"height": strconv.Itoa(a.H), "width": strconv.Itoa(a.W),
		"tokens": strconv.Itoa(c.T), "chans": strconv.Itoa(c.C), "hidden": fmt.Sprint(c.Hidden),
		"kl_weight": strconv.FormatFloat(float64(c.KL), 'g', -1, 32),
	}
	return writeFile(path, aeFormat, "autoencoder", ts, meta)
}

// LoadAE reads an autoencoder written by Save and checks it against the run:
// images of h x w (0, 0: any) and latents of T x C.
func LoadAE(path string, h, w, T, C int) (*AE, error) {
	byName, meta, err := readFile(path, aeFormat, "autoencoder")
	if err != nil {
		return nil, err
	}
	num := func(key string) (int, error) {
		v, err := strconv.Atoi(meta[key])
		if err != nil || v <= 0 {
			return 0, fmt.Errorf("%s: bad %s %q in metadata", path, key, meta[key])
		}
		return v, nil
	}
	a := &AE{}
	var cfg AEConfig
	for _, f := range []struct {
		key string
		dst *int
	}{{"height", &a.H}, {"width", &a.W}, {"tokens", &cfg.T}, {"chans", &cfg.C}} {
		if *f.dst, err = num(f.key); err != nil {
			return nil, err
		}
	}
	if a.H > 1<<16 || a.W > 1<<16 || cfg.T > 1<<16 || cfg.C > 1<<16 {
		return nil, fmt.Errorf("%s: autoencoder for %dx%d images and %dx%d latents: each at most 65536", path, a.H, a.W, cfg.T, cfg.C)
	}
	if (h > 0 && (a.H != h || a.W != w)) || cfg.T != T || cfg.C != C {
		return nil, fmt.Errorf("%s: autoencoder for %dx%d images and %dx%d latents, but this run has %dx%d images and model.tokens x model.chans = %dx%d",
			path, a.H, a.W, cfg.T, cfg.C, h, w, T, C)
	}
	kl, err := strconv.ParseFloat(meta["kl_weight"], 32)
	if err != nil || kl < 0 {
		return nil, fmt.Errorf("%s: bad kl_weight %q in metadata", path, meta["kl_weight"])
	}
	cfg.KL, cfg.Pixels = float32(kl), a.H*a.W
	// The hidden widths are the shapes of the encoder's weights.
	for i := 0; ; i++ {
		t, ok := byName[fmt.Sprintf("encoder.layers.%d.weight", i)]
		if !ok {
			break
		}
		if len(t.Shape) != 2 {
			return nil, fmt.Errorf("%s: tensor %q has shape %v", path, fmt.Sprintf("encoder.layers.%d.weight", i), t.Shape)
		}
		if _, next := byName[fmt.Sprintf("encoder.layers.%d.weight", i+1)]; next {
			cfg.Hidden = append(cfg.Hidden, t.Shape[0])
		}
	}
	if a.Model, err = NewAutoencoder(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := holds(path, byName, a.Model.NParams); err != nil {
		return nil, err
	}
	if a.Params, err = a.Model.Gather(path, "", byName); err != nil {
		return nil, err
	}
	if a.Mean, a.Std, err = readStats(path, byName, "latent.mean", "latent.std", cfg.C); err != nil {
		return nil, err
	}
	return a, nil
}

// inferBatch is the batch size of inference over whole sets: encoding,
// decoding and classifying.
const inferBatch = 500

// inBatches runs fn over the rows of x (n rows of `width` floats) in
// batches of at most inferBatch rows: rows [i0, i0+b) are uploaded into in
// (inferBatch rows; zero past b in a short last batch) and fn(in, i0, b)
// queues the work on them. It waits for the queued work.
func inBatches(be compute.Backend, x []float32, width int, fn func(in compute.Buffer, i0, b int)) error {
	in := be.Alloc(inferBatch * width)
	defer be.Free(in)
	n := len(x) / width
	for i0 := 0; i0 < n; i0 += inferBatch {
		b := min(inferBatch, n-i0)
		if b < inferBatch {
			be.Fill(in, 0)
		}
		be.Upload(in, x[i0*width:(i0+b)*width])
		fn(in, i0, b)
	}
	return be.Sync()
}

// Encode maps images (n, H*W) to latent means (n, T*C), unnormalised.
func (a *AE) Encode(be compute.Backend, pix []float32) ([]float32, error) {
	m := a.Model
	L, width := m.Cfg.L(), m.Enc.Out() // width: L, or 2L = (mu | logvar) for a VAE
	out := make([]float32, len(pix)/m.Cfg.Pixels*L)
	params, acts := upload(be, a.Params), m.NewActivations(be, inferBatch)
	defer be.Free(params)
	defer acts.Free()
	h := make([]float32, inferBatch*width)
	err := inBatches(be, pix, m.Cfg.Pixels, func(in compute.Buffer, i0, b int) {
		m.Encode(be, params, acts, in)
		be.Download(h, acts.Enc.Out)
		for r := 0; r < b; r++ {
			copy(out[(i0+r)*L:(i0+r+1)*L], h[r*width:r*width+L])
		}
	})
	return out, err
}

// Decode maps latents (n, T*C), unnormalised, to images (n, H*W) clipped to [0,1].
func (a *AE) Decode(be compute.Backend, z []float32) ([]float32, error) {
	m := a.Model
	P := m.Cfg.Pixels
	out := make([]float32, len(z)/m.Cfg.L()*P)
	params, acts := upload(be, a.Params), m.NewActivations(be, inferBatch)
	defer be.Free(params)
	defer acts.Free()
	r := make([]float32, inferBatch*P)
	err := inBatches(be, z, m.Cfg.L(), func(zb compute.Buffer, i0, b int) {
		m.Decode(be, params, acts, zb)
		be.Download(r, acts.Recon)
		for i, v := range r[:b*P] {
			out[i0*P+i] = float32(math.Min(1, math.Max(0, float64(v))))
		}
	})
	return out, err
}

// Classifier is the small MLP that scores class-conditional samples: images
// (H*W pixels in [0,1]) to logits over its classes.
type Classifier struct {
	Model  *MLP
	Params []float32
}

// Predict returns the most likely class of each image (n, H*W).
func (cl *Classifier) Predict(be compute.Backend, pix []float32) ([]int, error) {
	m := cl.Model
	K := m.Out()
	out := make([]int, len(pix)/m.In())
	params, acts := upload(be, cl.Params), m.NewActivations(be, inferBatch)
	defer be.Free(params)
	defer acts.Free()
	logits := make([]float32, inferBatch*K)
	err := inBatches(be, pix, m.In(), func(in compute.Buffer, i0, b int) {
		m.Forward(be, params, acts, in)
		be.Download(logits, acts.Out)
		for r := 0; r < b; r++ {
			out[i0+r] = argmax(logits[r*K : (r+1)*K])
		}
	})
	return out, err
}

// Accuracy is the fraction of predictions equal to the labels.
func Accuracy(pred, labels []int) float64 {
	ok := 0
	for i := range pred {
		if pred[i] == labels[i] {
			ok++
		}
	}
	return float64(ok) / float64(max(1, len(pred)))
}

func argmax(v []float32) int {
	j := 0
	for i := range v {
		if v[i] > v[j] {
			j = i
		}
	}
	return j
}

// NewClassifier returns the untrained classifier of the [classifier] section
// for images of `pixels` values and `classes` classes.
func NewClassifier(c config.Config, pixels, classes int) (*MLP, error) {
	sizes := []int{pixels}
	for i := 0; i < c.Classifier.Depth; i++ {
		sizes = append(sizes, c.Classifier.Width)
	}
	return NewMLP("", append(sizes, classes))
}

// Save writes the classifier atomically as safetensors.
func (cl *Classifier) Save(path string) error {
	ts := cl.Model.SafeTensors("", cl.Params)
	return writeFile(path, clsFormat, "classifier", ts, map[string]string{"layers": strconv.Itoa(len(cl.Model.Sizes) - 1)})
}

// LoadClassifier reads a classifier written by Save.
func LoadClassifier(path string) (*Classifier, error) {
	byName, meta, err := readFile(path, clsFormat, "classifier")
	if err != nil {
		return nil, err
	}
	layers, err := strconv.Atoi(meta["layers"])
	if err != nil || layers < 1 {
		return nil, fmt.Errorf("%s: bad layers %q in metadata", path, meta["layers"])
	}
	var sizes []int
	for i := 0; i < layers; i++ {
		t, ok := byName[fmt.Sprintf("layers.%d.weight", i)]
		if !ok || len(t.Shape) != 2 {
			return nil, fmt.Errorf("%s: tensor layers.%d.weight missing or not 2-D", path, i)
		}
		if i == 0 {
			sizes = append(sizes, t.Shape[1])
		}
		sizes = append(sizes, t.Shape[0])
	}
	m, err := NewMLP("", sizes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := holds(path, byName, m.NParams); err != nil {
		return nil, err
	}
	params, err := m.Gather(path, "", byName)
	if err != nil {
		return nil, err
	}
	return &Classifier{Model: m, Params: params}, nil
}

// holds returns an error when the tensors of a file hold fewer floats than
// the n parameters its metadata describes, before they are allocated.
func holds(path string, byName map[string]safetensors.Tensor, n int) error {
	stored := 0
	for _, t := range byName {
		stored += len(t.Data)
	}
	if n > stored {
		return fmt.Errorf("%s: its metadata describes a model of %d parameters, but the file holds %d floats in all", path, n, stored)
	}
	return nil
}
