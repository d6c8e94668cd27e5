package cpu

import (
	"math"
	"math/rand"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// TestWorkerIndependence: Attention, AttentionBackward and Gemm (the cpu-s
// shapes: T 16, D 128, H 4) give the same bits with 1, 2, 3 and 5 workers.
func TestWorkerIndependence(t *testing.T) {
	const B, T, H, D = 24, 16, 4, 128
	rng := rand.New(rand.NewSource(3))
	randn := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	qkv, dout, bias := randn(B*T*3*D), randn(B*T*D), randn(3*D)
	w := randn(3 * D * D)
	run := func(workers int) [][]float32 {
		be := New(workers)
		buf := func(x []float32) compute.Buffer { return &Buf{D: append([]float32(nil), x...)} }
		out, lse, dqkv := be.Alloc(B*T*D), be.Alloc(B*H*T), be.Alloc(B*T*3*D)
		be.Attention(out, lse, buf(qkv), buf(bias), B, T, H, D)
		be.AttentionBackward(dqkv, buf(dout), buf(qkv), buf(bias), out, lse, B, T, H, D)
		y, dw := be.Alloc(B*T*3*D), be.Alloc(3*D*D)
		be.Gemm(false, true, B*T, 3*D, D, 1, out, D, 0, buf(w), D, 0, 0, y, 3*D, 0, 1)
		be.Gemm(true, false, 3*D, D, B*T, 1, dqkv, 3*D, 0, out, D, 0, 1, dw, D, 0, 1)
		return [][]float32{Data(out), Data(lse), Data(dqkv), Data(y), Data(dw)}
	}
	names := []string{"out", "lse", "dqkv", "gemm y", "gemm dw"}
	ref := run(1)
	for _, workers := range []int{2, 3, 5} {
		got := run(workers)
		for i := range ref {
			for j := range ref[i] {
				if math.Float32bits(got[i][j]) != math.Float32bits(ref[i][j]) {
					t.Fatalf("%d workers: %s[%d] = %v, 1 worker: %v", workers, names[i], j, got[i][j], ref[i][j])
				}
			}
		}
	}
}
