//go:build cudaemu

package emu

import (
	"math"
	"os"
	"sort"
	"strings"
	"testing"
)

// The kernels of kernels/*.cu that gen.go classifies sync-free (their
// blocks run without fibers); every other kernel needs fibers. A change of
// the kernels that moves one across is a change of this list.
var wantSyncFree = []string{
	"add_bias", "add_rows", "adamw", "adamw_dev", "axpy", "bias_gated_residual", "bias_gelu", "bias_silu", "cfm_interp", "drop_labels", "ema",
	"fill_normal", "fill_uniform", "gated_residual", "gather_rows", "gaussian_sample_bwd",
	"gelu", "gelu_bwd", "gemm_scale_c", "lincomb", "logit_normal", "scale", "scatter_add_rows",
	"silu", "silu_bwd", "timestep_embedding", "uniform_index",
	// kernels/step.cu: every kernel is per element (or one thread).
	"adamw_at", "drop_labels_at", "ema_at", "fill_normal_at", "fill_uniform_at", "logit_normal_at",
	"step_advance", "toy_batch_at", "uniform_index_at",
	// kernels/solver.cu: one thread each.
	"solver_tick", "solver_time", "dopri5_control", "dopri5_stage", "dopri5_time", "dopri5_accept",
	// kernels/coupling.cu: the cost matrix (ot_assign has barriers).
	"ot_cost",
}

func TestSyncFreeClassification(t *testing.T) {
	var got []string
	for _, name := range Names() {
		if kern(t, name).SyncFree() {
			got = append(got, name)
		}
	}
	sort.Strings(wantSyncFree)
	if strings.Join(got, " ") != strings.Join(wantSyncFree, " ") {
		t.Errorf("sync-free kernels:\n got  %v\n want %v", got, wantSyncFree)
	}
	// The test module: kernels with a barrier or collective are not sync-free.
	for name, want := range map[string]bool{"t_barrier": false, "t_no_barrier": true, "t_shfl_kinds": false,
		"t_collectives": false, "t_halves": false, "t_empty": true, "t_atomics": true, "t_order": true} {
		if got := kern(t, name).SyncFree(); got != want {
			t.Errorf("%s: SyncFree() = %v, want %v", name, got, want)
		}
	}
}

// A kernel wrongly classified sync-free that reaches a barrier or a warp
// collective fails the launch, naming the primitive and its site.
func TestMisclassified(t *testing.T) {
	SetFibers(false)
	defer resetFibers()
	for _, c := range []struct {
		name string
		args func() []Arg
		want string
	}{
		{"t_barrier", func() []Arg { return []Arg{P(alloc(t, 64)), I(32)} },
			"emu: t_barrier: classified sync-free but reached __syncthreads at testkernels.cu:10 (block (0,0,0), thread (0,0,0)); fix gen.go"},
		{"t_shfl_self", nil, "emu: t_shfl_self: classified sync-free but reached __shfl"},
		{"t_collectives", nil, "emu: t_collectives: classified sync-free but reached __"},
		{"reduce_sum", nil, "emu: reduce_sum: classified sync-free but reached __shfl_xor_sync at common.cuh:30"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := kern(t, c.name)
			var args []Arg
			if c.args != nil {
				args = c.args()
			} else {
				for _, kind := range k.Params() {
					switch kind {
					case 'p':
						args = append(args, P(alloc(t, 4096)))
					default:
						args = append(args, Arg{byte(kind), 32})
					}
				}
			}
			k.setSyncFree(true)
			defer k.setSyncFree(false)
			wantErr(t, Launch(k, d1(1), d1(32), 0, args), c.want)
		})
	}
}

