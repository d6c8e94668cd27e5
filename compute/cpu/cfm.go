package cpu

import (
	"math"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/philox"
)

// CFMInterp sets x_t = a(t) x0 + b(t) x1 per sample.
func (be *Backend) CFMInterp(xt, x0, x1, t compute.Buffer, p compute.PathParams) {
	xs, z, d, ts := Data(xt), Data(x0), Data(x1), Data(t)
	B := len(ts)
	need(B > 0 && len(xs) == len(z) && len(z) == len(d) && len(xs)%B == 0, "CFMInterp shapes")
	X := len(xs) / B
	for b, tv := range ts {
		a, c, _, _ := p.Coef(tv)
		for i := b * X; i < (b+1)*X; i++ {
			xs[i] = a*z[i] + c*d[i]
		}
	}
}

// CFMLoss adds mean((pred - u)^2) to loss[0] and sets dpred = 2 (pred - u) / len(pred),
// with u = da(t) x0 + db(t) x1.
func (be *Backend) CFMLoss(loss, dpred, pred, x0, x1, t compute.Buffer, p compute.PathParams) {
	ls, dp, pr, z, d, ts := Data(loss), Data(dpred), Data(pred), Data(x0), Data(x1), Data(t)
	B := len(ts)
	need(len(ls) >= 1 && B > 0 && len(pr) == len(z) && len(z) == len(d) && len(dp) == len(pr) && len(pr)%B == 0, "CFMLoss shapes")
	X := len(pr) / B
	n := float32(len(pr))
	var s float64
	for b, tv := range ts {
		_, _, da, db := p.Coef(tv)
		for i := b * X; i < (b+1)*X; i++ {
			e := pr[i] - (da*z[i] + db*d[i])
			s += float64(e) * float64(e)
			dp[i] = 2 * e / n
		}
	}
	ls[0] += float32(s / float64(len(pr)))
}

// LogitNormal sets t = sigmoid(mean + std z), z ~ the Philox normal stream k.
func (be *Backend) LogitNormal(t compute.Buffer, k philox.Key, mean, std float32) {
	ts := Data(t)
	k.FillNormal(ts, 0)
	for i, z := range ts {
		ts[i] = float32(1 / (1 + math.Exp(-float64(mean+std*z))))
	}
}
