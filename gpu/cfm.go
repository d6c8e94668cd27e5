//go:build cuda || cudaemu

package gpu

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
)

// Launch wrappers of kernels/cfm.cu for the flow-matching objective.

// pathCoef fills the coefficient scratch with (a, b, da, db) per sample
// (kernel path_coef: compute.PathParams.Coef in float64). The caller holds enter.
func (be *Backend) pathCoef(t *Buf, p compute.PathParams) *Buf {
	if p.Path != compute.PathOT && p.Path != compute.PathVP {
		panic(fmt.Sprintf("gpu: unknown path %d", p.Path))
	}
	c := be.scratch(&be.coef, 4*t.n)
	g, th := elem(t.n)
	be.launch("path_coef", g, th, 0, c.p, t.p, t.n, int(p.Path), p.SigmaMin, p.BetaMin, p.BetaMax)
	return c
}

// CFMInterp sets x_t = a(t) x0 + b(t) x1 per sample (kernels path_coef,
// cfm_interp). Matches cpu Backend.CFMInterp.
func (be *Backend) CFMInterp(xt, x0, x1, t compute.Buffer, p compute.PathParams) {
	xs, z, d, ts := be.buf(xt), be.buf(x0), be.buf(x1), be.buf(t)
	B := ts.n
	need(B > 0 && xs.n == z.n && z.n == d.n && xs.n%B == 0, "CFMInterp shapes")
	be.enter()
	defer be.leave()
	c := be.pathCoef(ts, p)
	g, th := elem(xs.n)
	be.launch("cfm_interp", g, th, 0, xs.p, z.p, d.p, c.p, xs.n, xs.n/B)
}

// CFMLoss sets dpred = 2 (pred - u) / n and adds mean((pred - u)^2) to
// loss[0] on the device, u = da(t) x0 + db(t) x1 (kernels path_coef,
// cfm_loss, finish_sum). Matches cpu Backend.CFMLoss.
func (be *Backend) CFMLoss(loss, dpred, pred, x0, x1, t compute.Buffer, p compute.PathParams) {
	ls, dp, pr, z, d, ts := be.buf(loss), be.buf(dpred), be.buf(pred), be.buf(x0), be.buf(x1), be.buf(t)
	B := ts.n
	need(ls.n >= 1 && B > 0 && pr.n == z.n && z.n == d.n && dp.n == pr.n && pr.n%B == 0, "CFMLoss shapes")
	be.enter()
	defer be.leave()
	c := be.pathCoef(ts, p)
	g, th := red(pr.n)
	be.launch("cfm_loss", g, th, 0, be.part, dp.p, pr.p, z.p, d.p, c.p, pr.n, pr.n/B)
	be.finish(g, ls.p, float64(pr.n), 1, 2)
}
