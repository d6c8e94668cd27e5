package train

import (
	"fmt"
	"testing"

	"github.com/latentflow/latentflow/config"
)

// BenchmarkTrainStepCoupling times a whole optimizer step with the
// independent and the OT coupling side by side (flow.coupling), at the
// checkerboard example's model with the batch of docs/experiments.md (256)
// and of the example (512), on the CPU backend.
func BenchmarkTrainStepCoupling(b *testing.B) {
	for _, B := range []int{256, 512} {
		for _, coupling := range []string{"independent", "ot"} {
			b.Run(fmt.Sprintf("checkerboard-B%d/%s", B, coupling), func(b *testing.B) {
				cfg := config.Default()
				cfg.Model.NumClasses = 0
				cfg.Model.Tokens, cfg.Model.Chans, cfg.Model.D, cfg.Model.Layers, cfg.Model.Heads = 2, 1, 64, 2, 2
				cfg.Train.Batch = B
				cfg.Flow.Coupling = coupling
				benchTrainSteps(b, cfg, true)
			})
		}
	}
}
