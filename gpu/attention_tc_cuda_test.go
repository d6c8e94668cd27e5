//go:build cuda || cudaemu

package gpu_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/gpu"
)

// Tolerances of the tensor-core attention, relative to the error scales of
// attnScales (those of compute/backendtest's attention checks: out[t,d] has
// sum_s p_ts |v_sd| (1 + A_ts), with A_ts = sum_d |q_td k_sd| / sqrt(Dh) +
// |score_ts| + |lse_t| bounding the exponent's error in units of the
// rounding; the gradients the sums of |terms| of each formula). The kernels
// round q, k, v, dout and the probabilities (p, dS) to the operand precision
// once each, to nearest, and accumulate in fp32: a score errs by at most
// 2u sum_d |q_td k_sd| / sqrt(Dh) (inside A), p and v by u each, so an output
// errs by at most about (2 + 2A) u sum p |v| <= 2u of its scale, a gradient
// (one more rounded factor) by about 3u in the worst case, much less in
// practice (the roundings are independent and the scales sums of |terms|).
// u is 2^-11 for TF32 (10 explicit mantissa bits, round to nearest) and 2^-8
// for bf16 (7 bits); the tolerance is 2u (TF32 9.8e-4, bf16 7.8e-3), 6-10x
// the largest error measured on the emulated device (go test -v prints it).
// fp32 kernels err by ~1e-6 of the scale; a wrong mask, tile, index or
// formula errs by order one.
var attnTCTol = map[gpu.Math]float64{gpu.MathTF32: 2 * 0x1p-11, gpu.MathBF16: 2 * 0x1p-8}

// The shapes: T in {1, 7, 16, 33, 256} (one token, a partial warp
// row block, a partial key tile, past one 32-key tile, several 64-row blocks
// and 32-key tiles), head widths 32 to 128 (48 runs padded to the 48-wide
// kernel; 128 is the widest).
var (
	attnTCTokens = []int{1, 7, 16, 33, 256}
	attnTCWidths = []int{32, 48, 64, 128}
)

// TestAttentionTC checks the tensor-core Attention and AttentionBackward
// (TF32 and bf16 math modes) against the CPU backend, on qkv with standard
// deviation 1.5 (scores up to ~10) and dout with 1; at T 7 and 33 the GPU
// reads qkv plus a bias (std 0.5) and the CPU the float32 sums, AddBias's
// (the fused read equals the composition).
func TestAttentionTC(t *testing.T) {
	ref := cpu.New(1)
	for _, m := range []gpu.Math{gpu.MathTF32, gpu.MathBF16} {
		g := backend(t, m)
		tol := attnTCTol[m]
		worst := map[string]float64{}
		for _, T := range attnTCTokens {
			for _, Dh := range attnTCWidths {
				B, H := 2, 2
				if T == 256 {
					B = 1
				}
				D := H * Dh
				t.Run(fmt.Sprintf("%s/T=%d,Dh=%d", m, T, Dh), func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(T), uint64(Dh)))
					qkv := randn(r, B*T*3*D, 1.5)
					dout := randn(r, B*T*D, 1)
					in, bias := qkv, []float32(nil) // what attention reads; the GPU's bias
					if T == 7 || T == 33 {
						bias = randn(r, 3*D, 0.5)
						in = append([]float32(nil), qkv...)
						for i := range in {
							in[i] += bias[i%(3*D)]
						}
					}
					out, lse := make([]float32, B*T*D), make([]float32, B*H*T)
					runAttention(ref, out, lse, in, nil, B, T, H, D)
					dqkv := make([]float32, B*T*3*D)
					runAttentionBackward(ref, dqkv, dout, in, nil, out, lse, B, T, H, D)
					omag, lmag, dmag := attnScales(in, dout, lse, B, T, H, D)

					gout, glse := make([]float32, len(out)), make([]float32, len(lse))
					runAttention(g, gout, glse, qkv, bias, B, T, H, D)
					gd := make([]float32, len(dqkv))
					runAttentionBackward(g, gd, dout, qkv, bias, out, lse, B, T, H, D)
					for _, c := range []struct {
						name      string
						got, want []float32
						mag       []float64
					}{{"out", gout, out, omag}, {"lse", glse, lse, lmag}, {"dqkv", gd, dqkv, dmag}} {
						e, at := worstRatio(c.got, c.want, c.mag)
						worst[c.name] = max(worst[c.name], e/tol)
						if !(e <= tol) {
							t.Errorf("%s[%d] = %g, CPU %g: error %.3g of its scale %.3g exceeds %.3g",
								c.name, at, c.got[at], c.want[at], e, c.mag[at], tol)
						}
					}
				})
			}
		}
		t.Logf("%s attention on tensor cores: largest error as a fraction of the tolerance %.3g: out %.3f, lse %.3f, dqkv %.3f",
			m, tol, worst["out"], worst["lse"], worst["dqkv"])
	}
}

