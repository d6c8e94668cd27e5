package train

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
	"github.com/latentflow/latentflow/safetensors"
)

// aeFormat names the layout of autoencoder checkpoints (metadata "format").
const aeFormat = "latentflow/autoencoder-v1"

// Philox streams of the image stages (flow's streams are 1-5).
const (
	streamAEIndex  uint32 = 6 // stage-1 batch rows
	streamAENoise  uint32 = 7 // stage-1 reparameterisation noise (KL > 0)
	streamClsIndex uint32 = 8 // classifier batch rows
)

// AE is a trained autoencoder with its latent normalisation.
type AE struct {
	Model     *model.Autoencoder
	Params    []float32
	H, W      int
	Mean, Std []float32 // (C) per-channel statistics of the training latents
}

// AEConfig maps the run configuration to the autoencoder's shape.
func AEConfig(c config.Config, h, w int) model.AEConfig {
	a := c.Autoencoder
	hidden := make([]int, a.Depth)
	for i := range hidden {
		hidden[i] = a.Width
	}
	return model.AEConfig{Pixels: h * w, Hidden: hidden, T: c.Model.Tokens, C: c.Model.Chans, KL: float32(a.KLWeight)}
}

// Save writes the autoencoder atomically as safetensors.
func (a *AE) Save(path string) error {
	c := a.Model.Cfg
	ts := append(layoutTensors("", a.Model.Layout, a.Params), safetensors.Tensor{Name: "latent.mean", Shape: []int{c.C}, Data: a.Mean},
		safetensors.Tensor{Name: "latent.std", Shape: []int{c.C}, Data: a.Std})
	hid := make([]string, len(c.Hidden))
	for i, h := range c.Hidden {
		hid[i] = strconv.Itoa(h)
	}
	meta := map[string]string{
		"format": aeFormat, "height": strconv.Itoa(a.H), "width": strconv.Itoa(a.W),
		"tokens": strconv.Itoa(c.T), "chans": strconv.Itoa(c.C), "hidden": fmt.Sprint(c.Hidden),
		"kl_weight": strconv.FormatFloat(float64(c.KL), 'g', -1, 32),
	}
	if err := safetensors.Write(path, ts, meta); err != nil {
		return fmt.Errorf("writing autoencoder: %w", err)
	}
	return nil
}

