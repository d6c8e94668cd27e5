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
