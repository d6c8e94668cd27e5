package backendtest

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// specAttention is Attention as readable float32 loops, one query row at a
// time: the scores q_t . k_s / sqrt(Dh), their maximum, exp in float64, the
// normaliser z in float64, lse = max + log z and out_t = sum_s p_ts v_s. It was
// the CPU backend's implementation before that was rebuilt from its GEMM
// micro-kernels and a vectorised float32 exp; TestAttentionSpec holds the
// backends to it.
func specAttention(os, ls, qs []float32, B, T, H, D int) {
	Dh := D / H
	scale := float32(1 / math.Sqrt(float64(Dh)))
	s := make([]float32, T)
	for bh := range B * H {
		b, h := bh/H, bh%H
		base := b * T * 3 * D
		for t := range T {
			q := qs[base+t*3*D+h*Dh : base+t*3*D+(h+1)*Dh]
			mx := float32(math.Inf(-1))
			for u := range T {
				k := qs[base+u*3*D+D+h*Dh : base+u*3*D+D+(h+1)*Dh]
				var dot float32
				for j, qv := range q {
					dot += qv * k[j]
				}
				s[u] = dot * scale
				mx = max(mx, s[u])
			}
			var z float64
			for u := range s {
				e := math.Exp(float64(s[u] - mx))
				s[u] = float32(e)
				z += e
			}
			ls[(b*H+h)*T+t] = mx + float32(math.Log(z))
			o := os[(b*T+t)*D+h*Dh : (b*T+t)*D+(h+1)*Dh]
			clear(o)
			inv := float32(1 / z)
			for u := range T {
				p := s[u] * inv
				v := qs[base+u*3*D+2*D+h*Dh : base+u*3*D+2*D+(h+1)*Dh]
				for j := range o {
					o[j] += p * v[j]
				}
			}
		}
	}
}

// specAttentionBackward is AttentionBackward as readable float32 loops: with
// p_ts = exp(q_t . k_s / sqrt(Dh) - lse_t) and delta_t = dout_t . out_t,
// dv_s += p_ts dout_t, dp_ts = dout_t . v_s, ds_ts = p_ts (dp_ts - delta_t) / sqrt(Dh),
// dq_t += ds_ts k_s and dk_s += ds_ts q_t.
func specAttentionBackward(dqs, dos, qs, os, ls []float32, B, T, H, D int) {
	Dh := D / H
	scale := float32(1 / math.Sqrt(float64(Dh)))
	p := make([]float32, T)
	for bh := range B * H {
		b, h := bh/H, bh%H
		base := b * T * 3 * D
		row := func(t, part int) []float32 { // q (0), k (1), v (2) of token t
			o := base + t*3*D + part*D + h*Dh
			return qs[o : o+Dh]
		}
		drow := func(t, part int) []float32 {
			o := base + t*3*D + part*D + h*Dh
			return dqs[o : o+Dh]
		}
		for t := range T {
			for part := range 3 {
				clear(drow(t, part))
			}
		}
		for t := range T {
			q := row(t, 0)
			do := dos[(b*T+t)*D+h*Dh : (b*T+t)*D+(h+1)*Dh]
			o := os[(b*T+t)*D+h*Dh : (b*T+t)*D+(h+1)*Dh]
			var delta float32
			for j := range do {
				delta += do[j] * o[j]
			}
			l := ls[(b*H+h)*T+t]
			for u := range T {
				k := row(u, 1)
				var dot float32
				for j, qv := range q {
					dot += qv * k[j]
				}
				p[u] = float32(math.Exp(float64(dot*scale - l)))
			}
			dq := drow(t, 0)
			for u := range T {
				v, k := row(u, 2), row(u, 1)
				dv, dk := drow(u, 2), drow(u, 1)
				var dp float32
				for j := range do {
					dv[j] += p[u] * do[j]
					dp += do[j] * v[j]
				}
				ds := p[u] * (dp - delta) * scale
				for j := range dq {
					dq[j] += ds * k[j]
					dk[j] += ds * q[j]
				}
			}
		}
	}
}

// specAttnShapes adds the model's own head shape (T 16, Dh 32: cpu-s) to attnShapes.
var specAttnShapes = append(attnShapes[:len(attnShapes):len(attnShapes)], struct {
	B, T, H, D int
	std        float64
}{3, 16, 4, 128, 1})

// TestAttentionSpec checks Attention and AttentionBackward against the float32
// loops of specAttention and specAttentionBackward on random inputs, cell by
// cell within AttnTol (twice: the spec errs too) times the error scales of
// TestAttention and TestAttentionBackward.
func TestAttentionSpec(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for i, sh := range specAttnShapes {
		B, T, H, D := sh.B, sh.T, sh.H, sh.D
		withBias := i%2 == 1 // every other shape reads qkv plus a bias
		s.run(t, shape("B=%d,T=%d,H=%d,D=%d,std=%g,bias=%t", B, T, H, D, sh.std, withBias), func(t *testing.T) {
			qkv := s.region("qkv", s.normal(B*T*3*D, sh.std)).rows(3 * D)
			bias, in := s.attnBias(qkv, D, sh.std, withBias)
			out := s.out("out", B*T*D).rows(D)
			lse := s.out("lse", B*H*T).rows(T)
			eo, el := out.expect(), lse.expect()
			refAttention(eo.v, eo.mag, el.v, el.mag, f64(in), B, T, H, D)
			so, sl := make([]float32, B*T*D), make([]float32, B*H*T)
			specAttention(so, sl, in, B, T, H, D)
			eo.v, el.v = f64(so), f64(sl)
			b.Attention(out.buf, lse.buf, qkv.buf, bias.buffer(), B, T, H, D)
			out.check(t, eo, 2*s.o.AttnTol)
			lse.check(t, el, 2*s.o.AttnTol)

			dout := s.region("dout", s.normal(B*T*D, 1)).rows(D)
			dqkv := s.out("dqkv", B*T*3*D).rows(3 * D)
			e := dqkv.expect()
			refAttentionBackward(e.v, e.mag, dout.f64(), f64(in), f64(so), f64(sl), B, T, H, D)
			sd := make([]float32, B*T*3*D)
			specAttentionBackward(sd, dout.data(), in, so, sl, B, T, H, D)
			e.v = f64(sd)
			outs := s.region("spec-out", so).rows(D)
			lses := s.region("spec-lse", sl).rows(T)
			b.AttentionBackward(dqkv.buf, dout.buf, qkv.buf, bias.buffer(), outs.buf, lses.buf, B, T, H, D)
			dqkv.check(t, e, 2*s.o.AttnTol)
			for _, r := range []*region{qkv, dout, outs, lses} {
				r.unchanged(t)
			}
			bias.unchangedIf(t)
		})
	}
}
