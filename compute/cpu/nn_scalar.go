package cpu

import "math"

// colSums64Scalar adds sum_{r<N} float64(d[r*X+lo+j]) into acc[j], the rows
// in order, for j < len(acc): the spec of colSums64.
func colSums64Scalar(acc []float64, d []float32, X, lo, N int) {
	w := len(acc)
	if w == 0 {
		return
	}
	for r := 0; r < N; r++ {
		row := d[r*X+lo : r*X+lo+w]
		for j, v := range row {
			acc[j] += float64(v)
		}
	}
}

// addToScalar sets dst[j] += src[j] for j < len(dst): the spec of addTo.
func addToScalar(dst, src []float32) {
	src = src[:len(dst)]
	for j, v := range src {
		dst[j] += v
	}
}

// sumF64Scalar returns sum_j float64(x[j]) in order.
func sumF64Scalar(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// sumSqDevF64Scalar returns sum_j (float64(x[j]) - mu)^2 in order.
func sumSqDevF64Scalar(x []float32, mu float64) float64 {
	var s float64
	for _, v := range x {
		d := float64(v) - mu
		s += d * d
	}
	return s
}

// modRowScalar sets y[j] = (x[j]-mu)*rstd*(1+scale[j]) + shift[j].
func modRowScalar(y, x, shift, scale []float32, mu, rstd float32) {
	x, shift, scale = x[:len(y)], shift[:len(y)], scale[:len(y)]
	for j, v := range x {
		y[j] = (v-mu)*rstd*(1+scale[j]) + shift[j]
	}
}

// gatedAddScalar sets x[j] += g[j]*y[j].
func gatedAddScalar(x, g, y []float32) {
	g, y = g[:len(x)], y[:len(x)]
	for j := range x {
		x[j] += g[j] * y[j]
	}
}

// gatedBackScalar sets dg[j] += dx[j]*y[j] and dy[j] = g[j]*dx[j].
func gatedBackScalar(dg, dy, g, dx, y []float32) {
	dy, g, dx, y = dy[:len(dg)], g[:len(dg)], dx[:len(dg)], y[:len(dg)]
	for j := range dg {
		dg[j] += dx[j] * y[j]
		dy[j] = g[j] * dx[j]
	}
}

// adamWConsts are the per-step constants of an AdamW update.
type adamWConsts struct{ b1, b2, lr, wd, eps, gscale, bc1, bc2 float32 }

// adamWScalar is one AdamW update of p with gradient gscale*g and moments m, v.
func adamWScalar(p, g, m, v []float32, c adamWConsts) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		gi := c.gscale * g[i]
		mi := c.b1*m[i] + (1-c.b1)*gi
		vi := c.b2*v[i] + (1-c.b2)*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= c.lr * (c.wd*p[i] + (mi/c.bc1)/(float32(math.Sqrt(float64(vi/c.bc2)))+c.eps))
	}
}

// lnBackRowScalar is the spec of lnBackRow (the sums in order).
func lnBackRowScalar(dsh, dsc, g, dy, x, sc []float32, mu, rstd float32) (float64, float64) {
	n := len(g)
	dsh, dsc, dy, x, sc = dsh[:n], dsc[:n], dy[:n], x[:n], sc[:n]
	var sg, sgx float64
	for j := range g {
		xh := (x[j] - mu) * rstd
		dsh[j] += dy[j]
		dsc[j] += dy[j] * xh
		g[j] = dy[j] * (1 + sc[j])
		sg += float64(g[j])
		sgx += float64(g[j]) * float64(xh)
	}
	return sg, sgx
}

// lnBackDxScalar is the spec of lnBackDx.
func lnBackDxScalar(dx, g, x []float32, mu, rstd, mg, mgx float32) {
	g, x = g[:len(dx)], x[:len(dx)]
	for j := range dx {
		xh := (x[j] - mu) * rstd
		dx[j] += rstd * (g[j] - mg - xh*mgx)
	}
}
