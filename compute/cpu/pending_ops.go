package cpu

// PENDING (branch cuda): minimal CPU loops for the four ops main is adding to
// compute.Backend (MSELoss, SoftmaxCrossEntropy, GaussianSample,
// GaussianSampleBackward), so this branch compiles and the CUDA kernels have
// something to agree with. DELETE THIS FILE AT MERGE: main's own CPU versions
// and conformance tests replace it.

import (
	"math"

	"github.com/latentflow/latentflow/compute"
)

// MSELoss sets dpred = 2 (pred - target) / n and adds mean((pred - target)^2) to loss[0].
func (be *Backend) MSELoss(loss, dpred, pred, target compute.Buffer) {
	ls, dp, pr, tg := Data(loss), Data(dpred), Data(pred), Data(target)
	need(len(ls) >= 1 && len(pr) > 0 && len(tg) == len(pr) && len(dp) == len(pr), "MSELoss shapes")
	n := float32(len(pr))
	var s float64
	for i := range pr {
		e := pr[i] - tg[i]
		s += float64(e) * float64(e)
		dp[i] = 2 * e / n
	}
	ls[0] += float32(s / float64(len(pr)))
}

// SoftmaxCrossEntropy: p = softmax(row) (float64), dlogits = (p - onehot) / B,
// loss[0] += mean_b (log sum_j exp(x_bj) - x_b,label).
func (be *Backend) SoftmaxCrossEntropy(loss, dlogits, logits, labels compute.Buffer, K int) {
	ls, dl, lg, lb := Data(loss), Data(dlogits), Data(logits), Data(labels)
	B := len(lb)
	need(len(ls) >= 1 && K > 0 && B > 0 && len(lg) == B*K && len(dl) == B*K, "SoftmaxCrossEntropy shapes (B=%d K=%d)", B, K)
	var s float64
	for b := 0; b < B; b++ {
		x, dx := lg[b*K:(b+1)*K], dl[b*K:(b+1)*K]
		lab := int(lb[b])
		need(lb[b] >= 0 && lab < K, "SoftmaxCrossEntropy: label %g out of [0,%d)", lb[b], K)
		mx := float32(math.Inf(-1))
		for _, v := range x {
			mx = max(mx, v)
		}
		var z float64
		for _, v := range x {
			z += math.Exp(float64(v) - float64(mx))
		}
		lz := math.Log(z) + float64(mx)
		for j, v := range x {
			p := math.Exp(float64(v) - lz)
			if j == lab {
				p--
			}
			dx[j] = float32(p / float64(B))
		}
		s += lz - float64(x[lab])
	}
	ls[0] += float32(s / float64(B))
}

// GaussianSample: z = mu + exp(lv/2) eps, kl[0] += w sum(mu^2 + exp(lv) - 1 - lv) / (2N).
func (be *Backend) GaussianSample(z, kl, h, eps compute.Buffer, L int, w float32) {
	zs, ks, hs, es := Data(z), Data(kl), Data(h), Data(eps)
	need(L > 0 && len(ks) >= 1 && len(hs)%(2*L) == 0, "GaussianSample shapes (L=%d)", L)
	N := len(hs) / (2 * L)
	need(len(zs) == N*L && len(es) == N*L, "GaussianSample: z %d, eps %d, want N=%d x L=%d", len(zs), len(es), N, L)
	var s float64
	for r := 0; r < N; r++ {
		for j := 0; j < L; j++ {
			mu := hs[r*2*L+j]
			lv := min(max(hs[r*2*L+L+j], -30), 20)
			zs[r*L+j] = mu + float32(math.Exp(float64(lv/2)))*es[r*L+j]
			s += float64(mu)*float64(mu) + math.Exp(float64(lv)) - 1 - float64(lv)
		}
	}
	ks[0] += float32(float64(w) * s / float64(2*N))
}

// GaussianSampleBackward: dmu = dz + w mu / N; dlogvar = dz exp(lv/2) eps / 2 +
// w (exp(lv) - 1) / (2N) where -30 <= logvar <= 20, else 0.
func (be *Backend) GaussianSampleBackward(dh, dz, h, eps compute.Buffer, L int, w float32) {
	ds, dzs, hs, es := Data(dh), Data(dz), Data(h), Data(eps)
	need(L > 0 && len(hs)%(2*L) == 0 && len(ds) == len(hs), "GaussianSampleBackward shapes (L=%d)", L)
	N := len(hs) / (2 * L)
	need(len(dzs) == N*L && len(es) == N*L, "GaussianSampleBackward: dz %d, eps %d, want N=%d x L=%d", len(dzs), len(es), N, L)
	for r := 0; r < N; r++ {
		for j := 0; j < L; j++ {
			mu, raw := hs[r*2*L+j], hs[r*2*L+L+j]
			g := float64(dzs[r*L+j])
			ds[r*2*L+j] = float32(g + float64(w)*float64(mu)/float64(N))
			var d float32
			if raw >= -30 && raw <= 20 {
				e2 := math.Exp(float64(raw / 2))
				d = float32(g*e2*float64(es[r*L+j])/2 + float64(w)*(math.Exp(float64(raw))-1)/float64(2*N))
			}
			ds[r*2*L+L+j] = d
		}
	}
}
