//go:build cuda

package gpu

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"runtime"
	"sync"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/kernels"
)

// Built reports whether this binary was built with the CUDA backend.
const Built = true

// Sizes shared with kernels/common.cuh.
const (
	redThreads   = 256  // RED_THREADS
	redMaxBlocks = 1024 // RED_MAX_BLOCKS
	colGroups    = 8    // COL_GROUPS
	errGather    = 1    // ERR_GATHER_INDEX
	errLabel     = 2    // ERR_LABEL
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
}

// Backend is the CUDA backend. Create it with New; see the package
// documentation for its threading and error rules.
type Backend struct {
	mu     sync.Mutex
	dev    cu.Device
	ctx    cu.CUContext
	stream cu.Stream
	fns    map[string]cu.Function
	blas   *blasHandle
	math   Math
	name   string
	stage  pinned       // staging for Upload and Download
	part   cu.DevicePtr // redMaxBlocks float64 partial sums
	scalar cu.DevicePtr // one float32 (scalar reductions)
	errw   cu.DevicePtr // the device error word (uint32)
	coef   *Buf         // path coefficients, 4 per sample (grown)
	delta  *Buf         // attention backward: dout . out per row (grown)
	blasWS cu.DevicePtr // the cuBLAS workspace (blasWorkspace bytes)
	closed bool

	// capturing is set between Capture's begin and end of stream capture:
	// the calls that allocate or wait for the device then panic (noCapture).
	capturing bool
	// allocBytes and peakBytes count the bytes of the live buffers of Alloc
	// and scratch (the high-water mark is reported by PeakAllocBytes).
	allocBytes, peakBytes int64
}

var _ compute.Backend = (*Backend)(nil)

// Buf is a CUDA buffer of float32s; a view (from Slice) shares its parent's memory.
type Buf struct {
	p    cu.DevicePtr
	n    int
	view bool
	be   *Backend
}

// Len returns the number of elements.
func (b *Buf) Len() int { return b.n }

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

// New creates the CUDA backend on device o.Device: it retains the device's
// primary context, creates a stream, JIT-loads every embedded PTX module
// (a failure returns the JIT error log), and binds cuBLAS to the stream.
// It returns an error when no GPU is usable.
func New(o Options) (*Backend, error) {
	if err := initError(); err != nil {
		return nil, err
	}
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("no usable CUDA device: cuDeviceGetCount: %v", err)
	}
	if o.Device < 0 || o.Device >= n {
		return nil, fmt.Errorf("CUDA device %d does not exist (%d devices)", o.Device, n)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	be := &Backend{math: o.Math, fns: map[string]cu.Function{}}
	if be.dev, err = cu.GetDevice(o.Device); err != nil {
		return nil, fmt.Errorf("CUDA device %d: %v", o.Device, err)
	}
	be.name, _ = be.dev.Name()
	if be.ctx, err = be.dev.RetainPrimaryCtx(); err != nil {
		return nil, fmt.Errorf("CUDA device %d (%s): retaining the primary context: %v", o.Device, be.name, err)
	}
	fail := func(format string, args ...any) (*Backend, error) {
		be.release()
		return nil, fmt.Errorf(format, args...)
	}
	if err := cu.SetCurrentContext(be.ctx); err != nil {
		return fail("cuCtxSetCurrent: %v", err)
	}
	// A blocking stream (it waits for the legacy default stream and vice versa).
	if be.stream, err = cu.MakeStream(cu.DefaultStream); err != nil {
		return fail("cuStreamCreate: %v", err)
	}
	if err := be.loadModules(); err != nil {
		return fail("%v", err)
	}
	if be.blas, err = newBlas(&be.stream, o.Math); err != nil {
		return fail("%v", err)
	}
	if be.stage, err = allocPinned(stageFloats * 4); err != nil {
		return fail("%v", err)
	}
	for _, a := range []struct {
		p     *cu.DevicePtr
		bytes int64
	}{{&be.part, redMaxBlocks * 8}, {&be.scalar, 4}, {&be.errw, 4}, {&be.blasWS, blasWorkspace}} {
		if *a.p, err = cu.MemAlloc(a.bytes); err != nil {
			return fail("cuMemAlloc(%d): %v", a.bytes, err)
		}
	}
	if err := cu.MemsetD32(be.errw, 0, 1); err != nil {
		return fail("cuMemsetD32: %v", err)
	}
	if err := be.blas.setWorkspace(be.blasWS, blasWorkspace); err != nil {
		return fail("%v", err)
	}
	return be, nil
}

var entryRE = regexp.MustCompile(`\.visible \.entry (\w+)\(`)