// runAttention runs b.Attention on host data (bias nil: none).
func runAttention(b compute.Backend, out, lse, qkv, bias []float32, B, T, H, D int) {
	qb, bb, ob, lb := upload(b, qkv), uploadOpt(b, bias), b.Alloc(len(out)), b.Alloc(len(lse))
	b.Attention(ob, lb, qb, bb, B, T, H, D)
	b.Download(out, ob)
	b.Download(lse, lb)
	for _, x := range []compute.Buffer{qb, bb, ob, lb} {
		if x != nil {
			b.Free(x)
		}
	}
}

// runAttentionBackward runs b.AttentionBackward on host data (bias nil: none).
func runAttentionBackward(b compute.Backend, dqkv, dout, qkv, bias, out, lse []float32, B, T, H, D int) {
	db, gb, qb, bb, ob, lb := b.Alloc(len(dqkv)), upload(b, dout), upload(b, qkv), uploadOpt(b, bias), upload(b, out), upload(b, lse)
	b.AttentionBackward(db, gb, qb, bb, ob, lb, B, T, H, D)
	b.Download(dqkv, db)
	for _, x := range []compute.Buffer{db, gb, qb, bb, ob, lb} {
		if x != nil {
			b.Free(x)
		}
	}
}

// uploadOpt is upload for an optional operand: nil for no data.
func uploadOpt(b compute.Backend, v []float32) compute.Buffer {
	if v == nil {
		return nil
	}
	return upload(b, v)
}

func upload(b compute.Backend, v []float32) compute.Buffer {
	x := b.Alloc(len(v))
	b.Upload(x, v)
	return x
}

func randn(r *rand.Rand, n int, std float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * std)
	}
	return v
}

// worstRatio returns the largest |got - want| / mag and its index (NaN
// counts as infinite).
func worstRatio(got, want []float32, mag []float64) (float64, int) {
	worst, at := 0.0, 0
	for i := range got {
		e := math.Abs(float64(got[i])-float64(want[i])) / mag[i]
		if math.IsNaN(e) {
			e = math.Inf(1)
		}
		if e > worst {
			worst, at = e, i
		}
	}
	return worst, at
}

// attnScales returns the error scales of out, lse and dqkv (see attnTCTol)
// in float64, with p from the given lse.
func attnScales(qkv, dout, lse []float32, B, T, H, D int) (omag, lmag, dmag []float64) {
	Dh := D / H
	sc := 1 / math.Sqrt(float64(Dh))
	omag, lmag, dmag = make([]float64, B*T*D), make([]float64, B*H*T), make([]float64, B*T*3*D)
	f := func(i int) float64 { return float64(qkv[i]) }
	p, a := make([]float64, T), make([]float64, T)
	for b := range B {
		for h := range H {
			for t := range T {
				l := float64(lse[(b*H+h)*T+t])
				q := (b*T+t)*3*D + h*Dh
				lm := 1 + math.Abs(l)
				for u := range T {
					k := (b*T+u)*3*D + D + h*Dh
					var dot, dota float64
					for d := range Dh {
						dot += f(q+d) * f(k+d)
						dota += math.Abs(f(q+d) * f(k+d))
					}
					a[u] = sc*dota + math.Abs(sc*dot) + math.Abs(l)
					p[u] = math.Exp(sc*dot - l)
					lm = max(lm, 1+math.Abs(l)+a[u])
				}
				lmag[(b*H+h)*T+t] = lm
				do := (b*T+t)*D + h*Dh
				var deltaa float64
				for d := range Dh {
					var om, o float64
					for u := range T {
						v := f((b*T+u)*3*D + 2*D + h*Dh + d)
						om += p[u] * math.Abs(v) * (1 + a[u])
						o += p[u] * v
					}
					omag[do+d] = om
					g := math.Abs(float64(dout[do+d]))
					deltaa += g*math.Abs(o) + g*om
				}
				for u := range T {
					k, v := (b*T+u)*3*D+D+h*Dh, (b*T+u)*3*D+2*D+h*Dh
					var dp, dpa float64
					for d := range Dh {
						dp += float64(dout[do+d]) * f(v+d)
						dpa += math.Abs(float64(dout[do+d]) * f(v+d))
					}
					dsa := p[u] * (dpa + deltaa + math.Abs(dp)*a[u] + deltaa*a[u])
					for d := range Dh {
						dmag[q+d] += sc * dsa * math.Abs(f(k+d))
						dmag[k+d] += sc * dsa * math.Abs(f(q+d))
						dmag[v+d] += p[u] * math.Abs(float64(dout[do+d])) * (1 + a[u])
					}
				}
			}
		}
	}
	for i := range dmag {
		dmag[i] = max(dmag[i], 1e-30)
	}
	return omag, lmag, dmag
}
