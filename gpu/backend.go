//go:build cuda || cudaemu

package gpu

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/kernels"
)

// Sizes shared with kernels/common.cuh.
const (
	redThreads   = 256  // RED_THREADS
	redMaxBlocks = 1024 // RED_MAX_BLOCKS
	colGroups    = 8    // COL_GROUPS
	errGather    = 1    // ERR_GATHER_INDEX
	stageFloats  = 4 << 20
	// blasWorkspace is the cuBLAS workspace set at New (cublasSetWorkspace):
	// with it cuBLAS never allocates in a GEMM, as stream capture requires.
	// 32 MiB is cuBLAS's recommendation for Hopper (4 MiB before).
	blasWorkspace = 32 << 20
)

// Options configure New.
type Options struct {
	Device int  // CUDA device ordinal
	Math   Math // how Gemm multiplies (zero value: TF32 tensor ops)
	// ScalarAttention runs Attention and AttentionBackward on attention.cu's
	// scalar fp32 kernels in every math mode (by default TF32 and bf16 use
	// the tensor-core kernels): for finite-difference checks of a TF32
	// forward pass, which TF32-rounded probabilities make too noisy.
	ScalarAttention bool
}

// Backend is the CUDA backend. Create it with New; see the package
// documentation for its threading and error rules.
type Backend struct {
	mu         sync.Mutex
	drv        driver
	fns        map[string]kernelFn
	math       Math
	scalarAttn bool // Options.ScalarAttention
	name       string
	stage      unsafe.Pointer // stageFloats floats of host staging for Upload and Download
	part       devptr         // redMaxBlocks float64 partial sums
	redTicket  devptr         // the reductions' ticket (uint32, zero between launches)
	scalar     devptr         // one float32 (scalar reductions)
	errw       devptr         // the device error word (uint32)
	delta      *Buf           // attention backward: dout . out per row (grown)
	colPart    *Buf           // column sums: float64 partials per row block (grown)
	colTicket  *Buf           // column sums: one ticket (uint32) per 32-column strip (grown, zeroed)
	ot         *Buf           // OTCoupling: cost matrix and solver state (grown)
	closed     bool

	// capturing is set between Capture's begin and end of stream capture:
	// the calls that allocate or wait for the device then panic (noCapture).
	capturing bool
	// waits counts the host's waits for the device (syncs and copies to
	// the host) since New: HostWaits.
	waits int64
	// calls counts the work the host queues (Calls), byName by name (CallsByName).
	calls  Calls
	byName map[string]int64
	// colTables are MultiBiasGrad's job tables, by job list (uploaded once each).
	colTables map[string]*Buf
	// allocBytes and peakBytes count the bytes of the live buffers of Alloc
	// and scratch (the high-water mark is reported by PeakAllocBytes).
	allocBytes, peakBytes int64
}

var _ compute.Backend = (*Backend)(nil)

// Buf is a CUDA buffer of float32s; a view (from Slice) shares its parent's memory.
type Buf struct {
	p    devptr
	n    int
	view bool
	be   *Backend
}

// Len returns the number of elements.
func (b *Buf) Len() int { return b.n }

// ptr is b's device pointer, 0 for a nil b (an optional operand).
func (b *Buf) ptr() devptr {
	if b == nil {
		return 0
	}
	return b.p
}

// len is b's length, 0 for a nil b.
func (b *Buf) len() int {
	if b == nil {
		return 0
	}
	return b.n
}

func openCUDA() (compute.Backend, error) {
	m := MathTF32
	switch os.Getenv("LATENTFLOW_GEMM") {
	case "fp32":
		m = MathFP32
	case "bf16":
		m = MathBF16
	}
	return New(Options{Math: m})
}

