//go:build cudaemu

package emu

import (
	"slices"

	ptx "github.com/latentflow/latentflow/kernels"

	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"unsafe"
)

// ---- helpers

func alloc(t testing.TB, words int) uint64 {
	t.Helper()
	p, err := Malloc(int64(words) * 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Free(p) })
	return p
}

func upload[T any](t testing.TB, p uint64, src []T) {
	t.Helper()
	if len(src) == 0 {
		return
	}
	if err := CopyHtoD(p, unsafe.Pointer(&src[0]), int64(len(src))*int64(unsafe.Sizeof(src[0]))); err != nil {
		t.Fatal(err)
	}
}

func download[T any](t testing.TB, p uint64, n int) []T {
	t.Helper()
	out := make([]T, n)
	if err := CopyDtoH(unsafe.Pointer(&out[0]), p, int64(n)*int64(unsafe.Sizeof(out[0]))); err != nil {
		t.Fatal(err)
	}
	return out
}

func zeros(t testing.TB, p uint64, words int) {
	t.Helper()
	if err := MemsetD32(p, 0, int64(words)); err != nil {
		t.Fatal(err)
	}
}

func P(p uint64) Arg  { return Arg{'p', p} }
func I(v int) Arg     { return Arg{'i', uint64(uint32(int32(v)))} }
func Uu(v uint32) Arg { return Arg{'u', uint64(v)} }
func F(v float32) Arg { return Arg{'f', uint64(math.Float32bits(v))} }
func D(v float64) Arg { return Arg{'d', math.Float64bits(v)} }
func L(v int64) Arg   { return Arg{'l', uint64(v)} }
func UL(v uint64) Arg { return Arg{'U', v} }
func d1(x int) Dim    { return Dim{x, 1, 1} }
func kern(t testing.TB, name string) *Kernel {
	t.Helper()
	k, ok := Lookup(name)
	if !ok {
		t.Fatalf("kernel %s not in the table", name)
	}
	return k
}

func run(t testing.TB, name string, grid, block Dim, shared int, args ...Arg) error {
	t.Helper()
	return Launch(kern(t, name), grid, block, shared, args)
}

func mustRun(t testing.TB, name string, grid, block Dim, shared int, args ...Arg) {
	t.Helper()
	if err := run(t, name, grid, block, shared, args...); err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", subs)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not contain %q", err, s)
		}
	}
}

// withOrder runs f under each thread order, restoring forward afterwards.
func withOrder(t *testing.T, f func(t *testing.T)) {
	for _, o := range []struct {
		name string
		o    Order
	}{{"forward", Forward}, {"reverse", Reverse}, {"shuffle", Shuffle}} {
		t.Run(o.name, func(t *testing.T) {
			SetOrder(o.o, 42)
			defer SetOrder(Forward, 1)
			f(t)
		})
	}
}

// ---- the table

func TestTable(t *testing.T) {
	names := Names()
	// The table holds exactly the kernels of the embedded PTX.
	var want []string
	for _, mod := range ptx.Modules() {
		e, err := ptx.Entries(mod)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, e...)
	}
	sort.Strings(want)
	if !slices.Equal(names, want) {
		t.Errorf("the table's kernels %v, the PTX's %v", names, want)
	}
	if !sort.StringsAreSorted(names) {
		t.Error("Names is not sorted")
	}
	for _, n := range names {
		if strings.HasPrefix(n, "t_") {
			t.Errorf("Names lists the test kernel %s", n)
		}
	}
	for name, want := range map[string]string{
		"fill_uniform":  "piUUu",
		"logit_normal":  "piUUuff",
		"uniform_index": "piiUUu",
		"attn_fwd":      "ppppiiif",
		"reduce_sum":    "pppddipii",
		"lincomb":       "ppii" + "ffffffff" + "pppppppp",
		"softmax_ce":    "pppddipppii",
		"gemm_scale_c":  "piiiiif",
		"t_args":        "piufdlUp",
	} {
		if got := kern(t, name).Params(); got != want {
			t.Errorf("%s: Params %q, want %q", name, got, want)
		}
	}
	if k := kern(t, "attn_fwd"); k.Name() != "attn_fwd" || k.Module() != "attention" {
		t.Errorf("attn_fwd: Name %q Module %q", k.Name(), k.Module())
	}
}

