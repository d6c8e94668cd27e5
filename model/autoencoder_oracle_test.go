//go:build !cuda

// (gorgonia's cuda build tag pulls in cuDNN; see oracle_test.go.)

package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/philox"
	G "gorgonia.org/gorgonia"
)

// TestAutoencoderOracleGorgonia checks the loss mean((recon - x)^2) + KL and
// every parameter gradient against the same network written as a gorgonia
// float64 graph (tolerances as TestDiTOracleGorgonia).
func TestAutoencoderOracleGorgonia(t *testing.T) {
	for _, kl := range []float32{0, 0.3} {
		t.Run(fmt.Sprintf("kl=%g", kl), func(t *testing.T) {
			r := rand.New(rand.NewPCG(21, uint64(kl*10)))
			be := cpu.New(1)
			m := tinyAE(t, kl)
			B, P, L := 4, m.Cfg.Pixels, m.Cfg.L()
			params := randVec(r, m.NParams, 0.5)
			x := randVec(r, B*P, 1)
			k := philox.Key{Seed: 5, Step: 2, Stream: 9}

			rec, klv, eps, _ := aeRun(be, m, params, x, nil, B, k)
			drec := make([]float32, len(rec))
			loss := klv
			for i := range rec {
				e := rec[i] - x[i]
				loss += float64(e) * float64(e) / float64(len(rec))
				drec[i] = 2 * e / float32(len(rec))
			}
			_, _, _, grads := aeRun(be, m, params, x, drec, B, k)

			o := &oracleGraph{t: t, g: G.NewGraph()}
			p, wrt := o.params(m.Tensors, params)
			mlp := func(h *G.Node, prefix string, layers int) *G.Node {
				for i := 0; i < layers; i++ {
					name := fmt.Sprintf("%slayers.%d.", prefix, i)
					h = o.linear(h, p[name+"weight"], p[name+"bias"])
					if i < layers-1 {
						h = o.gelu(h)
					}
				}
				return h
			}
			henc := mlp(o.mat(B, P, f64(x), "x"), "encoder.", len(m.Enc.Sizes)-1)
			z := henc
			var klTerm *G.Node
			if kl > 0 {
				mu, lv := o.cols(henc, 0, L), o.cols(henc, L, L)
				std := o.must(G.Exp(o.prod(o.fill(B, L, 0.5), lv)))
				z = o.add(mu, o.prod(std, o.mat(B, L, f64(eps), "eps")))
				terms := o.sub(o.add(o.prod(mu, mu), o.must(G.Exp(lv))), o.add(o.fill(B, L, 1), lv))
				klTerm = o.must(G.Sum(o.prod(o.fill(B, L, float64(kl)/(2*float64(B))), terms)))
			}
			rec64 := mlp(z, "decoder.", len(m.Dec.Sizes)-1)
			lossN := o.must(G.Mean(o.must(G.Square(o.sub(rec64, o.mat(B, P, f64(x), "target"))))))
			if klTerm != nil {
				lossN = o.add(lossN, klTerm)
			}
			if _, err := G.Grad(lossN, wrt...); err != nil {
				t.Fatalf("gorgonia Grad: %v", err)
			}
			vm := G.NewTapeMachine(o.g, G.BindDualValues(wrt...))
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				t.Fatalf("gorgonia RunAll: %v", err)
			}
			ref := lossN.Value().Data().(float64)
			if rel := math.Abs(loss-ref) / math.Abs(ref); !(rel <= oracleLossRel) {
				t.Errorf("loss: ours %.9g oracle %.9g (rel %.2e)", loss, ref, rel)
			}
			for _, tn := range m.Tensors {
				gv, err := p[tn.Name].Grad()
				if err != nil {
					t.Fatalf("gorgonia grad of %s: %v", tn.Name, err)
				}
				e := compareGrad(grads[tn.Off:tn.Off+tn.N], gv.Data().([]float64))
				if e.maxRef == 0 {
					t.Errorf("%s: oracle gradient is identically zero (the check would be vacuous)", tn.Name)
				}
				for i, s := range e.bad {
					if i == 3 {
						break
					}
					t.Errorf("%s%s", tn.Name, s)
				}
			}
		})
	}
}
