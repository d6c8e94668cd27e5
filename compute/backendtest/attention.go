package backendtest

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// attnShapes are (B, T, H, D) with the standard deviation of qkv: one token,
// odd head widths (Dh = 3, 6), T past a 64-wide tile, and logits up to ~150
// (std 8), which overflow exp in float32 unless the row maximum is subtracted.
var attnShapes = []struct {
	B, T, H, D int
	std        float64
}{
	{1, 1, 1, 4, 1}, {2, 7, 2, 12, 1}, {3, 5, 3, 9, 1}, {1, 33, 4, 64, 1}, {2, 70, 2, 64, 1}, {1, 9, 2, 16, 8},
}

// TestAttention checks Attention, without and with a bias. Error scales:
// out[t,d]: sum_s p_ts |v_sd| (1 + A_ts) and lse[t]: 1 + |lse_t| + max_s
// A_ts, where A_ts = sum_d |q_td k_sd| / sqrt(Dh) + |score_ts| + |lse_t|
// bounds the float32 error of the exponent score - lse in units of eps; with
// a bias, of the float32 sums qkv + bias (attnInput: what AddBias would
// give, exactly what the op reads).
func TestAttention(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range attnShapes {
		for _, withBias := range []bool{false, true} {
			B, T, H, D := sh.B, sh.T, sh.H, sh.D
			s.run(t, shape("B=%d,T=%d,H=%d,D=%d,std=%g,bias=%t", B, T, H, D, sh.std, withBias), func(t *testing.T) {
				qkv := s.region("qkv", s.normal(B*T*3*D, sh.std)).rows(3 * D)
				bias, in := s.attnBias(qkv, D, sh.std, withBias)
				out := s.out("out", B*T*D).rows(D)
				lse := s.out("lse", B*H*T).rows(T)
				eo, el := out.expect(), lse.expect()
				refAttention(eo.v, eo.mag, el.v, el.mag, f64(in), B, T, H, D)
				b.Attention(out.buf, lse.buf, qkv.buf, bias.buffer(), B, T, H, D)
				out.check(t, eo, s.o.AttnTol)
				lse.check(t, el, s.o.AttnTol)
				qkv.unchanged(t)
				bias.unchangedIf(t)
			})
		}
	}
}

// attnBias returns a random bias region for qkv [N, 3D] of the standard
// deviation std (nil without a bias) and the input attention reads: the
// float32 sums qkv + bias (AddBias's), or qkv's own data.
func (s *suite) attnBias(qkv *region, D int, std float64, withBias bool) (*region, []float32) {
	if !withBias {
		return nil, qkv.data()
	}
	bias := s.region("bias", s.normal(3*D, std))
	in := append([]float32(nil), qkv.data()...)
	for i := range in {
		in[i] += bias.data()[i%(3*D)]
	}
	return bias, in
}

// TestAttentionBackward checks AttentionBackward on the out and lse of the
// reference forward pass (rounded to float32), dqkv overwritten (NaN before).
// Error scales: the sums of |terms| of each formula of refAttentionBackward,
// with the softmax error of TestAttention.
func TestAttentionBackward(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range attnShapes {
		for _, withBias := range []bool{false, true} {
			B, T, H, D := sh.B, sh.T, sh.H, sh.D
			s.run(t, shape("B=%d,T=%d,H=%d,D=%d,std=%g,bias=%t", B, T, H, D, sh.std, withBias), func(t *testing.T) {
				qkv := s.region("qkv", s.normal(B*T*3*D, sh.std)).rows(3 * D)
				bias, in := s.attnBias(qkv, D, sh.std, withBias)
				ov, om := make([]float64, B*T*D), make([]float64, B*T*D)
				lv, lm := make([]float64, B*H*T), make([]float64, B*H*T)
				refAttention(ov, om, lv, lm, f64(in), B, T, H, D)
				out := s.region("out", round32(ov)).rows(D)
				lse := s.region("lse", round32(lv)).rows(T)
				dout := s.region("dout", s.normal(B*T*D, 1)).rows(D)
				dqkv := s.out("dqkv", B*T*3*D).rows(3 * D)
				e := dqkv.expect()
				refAttentionBackward(e.v, e.mag, dout.f64(), f64(in), out.f64(), lse.f64(), B, T, H, D)
				b.AttentionBackward(dqkv.buf, dout.buf, qkv.buf, bias.buffer(), out.buf, lse.buf, B, T, H, D)
				dqkv.check(t, e, s.o.AttnTol)
				for _, r := range []*region{qkv, out, lse, dout} {
					r.unchanged(t)
				}
				bias.unchangedIf(t)
			})
		}
	}
}