// New creates the CUDA backend on device o.Device: the driver of this build
// (the GPU with tag cuda, the emulated device with tag cudaemu), every kernel
// of the embedded PTX looked up, the reduction partials, the error word and
// the host staging allocated. It returns an error when no device is usable.
func New(o Options) (*Backend, error) {
	drv, err := newDriver(o.Device, o.Math, blasWorkspace)
	if err != nil {
		return nil, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	be := &Backend{drv: drv, math: o.Math, scalarAttn: o.ScalarAttention, fns: map[string]kernelFn{}, name: drv.deviceName()}
	fail := func(format string, args ...any) (*Backend, error) {
		be.release()
		return nil, fmt.Errorf(format, args...)
	}
	if err := drv.makeCurrent(); err != nil {
		return fail("cuCtxSetCurrent: %v", err)
	}
	if err := be.lookupKernels(); err != nil {
		return fail("%v", err)
	}
	if err := be.setupAttentionTC(); err != nil {
		return fail("%v", err)
	}
	if be.stage, err = drv.hostAlloc(stageFloats * 4); err != nil {
		return fail("%v", err)
	}
	for _, a := range []struct {
		p     *devptr
		bytes int64
	}{{&be.part, redMaxBlocks * 8}, {&be.redTicket, 4}, {&be.scalar, 4}, {&be.errw, 4}} {
		if *a.p, err = drv.malloc(a.bytes); err != nil {
			return fail("cuMemAlloc(%d): %v", a.bytes, err)
		}
	}
	for _, p := range []devptr{be.errw, be.redTicket} {
		if err := drv.memsetD32(p, 0, 1); err != nil {
			return fail("cuMemsetD32: %v", err)
		}
	}
	return be, nil
}

// lookupKernels finds every kernel of the embedded PTX modules in the driver:
// the kernels the GPU runs and the ones the emulated device runs are the same
// set, or New fails.
func (be *Backend) lookupKernels() error {
	for _, mod := range kernels.Modules() {
		names, err := kernels.Entries(mod)
		if err != nil {
			return err
		}
		for _, name := range names {
			f, ok := be.drv.kernel(name)
			if !ok {
				return fmt.Errorf("kernels/%s.ptx: kernel %s: not found on %s", mod, name, be.name)
			}
			be.fns[name] = f
		}
	}
	return nil
}

// release frees what New acquired (best effort; used on failure and by Close).
func (be *Backend) release() error {
	for _, p := range []devptr{be.part, be.redTicket, be.scalar, be.errw} {
		if p != 0 {
			be.drv.free(p)
		}
	}
	for _, b := range []*Buf{be.delta, be.ot, be.colPart, be.colTicket} {
		if b != nil && b.p != 0 {
			be.drv.free(b.p)
		}
	}
	for _, b := range be.colTables {
		be.drv.free(b.p)
	}
	be.part, be.redTicket, be.scalar, be.errw, be.delta, be.ot, be.colPart, be.colTicket = 0, 0, 0, 0, nil, nil, nil, nil
	be.colTables = nil
	if be.stage != nil {
		be.drv.hostFree(be.stage)
		be.stage = nil
	}
	return be.drv.close()
}

// Close waits for queued work and releases the backend's resources (not the
// buffers it allocated: Free those first). The backend is unusable afterwards.
func (be *Backend) Close() error {
	if !be.tryEnter() {
		return nil // closing twice does nothing
	}
	defer be.leave()
	if be.capturing {
		return fmt.Errorf("gpu: Close inside Capture")
	}
	err := be.hostWait()
	if e := be.release(); err == nil {
		err = e
	}
	be.closed = true
	if err != nil {
		return fmt.Errorf("gpu: Close: %v", err)
	}
	return nil
}

// Name returns "cuda".
func (be *Backend) Name() string { return "cuda" }

// DeviceName returns the GPU's name (e.g. "NVIDIA H100 80GB HBM3").
func (be *Backend) DeviceName() string { return be.name }

// GemmMath returns how Gemm multiplies.
func (be *Backend) GemmMath() Math { return be.math }

// Precision names the arithmetic of the GEMMs ("tf32", "fp32" or "bf16");
// every other op computes in fp32 with float64 reductions. bin/bench reports it.
func (be *Backend) Precision() string { return be.math.String() }

// enter locks the backend and this goroutine's OS thread and makes the
// context current on it; leave undoes it. Every method brackets its CUDA
// calls with them. enter panics after Close.
func (be *Backend) enter() {
	if !be.tryEnter() {
		panic("gpu: backend used after Close")
	}
}

// tryEnter is enter that returns false (holding nothing) after Close.
func (be *Backend) tryEnter() bool {
	be.mu.Lock()
	runtime.LockOSThread()
	if be.closed {
		runtime.UnlockOSThread()
		be.mu.Unlock()
		return false
	}
	if err := be.drv.makeCurrent(); err != nil {
		runtime.UnlockOSThread()
		be.mu.Unlock()
		panic(fmt.Sprintf("gpu: cuCtxSetCurrent: %v", err))
	}
	return true
}

func (be *Backend) leave() {
	runtime.UnlockOSThread()
	be.mu.Unlock()
}

// noCapture panics when called between Capture's begin and end: op would
// allocate or wait for the device, which stream capture forbids. The caller
// holds enter.
func (be *Backend) noCapture(op string) {
	if be.capturing {
		panic(fmt.Sprintf("gpu: %s inside Capture (it allocates or waits for the device)", op))
	}
}

func need(cond bool, format string, args ...any) {
	if !cond {
		panic(fmt.Sprintf("gpu: "+format, args...))
	}
}

func check(err error, format string, args ...any) {
	if err != nil {
		panic(fmt.Sprintf("gpu: %s: %v", fmt.Sprintf(format, args...), err))
	}
}

// buf returns b as a CUDA buffer of this backend (panics otherwise); nil stays nil.
func (be *Backend) buf(b compute.Buffer) *Buf {
	if b == nil {
		return nil
	}
	c, ok := b.(*Buf)
	need(ok, "buffer of type %T is not a CUDA buffer", b)
	need(c.be == be, "buffer of another CUDA backend")
	return c
}

// dp returns the device pointer of b (0 for nil).
func (be *Backend) dp(b compute.Buffer) devptr {
	if b == nil {
		return 0
	}
	return be.buf(b).p
}

// Alloc returns a zeroed buffer of n float32s.
func (be *Backend) Alloc(n int) compute.Buffer {
	need(n >= 0, "Alloc(%d): negative size", n)
	b := &Buf{n: n, be: be}
	if n == 0 {
		return b
	}
	be.enter()
	defer be.leave()
	be.noCapture("Alloc")
	p, err := be.drv.malloc(int64(n) * 4)
	check(err, "Alloc(%d floats)", n)
	be.count(int64(n) * 4)
	b.p = p
	check(be.drv.memsetD32(p, 0, int64(n)), "Alloc: zeroing")
	return b
}

// Free releases a buffer allocated by Alloc, after the work queued on it.
// Freeing a view or nil does nothing.
func (be *Backend) Free(x compute.Buffer) {
	b := be.buf(x)
	if b == nil || b.view || b.p == 0 {
		return
	}
	be.enter()
	defer be.leave()
	be.noCapture("Free")
	check(be.hostWait(), "Free: waiting for queued work")
	check(be.drv.free(b.p), "Free")
	be.count(-int64(b.n) * 4)
	b.p, b.n = 0, 0
}

// Slice returns a view of n elements of x starting at off.
func (be *Backend) Slice(x compute.Buffer, off, n int) compute.Buffer {
	b := be.buf(x)
	need(off >= 0 && n >= 0 && off+n <= b.n, "Slice(off=%d, n=%d) of a buffer of %d", off, n, b.n)
	return &Buf{p: b.p + devptr(off*4), n: n, view: true, be: be}
}

// Upload copies src into dst[0:len(src)] through pinned memory.
func (be *Backend) Upload(dst compute.Buffer, src []float32) {
	d := be.buf(dst)
	need(len(src) <= d.n, "Upload of %d into %d", len(src), d.n)
	be.enter()
	defer be.leave()
	be.noCapture("Upload")
	for off := 0; off < len(src); off += stageFloats {
		c := min(stageFloats, len(src)-off)
		copy(be.staged(c), src[off:off+c])
		be.calls.Uploads++
		check(be.drv.copyHtoD(d.p+devptr(off*4), be.stage, int64(c)*4), "Upload")
	}
}

// Download copies src[0:len(dst)] into dst (waits for queued work).
func (be *Backend) Download(dst []float32, src compute.Buffer) {
	s := be.buf(src)
	need(len(dst) <= s.n, "Download of %d from %d", len(dst), s.n)
	be.enter()
	defer be.leave()
	be.noCapture("Download")
	for off := 0; off < len(dst); off += stageFloats {
		c := min(stageFloats, len(dst)-off)
		check(be.readBack(be.stage, s.p+devptr(off*4), int64(c)*4), "Download")
		copy(dst[off:off+c], be.staged(c))
	}
}

// Sync waits for all queued work and reports an asynchronous failure: a CUDA
// error, or a bad index seen by a kernel since the last Sync.
func (be *Backend) Sync() error {
	be.enter()
	defer be.leave()
	if be.capturing {
		return fmt.Errorf("gpu: Sync inside Capture")
	}
	if err := be.hostWait(); err != nil {
		return fmt.Errorf("gpu: %v", err)
	}
	w := (*uint32)(be.stage)
	if err := be.readBack(be.stage, be.errw, 4); err != nil {
		return fmt.Errorf("gpu: reading the error word: %v", err)
	}
	if code := *w; code != 0 {
		check(be.drv.memsetD32(be.errw, 0, 1), "Sync: clearing the error word")
		if code&errGather != 0 {
			return errors.New("gpu: GatherRows/ScatterAddRows: a row index out of range")
		}
		return fmt.Errorf("gpu: unknown bits %#x in the device error word", code)
	}
	return nil
}

// Time runs f and returns the device time between two events recorded on
// the stream around it, in milliseconds (it waits for f's work).
func (be *Backend) Time(f func()) (float64, error) {
	be.enter()
	if be.capturing {
		be.leave()
		return 0, fmt.Errorf("gpu: Time inside Capture")
	}
	t, err := be.drv.timeStart()
	be.leave()
	if err != nil {
		return 0, fmt.Errorf("gpu: event: %v", err)
	}
	f()
	be.enter()
	defer be.leave()
	ms, err := be.drv.timeStop(t)
	if err != nil {
		return 0, fmt.Errorf("gpu: event: %v", err)
	}
	return ms, nil
}

// staged returns the first n floats of the host staging buffer.
func (be *Backend) staged(n int) []float32 { return unsafe.Slice((*float32)(be.stage), n) }

// scratch returns *b grown to at least n floats (its contents are undefined).
func (be *Backend) scratch(b **Buf, n int) *Buf {
	if *b != nil && (*b).n >= n {
		return *b
	}
	be.noCapture("growing a scratch buffer (run the captured function once before Capture)")
	if *b != nil {
		check(be.hostWait(), "scratch: waiting for queued work")
		check(be.drv.free((*b).p), "scratch: free")
		be.count(-int64((*b).n) * 4)
	}
	p, err := be.drv.malloc(int64(n) * 4)
	check(err, "scratch(%d floats)", n)
	be.count(int64(n) * 4)
	*b = &Buf{p: p, n: n, be: be}
	return *b
}

// launch runs kernel name on the stream. Arguments are devptr, int (passed
// as a 32-bit int, range-checked), float32, float64, uint32 or uint64; each
// goes in its own 8-byte slot with its kind (the emulated device checks the
// kinds against the kernel's parameter types). The caller holds enter.
func (be *Backend) launch(name string, grid, block dim, shared int, args ...any) {
	f, ok := be.fns[name]
	need(ok, "kernel %s not loaded", name)
	ka := make([]kernelArg, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case devptr:
			ka[i] = kernelArg{'p', uint64(v)}
		case int:
			need(v >= math.MinInt32 && v <= math.MaxInt32, "%s: argument %d = %d does not fit a 32-bit int", name, i, v)
			ka[i] = kernelArg{'i', uint64(uint32(int32(v)))}
		case float32:
			ka[i] = kernelArg{'f', uint64(math.Float32bits(v))}
		case float64:
			ka[i] = kernelArg{'d', math.Float64bits(v)}
		case uint32:
			ka[i] = kernelArg{'u', uint64(v)}
		case uint64:
			ka[i] = kernelArg{'U', v}
		default:
			panic(fmt.Sprintf("gpu: %s: argument %d of type %T", name, i, a))
		}
	}
	if grid.x == 0 || grid.y == 0 || grid.z == 0 {
		return
	}
	be.calls.Kernels++
	be.named(name)
	check(be.drv.launch(f, grid, block, shared, ka), "launching %s grid %v block %v", name, grid, block)
}

