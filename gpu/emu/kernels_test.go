//go:build cudaemu

package emu

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/philox"
)

// The philox fills of kernels/philox.cu, run by the emulator, are bit-identical
// to package philox (the host build has no FMA to contract, see doc.go).
func TestPhiloxFills(t *testing.T) {
	const n = 4099 // not a multiple of 4 or of the block
	key := philox.Key{Seed: 0x0123456789abcdef, Step: 1<<32 + 77, Stream: 5}
	x := alloc(t, n)
	grid := d1((n/4 + 1 + 255) / 256)
	args := []Arg{P(x), I(n), UL(key.Seed), UL(key.Step), Uu(key.Stream)}
	check := func(name string, want []float32) {
		t.Helper()
		got := download[float32](t, x, n)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s[%d] = %g (%#x), philox %g (%#x)", name, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
	want := make([]float32, n)
	mustRun(t, "fill_uniform", grid, d1(256), 0, args...)
	key.FillUniform(want, 0)
	check("fill_uniform", want)
	mustRun(t, "fill_normal", grid, d1(256), 0, args...)
	key.FillNormal(want, 0)
	check("fill_normal", want)

	const rows = 1000
	mustRun(t, "uniform_index", grid, d1(256), 0, P(x), I(n), I(rows), UL(key.Seed), UL(key.Step), Uu(key.Stream))
	key.FillUniform(want, 0)
	for i, u := range want {
		r := int(float64(u) * rows)
		if r > rows-1 {
			r = rows - 1
		}
		want[i] = float32(r)
	}
	check("uniform_index", want)

	const p, null = 0.3, 10
	zeros(t, x, n)
	mustRun(t, "drop_labels", grid, d1(256), 0, P(x), I(n), F(p), F(null), UL(key.Seed), UL(key.Step), Uu(key.Stream))
	key.FillUniform(want, 0)
	for i, u := range want {
		want[i] = 0
		if u < p {
			want[i] = null
		}
	}
	check("drop_labels", want)

	const mean, sd = -0.5, 1.2
	mustRun(t, "logit_normal", grid, d1(256), 0, P(x), I(n), UL(key.Seed), UL(key.Step), Uu(key.Stream), F(mean), F(sd))
	key.FillNormal(want, 0)
	got := download[float32](t, x, n)
	for i, z := range want {
		a := float64(float32(mean) + float32(float32(sd)*z))
		w := float32(1 / (1 + math.Exp(-a)))
		if math.Abs(float64(got[i]-w)) > 1e-7 {
			t.Fatalf("logit_normal[%d] = %g, want %g", i, got[i], w)
		}
	}
}

// reduce_sum finished in the same launch (red_finish: block_sum_d's static
// __shared__ and its warp shuffles, the partials added by the last block,
// the ticket) against a float64 sum: twice, so the ticket must have been
// reset, and with one block.
func TestReduceSum(t *testing.T) {
	withOrder(t, func(t *testing.T) {
		const n = 100003
		v := make([]float32, n)
		var want float64
		for i := range v {
			v[i] = float32(math.Sin(float64(i)))
			want += float64(v[i]) * float64(v[i])
		}
		x, part, ticket, out := alloc(t, n), alloc(t, 2*37), alloc(t, 1), alloc(t, 1)
		upload(t, x, v)
		upload(t, ticket, []uint32{0})
		for _, blocks := range []int{37, 37, 1} {
			upload(t, out, []float32{-1})
			mustRun(t, "reduce_sum", d1(blocks), d1(256), 0, P(part), P(ticket), P(out), D(1), D(1), I(1), P(x), I(n), I(1))
			got := download[float32](t, out, 1)[0]
			if w := float32(math.Sqrt(want)); math.Abs(float64(got-w)) > 1e-6*float64(w) {
				t.Fatalf("%d blocks: sqrt(sum x^2) = %g, want %g", blocks, got, w)
			}
			if tk := download[uint32](t, ticket, 1)[0]; tk != 0 {
				t.Fatalf("%d blocks: the ticket is %d after the launch, want 0", blocks, tk)
			}
		}
	})
}

// colsum (BiasGrad): col_reduce over blocks of (32, COL_GROUPS) threads,
// row blocks of R = 16 rows (the last one partial), float64 partials added
// in order by the last block of each strip (tickets), twice, so the tickets
// must have been reset; and with one row block (straight into dbias).
func TestColSum(t *testing.T) {
	withOrder(t, func(t *testing.T) {
		const N, X = 77, 45
		dy := make([]float32, N*X)
		for i := range dy {
			dy[i] = float32(i%13) - 6
		}
		const R, nb = 16, (N + 15) / 16
		pdy, db, part, ticket := alloc(t, N*X), alloc(t, X), alloc(t, 2*nb*X), alloc(t, 2)
		upload(t, pdy, dy)
		zeros(t, ticket, 2)
		for _, rows := range []int{R, 80} { // nb row blocks, then one
			for rep := range 2 {
				zeros(t, db, X)
				mustRun(t, "colsum", Dim{(X + 31) / 32, (N + rows - 1) / rows, 1}, Dim{32, 8, 1}, 0,
					P(db), P(part), P(ticket), P(pdy), I(N), I(X), I(rows), I(0))
				got := download[float32](t, db, X)
				for j := 0; j < X; j++ {
					var s float64
					for r := 0; r < N; r++ {
						s += float64(dy[r*X+j])
					}
					if got[j] != float32(s) {
						t.Fatalf("R=%d, run %d: dbias[%d] = %g, want %g", rows, rep, j, got[j], s)
					}
				}
			}
		}
	})
}

// attn_fwd (dynamic shared memory, barriers in a loop, warp shuffles)
// against a plain float64 softmax attention.
func TestAttentionForward(t *testing.T) {
	const B, T, H, D = 2, 37, 2, 64
	const Dh = D / H
	qkv := make([]float32, B*T*3*D)
	for i := range qkv {
		qkv[i] = float32(math.Sin(float64(i)*0.37)) * 0.5
	}
	scale := float32(1 / math.Sqrt(Dh))
	pq, pout, plse := alloc(t, len(qkv)), alloc(t, B*T*D), alloc(t, B*H*T)
	upload(t, pq, qkv)
	S := Dh | 1
	shared := (16 + 2*32) * S * 4
	mustRun(t, "attn_fwd", Dim{B * H, (T + 15) / 16, 1}, d1(128), shared, P(pout), P(plse), P(pq), P(0), I(T), I(H), I(D), F(scale))
	out := download[float32](t, pout, B*T*D)
	lse := download[float32](t, plse, B*H*T)
	at := func(b, t, part, h, d int) float64 { return float64(qkv[(b*T+t)*3*D+part*D+h*Dh+d]) }
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			for i := 0; i < T; i++ {
				sc := make([]float64, T)
				m := math.Inf(-1)
				for j := 0; j < T; j++ {
					var s float64
					for d := 0; d < Dh; d++ {
						s += at(b, i, 0, h, d) * at(b, j, 1, h, d)
					}
					sc[j] = s * float64(scale)
					m = math.Max(m, sc[j])
				}
				var l float64
				for j := range sc {
					sc[j] = math.Exp(sc[j] - m)
					l += sc[j]
				}
				if g := float64(lse[(b*H+h)*T+i]); math.Abs(g-(m+math.Log(l))) > 1e-5 {
					t.Fatalf("lse[%d,%d,%d] = %g, want %g", b, h, i, g, m+math.Log(l))
				}
				for d := 0; d < Dh; d++ {
					var o float64
					for j := range sc {
						o += sc[j] / l * at(b, j, 2, h, d)
					}
					if g := float64(out[(b*T+i)*D+h*Dh+d]); math.Abs(g-o) > 1e-5 {
						t.Fatalf("out[%d,%d,%d,%d] = %g, want %g", b, i, h, d, g, o)
					}
				}
			}
		}
	}
}
