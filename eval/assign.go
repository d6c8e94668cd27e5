package eval

import "math"

// assignment solves the linear assignment problem for the n x n row-major
// cost matrix c: it returns x, a permutation with x[i] the column of row i,
// minimising sum_i c[i*n+x[i]].
//
// It is the shortest augmenting path method of Jonker and Volgenant ("A
// shortest augmenting path algorithm for dense and sparse linear assignment
// problems", Computing 38, 1987), O(n^3) in the worst case:
//
//  1. column reduction: v[j] = min_i c[i][j], column j assigned to its
//     minimising row when that row is still free;
//  2. reduction transfer: a row i assigned once (to j1) lowers v[j1] by its
//     second smallest reduced cost, so that row keeps j1 at zero slack while
//     its own dual u[i] grows;
//  3. augmenting row reduction (two passes): a free row takes its cheapest
//     column, lowering that column's price to its second cheapest, and the
//     row it displaces is processed next;
//  4. augmentation: for each row still free, Dijkstra's algorithm on the
//     reduced costs c[i][j] - u[i] - v[j] >= 0 finds a shortest path to a
//     free column; the prices of the columns it finalised move by their
//     distance, and the assignment is flipped along the path.
//
// Throughout, an assigned row i has x[i] = argmin_j c[i][j] - v[j] (u[i] is
// that minimum, never stored); this is the dual feasibility that makes the
// result optimal. A distance that rounding puts below the current minimum
// of a Dijkstra search is treated as equal to it.
func assignment(c []float64, n int) []int {
	if len(c) != n*n {
		panic("eval: assignment cost matrix is not n x n")
	}
	x := make([]int, n) // row -> column, -1 when free
	y := make([]int, n) // column -> row, -1 when free
	for i := range x {
		x[i], y[i] = -1, -1
	}
	if n <= 1 {
		if n == 1 {
			x[0] = 0
		}
		return x
	}
	v := make([]float64, n) // column duals (prices)

	// 1. Column reduction, reading rows in order (the matrix is row-major).
	argmin := make([]int, n)
	copy(v, c[:n])
	for i := 1; i < n; i++ {
		row := c[i*n : i*n+n]
		for j, cij := range row {
			if cij < v[j] {
				v[j], argmin[j] = cij, i
			}
		}
	}
	matches := make([]int, n)
	for j := n - 1; j >= 0; j-- {
		i := argmin[j]
		matches[i]++
		if matches[i] == 1 {
			x[i], y[j] = j, i
		}
	}

	// 2. Reduction transfer from rows assigned once; rows never chosen are free.
	free := make([]int, 0, n)
	for i := 0; i < n; i++ {
		switch matches[i] {
		case 0:
			free = append(free, i)
		case 1:
			j1 := x[i]
			m := math.Inf(1)
			row := c[i*n : i*n+n]
			for j, cij := range row {
				if j != j1 {
					m = min(m, cij-v[j])
				}
			}
			v[j1] -= m
		}
	}

	// 3. Augmenting row reduction, two passes. A pass is cut short after
	// about 2n row visits of O(n) each (floating-point ties can make the
	// price decrements tiny, and on 2D point sets longer passes were seen to
	// leave fewer free rows but not to shorten step 4); the rows left are
	// augmented in step 4.
	todo := make([]int, 0, n)
	for pass := 0; pass < 2 && len(free) > 0; pass++ {
		todo, free = free, todo[:0]
		budget := n + len(todo)
		for k := 0; k < len(todo); {
			if budget == 0 {
				free = append(free, todo[k:]...)
				break
			}
			budget--
			i := todo[k]
			k++
			row := c[i*n : i*n+n]
			// Smallest (u1 at j1) and second smallest (u2 at j2) reduced cost.
			u1, u2 := math.Inf(1), math.Inf(1)
			j1, j2 := -1, -1
			for j, cij := range row {
				h := cij - v[j]
				if h < u2 {
					if h >= u1 {
						u2, j2 = h, j
					} else {
						u2, j2 = u1, j1
						u1, j1 = h, j
					}
				}
			}
			i0 := y[j1]
			if u1 < u2 {
				v[j1] -= u2 - u1
			} else if i0 >= 0 {
				j1 = j2
				i0 = y[j1]
			}
			x[i], y[j1] = j1, i
			if i0 >= 0 {
				x[i0] = -1
				if u1 < u2 {
					k--
					todo[k] = i0 // displaced by a strict improvement: next
				} else {
					free = append(free, i0)
				}
			}
		}
	}

	// 4. Augmentation by shortest paths. The columns are kept in an order
	// cols of three parts: [0,low) finalised, [low,up) at the current
	// smallest distance dmin and not yet scanned, [up,n) open. A column's
	// distance, price and predecessor are kept at its position (d, pv, pp),
	// so the inner loop reads the cost row as its only scattered access.
	cols := make([]int, n)
	d := make([]float64, n)  // d[k]: distance from the free row to column cols[k]
	pv := make([]float64, n) // pv[k] = v[cols[k]]
	pp := make([]int, n)     // pp[k]: row before column cols[k] on the shortest path
	pred := make([]int, n)   // pred[j]: the same by column, for the final walk
	for _, f := range free { // each free row in turn
		rowf := c[f*n : f*n+n]
		for j := range cols {
			cols[j] = j
			pv[j] = v[j]
			d[j] = rowf[j] - v[j]
			pp[j] = f
		}
		d, pv, pp := d[:len(cols)], pv[:len(cols)], pp[:len(cols)]
		low, up := 0, 0
		end := -1 // free column reached
		var dmin float64
		// collect moves the open columns with d <= dmin to [low, up); it
		// reports the first free one among them, or -1.
		collect := func() int {
			for k := up; k < n; k++ {
				if d[k] <= dmin {
					if y[cols[k]] < 0 {
						return cols[k]
					}
					cols[k], cols[up] = cols[up], cols[k]
					d[k], d[up] = d[up], d[k]
					pv[k], pv[up] = pv[up], pv[k]
					pp[k], pp[up] = pp[up], pp[k]
					up++
				}
			}
			return -1
		}
		for end < 0 {
			if up == low {
				dmin = math.Inf(1)
				for _, h := range d[up:] {
					dmin = min(dmin, h)
				}
				if end = collect(); end >= 0 {
					break
				}
			}
			// Scan the row assigned to the next column at distance dmin.
			// Open columns all have d > dmin, so a column it brings to
			// dmin or below joins [low, up), or ends the path if free.
			j1 := cols[low]
			i := y[j1]
			row := c[i*n : i*n+n]
			h := row[j1] - pv[low] - dmin // -u[i] shifted by the distance to j1
			low++
			for k := up; k < len(cols); k++ {
				if dk := row[cols[k]] - pv[k] - h; dk < d[k] {
					d[k], pp[k] = dk, i
					if dk <= dmin { // a new column at the current distance
						if y[cols[k]] < 0 {
							end = cols[k]
							break
						}
						cols[k], cols[up] = cols[up], cols[k]
						d[k], d[up] = d[up], d[k]
						pv[k], pv[up] = pv[up], pv[k]
						pp[k], pp[up] = pp[up], pp[k]
						up++
					}
				}
			}
		}
		for k := range cols {
			pred[cols[k]] = pp[k]
		}
		// Columns finalised before dmin move their price by the difference.
		for k := 0; k < low; k++ {
			v[cols[k]] += d[k] - dmin
		}
		// Flip the assignment along the path from end back to f.
		for j := end; ; {
			i := pred[j]
			y[j] = i
			j, x[i] = x[i], j
			if i == f {
				break
			}
		}
	}
	return x
}
