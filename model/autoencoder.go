package model

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/philox"
)

// AEConfig is the shape of the autoencoder: images of Pixels values, a latent
// of T tokens x C channels (L = T*C floats per image).
type AEConfig struct {
	Pixels int   // floats per image (H*W)
	Hidden []int // encoder hidden widths; the decoder mirrors them
	T, C   int   // latent tokens and channels
	// KL is the weight of the KL divergence to N(0, I) (a VAE); 0 makes a
	// deterministic autoencoder whose encoder outputs the latent directly.
	KL float32
}

// L is the latent width T*C.
func (c AEConfig) L() int { return c.T * c.C }

// Validate reports the first invalid field.
func (c AEConfig) Validate() error {
	switch {
	case c.Pixels <= 0:
		return fmt.Errorf("model: autoencoder input of %d values", c.Pixels)
	case c.T <= 0 || c.C <= 0:
		return fmt.Errorf("model: latent tokens = %d, chans = %d: both must be positive", c.T, c.C)
	case len(c.Hidden) == 0:
		return fmt.Errorf("model: autoencoder.hidden is empty: give at least one hidden width")
	case c.KL < 0:
		return fmt.Errorf("model: autoencoder.kl_weight = %g: must be >= 0", c.KL)
	}
	for _, h := range c.Hidden {
		if h <= 0 {
			return fmt.Errorf("model: autoencoder.hidden = %v: widths must be positive", c.Hidden)
		}
	}
	return nil
}

// Autoencoder maps images x (B, Pixels) to latents z (B, L) and back with two
// MLPs (see the package doc for why dense layers):
//
//	encoder: x -> hidden... -> L   (or 2L = (mu | logvar) when KL > 0)
//	z = mu + exp(logvar/2) eps     (KL > 0, training only; eps ~ N(0, I))
//	decoder: z -> reversed hidden... -> Pixels   (linear output, trained with MSE)
//
// Parameters are one flat buffer: the encoder's tensors ("encoder.layers.i.*")
// then the decoder's ("decoder.layers.i.*").
type Autoencoder struct {
	Cfg      AEConfig
	Enc, Dec *MLP
	Layout
}

// NewAutoencoder returns the autoencoder for a configuration.
func NewAutoencoder(c AEConfig) (*Autoencoder, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	L := c.L()
	encOut := L
	if c.KL > 0 {
		encOut = 2 * L
	}
	enc, err := NewMLP("encoder.", append(append([]int{c.Pixels}, c.Hidden...), encOut))
	if err != nil {
		return nil, err
	}
	dsz := []int{L}
	for i := len(c.Hidden) - 1; i >= 0; i-- {
		dsz = append(dsz, c.Hidden[i])
	}
	dec, err := NewMLP("decoder.", append(dsz, c.Pixels))
	if err != nil {
		return nil, err
	}
	m := &Autoencoder{Cfg: c, Enc: enc, Dec: dec}
	m.concat(enc.Layout)
	m.concat(dec.Layout)
	return m, nil
}

// Split returns the encoder's and the decoder's views of a flat buffer.
func (m *Autoencoder) Split(be compute.Backend, flat compute.Buffer) (enc, dec compute.Buffer) {
	if flat.Len() != m.NParams {
		panic(fmt.Sprintf("model: autoencoder buffer has %d elements, want %d", flat.Len(), m.NParams))
	}
	return be.Slice(flat, 0, m.Enc.NParams), be.Slice(flat, m.Enc.NParams, m.Dec.NParams)
}

// FLOPs is the multiply-add FLOPs of one forward pass (encoder and decoder) of B images.
func (m *Autoencoder) FLOPs(B int) float64 { return m.Enc.FLOPs(B) + m.Dec.FLOPs(B) }

// AEActivations is the workspace of one autoencoder Forward/Backward at batch B.
type AEActivations struct {
	B        int
	Enc, Dec *MLPActivations
	Z        compute.Buffer // (B, L) the latent fed to the decoder
	Eps      compute.Buffer // (B, L) reparameterisation noise (KL > 0)
	KL       compute.Buffer // (1) the weighted KL terms since the caller last zeroed it
	Recon    compute.Buffer // (B, Pixels) = Dec.Out
	dz, dh   compute.Buffer
	be       compute.Backend
	all      []compute.Buffer
}

// NewActivations allocates the workspace for batch size B.
func (m *Autoencoder) NewActivations(be compute.Backend, B int) *AEActivations {
	L := m.Cfg.L()
	a := &AEActivations{B: B, be: be, Enc: m.Enc.NewActivations(be, B), Dec: m.Dec.NewActivations(be, B)}
	al := func(n int) compute.Buffer {
		b := be.Alloc(n)
		a.all = append(a.all, b)
		return b
	}
	a.Z, a.dz, a.KL = al(B*L), al(B*L), al(1)
	if m.Cfg.KL > 0 {
		a.Eps, a.dh = al(B*L), al(B*2*L)
	}
	a.Recon = a.Dec.Out
	return a
}

// Free releases the workspace.
func (a *AEActivations) Free() {
	a.Enc.Free()
	a.Dec.Free()
	for _, b := range a.all {
		a.be.Free(b)
	}
	a.all = nil
}

// Forward runs the encoder on x (B, Pixels), draws z (from the Philox normal
// stream k when KL > 0, adding the weighted KL to a.KL) and decodes a.Recon.
func (m *Autoencoder) Forward(be compute.Backend, params compute.Buffer, a *AEActivations, x compute.Buffer, k philox.Key) {
	pe, pd := m.Split(be, params)
	m.Enc.Forward(be, pe, a.Enc, x)
	if m.Cfg.KL > 0 {
		be.FillNormal(a.Eps, k)
		be.GaussianSample(a.Z, a.KL, a.Enc.Out, a.Eps, m.Cfg.L(), m.Cfg.KL)
	} else {
		be.Copy(a.Z, a.Enc.Out)
	}
	m.Dec.Forward(be, pd, a.Dec, a.Z)
}

// Backward accumulates into grads (zeroed by the caller) the gradient of the
// reconstruction loss (drecon = dL/dRecon) plus the weighted KL term.
func (m *Autoencoder) Backward(be compute.Backend, params, grads compute.Buffer, a *AEActivations, x, drecon compute.Buffer) {
	pe, pd := m.Split(be, params)
	ge, gd := m.Split(be, grads)
	m.Dec.Backward(be, pd, gd, a.Dec, a.Z, drecon, a.dz)
	dh := a.dz
	if m.Cfg.KL > 0 {
		be.GaussianSampleBackward(a.dh, a.dz, a.Enc.Out, a.Eps, m.Cfg.L(), m.Cfg.KL)
		dh = a.dh
	}
	m.Enc.Backward(be, pe, ge, a.Enc, x, dh, nil)
}

// Encode runs the encoder on x (B, Pixels); the latent mean is the first L
// columns of each row of a.Enc.Out (all of it when KL = 0).
func (m *Autoencoder) Encode(be compute.Backend, params compute.Buffer, a *AEActivations, x compute.Buffer) {
	pe, _ := m.Split(be, params)
	m.Enc.Forward(be, pe, a.Enc, x)
}

// Decode sets a.Recon from latents z (B, L).
func (m *Autoencoder) Decode(be compute.Backend, params compute.Buffer, a *AEActivations, z compute.Buffer) {
	_, pd := m.Split(be, params)
	m.Dec.Forward(be, pd, a.Dec, z)
}
