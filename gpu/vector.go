//go:build cuda || cudaemu

package gpu

import (
	"math"

	"github.com/latentflow/latentflow/compute"
)

// Launch wrappers of kernels/vector.cu and the memset/memcpy ops; each
// matches the compute/cpu method of the same name (cpu.go, nn.go).

// Fill sets x[i] = v (cuMemsetD32 with v's bits: exact). Matches cpu Backend.Fill.
func (be *Backend) Fill(x compute.Buffer, v float32) {
	b := be.buf(x)
	if b.n == 0 {
		return
	}
	be.enter()
	defer be.leave()
	be.calls.Memops++
	be.named("fill")
	check(be.drv.memsetD32(b.p, math.Float32bits(v), int64(b.n)), "Fill")
}

// Copy sets dst = src (cuMemcpyDtoDAsync). Matches cpu Backend.Copy.
func (be *Backend) Copy(dst, src compute.Buffer) {
	d, s := be.buf(dst), be.buf(src)
	need(d.n == s.n, "Copy of %d into %d", s.n, d.n)
	if d.n == 0 || d.p == s.p {
		return
	}
	be.enter()
	defer be.leave()
	be.calls.Memops++
	be.named("copy")
	check(be.drv.copyDtoD(d.p, s.p, int64(d.n)*4), "Copy")
}

// Scale sets x *= a (kernel scale). Matches cpu Backend.Scale.
func (be *Backend) Scale(x compute.Buffer, a float32) {
	b := be.buf(x)
	be.enter()
	defer be.leave()
	g, t := elem(b.n)
	be.launch("scale", g, t, 0, b.p, b.n, a)
}

// Axpy sets y += a x (kernel axpy). Matches cpu Backend.Axpy.
func (be *Backend) Axpy(a float32, x, y compute.Buffer) {
	xb, yb := be.buf(x), be.buf(y)
	need(xb.n == yb.n, "Axpy lengths %d, %d", xb.n, yb.n)
	be.enter()
	defer be.leave()
	g, t := elem(yb.n)
	be.launch("axpy", g, t, 0, yb.p, xb.p, yb.n, a)
}

// LinComb sets dst = x + sum_i coef[i] ks[i], skipping zero coefficients
// (kernel lincomb, up to 8 terms per launch, chained in order beyond).
// Matches cpu Backend.LinComb.
func (be *Backend) LinComb(dst, x compute.Buffer, coef []float32, ks []compute.Buffer) {
	termKernel(be, "LinComb", "lincomb", dst, x, coef, ks)
}

// termKernelMax is the terms one launch of lincomb or dopri5_stage takes.
const termKernelMax = 8

// termKernel sets dst = x + sum_i c(coef[i]) ks[i] with kernel name
// (lincomb, dopri5_stage: c is the kernel's), skipping zero coefficients:
// one launch per termKernelMax terms, in order, the first reading x and
// each later one dst (so a longer list chains); at least one launch. The
// kernel's arguments are (dst, src, mid..., n, nk, termKernelMax
// coefficients, termKernelMax pointers), the unused ones zero.
func termKernel[C float32 | float64](be *Backend, op, name string, dst, x compute.Buffer, coef []C, ks []compute.Buffer, mid ...any) {
	d, xb := be.buf(dst), be.buf(x)
	need(d.n == xb.n && len(coef) == len(ks), "%s shapes", op)
	var cs []C
	var ps []devptr
	for i, c := range coef {
		if c == 0 {
			continue
		}
		k := be.buf(ks[i])
		need(k != nil && k.n == d.n, "%s: ks[%d] has the wrong length", op, i)
		cs = append(cs, c)
		ps = append(ps, k.p)
	}
	be.enter()
	defer be.leave()
	g, t := elem(d.n)
	src := xb.p
	for first := true; first || len(cs) > 0; first = false {
		nk := min(len(cs), termKernelMax)
		args := append(append([]any{d.p, src}, mid...), d.n, nk)
		for j := range termKernelMax {
			c := C(0)
			if j < nk {
				c = cs[j]
			}
			args = append(args, c)
		}
		for j := range termKernelMax {
			p := devptr(0)
			if j < nk {
				p = ps[j]
			}
			args = append(args, p)
		}
		be.launch(name, g, t, 0, args...)
		cs, ps, src = cs[nk:], ps[nk:], d.p
	}
}

// AdamWStep applies one AdamW step (kernel adamw; the bias corrections are
// computed here in float64 and rounded, as on the CPU). Matches cpu Backend.AdamWStep.
func (be *Backend) AdamWStep(params, grad, m, v compute.Buffer, o compute.AdamW) {
	p, g, mb, vb := be.buf(params), be.buf(grad), be.buf(m), be.buf(v)
	need(g.n == p.n && mb.n == p.n && vb.n == p.n, "AdamWStep lengths")
	need(o.Step >= 1, "AdamWStep: step %d < 1", o.Step)
	bc1 := float32(1 - math.Pow(float64(o.Beta1), float64(o.Step)))
	bc2 := float32(1 - math.Pow(float64(o.Beta2), float64(o.Step)))
	be.enter()
	defer be.leave()
	gr, t := elem(p.n)
	be.launch("adamw", gr, t, 0, p.p, g.p, mb.p, vb.p, p.n, o.Beta1, o.Beta2, o.LR, o.WeightDecay, o.Eps,
		o.GradScale, bc1, bc2)
}

// AdamWStepDev is AdamWStep with the gradient scaled by o.GradScale * scale[0],
// scale[0] read by the kernel (adamw_dev): no host read. Matches cpu
// Backend.AdamWStepDev.
func (be *Backend) AdamWStepDev(params, grad, m, v, scale compute.Buffer, o compute.AdamW) {
	p, g, mb, vb, sc := be.buf(params), be.buf(grad), be.buf(m), be.buf(v), be.buf(scale)
	need(g.n == p.n && mb.n == p.n && vb.n == p.n, "AdamWStepDev lengths")
	need(sc.n >= 1, "AdamWStepDev: empty scale")
	need(o.Step >= 1, "AdamWStepDev: step %d < 1", o.Step)
	bc1 := float32(1 - math.Pow(float64(o.Beta1), float64(o.Step)))
	bc2 := float32(1 - math.Pow(float64(o.Beta2), float64(o.Step)))
	be.enter()
	defer be.leave()
	gr, t := elem(p.n)
	be.launch("adamw_dev", gr, t, 0, p.p, g.p, mb.p, vb.p, sc.p, p.n, o.Beta1, o.Beta2, o.LR, o.WeightDecay, o.Eps,
		o.GradScale, bc1, bc2)
}

// EMA sets ema = decay ema + (1 - decay) params (kernel ema). Matches cpu Backend.EMA.
func (be *Backend) EMA(ema, params compute.Buffer, decay float32) {
	e, p := be.buf(ema), be.buf(params)
	need(e.n == p.n, "EMA lengths")
	be.enter()
	defer be.leave()
	g, t := elem(e.n)
	be.launch("ema", g, t, 0, e.p, p.p, e.n, decay)
}