// ---- barriers

func TestBarrier(t *testing.T) {
	withOrder(t, func(t *testing.T) {
		const n, blocks = 256, 5
		out := alloc(t, n*blocks)
		mustRun(t, "t_barrier", d1(blocks), d1(n), n*4, P(out), I(n))
		got := download[float32](t, out, n*blocks)
		for i, v := range got {
			if want := float32((i%n+1)%n + 1); v != want {
				t.Fatalf("out[%d] = %g, want %g", i, v, want)
			}
		}
	})
}

func TestStaticShared(t *testing.T) {
	withOrder(t, func(t *testing.T) {
		const n, blocks = 300, 7
		out := alloc(t, n*blocks)
		mustRun(t, "t_static_shared", d1(blocks), d1(n), 0, P(out))
		got := download[int32](t, out, n*blocks)
		for i, v := range got {
			j := (i%n + 1) % n
			if want := int32((n-1-j)*3 + 1); v != want {
				t.Fatalf("out[%d] = %d, want %d", i, v, want)
			}
		}
	})
}

// A kernel without its barrier reads shared memory before it is written in
// one order and after in the other.
func TestMissingBarrier(t *testing.T) {
	const n = 128
	out := alloc(t, n)
	res := map[Order][]float32{}
	for _, o := range []Order{Forward, Reverse} {
		SetOrder(o, 1)
		mustRun(t, "t_no_barrier", d1(1), d1(n), n*4, P(out), I(n))
		res[o] = download[float32](t, out, n)
	}
	SetOrder(Forward, 1)
	same := true
	for i := range res[Forward] {
		if math.Float32bits(res[Forward][i]) != math.Float32bits(res[Reverse][i]) {
			same = false
		}
	}
	if same {
		t.Fatal("forward and reverse orders give the same result for a kernel with a missing barrier")
	}
	if !math.IsNaN(float64(res[Forward][0])) || res[Reverse][0] != 2 {
		t.Errorf("out[0]: forward %g (want NaN: read before written), reverse %g (want 2)", res[Forward][0], res[Reverse][0])
	}
}

func TestDivergentBarrier(t *testing.T) {
	withOrder(t, func(t *testing.T) {
		wantErr(t, run(t, "t_exit_barrier", d1(2), d1(64), 0, I(3)), "emu: t_exit_barrier: block (0,0,0)", "exited", "__syncthreads", "testkernels.cu")
		wantErr(t, run(t, "t_two_barriers", d1(1), d1(64), 0), "divergent barriers", "testkernels.cu:")
		wantErr(t, run(t, "t_barrier_vs_shfl", d1(1), d1(32), 0, P(alloc(t, 32))), "__syncthreads", "__shfl_sync")
		// The worker recovers: a good launch afterwards.
		out := alloc(t, 64)
		mustRun(t, "t_barrier", d1(1), d1(64), 64*4, P(out), I(64))
	})
}

// ---- warp collectives

func TestShuffleErrors(t *testing.T) {
	withOrder(t, func(t *testing.T) {
		out := alloc(t, 64)
		wantErr(t, run(t, "t_shfl_exit", d1(1), d1(32), 0, P(out), I(5)), "thread (5,0,0) exited")
		// Forward: lanes 0..15 finish their half-warp shuffle and exit, then the
		// full-mask lanes wait for them; reverse: the masks meet (mismatch).
		wantErr(t, run(t, "t_shfl_masks", d1(1), d1(32), 0, P(out)), "__shfl_sync", "0xffffffff")
		wantErr(t, run(t, "t_shfl_self", d1(1), d1(32), 0, P(out)), "does not name it")
		wantErr(t, run(t, "t_shfl_kinds", d1(1), d1(32), 0, P(out)), "mismatch", "__shfl_xor_sync", "__shfl_down_sync")
		// A full-mask shuffle in a partial warp: lanes 8..31 do not exist.
		wantErr(t, run(t, "t_shfl_exit", d1(1), d1(40), 0, P(out), I(-1)), "beyond the block's threads")
	})
}

