package cpu

import (
	"math"

	"github.com/latentflow/latentflow/compute"
)

// Attention: for each sample b and head h, with q_t, k_s, v_s the Dh-wide
// slices of qkv (B, T, 3D) at columns h*Dh, D+h*Dh, 2D+h*Dh,
//
//	p_ts = softmax_s(q_t . k_s / sqrt(Dh)),  out_t = sum_s p_ts v_s,
//	lse[b,h,t] = log sum_s exp(q_t . k_s / sqrt(Dh)).
func (be *Backend) Attention(out, lse, qkv compute.Buffer, B, T, H, D int) {
	os, ls, qs := Data(out), Data(lse), Data(qkv)
	need(H > 0 && D%H == 0, "Attention: D=%d not divisible by H=%d", D, H)
	need(len(qs) == B*T*3*D && len(os) == B*T*D && len(ls) == B*H*T, "Attention shapes (B=%d T=%d H=%d D=%d)", B, T, H, D)
	Dh := D / H
	scale := float32(1 / math.Sqrt(float64(Dh)))
	be.parallel(B*H, 4*T*T*Dh, func(lo, hi int) {
		s := make([]float32, T) // scores of one query row
		for bh := lo; bh < hi; bh++ {
			b, h := bh/H, bh%H
			base := b * T * 3 * D
			for t := 0; t < T; t++ {
				q := qs[base+t*3*D+h*Dh : base+t*3*D+(h+1)*Dh]
				mx := float32(math.Inf(-1))
				for u := 0; u < T; u++ {
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
				for j := range o {
					o[j] = 0
				}
				inv := float32(1 / z)
				for u := 0; u < T; u++ {
					p := s[u] * inv
					v := qs[base+u*3*D+2*D+h*Dh : base+u*3*D+2*D+(h+1)*Dh]
					for j := range o {
						o[j] += p * v[j]
					}
				}
			}
		}
	})
}

// AttentionBackward: with p_ts recomputed from q, k and lse and
// delta_t = dout_t . out_t,
//
//	dv_s = sum_t p_ts dout_t,  dp_ts = dout_t . v_s,  ds_ts = p_ts (dp_ts - delta_t),
//	dq_t = sum_s ds_ts k_s / sqrt(Dh),  dk_s = sum_t ds_ts q_t / sqrt(Dh).
func (be *Backend) AttentionBackward(dqkv, dout, qkv, out, lse compute.Buffer, B, T, H, D int) {
	dqs, dos, qs, os, ls := Data(dqkv), Data(dout), Data(qkv), Data(out), Data(lse)
	need(H > 0 && D%H == 0, "AttentionBackward: D=%d not divisible by H=%d", D, H)
	need(len(qs) == B*T*3*D && len(dqs) == B*T*3*D && len(os) == B*T*D && len(dos) == B*T*D && len(ls) == B*H*T,
		"AttentionBackward shapes (B=%d T=%d H=%d D=%d)", B, T, H, D)
	Dh := D / H
	scale := float32(1 / math.Sqrt(float64(Dh)))
	be.parallel(B*H, 10*T*T*Dh, func(lo, hi int) {
		p := make([]float32, T)
		for bh := lo; bh < hi; bh++ {
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
			for t := 0; t < T; t++ {
				for part := 0; part < 3; part++ {
					d := drow(t, part)
					for j := range d {
						d[j] = 0
					}
				}
			}
			for t := 0; t < T; t++ {
				q := row(t, 0)
				do := dos[(b*T+t)*D+h*Dh : (b*T+t)*D+(h+1)*Dh]
				o := os[(b*T+t)*D+h*Dh : (b*T+t)*D+(h+1)*Dh]
				var delta float32
				for j := range do {
					delta += do[j] * o[j]
				}
				l := ls[(b*H+h)*T+t]
				for u := 0; u < T; u++ {
					k := row(u, 1)
					var dot float32
					for j, qv := range q {
						dot += qv * k[j]
					}
					p[u] = float32(math.Exp(float64(dot*scale - l)))
				}
				dq := drow(t, 0)
				for u := 0; u < T; u++ {
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
	})
}
