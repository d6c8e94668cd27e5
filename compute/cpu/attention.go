package cpu

import (
	"math"

	"github.com/latentflow/latentflow/compute"
)

// Attention on the CPU is built from the GEMM of sgemm.go: for each sample b
// and head h (one task, on one goroutine, with its own scratch) the T x T
// scores are one small product, the row softmax runs on them in place with
// the vectorised float32 exp (softmaxRow), and the output is a second product.
// The backward pass recomputes the probabilities from the saved log-sum-exp
// and is five products and one elementwise pass. Each (b, h) is computed the
// same way whatever the number of workers, so the results do not depend on it.
// The readable loops these replace are the spec in the conformance suite
// (compute/backendtest, specAttention), which checks this code against them.

// attnGemm computes C = alpha op(A) op(B) (beta 0: C is overwritten) for one
// (b, h) with the sequential GEMM, s the task's packing scratch. The slices
// start at the first element of each matrix.
func attnGemm(s *sgemmScratch, transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	p := sgemmProb{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
		a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	if impl := sgemmCur; impl.tiny != nil && m <= impl.tinyM && n <= impl.tinyN && k >= 1 && k <= impl.tinyK && alpha != 0 {
		impl.tiny(&p, s)
		return
	}
	sgemmCur.solve(&p, s)
}

// Attention: for each sample b and head h, with q_t, k_s, v_s the Dh-wide
// slices of qkv (B, T, 3D) at columns h*Dh, D+h*Dh, 2D+h*Dh,
//
//	p_ts = softmax_s(q_t . k_s / sqrt(Dh)),  out_t = sum_s p_ts v_s,
//	lse[b,h,t] = log sum_s exp(q_t . k_s / sqrt(Dh)).
func (be *Backend) Attention(out, lse, qkv, bias compute.Buffer, B, T, H, D int) {
	os, ls, qs, bs := Data(out), Data(lse), Data(qkv), Data(bias)
	need(H > 0 && D%H == 0, "Attention: D=%d not divisible by H=%d", D, H)
	need(len(qs) == B*T*3*D && len(os) == B*T*D && len(ls) == B*H*T, "Attention shapes (B=%d T=%d H=%d D=%d)", B, T, H, D)
	need(bias == nil || len(bs) == 3*D, "Attention: bias of %d, want 3D = %d", len(bs), 3*D)
	if B*T == 0 {
		return
	}
	Dh := D / H
	scale := float32(1 / math.Sqrt(float64(Dh)))
	be.parallel(B*H, 4*T*T*Dh, func(lo, hi int) {
		s := sgemmPool.Get().(*sgemmScratch)
		defer sgemmPool.Put(s)
		p := make([]float32, T*T) // the scores, then the probabilities, of one (b, h)
		var hq []float32          // the head's q, k, v plus bias (headQKV)
		for bh := lo; bh < hi; bh++ {
			b, h := bh/H, bh%H
			q, ld, kv := headQKV(&hq, qs, bs, b, h, T, D, Dh) // q_0; k_0 at q[kv:], v_0 at q[2 kv:], row stride ld
			attnGemm(s, false, true, T, T, Dh, scale, q, ld, q[kv:], ld, p, T)
			l := ls[bh*T : (bh+1)*T]
			for t := range T {
				l[t] = softmaxRow(p[t*T : (t+1)*T])
			}
			attnGemm(s, false, false, T, Dh, T, 1, p, T, q[2*kv:], ld, os[b*T*D+h*Dh:], D)
		}
	})
}

// AttentionBackward: with p_ts recomputed from q, k and lse and
// delta_t = dout_t . out_t,
//
//	dv_s = sum_t p_ts dout_t,  dp_ts = dout_t . v_s,  ds_ts = p_ts (dp_ts - delta_t),
//	dq_t = sum_s ds_ts k_s / sqrt(Dh),  dk_s = sum_t ds_ts q_t / sqrt(Dh).
func (be *Backend) AttentionBackward(dqkv, dout, qkv, bias, out, lse compute.Buffer, B, T, H, D int) {
	dqs, dos, qs, bs, os, ls := Data(dqkv), Data(dout), Data(qkv), Data(bias), Data(out), Data(lse)
	need(H > 0 && D%H == 0, "AttentionBackward: D=%d not divisible by H=%d", D, H)
	need(len(qs) == B*T*3*D && len(dqs) == B*T*3*D && len(os) == B*T*D && len(dos) == B*T*D && len(ls) == B*H*T,
		"AttentionBackward shapes (B=%d T=%d H=%d D=%d)", B, T, H, D)
	need(bias == nil || len(bs) == 3*D, "AttentionBackward: bias of %d, want 3D = %d", len(bs), 3*D)
	if B*T == 0 {
		return
	}
	Dh := D / H
	scale := float32(1 / math.Sqrt(float64(Dh)))
	dot := sgemmCur.dot
	be.parallel(B*H, 10*T*T*Dh, func(lo, hi int) {
		s := sgemmPool.Get().(*sgemmScratch)
		defer sgemmPool.Put(s)
		p := make([]float32, 3*T*T) // probabilities p, then dp and ds, of one (b, h); the shifts
		p, dp, sh := p[:T*T], p[T*T:2*T*T], p[2*T*T:]
		var hq []float32 // the head's q, k, v plus bias (headQKV)
		for bh := lo; bh < hi; bh++ {
			b, h := bh/H, bh%H
			q, ld, kv := headQKV(&hq, qs, bs, b, h, T, D, Dh) // q_0, k_0 = q[kv:], v_0 = q[2 kv:]; row stride ld
			dq := dqs[b*T*3*D+h*Dh:]
			do := dos[b*T*D+h*Dh:] // dout_0, row stride D
			o := os[b*T*D+h*Dh:]
			l := ls[bh*T : (bh+1)*T]
			attnGemm(s, false, true, T, T, Dh, scale, q, ld, q[kv:], ld, p, T)
			for t, lt := range l {
				for u := range T {
					sh[t*T+u] = lt
				}
			}
			expSubSlice(p, sh)                                                // p_tu = exp(s_tu - lse_t), one pass over the (b, h) block
			attnGemm(s, true, false, T, Dh, T, 1, p, T, do, D, dq[2*D:], 3*D) // dv = p^T dout
			attnGemm(s, false, true, T, T, Dh, 1, do, D, q[2*kv:], ld, dp, T) // dp = dout v^T
			for t := range T {
				delta := dotHead(dot, do[t*D:t*D+Dh], o[t*D:t*D+Dh])
				pr, dr := p[t*T:(t+1)*T], dp[t*T:(t+1)*T]
				for u, pv := range pr {
					dr[u] = pv * (dr[u] - delta) * scale // ds / sqrt(Dh)
				}
			}
			attnGemm(s, false, false, T, Dh, T, 1, dp, T, q[kv:], ld, dq, 3*D) // dq = ds k
			attnGemm(s, true, false, T, Dh, T, 1, dp, T, q, ld, dq[D:], 3*D)   // dk = ds^T q
		}
	})
}

// headQKV returns head h of sample b's q, k and v rows as attention reads
// them: without a bias (bs nil) qkv in place (q at column h Dh, row stride
// ld = 3D, k and v kv = D and 2 D further on); with one, the rows plus the
// bias (AddBias's float32 sums) packed into *buf as (q | k | v) rows of
// stride ld = 3 Dh, kv = Dh.
func headQKV(buf *[]float32, qs, bs []float32, b, h, T, D, Dh int) (q []float32, ld, kv int) {
	q = qs[b*T*3*D+h*Dh:]
	if bs == nil {
		return q, 3 * D, D
	}
	if len(*buf) < T*3*Dh {
		*buf = make([]float32, T*3*Dh)
	}
	p := *buf
	for t := range T {
		for k := range 3 {
			dst := p[(t*3+k)*Dh : (t*3+k+1)*Dh]
			copy(dst, q[t*3*D+k*D:t*3*D+k*D+Dh])
			addTo(dst, bs[k*D+h*Dh:k*D+(h+1)*Dh])
		}
	}
	return p, 3 * Dh, Dh
}

// softmaxRow sets x = softmax(x) in place and returns log sum_i exp(x_i):
// the row maximum m is subtracted before the exponentials (so the largest is
// 1 and none overflows), z = sum_i exp(x_i - m) and the log-sum-exp is m + log z.
func softmaxRow(x []float32) float32 {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	z := expShiftSlice(x, m)
	inv := 1 / z
	for i := range x {
		x[i] *= inv
	}
	return m + float32(math.Log(float64(z)))
}

// dotHead is x . y for a head's slices: the vector dot when a head is at
// least 32 wide, a plain loop below (where the vector tail copies cost more
// than the loop).
func dotHead(dot func(x, y []float32) float32, x, y []float32) float32 {
	if len(x) >= 32 {
		return dot(x, y)
	}
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}
