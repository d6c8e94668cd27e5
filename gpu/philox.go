//go:build cuda || cudaemu

package gpu

import (
	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/philox"
)

// Launch wrappers of kernels/philox.cu: one thread per Philox call (four
// elements), bit-identical to package philox.

func (be *Backend) philox(name string, x *Buf, k philox.Key, extra ...any) {
	need(x.n <= 1<<31-4, "%s: %d elements exceed the Philox counter range of the kernels", name, x.n)
	be.enter()
	defer be.leave()
	calls := (x.n + 3) / 4
	args := append([]any{x.p, x.n}, extra...)
	args = append(args, k.Seed, k.Step, k.Stream)
	if name == "logit_normal" { // (t, n, seed, step, stream, mean, std)
		args = append([]any{x.p, x.n, k.Seed, k.Step, k.Stream}, extra...)
	}
	be.launch(name, d1((calls+255)/256), d1(256), 0, args...)
}

// FillUniform writes the Philox uniform stream k into x (kernel fill_uniform).
// Matches cpu Backend.FillUniform (philox.Key.FillUniform) bit for bit.
func (be *Backend) FillUniform(x compute.Buffer, k philox.Key) {
	be.philox("fill_uniform", be.buf(x), k)
}

// FillNormal writes the Philox normal stream k into x (kernel fill_normal).
// Matches cpu Backend.FillNormal (philox.Key.FillNormal) bit for bit.
func (be *Backend) FillNormal(x compute.Buffer, k philox.Key) {
	be.philox("fill_normal", be.buf(x), k)
}

// UniformIndex sets idx[i] = min(floor(u_i n), n-1) (kernel uniform_index).
// Matches cpu Backend.UniformIndex bit for bit.
func (be *Backend) UniformIndex(idx compute.Buffer, n int, k philox.Key) {
	need(n > 0 && n <= 1<<24, "UniformIndex: n = %d out of (0, 2^24]", n)
	be.philox("uniform_index", be.buf(idx), k, n)
}

// LogitNormal sets t_i = sigmoid(mean + std z_i), z the Philox normal stream k
// (kernel logit_normal, the sigmoid in float64). Matches cpu Backend.LogitNormal.
func (be *Backend) LogitNormal(t compute.Buffer, k philox.Key, mean, std float32) {
	be.philox("logit_normal", be.buf(t), k, mean, std)
}

// DropLabels sets y[i] = null where u_i < p, u the Philox uniform stream k
// (kernel drop_labels). Matches cpu Backend.DropLabels bit for bit.
func (be *Backend) DropLabels(y compute.Buffer, k philox.Key, p, null float32) {
	be.philox("drop_labels", be.buf(y), k, p, null)
}
