//go:build cudaemu

package gpu

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/latentflow/latentflow/gpu/emu"
)

// The emulated device (tag cudaemu): the kernels of package kernels compiled
// for the host by package gpu/emu, its plain cuBLAS, and a stream that runs
// every operation when it is queued (so in order). Stream capture records the
// operations with their argument values and replays them; the operations a
// real capture rejects (allocation, copies to or from the host, a sync) fail
// and invalidate the capture, as cuStreamEndCapture would report.

// autoCUDA: device = "auto" means the CPU in a cudaemu build; the emulated
// device, about 50 times slower than the CPU backend, is for tests and
// device = "cuda".
const autoCUDA = false

// emuDeviceName is what DeviceName returns on the emulated device.
const emuDeviceName = "latentflow emulated CUDA device (host CPU)"

type emuDriver struct {
	// capture is non-nil between beginCapture and endCapture: the recorded
	// operations, in order.
	capture *emuGraph
	// invalid is the first operation that broke the capture.
	invalid error
	host    map[unsafe.Pointer][]float32 // hostAlloc's buffers, kept alive
	closed  bool
}

type emuKernel struct{ k *emu.Kernel }

func (k emuKernel) kernelName() string { return k.k.Name() }

type emuGraph struct{ ops []func() error }

// newDriver opens the emulated device (there is only device 0).
func newDriver(device int, _ Math, _ int64) (driver, error) {
	if device != 0 {
		return nil, fmt.Errorf("CUDA device %d does not exist (1 device: the emulated one)", device)
	}
	return &emuDriver{host: map[unsafe.Pointer][]float32{}}, nil
}

// errCaptureUnsupported is what an operation that cannot be captured returns.
var errCaptureUnsupported = errors.New("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (900): operation not permitted when stream is capturing")

// uncapturable fails op during a capture and invalidates the capture.
func (d *emuDriver) uncapturable(op string) error {
	if d.capture == nil {
		return nil
	}
	err := fmt.Errorf("%s: %w", op, errCaptureUnsupported)
	if d.invalid == nil {
		d.invalid = err
	}
	return err
}

// queue runs op now, or records it during a capture.
func (d *emuDriver) queue(op func() error) error {
	if d.capture != nil {
		d.capture.ops = append(d.capture.ops, op)
		return nil
	}
	return op()
}

func (d *emuDriver) deviceName() string { return emuDeviceName }
func (d *emuDriver) makeCurrent() error { return nil }

func (d *emuDriver) malloc(bytes int64) (devptr, error) {
	if err := d.uncapturable("cuMemAlloc"); err != nil {
		return 0, err
	}
	p, err := emu.Malloc(bytes)
	return devptr(p), err
}

func (d *emuDriver) free(p devptr) error {
	if err := d.uncapturable("cuMemFree"); err != nil {
		return err
	}
	return emu.Free(uint64(p))
}

func (d *emuDriver) memInfo() (free, total int64, err error) {
	free, total = emu.MemInfo()
	return free, total, nil
}

func (d *emuDriver) hostAlloc(bytes int) (unsafe.Pointer, error) {
	b := make([]float32, (bytes+3)/4)
	p := unsafe.Pointer(&b[0])
	d.host[p] = b
	return p, nil
}

func (d *emuDriver) hostFree(p unsafe.Pointer) { delete(d.host, p) }

func (d *emuDriver) memsetD32(p devptr, v uint32, n int64) error {
	return d.queue(func() error { return emu.MemsetD32(uint64(p), v, n) })
}

func (d *emuDriver) copyHtoD(dst devptr, src unsafe.Pointer, bytes int64) error {
	if err := d.uncapturable("cuMemcpyHtoD"); err != nil {
		return err
	}
	return emu.CopyHtoD(uint64(dst), src, bytes)
}

