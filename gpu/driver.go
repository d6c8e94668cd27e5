//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"unsafe"
)

// The driver seam. Backend holds the logic shared by every CUDA device
// (buffers, views, staging, the error word, scratch growth, the capture
// rules, every op wrapper); a driver does the device work underneath it. Two
// drivers exist:
//
//   - the real one (driver_cu.go, tag cuda): gorgonia.org/cu for the driver
//     API, cuBLAS and our cgo for stream capture, graphs and pinned memory;
//   - the emulated device (driver_emu.go, tag cudaemu): the same kernels
//     compiled for the host (package gpu/emu), a plain cuBLAS, and capture
//     and replay recorded in Go.
//
// Every method is called with the backend's enter held (one goroutine at a
// time, its OS thread locked). Work is queued on the driver's one stream in
// order; only sync and the copies to the host wait for it.

// devptr is a device address.
type devptr uint64

// kernelArg is one kernel argument: its kind (the letters of emu.Kernel.Params:
// 'p' pointer, 'i' int, 'u' unsigned, 'f' float, 'd' double, 'U' unsigned
// long long) and its 8-byte parameter slot.
type kernelArg struct {
	kind byte
	bits uint64
}

// kernelFn is a driver's handle of one kernel.
type kernelFn interface{ kernelName() string }

// graphExec is a driver's instantiated graph.
type graphExec interface{}

// timer is a started device timing (two events on the stream).
type timer interface{}

// driver is the device under Backend. Errors are returned, not panicked:
// Backend decides (most become "gpu: ..." panics, see the package doc).
type driver interface {
	// deviceName names the device (e.g. "NVIDIA H100 80GB HBM3").
	deviceName() string
	// makeCurrent makes the driver's context current on this OS thread.
	makeCurrent() error

	malloc(bytes int64) (devptr, error)
	free(p devptr) error
	memInfo() (free, total int64, err error)
	// hostAlloc returns bytes of host memory the copies may use (page-locked
	// on a real GPU); hostFree releases it.
	hostAlloc(bytes int) (unsafe.Pointer, error)
	hostFree(p unsafe.Pointer)

	// memsetD32 sets n 32-bit words at p to v (queued).
	memsetD32(p devptr, v uint32, n int64) error
	// copyHtoD and copyDtoH copy between host and device memory; both wait
	// for the copy (the host memory is reused at once).
	copyHtoD(dst devptr, src unsafe.Pointer, bytes int64) error
	copyDtoH(dst unsafe.Pointer, src devptr, bytes int64) error
	// copyDtoD copies device memory (queued).
	copyDtoD(dst, src devptr, bytes int64) error
	// sync waits for the queued work and reports an asynchronous failure.
	sync() error

	// kernel looks a kernel up by its C name.
	kernel(name string) (kernelFn, bool)
	// setMaxShared allows launches of k with up to bytes of dynamic shared
	// memory (cuFuncSetAttribute MAX_DYNAMIC_SHARED_SIZE_BYTES; the default
	// limit is 48 KB).
	setMaxShared(k kernelFn, bytes int) error
	// launch queues kernel k over grid x block with shared bytes of dynamic
	// shared memory.
	launch(k kernelFn, grid, block dim, shared int, args []kernelArg) error
	// gemm is cublasGemmStridedBatchedEx on fp32 data in the column-major
	// contract (transA applies to a, the first operand), math selecting the
	// compute type. It returns a cuBLAS status (0: success).
	gemm(transA, transB bool, m, n, k int, alpha float32, a devptr, lda int, strideA int64,
		b devptr, ldb int, strideB int64, beta float32, c devptr, ldc int, strideC int64, batch int, math Math) int

	// beginCapture starts recording the stream's work instead of running it;
	// endCapture stops and instantiates what was recorded. An operation that
	// cannot be captured (allocation, a copy to or from the host, a sync)
	// fails and invalidates the capture, as on the GPU.
	beginCapture() error
	endCapture() (graphExec, error)
	graphLaunch(g graphExec) error
	graphDestroy(g graphExec) error

	// timeStart records a start event on the stream; timeStop records the
	// stop event, waits for it and returns the milliseconds between the two.
	timeStart() (timer, error)
	timeStop(t timer) (float64, error)

	// close waits for the stream and releases the driver's resources.
	close() error
}

// dim is a grid or block shape.
type dim struct{ x, y, z int }

func d1(x int) dim { return dim{x, 1, 1} }

func (d dim) String() string { return fmt.Sprintf("(%d,%d,%d)", d.x, d.y, d.z) }
