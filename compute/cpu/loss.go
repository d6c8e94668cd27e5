package cpu

import (
	"math"

	"github.com/latentflow/latentflow/compute"
)

// lossBlock is the number of elements (or of row cells) summed per block of
// the losses: large enough to pay for a goroutine, fixed so that the sum does
// not depend on the number of workers.
const lossBlock = 4096

// MSELoss adds mean((pred - target)^2) to loss[0] (summed in float64) and sets
// dpred = 2 (pred - target) / n.
func (be *Backend) MSELoss(loss, dpred, pred, target compute.Buffer) {
	ls, dp, pr, tg := Data(loss), Data(dpred), Data(pred), Data(target)
	n := len(pr)
	need(len(ls) >= 1 && n > 0 && len(tg) == n && len(dp) == n,
		"MSELoss shapes: loss %d, dpred %d, pred %d, target %d", len(ls), len(dp), n, len(tg))
	nf := float32(n)
	s := be.sumBlocks(n, lossBlock, 4, func(lo, hi int) float64 {
		var s float64
		for i := lo; i < hi; i++ {
			e := pr[i] - tg[i]
			s += float64(e) * float64(e)
			dp[i] = 2 * e / nf
		}
		return s
	})
	ls[0] += float32(s / float64(n))
}

// class returns the class of label y among K, or -1 when y is not one of the
// integers 0..K-1 (negative, K or more, fractional or NaN).
func class(y float32, K int) int {
	if !(y >= 0 && y < float32(K)) {
		return -1
	}
	c := int(y)
	if float32(c) != y {
		return -1
	}
	return c
}

// SoftmaxCrossEntropy: for each row b of logits [B, K], with m the row maximum,
// p = exp(x - m) / sum exp(x - m) (in float64),
//
//	dlogits[b] = (p - onehot(label_b)) / B,  loss[0] += mean_b (log sum exp(x - m) - (x_label - m)).
//
// A label that is not an integer in 0..K-1 has an all-zero onehot and adds 0
// to the loss (see the package compute documentation).
func (be *Backend) SoftmaxCrossEntropy(loss, dlogits, logits, labels compute.Buffer, K int) {
	ls, dl, xs, ys := Data(loss), Data(dlogits), Data(logits), Data(labels)
	B := len(ys)
	need(len(ls) >= 1 && K > 0 && B > 0 && len(xs) == B*K && len(dl) == B*K,
		"SoftmaxCrossEntropy shapes: loss %d, dlogits %d, logits %d, labels %d, K %d", len(ls), len(dl), len(xs), B, K)
	rows := max(1, lossBlock/K)
	s := be.sumBlocks(B, rows, 8*K, func(lo, hi int) float64 {
		e := make([]float64, K)
		var s float64
		for b := lo; b < hi; b++ {
			x, d := xs[b*K:(b+1)*K], dl[b*K:(b+1)*K]
			m := float64(x[0])
			for _, v := range x[1:] {
				m = math.Max(m, float64(v))
			}
			var z float64
			for j, v := range x {
				e[j] = math.Exp(float64(v) - m)
				z += e[j]
			}
			c := class(ys[b], K)
			for j := range d {
				g := e[j] / z
				if j == c {
					g--
				}
				d[j] = float32(g / float64(B))
			}
			if c >= 0 {
				s += math.Log(z) - (float64(x[c]) - m)
			}
		}
		return s
	})
	ls[0] += float32(s / float64(B))
}