func TestCollectives(t *testing.T) {
	withOrder(t, func(t *testing.T) {
		const n = 64
		out, fout, dout, lout := alloc(t, 12*n), alloc(t, n), alloc(t, 2*n), alloc(t, 2*n)
		mustRun(t, "t_collectives", d1(1), d1(n), 0, P(out), P(fout), P(dout), P(lout))
		got := download[int32](t, out, 12*n)
		fg := download[float32](t, fout, n)
		dg := download[float64](t, dout, n)
		lg := download[int64](t, lout, n)
		for tid := 0; tid < n; tid++ {
			lane, base := tid&31, tid&^31
			seg8 := lane &^ 7
			up := func(d, w int) int {
				if lane-d < lane&^(w-1) {
					return tid
				}
				return tid - d
			}
			down := tid + 3
			if lane+3 >= 32 {
				down = tid
			}
			want := []int32{
				int32(base + 5), int32(up(3, 32)), int32(down), int32(base + lane ^ 6),
				int32(base + seg8 + 2), int32(up(1, 8)), int32(base + lane ^ 5),
				int32(-1431655766), 1, 1, 0, 496,
			}
			for i, w := range want {
				if g := got[tid*12+i]; g != w {
					t.Errorf("thread %d result %d: %d, want %d", tid, i, g, w)
				}
			}
			if fg[tid] != 248 {
				t.Errorf("warp_sum: thread %d: %g, want 248", tid, fg[tid])
			}
			wd := float64(tid+1) + 0.25
			if lane == 31 {
				wd = float64(tid) + 0.25
			}
			if dg[tid] != wd {
				t.Errorf("double shfl_down: thread %d: %g, want %g", tid, dg[tid], wd)
			}
			if lg[tid] != int64(tid^1)<<40 {
				t.Errorf("long long shfl_xor: thread %d: %d", tid, lg[tid])
			}
		}
		mustRun(t, "t_halves", d1(1), d1(32), 0, P(out))
		h := download[int32](t, out, 32)
		for l, v := range h {
			w := int32(30)
			if l >= 16 {
				w = 200
			}
			if v != w {
				t.Errorf("half-warp shuffles: lane %d: %d, want %d", l, v, w)
			}
		}
	})
}

// ---- atomics

func TestAtomics(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			SetWorkers(workers)
			defer SetWorkers(0)
			const blocks, threads = 97, 256
			f, d, i, u, ull, mx := alloc(t, 1), alloc(t, 2), alloc(t, 1), alloc(t, 1), alloc(t, 2), alloc(t, 5)
			for _, p := range []uint64{f, i, u} {
				zeros(t, p, 1)
			}
			zeros(t, d, 2)
			zeros(t, ull, 2)
			zeros(t, mx, 5)
			mustRun(t, "t_atomics", d1(blocks), d1(threads), 0, P(f), P(d), P(i), P(u), P(ull), P(mx))
			total := blocks * threads
			if g := download[float32](t, f, 1)[0]; g != float32(total) {
				t.Errorf("float atomicAdd: %g, want %d", g, total)
			}
			if g := download[float64](t, d, 1)[0]; g != float64(total)/2 {
				t.Errorf("double atomicAdd: %g", g)
			}
			if g := download[int32](t, i, 1)[0]; g != int32(2*total) {
				t.Errorf("int atomicAdd: %d", g)
			}
			if g := download[uint32](t, u, 1)[0]; g != uint32(3*total) {
				t.Errorf("unsigned atomicAdd: %d", g)
			}
			if g := download[uint64](t, ull, 1)[0]; g != uint64(total)<<33 {
				t.Errorf("ull atomicAdd: %d", g)
			}
			m := download[int32](t, mx, 5)
			if m[0] != int32(total-1) || m[1] != -int32(total-1) || uint32(m[2]) != 0xffffffff || m[3] != 7 || m[4] != 9 {
				t.Errorf("atomicMax/Min/Or/CAS/Exch: %v", m)
			}
		})
	}
}

// ---- shared memory

func TestCanary(t *testing.T) {
	const shared = 1024
	mustRun(t, "t_overrun", d1(3), d1(32), shared, I(shared/4-1))
	wantErr(t, run(t, "t_overrun", d1(3), d1(32), shared, I(shared/4)), "emu: t_overrun: block (0,0,0)", "overrun", "byte 0")
	wantErr(t, run(t, "t_overrun", d1(1), d1(32), 0, I(10)), "overrun", "byte 40 past the 0 bytes")
}