func (d *emuDriver) copyDtoH(dst unsafe.Pointer, src devptr, bytes int64) error {
	if err := d.uncapturable("cuMemcpyDtoH"); err != nil {
		return err
	}
	return emu.CopyDtoH(dst, uint64(src), bytes)
}

func (d *emuDriver) copyDtoD(dst, src devptr, bytes int64) error {
	return d.queue(func() error { return emu.CopyDtoD(uint64(dst), uint64(src), bytes) })
}

func (d *emuDriver) sync() error { return d.uncapturable("cuStreamSynchronize") }

func (d *emuDriver) kernel(name string) (kernelFn, bool) {
	k, ok := emu.Lookup(name)
	if !ok {
		return nil, false
	}
	return emuKernel{k}, true
}

func (d *emuDriver) setMaxShared(k kernelFn, bytes int) error {
	return emu.SetMaxDynamicShared(k.(emuKernel).k, bytes)
}

func (d *emuDriver) launch(k kernelFn, grid, block dim, shared int, args []kernelArg) error {
	ek := k.(emuKernel).k
	ea := make([]emu.Arg, len(args))
	for i, a := range args {
		ea[i] = emu.Arg{Kind: a.kind, Bits: a.bits}
	}
	g, b := emu.Dim{X: grid.x, Y: grid.y, Z: grid.z}, emu.Dim{X: block.x, Y: block.y, Z: block.z}
	return d.queue(func() error { return emu.Launch(ek, g, b, shared, ea) })
}

func (d *emuDriver) gemm(ta, tb bool, m, n, k int, alpha float32, a devptr, lda int, sa int64,
	b devptr, ldb int, sb int64, beta float32, c devptr, ldc int, sc int64, batch int, math Math) int {
	run := func() int {
		return emu.Gemm(ta, tb, m, n, k, alpha, uint64(a), lda, sa, uint64(b), ldb, sb, beta, uint64(c), ldc, sc, batch, math.mode())
	}
	if d.capture != nil {
		// Backend.Gemm has checked the arguments cuBLAS would validate here.
		d.capture.ops = append(d.capture.ops, func() error {
			if s := run(); s != 0 {
				return fmt.Errorf("replayed GEMM: cuBLAS status %d", s)
			}
			return nil
		})
		return 0
	}
	return run()
}

func (d *emuDriver) beginCapture() error {
	if d.capture != nil {
		return errors.New("cuStreamBeginCapture: CUDA_ERROR_ILLEGAL_STATE (401): the stream is already capturing")
	}
	d.capture, d.invalid = &emuGraph{}, nil
	return nil
}

func (d *emuDriver) endCapture() (graphExec, error) {
	if d.capture == nil {
		return nil, errors.New("cuStreamEndCapture: CUDA_ERROR_ILLEGAL_STATE (401): the stream is not capturing")
	}
	g, invalid := d.capture, d.invalid
	d.capture, d.invalid = nil, nil
	if invalid != nil {
		return nil, fmt.Errorf("cuStreamEndCapture: CUDA_ERROR_STREAM_CAPTURE_INVALIDATED (901) (an operation in the captured function is not capturable: %v)", invalid)
	}
	return g, nil
}

func (d *emuDriver) graphLaunch(x graphExec) error {
	if d.capture != nil {
		return d.uncapturable("cuGraphLaunch")
	}
	for _, op := range x.(*emuGraph).ops {
		if err := op(); err != nil {
			return err
		}
	}
	return nil
}

func (d *emuDriver) graphDestroy(x graphExec) error {
	x.(*emuGraph).ops = nil
	return nil
}

type emuTimer struct{ start time.Time }

func (d *emuDriver) timeStart() (timer, error) { return &emuTimer{time.Now()}, nil }

func (d *emuDriver) timeStop(x timer) (float64, error) {
	return float64(time.Since(x.(*emuTimer).start).Nanoseconds()) / 1e6, nil
}

func (d *emuDriver) close() error {
	d.closed = true
	d.host = nil
	return nil
}
