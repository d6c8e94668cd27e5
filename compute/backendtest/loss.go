package backendtest

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// mseSizes are the lengths of the MSELoss tests: one cell, odd sizes, and
// enough cells for a parallel (blocked) CPU sum.
var mseSizes = []int{1, 3, 7, 64, 1000, 40003}

// TestMSELoss checks MSELoss: dpred overwritten (error scale
// 2 (|pred| + |target|) / n) and the mean added to a loss cell holding a
// random value (error scale |loss| + mean(d^2 + 2 |d| (|pred| + |target|)),
// d = pred - target), with ElemTol and ReduceTol as CFMLoss.
func TestMSELoss(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, n := range mseSizes {
		s.run(t, shape("n=%d", n), func(t *testing.T) {
			pred := s.region("pred", s.normal(n, 1))
			target := s.region("target", s.normal(n, 1))
			dpred := s.out("dpred", n)
			loss := s.region("loss", s.normal(1, 1))
			ed, el := dpred.expect(), loss.expect()
			l, lm := refMSELoss(ed.v, ed.mag, pred.f64(), target.f64())
			el.v[0], el.mag[0] = el.v[0]+l, abs(el.v[0])+lm
			b.MSELoss(loss.buf, dpred.buf, pred.buf, target.buf)
			dpred.check(t, ed, s.o.ElemTol)
			loss.check(t, el, s.o.ReduceTol)
			pred.unchanged(t)
			target.unchanged(t)
		})
	}
}

// refMSELoss sets dpred = 2 (pred - target) / n and returns
// mean((pred - target)^2) and its error scale.
func refMSELoss(dpred, dmag, pred, target []float64) (loss, lossmag float64) {
	n := float64(len(pred))
	for i := range pred {
		d, dm := pred[i]-target[i], abs(pred[i])+abs(target[i])
		dpred[i], dmag[i] = 2*d/n, 2*dm/n
		loss += d * d
		lossmag += d*d + 2*abs(d)*dm
	}
	return loss / n, lossmag / n
}

// xentShapes are (B, K) with the standard deviation and an offset of the
// logits: one class, two, K past a GPU block, rows enough for a parallel CPU
// sum, and logits beyond 88 (exp overflows float32 unless the row maximum is
// subtracted) with a spread of ~30 (p down to denormals and zero).
var xentShapes = []struct {
	B, K     int
	std, off float64
}{
	{1, 1, 1, 0}, {1, 2, 1, 0}, {3, 5, 1, 0}, {7, 10, 3, 0}, {64, 10, 1, 0},
	{5, 1000, 1, 0}, {300, 37, 2, 0}, {2000, 10, 1, 0}, {4, 16, 30, 100},
}

// labelsOf returns B random classes in [0, K) as float32, the last class
// first and class 0 last.
func (s *suite) labelsOf(B, K int) []float32 {
	y := make([]float32, B)
	for i := range y {
		y[i] = float32(s.rng.IntN(K))
	}
	y[0] = float32(K - 1)
	if B > 1 {
		y[B-1] = 0
	}
	return y
}

// TestSoftmaxCrossEntropy checks SoftmaxCrossEntropy with XentTol: dlogits
// overwritten and the mean loss added to a random loss cell (error scales: see
// refSoftmaxCrossEntropy), on valid labels and, in "invalid", on labels that
// are no class (-1, K, 2.5, NaN, 1e9), which add 0 to the loss and have an
// all-zero onehot (see the package compute documentation).
func TestSoftmaxCrossEntropy(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	check := func(t *testing.T, B, K int, x, y []float32) {
		logits := s.region("logits", x).rows(K)
		labels := s.region("labels", y)
		dlogits := s.out("dlogits", B*K).rows(K)
		loss := s.region("loss", s.normal(1, 1))
		ed, el := dlogits.expect(), loss.expect()
		l, lm := refSoftmaxCrossEntropy(ed.v, ed.mag, logits.f64(), labels.f64(), K)
		el.v[0], el.mag[0] = el.v[0]+l, abs(el.v[0])+lm
		b.SoftmaxCrossEntropy(loss.buf, dlogits.buf, logits.buf, labels.buf, K)
		dlogits.check(t, ed, s.o.XentTol)
		loss.check(t, el, s.o.XentTol)
		logits.unchanged(t)
		labels.unchanged(t)
	}
	for _, sh := range xentShapes {
		s.run(t, shape("B=%d,K=%d,std=%g,off=%g", sh.B, sh.K, sh.std, sh.off), func(t *testing.T) {
			x := s.normal(sh.B*sh.K, sh.std)
			for i := range x {
				x[i] += float32(sh.off)
			}
			check(t, sh.B, sh.K, x, s.labelsOf(sh.B, sh.K))
		})
	}
	s.run(t, "invalid", func(t *testing.T) {
		const K = 5
		y := []float32{-1, K, 2.5, float32(math.NaN()), 1e9, 3, 0, K - 1}
		check(t, len(y), K, s.normal(len(y)*K, 2), y)
	})
}

// refClass returns the class of label y among K, or -1 when y is not an
// integer in [0, K).
func refClass(y float64, K int) int {
	if !(y >= 0 && y < float64(K) && y == math.Floor(y)) {
		return -1
	}
	return int(y)
}

// refSoftmaxCrossEntropy sets dlogits = (p - onehot) / B and returns
// mean_b (-log p[b, label_b]) (rows without a class add 0) and its error
// scale. With m the row maximum, a_j = |x_j - m| (the float32 error of the
// exponent in units of eps) and abar = sum_j p_j a_j (that of the row sum),
// the error scale of dlogits[b, j] is (p_j (2 + a_j + abar) + onehot_j) / B,
// that of the row's loss 2 + |log z| + a_label + abar (z = sum_j e^(x_j - m)).
func refSoftmaxCrossEntropy(dl, dlmag, x, labels []float64, K int) (loss, lossmag float64) {
	B := len(labels)
	e := make([]float64, K)
	for b := range B {
		xr := x[b*K : (b+1)*K]
		m := math.Inf(-1)
		for _, v := range xr {
			m = max(m, v)
		}
		var z, abar float64
		for j, v := range xr {
			e[j] = exp(v - m)
			z += e[j]
		}
		for j, v := range xr {
			abar += e[j] / z * abs(v-m)
		}
		c := refClass(labels[b], K)
		for j, v := range xr {
			p, oh := e[j]/z, 0.0
			if j == c {
				oh = 1
			}
			dl[b*K+j] = (p - oh) / float64(B)
			dlmag[b*K+j] = (p*(2+abs(v-m)+abar) + oh) / float64(B)
		}
		if c >= 0 {
			lz := math.Log(z)
			loss += lz - (xr[c] - m)
			lossmag += 2 + abs(lz) + abs(xr[c]-m) + abar
		}
	}
	return loss / float64(B), lossmag / float64(B)
}
