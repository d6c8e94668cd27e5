package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/philox"
)

func tinyAE(t *testing.T, kl float32) *Autoencoder {
	t.Helper()
	m, err := NewAutoencoder(AEConfig{Pixels: 7, Hidden: []int{6, 5}, T: 2, C: 2, KL: kl})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// aeRun runs Forward (and Backward when drecon is not nil) on the host data and
// returns the reconstruction, the KL term, the noise used and the gradient.
func aeRun(be compute.Backend, m *Autoencoder, params, x, drecon []float32, B int, k philox.Key) (recon []float32, kl float64, eps, grad []float32) {
	a := m.NewActivations(be, B)
	defer a.Free()
	pb, xb := upload(be, params), upload(be, x)
	m.Forward(be, pb, a, xb, k)
	recon = make([]float32, a.Recon.Len())
	be.Download(recon, a.Recon)
	var l [1]float32
	be.Download(l[:], a.KL)
	if a.Eps != nil {
		eps = make([]float32, a.Eps.Len())
		be.Download(eps, a.Eps)
	}
	if drecon != nil {
		g := be.Alloc(m.NParams)
		m.Backward(be, pb, g, a, xb, upload(be, drecon))
		grad = make([]float32, m.NParams)
		be.Download(grad, g)
	}
	return recon, float64(l[0]), eps, grad
}

func (m *Autoencoder) nameOf(i int) string {
	for _, t := range m.Tensors {
		if i >= t.Off && i < t.Off+t.N {
			return fmt.Sprintf("%s[%d]", t.Name, i-t.Off)
		}
	}
	return "?"
}

// TestAutoencoderFiniteDifferences checks every parameter gradient of a tiny
// autoencoder, deterministic and with the KL term, against central finite
// differences of L = sum(recon * r) + KL (same noise in every evaluation):
// |fd - g| <= 2e-3 + 2e-2|g| (its L is small, so roundoff is too).
func TestAutoencoderFiniteDifferences(t *testing.T) {
	for _, kl := range []float32{0, 0.7} {
		t.Run(fmt.Sprintf("kl=%g", kl), func(t *testing.T) {
			seed := rand.Uint64()
			r := rand.New(rand.NewPCG(seed, 3))
			be := cpu.New(1)
			m := tinyAE(t, kl)
			B := 3
			p := randVec(r, m.NParams, 0.4)
			x := randVec(r, B*m.Cfg.Pixels, 1)
			dr := randVec(r, B*m.Cfg.Pixels, 1)
			k := philox.Key{Seed: seed, Step: 1, Stream: 9}
			loss := func(params []float32) float64 {
				rec, klv, _, _ := aeRun(be, m, params, x, nil, B, k)
				s := klv
				for i := range rec {
					s += float64(rec[i]) * float64(dr[i])
				}
				return s
			}
			_, _, _, grad := aeRun(be, m, p, x, dr, B, k)
			checkFiniteDifferences(t, seed, p, loss, grad, m.nameOf, 2e-3)
		})
	}
}

// TestMLPInputGradient checks dx of an MLP (the classifier and encoder entry)
// against finite differences.
func TestMLPInputGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	be := cpu.New(1)
	m, err := NewMLP("c.", []int{5, 4, 3})
	if err != nil {
		t.Fatal(err)
	}
	B := 2
	p, x, dout := randVec(r, m.NParams, 0.5), randVec(r, B*5, 1), randVec(r, B*3, 1)
	a := m.NewActivations(be, B)
	pb := upload(be, p)
	f := func(x []float32) float64 {
		m.Forward(be, pb, a, upload(be, x))
		out := make([]float32, a.Out.Len())
		be.Download(out, a.Out)
		var s float64
		for i := range out {
			s += float64(out[i]) * float64(dout[i])
		}
		return s
	}
	xb := upload(be, x)
	m.Forward(be, pb, a, xb)
	dx := be.Alloc(len(x))
	m.Backward(be, pb, be.Alloc(m.NParams), a, xb, upload(be, dout), dx)
	got := make([]float32, len(x))
	be.Download(got, dx)
	for i := range x {
		old := x[i]
		x[i] = old + 1e-2
		lp := f(x)
		x[i] = old - 1e-2
		lm := f(x)
		x[i] = old
		if fd := (lp - lm) / 2e-2; math.Abs(fd-float64(got[i])) > 2e-3+2e-2*math.Abs(fd) {
			t.Errorf("dx[%d] = %g, finite difference %g", i, got[i], fd)
		}
	}
	if _, err := NewMLP("x.", []int{3}); err == nil {
		t.Error("NewMLP accepted a single width")
	}
	if _, err := NewMLP("x.", []int{3, 0}); err == nil {
		t.Error("NewMLP accepted a zero width")
	}
}