// blocks returns the grid size for n threads of blocks of t, capped at max
// (the kernels loop over the rest).
func blocks(n, t, max int) int {
	b := (n + t - 1) / t
	if b > max {
		b = max
	}
	return b
}

const (
	elemThreads = 256
	elemBlocks  = 1 << 16
	// maxGridElems bounds the cells of a grid-stride loop (GRID_LOOP in
	// kernels/common.cuh): its int index i < n steps by at most
	// elemBlocks*elemThreads = 2^24 (reductions: 2^18), so i + stride stays
	// below 2^31 and cannot wrap.
	maxGridElems = math.MaxInt32 - elemBlocks*elemThreads
)

// gridCells panics unless a grid-stride loop over n cells cannot wrap its index.
func gridCells(n int) {
	need(n >= 0 && n <= maxGridElems, "%d elements exceed the %d the CUDA kernels' 32-bit grid-stride loops allow", n, maxGridElems)
}

// elem is the launch shape of an elementwise grid-stride kernel over n cells.
func elem(n int) (dim, dim) {
	gridCells(n)
	return d1(blocks(n, elemThreads, elemBlocks)), d1(elemThreads)
}

// red is the launch shape of a two-pass reduction over n cells.
func red(n int) (dim, dim) {
	gridCells(n)
	return d1(max(blocks(n, redThreads, redMaxBlocks), 1)), d1(redThreads)
}

