package train

import (
	"fmt"
	"testing"

	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/flow"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/philox"
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
				cfg.Train.Batch, cfg.Train.Steps = B, 1<<30
				cfg.Flow.Coupling = coupling
				be := cpu.New(0)
				m := model.NewDiT(model.ConfigFrom(cfg))
				obj, err := flow.NewObjective(cfg.Flow)
				if err != nil {
					b.Fatal(err)
				}
				p := m.Init(1)
				st := &model.Checkpoint{Params: p, EMA: p, M: make([]float32, m.NParams), V: make([]float32, m.NParams)}
				tr := NewTrainer(be, m, obj, cfg.Train, 1, st)
				defer tr.Free()
				be.FillUniform(tr.Batch.X1, philox.Key{Seed: 1, Stream: philox.StreamData})
				tr.Step(1)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					tr.Step(i + 2)
				}
				if _, _, err := tr.GradNorm(); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}
