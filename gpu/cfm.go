//go:build cuda || cudaemu

package gpu

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
)

// Launch wrappers of kernels/cfm.cu for the flow-matching objective.

// pathArgs are the path's kernel arguments (path, smin, bmin, bmax; the
// kernels compute compute.PathParams.Coef per sample, path_coef in
// kernels/cfm.cu).
func pathArgs(p compute.PathParams) []any {
	if p.Path != compute.PathOT && p.Path != compute.PathVP {
		panic(fmt.Sprintf("gpu: unknown path %d", p.Path))
	}
	return []any{int(p.Path), p.SigmaMin, p.BetaMin, p.BetaMax}
}

// CFMInterp sets x_t = a(t) x0 + b(t) x1 per sample (kernel cfm_interp).
// Matches cpu Backend.CFMInterp.
func (be *Backend) CFMInterp(xt, x0, x1, t compute.Buffer, p compute.PathParams) {
	xs, z, d, ts := be.buf(xt), be.buf(x0), be.buf(x1), be.buf(t)
	B := ts.n
	need(B > 0 && xs.n == z.n && z.n == d.n && xs.n%B == 0, "CFMInterp shapes")
	pa := pathArgs(p)
	be.enter()
	defer be.leave()
	g, th := elem(xs.n)
	be.launch("cfm_interp", g, th, 0, append(append([]any{xs.p, z.p, d.p, ts.p}, pa...), xs.n, xs.n/B)...)
}

// CFMLoss sets dpred = 2 (pred - u) / n and adds mean((pred - u)^2) to
// loss[0] on the device, u = da(t) x0 + db(t) x1 (kernel cfm_loss, one
// launch). Matches cpu Backend.CFMLoss.
func (be *Backend) CFMLoss(loss, dpred, pred, x0, x1, t compute.Buffer, p compute.PathParams) {
	ls, dp, pr, z, d, ts := be.buf(loss), be.buf(dpred), be.buf(pred), be.buf(x0), be.buf(x1), be.buf(t)
	B := ts.n
	need(ls.n >= 1 && B > 0 && pr.n == z.n && z.n == d.n && dp.n == pr.n && pr.n%B == 0, "CFMLoss shapes")
	pa := pathArgs(p)
	be.enter()
	defer be.leave()
	g, th := red(pr.n)
	be.reduce("cfm_loss", g, th, ls.p, float64(pr.n), 1, 2, append(append([]any{dp.p, pr.p, z.p, d.p, ts.p}, pa...), pr.n, pr.n/B)...)
}
