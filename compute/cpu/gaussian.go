package cpu

import (
	"math"

	"github.com/latentflow/latentflow/compute"
)

// The clamp of the log-variance in GaussianSample (see compute.Backend).
const (
	logvarMin = -30
	logvarMax = 20
)

// GaussianSample sets z = mu + exp(lv/2) eps with lv = clamp(logvar, -30, 20),
// h [N, 2L] = (mu | logvar) per row, and adds
// w sum (mu^2 + exp(lv) - 1 - lv) / (2N) to kl[0] (summed in float64).
func (be *Backend) GaussianSample(z, kl, h, eps compute.Buffer, L int, w float32) {
	zs, ks, hs, es := Data(z), Data(kl), Data(h), Data(eps)
	need(L > 0 && len(es) > 0 && len(es)%L == 0 && len(hs) == 2*len(es) && len(zs) == len(es) && len(ks) >= 1,
		"GaussianSample shapes: z %d, kl %d, h %d, eps %d, L %d", len(zs), len(ks), len(hs), len(es), L)
	N := len(es) / L
	s := be.sumBlocks(N, max(1, lossBlock/L), 40*L, func(lo, hi int) float64 {
		var s float64
		for r := lo; r < hi; r++ {
			mu, lv := hs[r*2*L:r*2*L+L], hs[r*2*L+L:(r+1)*2*L]
			zr, er := zs[r*L:(r+1)*L], es[r*L:(r+1)*L]
			for j := range zr {
				v := float64(min(max(lv[j], logvarMin), logvarMax))
				zr[j] = mu[j] + float32(math.Exp(v/2))*er[j]
				m := float64(mu[j])
				s += m*m + math.Exp(v) - 1 - v
			}
		}
		return s
	})
	ks[0] += float32(float64(w) * s / (2 * float64(N)))
}

// GaussianSampleBackward sets, for h [N, 2L] = (mu | logvar) per row,
//
//	dmu = dz + w mu / N,
//	dlogvar = dz eps exp(lv/2) / 2 + w (exp(lv) - 1) / (2N)  for -30 <= logvar <= 20, else 0.
func (be *Backend) GaussianSampleBackward(dh, dz, h, eps compute.Buffer, L int, w float32) {
	dhs, dzs, hs, es := Data(dh), Data(dz), Data(h), Data(eps)
	need(L > 0 && len(es) > 0 && len(es)%L == 0 && len(hs) == 2*len(es) && len(dhs) == len(hs) && len(dzs) == len(es),
		"GaussianSampleBackward shapes: dh %d, dz %d, h %d, eps %d, L %d", len(dhs), len(dzs), len(hs), len(es), L)
	N := len(es) / L
	wn := float64(w) / float64(N)
	be.parallel(N, 40*L, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			mu, lv := hs[r*2*L:r*2*L+L], hs[r*2*L+L:(r+1)*2*L]
			dmu, dlv := dhs[r*2*L:r*2*L+L], dhs[r*2*L+L:(r+1)*2*L]
			dzr, er := dzs[r*L:(r+1)*L], es[r*L:(r+1)*L]
			for j := range dmu {
				dmu[j] = float32(float64(dzr[j]) + wn*float64(mu[j]))
				if !(lv[j] >= logvarMin && lv[j] <= logvarMax) {
					dlv[j] = 0
					continue
				}
				v := float64(lv[j])
				sd := math.Exp(v / 2)
				dlv[j] = float32(float64(dzr[j])*float64(er[j])*sd/2 + wn*(sd*sd-1)/2)
			}
		}
	})
}
