//go:build cudaemu

package emu

/*
#cgo CXXFLAGS: -std=c++20 -O2 -Wno-unknown-pragmas -I${SRCDIR} -I${SRCDIR}/../../kernels
#cgo LDFLAGS: -lstdc++ -lpthread -lm
#include <stdlib.h>
#include "emu_api.h"
*/
import "C"

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"sync"
	"unsafe"
)

// Limits of the emulated device (those of an sm_90 GPU).
const (
	// MaxDynamicShared is the most dynamic shared memory SetMaxDynamicShared allows.
	MaxDynamicShared = C.EMU_MAX_DYN_SHARED
	// DefaultDynamicShared is a kernel's limit until SetMaxDynamicShared raises it.
	DefaultDynamicShared = 48 << 10
	// CanaryBytes of canary follow a launch's dynamic shared memory.
	CanaryBytes = C.EMU_CANARY_BYTES
	// TotalMemory is the emulated device memory MemInfo reports.
	TotalMemory = 80 << 30
)

// Malloc returns a device allocation of bytes: host memory, 256-byte
// aligned, filled with the word 0x7fffffff (a NaN as float32 and float64).
func Malloc(bytes int64) (uint64, error) {
	if bytes <= 0 {
		return 0, fmt.Errorf("emu: Malloc(%d): size must be positive", bytes)
	}
	if free, _ := MemInfo(); bytes > free {
		return 0, fmt.Errorf("emu: Malloc(%d): out of memory (%d bytes free)", bytes, free)
	}
	p := uint64(C.emu_malloc(C.int64_t(bytes)))
	if p == 0 {
		return 0, fmt.Errorf("emu: Malloc(%d): host allocation failed", bytes)
	}
	return p, nil
}

// Free releases an allocation of Malloc; an unknown or already freed pointer
// is an error.
func Free(p uint64) error {
	if C.emu_free(C.uint64_t(p)) != 0 {
		return fmt.Errorf("emu: Free(%#x): not a live allocation", p)
	}
	return nil
}

// MemInfo reports TotalMemory minus the live bytes, and TotalMemory.
func MemInfo() (free, total int64) {
	return TotalMemory - int64(C.emu_live_bytes()), TotalMemory
}

func checkRange(op string, p uint64, bytes int64) error {
	if bytes < 0 {
		return fmt.Errorf("emu: %s: negative size %d", op, bytes)
	}
	if C.emu_check_range(C.uint64_t(p), C.int64_t(bytes)) != 0 {
		return fmt.Errorf("emu: %s: device range [%#x, %#x) is not inside one live allocation", op, p, p+uint64(bytes))
	}
	return nil
}

