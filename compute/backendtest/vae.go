package backendtest

import (
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// The clamp of the log-variance in GaussianSample.
const (
	logvarMin = -30
	logvarMax = 20
)

// vaeShapes are (N, L): one cell, odd widths, and rows enough for a parallel
// CPU loop.
var vaeShapes = []struct{ N, L int }{{1, 1}, {3, 2}, {5, 7}, {64, 16}, {700, 8}}

// logvarEdges are log-variances at and beyond the clamp: the ends (the
// gradient passes), just outside and far outside (it does not; exp(+-100)
// overflows or underflows float32 if the clamp is missing), and 0.
var logvarEdges = []float32{logvarMin, logvarMax, logvarMin - 0.5, logvarMax + 0.5, -100, 100, 0}

// vaeInputs returns h [N, 2L] = (mu | logvar) per row, mu ~ N(0, 1) and
// logvar ~ N(-0.5, 1.5^2) with the first cells of logvar (row by row) set to
// logvarEdges, and eps [N, L] ~ N(0, 1).
func (s *suite) vaeInputs(N, L int) (h, eps []float32) {
	h = make([]float32, 2*N*L)
	mu, lv := s.normal(N*L, 1), s.normal(N*L, 1.5)
	for i := range lv {
		lv[i] -= 0.5
	}
	copy(lv, logvarEdges)
	for r := range N {
		copy(h[r*2*L:], mu[r*L:(r+1)*L])
		copy(h[r*2*L+L:], lv[r*L:(r+1)*L])
	}
	return h, s.normal(N*L, 1)
}

// vaeWeights are the KL weights w tested.
var vaeWeights = []float32{1, 0.25, 0}

// TestGaussianSample checks GaussianSample with VAETol: z overwritten and the
// weighted KL added to a random kl cell (error scales: see refGaussianSample).
func TestGaussianSample(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range vaeShapes {
		for _, w := range vaeWeights {
			N, L := sh.N, sh.L
			s.run(t, shape("N=%d,L=%d,w=%g", N, L, w), func(t *testing.T) {
				hv, ev := s.vaeInputs(N, L)
				h := s.region("h", hv).rows(2 * L)
				eps := s.region("eps", ev).rows(L)
				z := s.out("z", N*L).rows(L)
				kl := s.region("kl", s.normal(1, 1))
				ez, ek := z.expect(), kl.expect()
				k, km := refGaussianSample(ez.v, ez.mag, h.f64(), eps.f64(), L, float64(w))
				ek.v[0], ek.mag[0] = ek.v[0]+k, abs(ek.v[0])+km
				b.GaussianSample(z.buf, kl.buf, h.buf, eps.buf, L, w)
				z.check(t, ez, s.o.VAETol)
				kl.check(t, ek, s.o.VAETol)
				h.unchanged(t)
				eps.unchanged(t)
			})
		}
	}
}

// TestGaussianSampleBackward checks GaussianSampleBackward with VAETol: dh
// overwritten (NaN before), exactly zero for the log-variances outside the
// clamp (error scales: see refGaussianSampleBackward).
func TestGaussianSampleBackward(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, sh := range vaeShapes {
		for _, w := range vaeWeights {
			N, L := sh.N, sh.L
			s.run(t, shape("N=%d,L=%d,w=%g", N, L, w), func(t *testing.T) {
				hv, ev := s.vaeInputs(N, L)
				h := s.region("h", hv).rows(2 * L)
				eps := s.region("eps", ev).rows(L)
				dz := s.region("dz", s.normal(N*L, 1)).rows(L)
				dh := s.out("dh", 2*N*L).rows(2 * L)
				e := dh.expect()
				refGaussianSampleBackward(e.v, e.mag, dz.f64(), h.f64(), eps.f64(), L, float64(w))
				b.GaussianSampleBackward(dh.buf, dz.buf, h.buf, eps.buf, L, w)
				dh.check(t, e, s.o.VAETol)
				for _, r := range []*region{h, eps, dz} {
					r.unchanged(t)
				}
			})
		}
	}
}

// clampLogvar is clamp(v, -30, 20).
func clampLogvar(v float64) float64 { return min(max(v, logvarMin), logvarMax) }

// refGaussianSample sets z = mu + exp(lv/2) eps and returns
// w sum (mu^2 + exp(lv) - 1 - lv) / (2N) and its error scale. Error scales:
// z: |mu| + exp(lv/2) |eps| (1 + |lv|/2) (the argument of exp carries ~|lv|/2
// eps); a KL term: mu^2 + exp(lv) (1 + |lv|) + 1 + |lv|.
func refGaussianSample(z, zmag, h, eps []float64, L int, w float64) (kl, klmag float64) {
	N := len(eps) / L
	for r := range N {
		for j := range L {
			mu, lv := h[r*2*L+j], clampLogvar(h[r*2*L+L+j])
			sd, i := exp(lv/2), r*L+j
			z[i], zmag[i] = mu+sd*eps[i], abs(mu)+sd*abs(eps[i])*(1+abs(lv)/2)
			kl += mu*mu + exp(lv) - 1 - lv
			klmag += mu*mu + exp(lv)*(1+abs(lv)) + 1 + abs(lv)
		}
	}
	return w * kl / (2 * float64(N)), abs(w) * klmag / (2 * float64(N))
}

// refGaussianSampleBackward sets dh = (dmu | dlogvar) per row:
//
//	dmu = dz + w mu / N,
//	dlogvar = dz eps exp(lv/2) / 2 + w (exp(lv) - 1) / (2N)  for -30 <= logvar <= 20, else 0 (exactly).
//
// Error scales: the sums of |terms|, the exp terms times (1 + |lv|/2) and (1 + |lv|).
func refGaussianSampleBackward(dh, dhmag, dz, h, eps []float64, L int, w float64) {
	N := len(eps) / L
	wn := w / float64(N)
	for r := range N {
		for j := range L {
			i, im, il := r*L+j, r*2*L+j, r*2*L+L+j
			mu, lv := h[im], h[il]
			dh[im], dhmag[im] = dz[i]+wn*mu, abs(dz[i])+abs(wn*mu)
			if !(lv >= logvarMin && lv <= logvarMax) {
				dh[il], dhmag[il] = 0, 0
				continue
			}
			sd := exp(lv / 2)
			dh[il] = dz[i]*eps[i]*sd/2 + wn*(sd*sd-1)/2
			dhmag[il] = abs(dz[i]*eps[i])*sd/2*(1+abs(lv)/2) + abs(wn)*(sd*sd*(1+abs(lv))+1)/2
		}
	}
}