// refScores sets, for token t of sample b and head h, p[s] = exp(score_ts - l)
// and the exponent error scale a[s] (see TestAttention), with l the given
// log-sum-exp, or the row's own when l is NaN; it returns l.
func refScores(p, a, qkv []float64, b, t, h, T, H, D int, l float64) float64 {
	Dh := D / H
	sc := 1 / sqrt(float64(Dh))
	q := qkv[(b*T+t)*3*D+h*Dh:]
	m := math.Inf(-1)
	for u := range T {
		k := qkv[(b*T+u)*3*D+D+h*Dh:]
		var dot, dota float64
		for d := range Dh {
			dot += q[d] * k[d]
			dota += abs(q[d] * k[d])
		}
		p[u], a[u] = sc*dot, sc*dota
		m = max(m, p[u])
	}
	if math.IsNaN(l) {
		var sum float64
		for u := range T {
			sum += exp(p[u] - m)
		}
		l = m + math.Log(sum)
	}
	for u := range T {
		a[u] += abs(p[u]) + abs(l)
		p[u] = exp(p[u] - l)
	}
	return l
}

// refAttention is Attention in float64, with error scales.
func refAttention(out, outmag, lse, lsemag, qkv []float64, B, T, H, D int) {
	Dh := D / H
	p, a := make([]float64, T), make([]float64, T)
	for b := range B {
		for h := range H {
			for t := range T {
				l := refScores(p, a, qkv, b, t, h, T, H, D, math.NaN())
				li := (b*H+h)*T + t
				lse[li], lsemag[li] = l, 1+abs(l)
				for u := range T {
					lsemag[li] = max(lsemag[li], 1+abs(l)+a[u])
				}
				for d := range Dh {
					var o, oa float64
					for u := range T {
						v := qkv[(b*T+u)*3*D+2*D+h*Dh+d]
						o += p[u] * v
						oa += p[u] * abs(v) * (1 + a[u])
					}
					i := (b*T+t)*D + h*Dh + d
					out[i], outmag[i] = o, oa
				}
			}
		}
	}
}

// refAttentionBackward is AttentionBackward in float64: with P the softmax
// (from the given lse), dP_ts = dout_t . v_s, Delta_t = dout_t . out_t and
// dS_ts = P_ts (dP_ts - Delta_t),
//
//	dq_t = sum_s dS_ts k_s / sqrt(Dh),  dk_s = sum_t dS_ts q_t / sqrt(Dh),  dv_s = sum_t P_ts dout_t.
func refAttentionBackward(dqkv, dmag, dout, qkv, out, lse []float64, B, T, H, D int) {
	for i := range dqkv {
		dqkv[i], dmag[i] = 0, 0
	}
	Dh := D / H
	sc := 1 / sqrt(float64(Dh))
	p, a := make([]float64, T), make([]float64, T)
	for b := range B {
		for h := range H {
			for t := range T {
				refScores(p, a, qkv, b, t, h, T, H, D, lse[(b*H+h)*T+t])
				q := qkv[(b*T+t)*3*D+h*Dh:]
				do := dout[(b*T+t)*D+h*Dh:]
				o := out[(b*T+t)*D+h*Dh:]
				var delta, deltaa float64
				for d := range Dh {
					var om float64 // error scale of out[t,d]
					for u := range T {
						om += p[u] * abs(qkv[(b*T+u)*3*D+2*D+h*Dh+d]) * (1 + a[u])
					}
					delta += do[d] * o[d]
					deltaa += abs(do[d]*o[d]) + abs(do[d])*om
				}
				for u := range T {
					k := qkv[(b*T+u)*3*D+D+h*Dh:]
					v := qkv[(b*T+u)*3*D+2*D+h*Dh:]
					var dp, dpa float64
					for d := range Dh {
						dp += do[d] * v[d]
						dpa += abs(do[d] * v[d])
					}
					ds := p[u] * (dp - delta)
					dsa := p[u] * (dpa + deltaa + abs(dp-delta)*a[u])
					dq := (b*T+t)*3*D + h*Dh
					dk := (b*T+u)*3*D + D + h*Dh
					dv := (b*T+u)*3*D + 2*D + h*Dh
					for d := range Dh {
						dqkv[dq+d] += sc * ds * k[d]
						dmag[dq+d] += sc * dsa * abs(k[d])
						dqkv[dk+d] += sc * ds * q[d]
						dmag[dk+d] += sc * dsa * abs(q[d])
						dqkv[dv+d] += p[u] * do[d]
						dmag[dv+d] += p[u] * abs(do[d]) * (1 + a[u])
					}
				}
			}
		}
	}
}
