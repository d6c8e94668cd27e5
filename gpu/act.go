//go:build cuda || cudaemu

package gpu

import "github.com/latentflow/latentflow/compute"

// Launch wrappers of kernels/act.cu; each matches the compute/cpu method of
// the same name (nn.go, the loops of act_scalar.go).

func (be *Backend) act(name string, n int, args ...any) {
	be.enter()
	defer be.leave()
	g, t := elem(n)
	be.launch(name, g, t, 0, append(args, n)...)
}

// Gelu sets y = x sigmoid(2 sqrt(2/pi)(x + 0.044715 x^3)) (kernel gelu). Matches cpu Backend.Gelu.
func (be *Backend) Gelu(y, x compute.Buffer) {
	yb, xb := be.buf(y), be.buf(x)
	need(yb.n == xb.n, "Gelu lengths %d, %d", yb.n, xb.n)
	be.act("gelu", xb.n, yb.p, xb.p)
}

// BiasGelu sets x += bias and y = gelu(x) (kernel bias_gelu: add_bias and
// gelu in one launch). Matches cpu Backend.BiasGelu.
func (be *Backend) BiasGelu(y, x, bias compute.Buffer) {
	be.biasAct("BiasGelu", "bias_gelu", y, x, bias)
}

// biasAct launches a bias + activation kernel (bias_gelu, bias_silu) over x
// [N, len(bias)].
func (be *Backend) biasAct(op, name string, y, x, bias compute.Buffer) {
	yb, xb, bb := be.buf(y), be.buf(x), be.buf(bias)
	need(yb.n == xb.n && bb.n > 0 && xb.n%bb.n == 0, "%s lengths %d, %d, bias %d", op, yb.n, xb.n, bb.n)
	be.enter()
	defer be.leave()
	g, t := elem(xb.n)
	be.launch(name, g, t, 0, yb.p, xb.p, bb.p, xb.n, bb.n)
}

// GeluBackward sets dx = dy gelu'(x) (kernel gelu_bwd). Matches cpu Backend.GeluBackward.
func (be *Backend) GeluBackward(dx, dy, x compute.Buffer) {
	dxb, dyb, xb := be.buf(dx), be.buf(dy), be.buf(x)
	need(dxb.n == xb.n && dyb.n == xb.n, "GeluBackward lengths")
	be.act("gelu_bwd", xb.n, dxb.p, dyb.p, xb.p)
}

// SiLU sets y = x sigmoid(x) (kernel silu). Matches cpu Backend.SiLU.
func (be *Backend) SiLU(y, x compute.Buffer) {
	yb, xb := be.buf(y), be.buf(x)
	need(yb.n == xb.n, "SiLU lengths %d, %d", yb.n, xb.n)
	be.act("silu", xb.n, yb.p, xb.p)
}

// BiasSiLU sets x += bias and y = silu(x) (kernel bias_silu: add_bias and
// silu in one launch). Matches cpu Backend.BiasSiLU.
func (be *Backend) BiasSiLU(y, x, bias compute.Buffer) {
	be.biasAct("BiasSiLU", "bias_silu", y, x, bias)
}

// SiLUBackward sets dx = dy silu'(x) (kernel silu_bwd). Matches cpu Backend.SiLUBackward.
func (be *Backend) SiLUBackward(dx, dy, x compute.Buffer) {
	dxb, dyb, xb := be.buf(dx), be.buf(dy), be.buf(x)
	need(dxb.n == xb.n && dyb.n == xb.n, "SiLUBackward lengths")
	be.act("silu_bwd", xb.n, dxb.p, dyb.p, xb.p)
}
