package model

import (
	"testing"

	"github.com/latentflow/latentflow/compute/cpu"
)

// TestActivationFloats: the count that sampling checks against the device's
// free memory is what NewActivations really allocates.
func TestActivationFloats(t *testing.T) {
	be := cpu.New(1)
	for _, c := range []Config{tinyConfig(0), tinyConfig(3),
		{T: 5, C: 3, D: 12, L: 3, H: 3, MLPRatio: 4, TembDim: 6, TimeScale: 1, NumClasses: 0}} {
		m := NewDiT(c)
		for _, B := range []int{1, 7} {
			a := m.NewActivations(be, B)
			var got int64
			for _, b := range a.all {
				got += int64(b.Len())
			}
			a.Free()
			if want := m.ActivationFloats(B); got != want {
				t.Errorf("%+v B=%d: NewActivations allocates %d floats, ActivationFloats says %d", c, B, got, want)
			}
		}
	}
}

// TestInference: the forward-only workspace gives the same velocity as the
// training activations, bit for bit, allocates InferenceFloats, and refuses
// Backward.
func TestInference(t *testing.T) {
	be := cpu.New(1)
	for _, c := range []Config{tinyConfig(0), tinyConfig(3),
		{T: 5, C: 3, D: 12, L: 3, H: 3, MLPRatio: 4, TembDim: 6, TimeScale: 1, NumClasses: 0}} {
		m := NewDiT(c)
		params := be.Alloc(m.NParams)
		p := m.Init(7)
		for i := range p { // non-zero ada and out weights, so every block matters
			p[i] += 0.05 * float32(i%7-3)
		}
		be.Upload(params, p)
		for _, B := range []int{1, 7} {
			x, tt, y := be.Alloc(B*c.T*c.C), be.Alloc(B), be.Alloc(B)
			xs, ts, ys := make([]float32, x.Len()), make([]float32, B), make([]float32, B)
			for i := range xs {
				xs[i] = float32(i%11)/5 - 1
			}
			for i := range ts {
				ts[i] = float32(i) / float32(B+1)
				ys[i] = float32(i % (c.NumClasses + 1))
			}
			be.Upload(x, xs)
			be.Upload(tt, ts)
			be.Upload(y, ys)
			a, inf := m.NewActivations(be, B), m.NewInference(be, B)
			m.Forward(be, params, a, x, tt, y)
			m.Forward(be, params, inf, x, tt, y)
			want, got := make([]float32, a.Out.Len()), make([]float32, a.Out.Len())
			be.Download(want, a.Out)
			be.Download(got, inf.Out)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%+v B=%d: Out[%d] = %g forward-only, %g with the training activations", c, B, i, got[i], want[i])
				}
			}
			var n int64
			for _, b := range inf.all {
				n += int64(b.Len())
			}
			if w := m.InferenceFloats(B); n != w {
				t.Errorf("%+v B=%d: NewInference allocates %d floats, InferenceFloats says %d", c, B, n, w)
			}
			func() {
				defer func() {
					if r := recover(); r == nil {
						t.Errorf("Backward on the forward-only activations did not panic")
					}
				}()
				m.Backward(be, params, be.Alloc(m.NParams), inf, x, a.Out)
			}()
			a.Free()
			inf.Free()
		}
	}
}
