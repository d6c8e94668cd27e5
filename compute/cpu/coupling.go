package cpu

import (
	"math"

	"github.com/latentflow/latentflow/compute"
)

// OTCoupling sets perm to an optimal assignment of the rows of x0 to the
// rows of x1 (compute.Backend.OTCoupling); the spec of kernels/coupling.cu,
// whose kernels do the same operations in the same order (so the same
// assignment, not only the same cost).
func (be *Backend) OTCoupling(perm, x0, x1 compute.Buffer, w int) {
	p, a, b := Data(perm), Data(x0), Data(x1)
	n := len(p)
	need(w >= 1 && len(a) == n*w && len(b) == n*w, "OTCoupling: x0 %d and x1 %d, want %d rows x %d", len(a), len(b), n, w)
	c := make([]float64, n*n)
	for i := 0; i < n; i++ {
		OTCostRow(c[i*n:i*n+n], b[i*w:i*w+w], a, w)
	}
	col, ok := Assign(c, n)
	for i := range p {
		if ok {
			p[i] = float32(col[i])
		} else {
			p[i] = float32(math.NaN())
		}
	}
}

// OTCostRow sets row[j] = sum_k (x1i[k] - x0[j*w+k])^2 in float64, each
// operation rounded (Go does not fuse on amd64; the conversions forbid it
// elsewhere).
func OTCostRow(row []float64, x1i, x0 []float32, w int) {
	for j := range row {
		var s float64
		for k, v := range x1i {
			t := float64(v) - float64(x0[j*w+k])
			s = s + float64(t*t)
		}
		row[j] = s
	}
}

// Assign solves the n x n assignment problem of the row-major costs c
// exactly: it returns col with col[i] the column of row i, minimising
// sum_i c[i][col[i]], and false if a cost is not finite (no column can then
// be chosen). It is the shortest augmenting path method with potentials u
// (rows) and v (columns), in the O(n^3) form that adds the rows one at a
// time (Kuhn-Munkres; the Dijkstra search of Jonker and Volgenant 1987),
// started from Jonker and Volgenant's column reduction (below; it leaves
// most rows assigned, which made it 4-7x faster at n = 256 and 512, see
// docs/experiments.md): with 1-based rows and columns and column 0 a
// virtual start,
//
//	for each row i without a column: p[0] = i, j0 = 0, minv = +Inf, no column used;
//	  repeat: mark j0 used; i0 = p[j0];
//	    for each unused j: cur = (c[i0][j] - u[i0]) - v[j];
//	      if cur < minv[j]: minv[j] = cur, way[j] = j0;
//	    (delta, j1) = the smallest minv[j] over unused j, the lowest j on ties;
//	    for each j: used: u[p[j]] += delta, v[j] -= delta; else minv[j] -= delta;
//	    j0 = j1
//	  until p[j0] = 0 (a free column); then flip the path back along way.
//
// The reduced costs stay non-negative, which makes the result optimal.
// kernels/coupling.cu runs exactly these steps, the loops over j split
// across threads.
func Assign(c []float64, n int) ([]int, bool) {
	u := make([]float64, n+1)
	v := make([]float64, n+1)
	minv := make([]float64, n+1)
	p := make([]int, n+1)   // p[j]: the row of column j (0: free)
	way := make([]int, n+1) // way[j]: the column before j on the path
	used := make([]bool, n+1)
	inf := math.Inf(1)
	// Column reduction (Jonker and Volgenant's first step): v[j] = min_i
	// c[i][j], column j given to its lowest minimising row when that row has
	// no column yet (columns in ascending order). With u = 0 every reduced
	// cost is >= 0 and the assigned ones are 0, the state the search keeps.
	rowCol := make([]int, n+1) // rowCol[i]: the column of row i (0: none)
	for j := 1; j <= n; j++ {
		best, bi := inf, 0
		for i := 1; i <= n; i++ {
			if cij := c[(i-1)*n+j-1]; cij < best {
				best, bi = cij, i
			}
		}
		if bi == 0 { // a NaN or +Inf column
			return nil, false
		}
		v[j] = best
		if rowCol[bi] == 0 {
			rowCol[bi], p[j] = j, bi
		}
	}
	for i := 1; i <= n; i++ {
		if rowCol[i] != 0 {
			continue // assigned by the column reduction
		}
		p[0] = i
		j0 := 0
		for j := range minv {
			minv[j], used[j] = inf, false
		}
		for {
			used[j0] = true
			i0 := p[j0]
			row := c[(i0-1)*n : i0*n]
			ui0 := u[i0]
			delta, j1 := inf, 0
			for j := 1; j <= n; j++ {
				if used[j] {
					continue
				}
				cur := (row[j-1] - ui0) - v[j]
				if cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			if j1 == 0 { // every cost NaN or infinite
				return nil, false
			}
			for j := 0; j <= n; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	col := make([]int, n)
	for j := 1; j <= n; j++ {
		col[p[j]-1] = j - 1
	}
	return col, true
}