// loadModules JIT-loads every embedded PTX module and looks up its kernels.
func (be *Backend) loadModules() error {
	for _, name := range kernels.Modules() {
		text, err := kernels.PTX(name)
		if err != nil {
			return err
		}
		log := &cu.JITErrorLogBuffer{Buffer: make([]byte, 16<<10)}
		mod, err := cu.LoadDataEx(text, log)
		if err != nil {
			msg := string(log.Buffer)
			if i := indexNUL(log.Buffer); i >= 0 {
				msg = string(log.Buffer[:i])
			}
			return fmt.Errorf("loading kernels/%s.ptx on %s: %v\nJIT error log:\n%s", name, be.name, err, msg)
		}
		for _, m := range entryRE.FindAllStringSubmatch(text, -1) {
			f, err := mod.Function(m[1])
			if err != nil {
				return fmt.Errorf("kernels/%s.ptx: kernel %s: %v", name, m[1], err)
			}
			be.fns[m[1]] = f
		}
	}
	return nil
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// release frees what New acquired (best effort; used on failure and by Close).
func (be *Backend) release() {
	for _, p := range []cu.DevicePtr{be.part, be.scalar, be.errw, be.blasWS} {
		if p != 0 {
			cu.MemFree(p)
		}
	}
	for _, b := range []*Buf{be.coef, be.delta} {
		if b != nil && b.p != 0 {
			cu.MemFree(b.p)
		}
	}
	be.stage.free()
	if be.blas != nil {
		be.blas.destroy()
	}
	if streamPtr(&be.stream) != nil {
		be.stream.Destroy()
	}
	be.dev.ReleasePrimaryCtx()
}

// Close waits for queued work and releases the backend's resources (not the
// buffers it allocated: Free those first). The backend is unusable afterwards.
func (be *Backend) Close() error {
	be.enter()
	defer be.leave()
	if be.closed {
		return nil
	}
	if be.capturing {
		return fmt.Errorf("gpu: Close inside Capture")
	}
	err := be.stream.Synchronize()
	be.release()
	be.closed = true
	return err
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
// calls with them.
func (be *Backend) enter() {
	be.mu.Lock()
	runtime.LockOSThread()
	if be.closed {
		runtime.UnlockOSThread()
		be.mu.Unlock()
		panic("gpu: backend used after Close")
	}
	if err := cu.SetCurrentContext(be.ctx); err != nil {
		runtime.UnlockOSThread()
		be.mu.Unlock()
		panic(fmt.Sprintf("gpu: cuCtxSetCurrent: %v", err))
	}
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
func (be *Backend) dp(b compute.Buffer) cu.DevicePtr {
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
	p, err := cu.MemAlloc(int64(n) * 4)
	check(err, "Alloc(%d floats)", n)
	be.count(int64(n) * 4)
	b.p = p
	check(cu.MemsetD32Async(p, 0, int64(n), be.stream), "Alloc: zeroing")
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
	check(be.stream.Synchronize(), "Free: waiting for queued work")
	check(cu.MemFree(b.p), "Free")
	be.count(-int64(b.n) * 4)
	b.p, b.n = 0, 0
}

// Slice returns a view of n elements of x starting at off.
func (be *Backend) Slice(x compute.Buffer, off, n int) compute.Buffer {
	b := be.buf(x)
	need(off >= 0 && n >= 0 && off+n <= b.n, "Slice(off=%d, n=%d) of a buffer of %d", off, n, b.n)
	return &Buf{p: b.p + cu.DevicePtr(off*4), n: n, view: true, be: be}
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
		copy(be.stage.floats(c), src[off:off+c])
		check(cu.MemcpyHtoDAsync(d.p+cu.DevicePtr(off*4), be.stage.p, int64(c)*4, be.stream), "Upload")
		check(be.stream.Synchronize(), "Upload: waiting for the copy")
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
		check(cu.MemcpyDtoHAsync(be.stage.p, s.p+cu.DevicePtr(off*4), int64(c)*4, be.stream), "Download")
		check(be.stream.Synchronize(), "Download: waiting for the copy")
		copy(dst[off:off+c], be.stage.floats(c))
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
	if err := be.stream.Synchronize(); err != nil {
		return fmt.Errorf("gpu: %v", err)
	}
	w := (*uint32)(be.stage.p)
	if err := cu.MemcpyDtoHAsync(be.stage.p, be.errw, 4, be.stream); err != nil {
		return fmt.Errorf("gpu: reading the error word: %v", err)
	}
	if err := be.stream.Synchronize(); err != nil {
		return fmt.Errorf("gpu: %v", err)
	}
	if code := *w; code != 0 {
		check(cu.MemsetD32Async(be.errw, 0, 1, be.stream), "Sync: clearing the error word")
		var msgs []string
		if code&errGather != 0 {
			msgs = append(msgs, "GatherRows/ScatterAddRows: a row index out of range")
		}
		if code&errLabel != 0 {
			msgs = append(msgs, "SoftmaxCrossEntropy: a label out of [0, K)")
		}
		return fmt.Errorf("gpu: %v", msgs)
	}
	return nil
}

// Time runs f and returns the GPU time between two events recorded on the
// stream around it, in milliseconds (it waits for f's work).
func (be *Backend) Time(f func()) (float64, error) {
	be.enter()
	if be.capturing {
		be.leave()
		return 0, fmt.Errorf("gpu: Time inside Capture")
	}
	start, err := cu.MakeEvent(0)
	if err == nil {
		err = start.Record(be.stream)
	}
	be.leave()
	if err != nil {
		return 0, fmt.Errorf("gpu: event: %v", err)
	}
	f()
	be.enter()
	defer be.leave()
	stop, err := cu.MakeEvent(0)
	if err == nil {
		err = stop.Record(be.stream)
	}
	if err == nil {
		err = stop.Synchronize()
	}
	if err != nil {
		return 0, fmt.Errorf("gpu: event: %v", err)
	}
	ms, err := start.Elapsed(stop)
	cu.DestroyEvent(&start)
	cu.DestroyEvent(&stop)
	return ms, err
}

// scratch returns *b grown to at least n floats (its contents are undefined).
func (be *Backend) scratch(b **Buf, n int) *Buf {
	if *b != nil && (*b).n >= n {
		return *b
	}
	be.noCapture("growing a scratch buffer (run the captured function once before Capture)")
	if *b != nil {
		check(be.stream.Synchronize(), "scratch: waiting for queued work")
		check(cu.MemFree((*b).p), "scratch: free")
		be.count(-int64((*b).n) * 4)
	}
	p, err := cu.MemAlloc(int64(n) * 4)
	check(err, "scratch(%d floats)", n)
	be.count(int64(n) * 4)
	*b = &Buf{p: p, n: n, be: be}
	return *b
}

// dim is a grid or block shape.
type dim struct{ x, y, z int }

func d1(x int) dim { return dim{x, 1, 1} }

// launch runs kernel name on the stream. Arguments are cu.DevicePtr, int
// (passed as a 32-bit int, range-checked), float32, float64, uint32 or
// uint64; each goes in its own 8-byte slot (gorgonia.org/cu copies 8 bytes
// per parameter). The caller holds enter.
func (be *Backend) launch(name string, grid, block dim, shared int, args ...any) {
	f, ok := be.fns[name]
	need(ok, "kernel %s not loaded", name)
	slots := make([]uint64, len(args))
	params := make([]unsafe.Pointer, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case cu.DevicePtr:
			slots[i] = uint64(v)
		case int:
			need(v >= math.MinInt32 && v <= math.MaxInt32, "%s: argument %d = %d does not fit a 32-bit int", name, i, v)
			slots[i] = uint64(uint32(int32(v)))
		case float32:
			slots[i] = uint64(math.Float32bits(v))
		case float64:
			slots[i] = math.Float64bits(v)
		case uint32:
			slots[i] = uint64(v)
		case uint64:
			slots[i] = v
		default:
			panic(fmt.Sprintf("gpu: %s: argument %d of type %T", name, i, a))
		}
		params[i] = unsafe.Pointer(&slots[i])
	}
	if grid.x == 0 || grid.y == 0 || grid.z == 0 {
		return
	}
	check(f.Launch(grid.x, grid.y, grid.z, block.x, block.y, block.z, shared, be.stream, params), "launching %s", name)
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
)

// elem is the launch shape of an elementwise grid-stride kernel over n cells.
func elem(n int) (dim, dim) { return d1(blocks(n, elemThreads, elemBlocks)), d1(elemThreads) }

// red is the launch shape of a two-pass reduction over n cells.
func red(n int) (dim, dim) { return d1(max(blocks(n, redThreads, redMaxBlocks), 1)), d1(redThreads) }

// finish adds the partials of a reduction launched with grid g: see finish_sum in kernels/reduce.cu.
func (be *Backend) finish(g dim, out cu.DevicePtr, div, mul float64, mode int) {
	be.launch("finish_sum", d1(1), d1(32), 0, be.part, g.x, out, div, mul, mode)
}

// readScalar downloads be.scalar (waits for queued work).
func (be *Backend) readScalar() float32 {
	be.noCapture("a scalar reduction (Sum, SumSquares, ErrNorm) read back")
	check(cu.MemcpyDtoHAsync(be.stage.p, be.scalar, 4, be.stream), "reading a scalar")
	check(be.stream.Synchronize(), "waiting for a scalar")
	return *(*float32)(be.stage.p)
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
	f, t, err := cu.MemInfo()
	return int64(f), int64(t), err
}
