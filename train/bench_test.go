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

// BenchmarkTrainStep times one optimizer step (noise, forward, loss, backward,
// clipping, AdamW, EMA) on the CPU backend at the cpu-s shape of
// docs/bench.md, at the checkerboard example's shape and at the embedded default's
// (digits latents).
func BenchmarkTrainStep(b *testing.B) {
	for _, s := range []struct {
		name             string
		T, C, D, L, H, B int
	}{
		{"cpu-s", 16, 4, 128, 4, 4, 256},
		{"checkerboard", 2, 1, 64, 2, 2, 512},
		{"digits", 7, 14, 96, 4, 4, 256}, // the embedded default's flow
	} {
		b.Run(fmt.Sprintf("%s/T%d-D%d-L%d-B%d", s.name, s.T, s.D, s.L, s.B), func(b *testing.B) {
			cfg := config.Default()
			cfg.Model.NumClasses = 0
			cfg.Model.Tokens, cfg.Model.Chans, cfg.Model.D, cfg.Model.Layers, cfg.Model.Heads = s.T, s.C, s.D, s.L, s.H
			cfg.Train.Batch = s.B
			benchTrainSteps(b, cfg, false)
		})
	}
}

// benchTrainSteps times b.N optimizer steps of cfg's model and objective on
// the CPU backend after one untimed step, the batch's data drawn from
// stream StreamData (normal, or uniform in [0, 1) when uniform is set), and
// reports samples/s and GFLOP/s (3 times the forward's FLOPs per step).
func benchTrainSteps(b *testing.B, cfg config.Config, uniform bool) {
	cfg.Train.Steps = 1 << 30
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
	k := philox.Key{Seed: 1, Stream: philox.StreamData}
	if uniform {
		be.FillUniform(tr.Batch.X1, k)
	} else {
		be.FillNormal(tr.Batch.X1, k)
	}
	tr.Step(1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Step(i + 2)
	}
	if _, _, err := tr.GradNorm(); err != nil {
		b.Fatal(err)
	}
	B := cfg.Train.Batch
	b.ReportMetric(float64(B*b.N)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(3*m.FLOPs(B)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
