//go:build cuda || cudaemu

package gpu

import "github.com/latentflow/latentflow/compute"

// Launch wrappers of kernels/cfm.cu for the losses main is adding to
// compute.Backend (MSELoss, SoftmaxCrossEntropy, GaussianSample,
// GaussianSampleBackward). Their CPU twins are compute/cpu/loss.go and
// compute/cpu/gaussian.go.

// MSELoss sets dpred = 2 (pred - target) / n and adds mean((pred - target)^2)
// to loss[0] (kernel mse_loss, one launch).
func (be *Backend) MSELoss(loss, dpred, pred, target compute.Buffer) {
	ls, dp, pr, tg := be.buf(loss), be.buf(dpred), be.buf(pred), be.buf(target)
	need(ls.n >= 1 && pr.n > 0 && tg.n == pr.n && dp.n == pr.n, "MSELoss shapes")
	be.enter()
	defer be.leave()
	g, t := red(pr.n)
	be.reduce("mse_loss", g, t, ls.p, float64(pr.n), 1, 2, dp.p, pr.p, tg.p, pr.n)
}

// SoftmaxCrossEntropy sets dlogits = (softmax - onehot(label)) / B and adds the
// mean cross-entropy to loss[0] (kernel softmax_ce, one warp per row, one
// launch). A label that is not an integer in [0, K) has no class: it adds
// 0 to the loss and has an all-zero onehot, as on the CPU (see the package
// compute documentation); it is not an error and Sync reports nothing.
func (be *Backend) SoftmaxCrossEntropy(loss, dlogits, logits, labels compute.Buffer, K int) {
	ls, dl, lg, lb := be.buf(loss), be.buf(dlogits), be.buf(logits), be.buf(labels)
	B := lb.n
	need(ls.n >= 1 && K > 0 && B > 0 && lg.n == B*K && dl.n == B*K, "SoftmaxCrossEntropy shapes (B=%d K=%d)", B, K)
	be.enter()
	defer be.leave()
	const warps = 8
	g := d1(min((B+warps-1)/warps, redMaxBlocks))
	be.reduce("softmax_ce", g, d1(32*warps), ls.p, float64(B), 1, 2, dl.p, lg.p, lb.p, B, K)
}

// GaussianSample sets z = mu + exp(lv/2) eps and adds the weighted KL term to
// kl[0] (kernel gaussian_sample, one launch).
func (be *Backend) GaussianSample(z, kl, h, eps compute.Buffer, L int, w float32) {
	zb, kb, hb, eb := be.buf(z), be.buf(kl), be.buf(h), be.buf(eps)
	need(L > 0 && kb.n >= 1 && hb.n%(2*L) == 0, "GaussianSample shapes (L=%d)", L)
	N := hb.n / (2 * L)
	need(zb.n == N*L && eb.n == N*L, "GaussianSample: z %d, eps %d, want N=%d x L=%d", zb.n, eb.n, N, L)
	if N == 0 {
		return
	}
	be.enter()
	defer be.leave()
	g, t := red(N * L)
	be.reduce("gaussian_sample", g, t, kb.p, float64(2*N), float64(w), 2, zb.p, hb.p, eb.p, N, L)
}

// GaussianSampleBackward sets dh (overwritten) to the gradient of <dz, z> plus
// the weighted KL term (kernel gaussian_sample_bwd).
func (be *Backend) GaussianSampleBackward(dh, dz, h, eps compute.Buffer, L int, w float32) {
	db, dzb, hb, eb := be.buf(dh), be.buf(dz), be.buf(h), be.buf(eps)
	need(L > 0 && hb.n%(2*L) == 0 && db.n == hb.n, "GaussianSampleBackward shapes (L=%d)", L)
	N := hb.n / (2 * L)
	need(dzb.n == N*L && eb.n == N*L, "GaussianSampleBackward: dz %d, eps %d, want N=%d x L=%d", dzb.n, eb.n, N, L)
	be.enter()
	defer be.leave()
	g, t := elem(N * L)
	be.launch("gaussian_sample_bwd", g, t, 0, db.p, dzb.p, hb.p, eb.p, N, L, w)
}