// Sync-free blocks run their threads in the order a fiber scheduler would:
// forward, reverse and shuffle give the same results with and without
// fibers (t_order records the order; t_no_barrier's race depends on it).
func TestDirectMatchesFibers(t *testing.T) {
	SetWorkers(1)
	defer SetWorkers(0)
	defer resetFibers()
	withOrder(t, func(t *testing.T) {
		grid, block := Dim{3, 2, 1}, Dim{4, 3, 5}
		nt := 6 * 60
		out, ctr := alloc(t, nt), alloc(t, 1)
		race := alloc(t, 3*96)
		var res [2][]int32
		var raced [2][]float32
		for mode := 0; mode < 2; mode++ {
			SetFibers(mode == 1)
			zeros(t, ctr, 1)
			mustRun(t, "t_order", grid, block, 0, P(out), P(ctr))
			res[mode] = download[int32](t, out, nt)
			mustRun(t, "t_no_barrier", d1(3), d1(96), 96*4, P(race), I(96))
			raced[mode] = download[float32](t, race, 3*96)
		}
		for i := range res[0] {
			if res[0][i] != res[1][i] {
				t.Fatalf("t_order: thread %d ran %d-th without fibers, %d-th with", i, res[0][i], res[1][i])
			}
		}
		for i := range raced[0] {
			if math.Float32bits(raced[0][i]) != math.Float32bits(raced[1][i]) {
				t.Fatalf("t_no_barrier[%d]: %g without fibers, %g with", i, raced[0][i], raced[1][i])
			}
		}
	})
}

// Real kernels give bit-identical results with and without fibers (each
// order, several workers): philox, AdamW, gather and scatter of rows.
func TestDirectMatchesFibersKernels(t *testing.T) {
	defer resetFibers()
	const n, w, rows, N = 5000, 40, 37, 125 // N*w == n
	withOrder(t, func(t *testing.T) {
		var got [2][][]float32
		for mode := 0; mode < 2; mode++ {
			SetFibers(mode == 1)
			x, g, m, v, d, idx, errw := alloc(t, n), alloc(t, n), alloc(t, n), alloc(t, n), alloc(t, rows*w), alloc(t, N), alloc(t, 1)
			grid := d1(7)
			mustRun(t, "fill_normal", grid, d1(256), 0, P(x), I(n), UL(9), UL(3), Uu(1))
			mustRun(t, "fill_uniform", grid, d1(256), 0, P(g), I(n), UL(9), UL(4), Uu(2))
			zeros(t, m, n)
			zeros(t, v, n)
			for s := 0; s < 3; s++ {
				mustRun(t, "adamw", grid, d1(128), 0, P(x), P(g), P(m), P(v), I(n), F(0.9), F(0.999), F(1e-3), F(0.01),
					F(1e-8), F(1), F(0.1), F(0.001))
			}
			mustRun(t, "uniform_index", d1(1), d1(64), 0, P(idx), I(N), I(rows), UL(5), UL(6), Uu(7))
			zeros(t, d, rows*w)
			zeros(t, errw, 1)
			mustRun(t, "scatter_add_rows", d1(2), d1(32), 0, P(d), P(x), P(idx), I(N), I(w), I(rows), P(errw))
			mustRun(t, "gather_rows", grid, d1(96), 0, P(g), P(d), P(idx), I(n), I(w), I(rows), P(errw))
			for _, p := range []struct {
				p uint64
				n int
			}{{x, n}, {g, n}, {m, n}, {v, n}, {d, rows * w}, {errw, 1}} {
				got[mode] = append(got[mode], download[float32](t, p.p, p.n))
			}
		}
		for b := range got[0] {
			for i := range got[0][b] {
				if math.Float32bits(got[0][b][i]) != math.Float32bits(got[1][b][i]) {
					t.Fatalf("buffer %d [%d]: %g without fibers, %g with", b, i, got[0][b][i], got[1][b][i])
				}
			}
		}
	})
}

// resetFibers restores the default of SetFibers (LATENTFLOW_EMU_FIBERS).
func resetFibers() { SetFibers(os.Getenv("LATENTFLOW_EMU_FIBERS") == "1") }
