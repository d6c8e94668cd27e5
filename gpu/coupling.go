//go:build cuda || cudaemu

package gpu

import "github.com/latentflow/latentflow/compute"

// Launch wrappers of kernels/coupling.cu: the minibatch OT coupling.

// otMaxRows bounds the batch of OTCoupling: its float64 cost matrix takes
// 8 n^2 bytes (128 MiB at 4096) and one block solves the assignment.
const otMaxRows = 4096

// otThreads is the block of ot_assign: each of its threads owns the columns
// j = tid (mod otThreads).
const otThreads = 256

// OTCoupling sets perm to an optimal assignment of the rows of x0 to those of
// x1 (kernels ot_cost, then ot_assign on one block), with the same
// operations in the same order as cpu Backend.OTCoupling: the same
// assignment. It reads nothing back, so a captured step can hold it; its
// scratch (the cost matrix and the solver's state) is grown on first use.
func (be *Backend) OTCoupling(perm, x0, x1 compute.Buffer, w int) {
	pb, ab, bb := be.buf(perm), be.buf(x0), be.buf(x1)
	n := pb.n
	need(w >= 1 && ab.n == n*w && bb.n == n*w, "OTCoupling: x0 %d and x1 %d, want %d rows x %d", ab.n, bb.n, n, w)
	need(n <= otMaxRows, "OTCoupling: %d rows exceed the %d of the CUDA kernel (its cost matrix is 8 n^2 bytes)", n, otMaxRows)
	if n == 0 {
		return
	}
	// n*n cost doubles, then u, v, minv (n+1 doubles) and p, way, used, rowcol (n+1 ints).
	floats := 2*n*n + 6*(n+1) + 4*(n+1)
	be.enter()
	defer be.leave()
	s := be.scratch(&be.ot, floats)
	cost, ws := s.p, s.p+devptr(8*n*n)
	g, t := elem(n * n)
	be.launch("ot_cost", g, t, 0, cost, ab.p, bb.p, n, w)
	be.launch("ot_assign", d1(1), d1(otThreads), 0, pb.p, cost, ws, n)
}