// LoadAE reads an autoencoder written by Save and checks it against the run:
// images of h x w (0, 0: any) and latents of T x C.
func LoadAE(path string, h, w, T, C int) (*AE, error) {
	ts, meta, err := safetensors.Read(path)
	if err != nil {
		return nil, err
	}
	if meta["format"] != aeFormat {
		return nil, fmt.Errorf("%s: not a latentflow autoencoder (format %q, want %q)", path, meta["format"], aeFormat)
	}
	num := func(key string) (int, error) {
		v, err := strconv.Atoi(meta[key])
		if err != nil || v <= 0 {
			return 0, fmt.Errorf("%s: bad %s %q in metadata", path, key, meta[key])
		}
		return v, nil
	}
	a := &AE{}
	var cfg model.AEConfig
	for _, f := range []struct {
		key string
		dst *int
	}{{"height", &a.H}, {"width", &a.W}, {"tokens", &cfg.T}, {"chans", &cfg.C}} {
		if *f.dst, err = num(f.key); err != nil {
			return nil, err
		}
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
	byName := tensorIndex(ts)
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
	if a.Model, err = model.NewAutoencoder(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if a.Params, err = readLayout(path, "", byName, a.Model.Layout, a.Model.NParams); err != nil {
		return nil, err
	}
	for _, s := range []struct {
		name string
		dst  *[]float32
	}{{"latent.mean", &a.Mean}, {"latent.std", &a.Std}} {
		t, ok := byName[s.name]
		if !ok || len(t.Data) != cfg.C {
			return nil, fmt.Errorf("%s: tensor %q missing or not of length %d", path, s.name, cfg.C)
		}
		*s.dst = t.Data
	}
	for _, s := range a.Std {
		if !(s > 0) {
			return nil, errors.New(path + ": latent.std has a non-positive entry")
		}
	}
	return a, nil
}

// TrainAE is stage 1: it trains the autoencoder on the training images with
// the MSE reconstruction loss (plus the weighted KL term) and computes the
// latent normalisation.
func TrainAE(be compute.Backend, c config.Config, im *Images, metrics string, progress io.Writer) (*AE, error) {
	m, err := model.NewAutoencoder(AEConfig(c, im.H, im.W))
	if err != nil {
		return nil, err
	}
	ac := c.Autoencoder
	B, P := ac.Batch, im.H*im.W
	x := be.Alloc(len(im.Train))
	defer be.Free(x)
	be.Upload(x, im.Train)
	acts := m.NewActivations(be, B)
	defer acts.Free()
	drec := be.Alloc(B * P)
	defer be.Free(drec)
	spec := fitSpec{
		name: "autoencoder", tc: stageTrain(ac.Steps, B, ac.Warmup, ac.LR, c.Train.LogEvery),
		init: m.Init(c.Seed ^ 0xae), x: x, n: im.NTrain(), X: P, stream: streamAEIndex, metrics: metrics,
		step: func(params, grads, xb, _, loss compute.Buffer, step int) {
			m.Forward(be, params, acts, xb, philox.Key{Seed: c.Seed, Step: uint64(step), Stream: streamAENoise})
			be.MSELoss(loss, drec, acts.Recon, xb)
			if m.Cfg.KL > 0 {
				be.Axpy(1, acts.KL, loss) // the logged loss includes the KL term
				be.Fill(acts.KL, 0)
			}
			m.Backward(be, params, grads, acts, xb, drec)
		},
	}
	params, err := fit(be, c.Seed, spec, progress)
	if err != nil {
		return nil, err
	}
	a := &AE{Model: m, Params: params, H: im.H, W: im.W}
	z, err := a.Encode(be, im.Train)
	if err != nil {
		return nil, err
	}
	a.Mean, a.Std = channelStats(z, m.Cfg.C)
	return a, nil
}

// aeBatch is the batch size of encoding and decoding whole sets.
const aeBatch = 500

// Encode maps images (n, H*W) to latent means (n, T*C), unnormalised.
func (a *AE) Encode(be compute.Backend, pix []float32) ([]float32, error) {
	m := a.Model
	P, L := m.Cfg.Pixels, m.Cfg.L()
	n := len(pix) / P
	out := make([]float32, n*L)
	h := make([]float32, aeBatch*m.Enc.Out())
	err := a.batches(be, n, P, func(acts *model.AEActivations, params, in compute.Buffer, i0, b int) {
		be.Upload(in, pix[i0*P:(i0+b)*P])
		m.Encode(be, params, acts, in)
		be.Download(h, acts.Enc.Out)
		width := len(h) / aeBatch // L, or 2L = (mu | logvar) for a VAE
		for r := 0; r < b; r++ {
			copy(out[(i0+r)*L:(i0+r+1)*L], h[r*width:r*width+L])
		}
	})
	return out, err
}

// Decode maps latents (n, T*C), unnormalised, to images (n, H*W) clipped to [0,1].
func (a *AE) Decode(be compute.Backend, z []float32) ([]float32, error) {
	m := a.Model
	P, L := m.Cfg.Pixels, m.Cfg.L()
	n := len(z) / L
	out := make([]float32, n*P)
	zb := be.Alloc(aeBatch * L)
	defer be.Free(zb)
	r := make([]float32, aeBatch*P)
	err := a.batches(be, n, P, func(acts *model.AEActivations, params, _ compute.Buffer, i0, b int) {
		if b < aeBatch {
			be.Fill(zb, 0)
		}
		be.Upload(zb, z[i0*L:(i0+b)*L])
		m.Decode(be, params, acts, zb)
		be.Download(r, acts.Recon)
		for i, v := range r[:b*P] {
			out[i0*P+i] = float32(math.Min(1, math.Max(0, float64(v))))
		}
	})
	return out, err
}

// batches runs fn over [0, n) in batches of aeBatch rows (the last one padded).
func (a *AE) batches(be compute.Backend, n, P int, fn func(acts *model.AEActivations, params, in compute.Buffer, i0, b int)) error {
	params := be.Alloc(a.Model.NParams)
	defer be.Free(params)
	be.Upload(params, a.Params)
	acts := a.Model.NewActivations(be, aeBatch)
	defer acts.Free()
	in := be.Alloc(aeBatch * P)
	defer be.Free(in)
	for i0 := 0; i0 < n; i0 += aeBatch {
		b := min(aeBatch, n-i0)
		if b < aeBatch {
			be.Fill(in, 0)
		}
		fn(acts, params, in, i0, b)
	}
	return be.Sync()
}

// PSNR is the peak signal-to-noise ratio in dB of images in [0,1]:
// 10 log10(1 / mean squared error).
func PSNR(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return 10 * math.Log10(float64(len(a))/s)
}