// reduce launches the reduction kernel name (grid g, block t), which finishes
// itself (red_finish in kernels/common.cuh: the last block adds the
// partials in be.part in order, ticket be.redTicket): its first arguments
// are the reduction's (be.part, be.redTicket, out, div, mul, mode), args
// follow. One launch. The caller holds enter.
func (be *Backend) reduce(name string, g, t dim, out devptr, div, mul float64, mode int, args ...any) {
	need(g.x <= redMaxBlocks, "%s: %d blocks, want at most %d partials", name, g.x, redMaxBlocks)
	be.launch(name, g, t, 0, append([]any{be.part, be.redTicket, out, div, mul, mode}, args...)...)
}

// readScalar downloads be.scalar (waits for queued work).
func (be *Backend) readScalar() float32 {
	be.noCapture("a scalar reduction (Sum, SumSquares, ErrNorm) read back")
	check(be.readBack(be.stage, be.scalar, 4), "reading a scalar")
	return *(*float32)(be.stage)
}

// count adds d bytes to the live allocation and updates the high-water mark.
// The caller holds enter.
func (be *Backend) count(d int64) {
	be.allocBytes += d
	be.peakBytes = max(be.peakBytes, be.allocBytes)
}

// PeakAllocBytes returns the high-water mark of the bytes held by buffers
// from Alloc and the backend's scratch buffers since New (or the last
// ResetPeak). It leaves out the backend's fixed allocations (staging,
// reduction partials, the cuBLAS workspace: see MemInfo) and the CUDA
// context itself.
func (be *Backend) PeakAllocBytes() int64 {
	be.enter()
	defer be.leave()
	return be.peakBytes
}

// ResetPeak sets the high-water mark of PeakAllocBytes to the bytes held now.
func (be *Backend) ResetPeak() {
	be.enter()
	defer be.leave()
	be.peakBytes = be.allocBytes
}

// MemInfo returns the device's free and total memory (cuMemGetInfo): used =
// total - free counts every process on the device, contexts included.
func (be *Backend) MemInfo() (free, total int64, err error) {
	be.enter()
	defer be.leave()
	return be.drv.memInfo()
}

// hostWait waits for the stream (counted by HostWaits). The caller holds enter.
func (be *Backend) hostWait() error {
	be.waits++
	return be.drv.sync()
}

// readBack copies device memory to the host, waiting for the stream
// (counted by HostWaits). The caller holds enter.
func (be *Backend) readBack(dst unsafe.Pointer, src devptr, bytes int64) error {
	be.waits++
	return be.drv.copyDtoH(dst, src, bytes)
}

// HostWaits returns how many times the host has waited for the device since
// New: every Sync, Download, scalar read-back, Free and scratch growth (and
// Close). A test brackets code with it to prove the code reads nothing back.
func (be *Backend) HostWaits() int64 {
	be.enter()
	defer be.leave()
	return be.waits
}