func TestSharedFillAndAlias(t *testing.T) {
	const n = 64
	out := alloc(t, 2*n)
	mustRun(t, "t_shared_view", d1(1), d1(n), n*4, P(out))
	got := download[uint32](t, out, 2*n)
	for i := 0; i < n; i++ {
		if got[i] != 0x7fffffff {
			t.Fatalf("dynamic shared word %d = %#x before any write, want the NaN fill 0x7fffffff", i, got[i])
		}
		if got[n+i] != 0x3f800000 {
			t.Fatalf("tsu[0] after tsm[0] = 1: %#x (the extern __shared__ names do not alias)", got[n+i])
		}
	}
}

// ---- launch checks

func TestLaunchChecks(t *testing.T) {
	out := alloc(t, 1024)
	k := kern(t, "t_barrier")
	for _, c := range []struct {
		grid, block Dim
		shared      int
		args        []Arg
		want        string
	}{
		{d1(1), d1(1025), 0, []Arg{P(out), I(1)}, "block (1025,1,1)"},
		{d1(1), Dim{1, 1, 65}, 0, []Arg{P(out), I(1)}, "block (1,1,65)"},
		{d1(1), Dim{32, 33, 1}, 0, []Arg{P(out), I(1)}, "at most 1024 threads"},
		{Dim{1, 65536, 1}, d1(1), 0, []Arg{P(out), I(1)}, "grid (1,65536,1)"},
		{Dim{1, 1, 65536}, d1(1), 0, []Arg{P(out), I(1)}, "grid (1,1,65536)"},
		{Dim{1 << 31, 1, 1}, d1(1), 0, []Arg{P(out), I(1)}, "grid (2147483648,1,1)"},
		{Dim{0, 1, 1}, d1(1), 0, []Arg{P(out), I(1)}, "zero"},
		{d1(1), Dim{1, 0, 1}, 0, []Arg{P(out), I(1)}, "zero"},
		{d1(1), d1(32), 49 << 10, []Arg{P(out), I(1)}, "50176 bytes of dynamic shared memory"},
		{d1(1), d1(32), 0, []Arg{P(out)}, "1 arguments for 2 parameters (pi)"},
		{d1(1), d1(32), 0, []Arg{P(out), I(1), I(2)}, "3 arguments"},
		{d1(1), d1(32), 0, []Arg{P(out), F(1)}, "argument 1 is of kind 'f', parameter 1 is 'i'"},
		{d1(1), d1(32), 0, []Arg{I(1), I(1)}, "argument 0 is of kind 'i'"},
		{d1(1), d1(32), 0, []Arg{P(12345), I(1)}, "not 0 and not inside a live allocation"},
	} {
		wantErr(t, Launch(k, c.grid, c.block, c.shared, c.args), "emu: t_barrier: ", c.want)
	}
	// Nothing ran: out still holds the allocation's fill.
	if got := download[uint32](t, out, 1)[0]; got != 0x7fffffff {
		t.Fatalf("a rejected launch wrote %#x", got)
	}
	// The attribute raises the limit for that kernel only.
	big := 100 << 10
	kb := kern(t, "t_overrun")
	wantErr(t, Launch(kb, d1(1), d1(32), big, []Arg{I(0)}), "beyond the kernel's limit of 49152")
	if err := SetMaxDynamicShared(kb, big); err != nil {
		t.Fatal(err)
	}
	defer SetMaxDynamicShared(kb, DefaultDynamicShared)
	if err := Launch(kb, d1(1), d1(32), big, []Arg{I(big/4 - 1)}); err != nil {
		t.Fatal(err)
	}
	if err := SetMaxDynamicShared(kb, MaxDynamicShared+1); err == nil {
		t.Fatal("SetMaxDynamicShared beyond 227 KB accepted")
	}
	if err := Launch(kb, d1(1), d1(32), MaxDynamicShared+1, []Arg{I(0)}); err == nil {
		t.Fatal("launch beyond 227 KB accepted")
	}
}