// MemsetD32 sets n 32-bit words at p to v.
func MemsetD32(p uint64, v uint32, n int64) error {
	if n < 0 {
		return fmt.Errorf("emu: MemsetD32: negative count %d", n)
	}
	if err := checkRange("MemsetD32", p, 4*n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	C.emu_memset32(C.uint64_t(p), C.uint32_t(v), C.int64_t(n))
	return nil
}

// CopyHtoD copies bytes from host memory src to device memory dst.
func CopyHtoD(dst uint64, src unsafe.Pointer, bytes int64) error {
	if err := checkRange("CopyHtoD", dst, bytes); err != nil {
		return err
	}
	if bytes > 0 {
		C.emu_copy_hd(C.uint64_t(dst), src, C.int64_t(bytes))
	}
	return nil
}

// CopyDtoH copies bytes from device memory src to host memory dst.
func CopyDtoH(dst unsafe.Pointer, src uint64, bytes int64) error {
	if err := checkRange("CopyDtoH", src, bytes); err != nil {
		return err
	}
	if bytes > 0 {
		C.emu_copy_dh(dst, C.uint64_t(src), C.int64_t(bytes))
	}
	return nil
}

// CopyDtoD copies bytes between device ranges (they may overlap).
func CopyDtoD(dst, src uint64, bytes int64) error {
	if err := checkRange("CopyDtoD (source)", src, bytes); err != nil {
		return err
	}
	if err := checkRange("CopyDtoD (destination)", dst, bytes); err != nil {
		return err
	}
	if bytes > 0 {
		C.emu_copy_dd(C.uint64_t(dst), C.uint64_t(src), C.int64_t(bytes))
	}
	return nil
}

// Kernel is one kernel of the table.
type Kernel struct {
	idx       C.int
	name      string
	module    string
	params    string
	test      bool
	maxShared int // guarded by mu
}

// Name returns the kernel's name (its extern "C" name).
func (k *Kernel) Name() string { return k.name }

// Module returns the kernel's module: the .cu file's name without extension.
func (k *Kernel) Module() string { return k.module }

// SyncFree reports whether gen.go classified the kernel sync-free: it
// reaches no __syncthreads or warp collective, so its blocks run as plain
// loops of calls, not fibers (unless SetFibers(true)).
func (k *Kernel) SyncFree() bool { return C.emu_kernel_sync_free(k.idx) != 0 }

// setSyncFree overrides the classification (tests: a misclassified kernel).
func (k *Kernel) setSyncFree(v bool) { C.emu_set_kernel_sync_free(k.idx, cbool(v)) }

// SetFibers(true) runs every kernel's threads as fibers, the sync-free ones
// too (the default comes from LATENTFLOW_EMU_FIBERS=1).
func SetFibers(on bool) { C.emu_set_fibers(cbool(on)) }

// Params returns the parameter kinds deduced from the kernel's C++ type:
// p pointer, i int, u unsigned, f float, d double, l long long, U unsigned long long.
func (k *Kernel) Params() string { return k.params }

var (
	mu      sync.Mutex
	kernels = map[string]*Kernel{}
	names   []string // sorted, without the test module
)

func init() {
	n := int(C.emu_kernel_count())
	for i := 0; i < n; i++ {
		k := &Kernel{
			idx:       C.int(i),
			name:      C.GoString(C.emu_kernel_name(C.int(i))),
			module:    C.GoString(C.emu_kernel_module(C.int(i))),
			params:    C.GoString(C.emu_kernel_params(C.int(i))),
			test:      C.emu_kernel_test(C.int(i)) != 0,
			maxShared: DefaultDynamicShared,
		}
		kernels[k.name] = k
		if !k.test {
			names = append(names, k.name)
		}
	}
	sort.Strings(names)
	o, seed := Forward, uint64(1)
	switch v := os.Getenv("LATENTFLOW_EMU_ORDER"); v {
	case "", "forward":
	case "reverse":
		o = Reverse
	case "shuffle":
		o = Shuffle
	default:
		fmt.Fprintf(os.Stderr, "emu: LATENTFLOW_EMU_ORDER=%q is not forward, reverse or shuffle; using forward\n", v)
	}
	if v := os.Getenv("LATENTFLOW_EMU_SEED"); v != "" {
		if s, err := strconv.ParseUint(v, 0, 64); err == nil {
			seed = s
		}
	}
	SetOrder(o, seed)
	SetFibers(os.Getenv("LATENTFLOW_EMU_FIBERS") == "1")
}

// Lookup returns the kernel called name (the test module's kernels included).
func Lookup(name string) (*Kernel, bool) {
	k, ok := kernels[name]
	return k, ok
}

// Names returns the name of every kernel of kernels/*.cu, sorted (not the
// test module's).
func Names() []string { return append([]string(nil), names...) }

// SetMaxDynamicShared allows launches of k with up to bytes of dynamic shared
// memory (cuFuncSetAttribute, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES).
func SetMaxDynamicShared(k *Kernel, bytes int) error {
	if bytes < 0 || bytes > MaxDynamicShared {
		return fmt.Errorf("emu: %s: SetMaxDynamicShared(%d): beyond the device's %d bytes", k.name, bytes, MaxDynamicShared)
	}
	mu.Lock()
	k.maxShared = bytes
	mu.Unlock()
	return nil
}

// Arg is one kernel argument: its kind (as in Params) and its 8-byte slot.
type Arg struct {
	Kind byte
	Bits uint64
}

// Dim is a grid or block shape.
type Dim struct{ X, Y, Z int }

// Launch runs the kernel over the grid and returns when every block has
// finished. Any check failure (launch limits, argument count/kinds, pointer
// arguments outside live allocations, barrier/shuffle divergence, deadlock,
// canary overwrite) is returned as an error "emu: KERNEL: ..." naming the
// block and threads where relevant; nothing runs if a pre-launch check fails.
func Launch(k *Kernel, grid, block Dim, shared int, args []Arg) error {
	if err := k.check(grid, block, shared, args); err != nil {
		return fmt.Errorf("emu: %s: %v", k.name, err)
	}
	slots := make([]C.uint64_t, len(args)+1) // +1: never empty
	for i, a := range args {
		slots[i] = C.uint64_t(a.Bits)
	}
	g := [3]C.int{C.int(grid.X), C.int(grid.Y), C.int(grid.Z)}
	b := [3]C.int{C.int(block.X), C.int(block.Y), C.int(block.Z)}
	var msg [1024]C.char
	if C.emu_launch(k.idx, &g[0], &b[0], C.int(shared), &slots[0], C.int(len(args)), &msg[0], C.int(len(msg))) != 0 {
		return fmt.Errorf("emu: %s: %s", k.name, C.GoString(&msg[0]))
	}
	return nil
}

func (k *Kernel) check(grid, block Dim, shared int, args []Arg) error {
	if block.X < 1 || block.Y < 1 || block.Z < 1 || grid.X < 1 || grid.Y < 1 || grid.Z < 1 {
		return fmt.Errorf("grid (%d,%d,%d), block (%d,%d,%d): a dimension is zero or negative",
			grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z)
	}
	if block.X > 1024 || block.Y > 1024 || block.Z > 64 || block.X*block.Y*block.Z > 1024 {
		return fmt.Errorf("block (%d,%d,%d): beyond the limits (x, y <= 1024, z <= 64, at most 1024 threads)",
			block.X, block.Y, block.Z)
	}
	if grid.X > math.MaxInt32 || grid.Y > 65535 || grid.Z > 65535 {
		return fmt.Errorf("grid (%d,%d,%d): beyond the limits (x < 2^31, y, z <= 65535)", grid.X, grid.Y, grid.Z)
	}
	mu.Lock()
	max := k.maxShared
	mu.Unlock()
	if shared < 0 || shared > max {
		return fmt.Errorf("%d bytes of dynamic shared memory: beyond the kernel's limit of %d (SetMaxDynamicShared raises it up to %d)",
			shared, max, MaxDynamicShared)
	}
	if len(args) != len(k.params) {
		return fmt.Errorf("%d arguments for %d parameters (%s)", len(args), len(k.params), k.params)
	}
	for i, a := range args {
		if a.Kind != k.params[i] {
			return fmt.Errorf("argument %d is of kind %q, parameter %d is %q (parameters %s)", i, a.Kind, i, k.params[i], k.params)
		}
		if a.Kind == 'p' && C.emu_check_pointer(C.uint64_t(a.Bits)) != 0 {
			return fmt.Errorf("argument %d = %#x is not 0 and not inside a live allocation", i, a.Bits)
		}
	}
	return nil
}

// Order is the order in which a block's threads start, and restart after
// each barrier: a kernel with a missing barrier gives different results in
// different orders.
type Order int

// The orders.
const (
	Forward Order = iota
	Reverse
	Shuffle // a permutation drawn from the seed, the block and the barrier count
)

// SetOrder sets the thread order within blocks (the default comes from
// LATENTFLOW_EMU_ORDER = forward, reverse or shuffle, and LATENTFLOW_EMU_SEED;
// forward if unset).
func SetOrder(o Order, seed uint64) { C.emu_set_order(C.int(o), C.uint64_t(seed)) }

// Workers returns the number of OS threads a launch spreads its blocks over
// (the default is the hardware threads, or LATENTFLOW_EMU_WORKERS).
func Workers() int { return int(C.emu_workers()) }

// SetWorkers sets the number of worker threads (n < 1: the default).
func SetWorkers(n int) { C.emu_set_workers(C.int(n)) }

// Gemm is cublasGemmStridedBatchedEx on fp32 data (column-major contract):
// C_b = alpha op(A_b) op(B_b) + beta C_b for b < batch, C_b m x n, op(A_b)
// m x k. transA/transB: false = CUBLAS_OP_N. mode: 0 fp32, 1 tf32, 2 bf16
// (inputs rounded, fp32 accumulation). beta == 0 does not read C. It returns a
// cuBLAS status: 0 success, 7 invalid value (as cuBLAS validates), or 13
// (execution failed) when a matrix lies outside the live allocations.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a uint64, lda int, strideA int64, b uint64, ldb int, strideB int64, beta float32, c uint64, ldc int, strideC int64, batch int, mode int) int {
	for _, v := range []int{m, n, k, lda, ldb, ldc, batch} {
		if v > math.MaxInt32 {
			return 7
		}
	}
	return int(C.emu_gemm(cbool(transA), cbool(transB), C.int(m), C.int(n), C.int(k), C.float(alpha),
		C.uint64_t(a), C.int(lda), C.int64_t(strideA), C.uint64_t(b), C.int(ldb), C.int64_t(strideB),
		C.float(beta), C.uint64_t(c), C.int(ldc), C.int64_t(strideC), C.int(batch), C.int(mode)))
}

func cbool(v bool) C.int {
	if v {
		return 1
	}
	return 0
}
