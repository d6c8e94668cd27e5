package flow

import (
	"fmt"
	"testing"

	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/philox"
)

// BenchmarkCouple times the OT coupling of one batch on the CPU backend
// (OTCoupling's cost matrix and exact assignment, then the gather of the
// noise rows), for 2D points and for latents of 98 floats, against the
// independent coupling's Prepare in the same run.
func BenchmarkCouple(b *testing.B) {
	for _, c := range []struct{ B, X int }{{64, 2}, {256, 2}, {512, 2}, {1024, 2}, {256, 98}} {
		for _, coupling := range []string{"independent", "ot"} {
			b.Run(fmt.Sprintf("B%d-X%d/%s", c.B, c.X, coupling), func(b *testing.B) {
				be := cpu.New(0)
				fc := config.Default().Flow
				fc.Coupling = coupling
				o, err := NewObjective(fc)
				if err != nil {
					b.Fatal(err)
				}
				bt := NewBatch(be, c.B, c.X)
				be.FillUniform(bt.X1, philox.Key{Seed: 1, Stream: philox.StreamData})
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					o.Prepare(be, bt, 1, uint64(i+1))
				}
			})
		}
	}
}