func TestArgsAndIDs(t *testing.T) {
	out := alloc(t, 16)
	mustRun(t, "t_args", d1(1), Dim{2, 3, 4}, 0, P(out), I(-7), Uu(0xfffffff0), F(-1.5), D(math.Pi), L(-1<<40), UL(1<<63|5), P(0))
	got := download[uint64](t, out, 8)
	want := []uint64{uint64(1<<64 - 7), 0xfffffff0, uint64(math.Float32bits(-1.5)), math.Float64bits(math.Pi),
		uint64(1<<64 - 1<<40), 1<<63 | 5, 0, 2 + 3000 + 4000000}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("slot %d: %#x, want %#x", i, got[i], want[i])
		}
	}
	// A 4-byte kind reads only the low half of its slot.
	mustRun(t, "t_args", d1(1), d1(1), 0, P(out), Arg{'i', 0xdeadbeef00000003}, Uu(1), F(0), D(0), L(0), UL(0), P(0))
	if g := download[uint64](t, out, 1)[0]; g != 3 {
		t.Errorf("int from a slot with high bits: %#x, want 3", g)
	}
	grid, block := Dim{3, 2, 2}, Dim{4, 3, 2}
	ids := alloc(t, 12*24)
	mustRun(t, "t_ids", grid, block, 0, P(ids))
	g := download[int32](t, ids, 12*24)
	i := 0
	for bz := 0; bz < 2; bz++ {
		for by := 0; by < 2; by++ {
			for bx := 0; bx < 3; bx++ {
				for tz := 0; tz < 2; tz++ {
					for ty := 0; ty < 3; ty++ {
						for tx := 0; tx < 4; tx++ {
							w := int32(bz<<24 | by<<16 | bx<<8 | tz<<6 | ty<<3 | tx)
							if g[i] != w {
								t.Fatalf("ids[%d] = %#x, want %#x", i, g[i], w)
							}
							i++
						}
					}
				}
			}
		}
	}
}

// ---- memory

func TestMemory(t *testing.T) {
	free0, total := MemInfo()
	if total != TotalMemory {
		t.Errorf("total %d", total)
	}
	p, err := Malloc(1000)
	if err != nil {
		t.Fatal(err)
	}
	if p%256 != 0 {
		t.Errorf("allocation %#x not 256-byte aligned", p)
	}
	if free1, _ := MemInfo(); free1 != free0-1000 {
		t.Errorf("free %d after Malloc(1000), was %d", free1, free0)
	}
	if err := MemsetD32(p, 0x01020304, 250); err != nil {
		t.Fatal(err)
	}
	if g := download[uint32](t, p, 250); g[0] != 0x01020304 || g[249] != 0x01020304 {
		t.Errorf("MemsetD32: %#x %#x", g[0], g[249])
	}
	src := []float32{1, 2, 3, 4}
	upload(t, p+16, src)
	if err := CopyDtoD(p+100, p+16, 16); err != nil {
		t.Fatal(err)
	}
	if g := download[float32](t, p+100, 4); g[3] != 4 {
		t.Errorf("CopyDtoD: %v", g)
	}
	wantErr(t, MemsetD32(p, 0, 251), "MemsetD32", "not inside one live allocation")
	wantErr(t, CopyHtoD(p+996, unsafe.Pointer(&src[0]), 8), "CopyHtoD")
	var buf [8]byte
	wantErr(t, CopyDtoH(unsafe.Pointer(&buf[0]), p-8, 8), "CopyDtoH")
	wantErr(t, CopyDtoD(p, p+999, 2), "CopyDtoD (source)")
	wantErr(t, CopyDtoD(p+999, p, 2), "CopyDtoD (destination)")
	if err := CopyDtoD(p+1000, p, 0); err != nil {
		t.Errorf("empty copy at the end: %v", err)
	}
	if err := Free(p); err != nil {
		t.Fatal(err)
	}
	wantErr(t, Free(p), "not a live allocation")
	wantErr(t, Free(12345), "not a live allocation")
	wantErr(t, MemsetD32(p, 0, 1), "not inside one live allocation")
	if _, err := Malloc(0); err == nil {
		t.Error("Malloc(0) accepted")
	}
	if _, err := Malloc(TotalMemory + 1); err == nil {
		t.Error("Malloc beyond the total accepted")
	}
	if free2, _ := MemInfo(); free2 != free0 {
		t.Errorf("free %d after Free, was %d", free2, free0)
	}
}
