//go:build cuda && !cudaemu

package gpu

// The real driver (tag cuda): gorgonia.org/cu for the driver API, plus a thin
// cgo binding of what cu lacks: cuBLAS on our stream (the strided-batched
// GEMM with a compute type: fp32, TF32 tensor ops, bf16 tensor ops, and a
// preallocated workspace), pinned host memory (cuMemHostAlloc), and stream
// capture into CUDA graphs.
//
// Graph symbols (cuda.h of CUDA 11.8, the headers the build uses):
//   - cuStreamBeginCapture is a macro for cuStreamBeginCapture_v2(stream, mode);
//     the unversioned export is the CUDA 10.0 call without the mode.
//   - cuGraphInstantiate is a macro for cuGraphInstantiate_v2(exec, graph,
//     errNode, log, logSize) in 11.8, but for cuGraphInstantiateWithFlags in
//     CUDA 12 and 13 headers, and the driver exports both. We call
//     cuGraphInstantiateWithFlags(exec, graph, 0) by name: present since 11.4
//     with one signature in every header since, so the binding means the same
//     whichever headers it is compiled against.
//   - cuStreamEndCapture, cuGraphLaunch, cuGraphExecDestroy, cuGraphDestroy
//     have one version each.

/*
#cgo linux CFLAGS: -I/usr/local/cuda/include
#cgo linux LDFLAGS: -L/usr/local/cuda/lib64 -lcublas
#include <cuda.h>
#include <cublas_v2.h>

static int lf_cublas_create(cublasHandle_t* h, void* stream, int tf32) {
	cublasStatus_t s = cublasCreate(h);
	if (s != CUBLAS_STATUS_SUCCESS) return (int)s;
	s = cublasSetStream(*h, (cudaStream_t)stream);
	if (s != CUBLAS_STATUS_SUCCESS) return (int)s;
	return (int)cublasSetMathMode(*h, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
}

static int lf_cublas_destroy(cublasHandle_t h) { return (int)cublasDestroy(h); }

// lf_cublas_workspace gives cuBLAS a preallocated workspace, so a GEMM never
// allocates (required inside stream capture).
static int lf_cublas_workspace(cublasHandle_t h, CUdeviceptr ws, size_t bytes) {
	return (int)cublasSetWorkspace(h, (void*)ws, bytes);
}

// lf_gemm is cublasGemmStridedBatchedEx on fp32 data, column-major, as called:
// C_b = alpha op(A_b) op(B_b) + beta C_b, b < batch (the row-major swap is
// the caller's, gpu/gemm.go). mode 0: fp32, 1: TF32 tensor ops, 2: bf16.
static int lf_gemm(cublasHandle_t h, int ta, int tb, int m, int n, int k, float alpha,
                   CUdeviceptr a, int lda, long long sa, CUdeviceptr b, int ldb, long long sb,
                   float beta, CUdeviceptr c, int ldc, long long sc, int batch, int mode) {
	cublasComputeType_t ct = CUBLAS_COMPUTE_32F;
	if (mode == 1) ct = CUBLAS_COMPUTE_32F_FAST_TF32;
	if (mode == 2) ct = CUBLAS_COMPUTE_32F_FAST_16BF;
	return (int)cublasGemmStridedBatchedEx(h,
		ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k, &alpha,
		(const void*)a, CUDA_R_32F, lda, sa,
		(const void*)b, CUDA_R_32F, ldb, sb, &beta,
		(void*)c, CUDA_R_32F, ldc, sc, batch, ct, CUBLAS_GEMM_DEFAULT);
}

static int lf_func_max_shared(CUfunction f, int bytes) {
	return (int)cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
}

static int lf_host_alloc(void** p, size_t bytes) { return (int)cuMemHostAlloc(p, bytes, 0); }
static int lf_host_free(void* p) { return (int)cuMemFreeHost(p); }

static int lf_begin_capture(void* s) { return (int)cuStreamBeginCapture((CUstream)s, CU_STREAM_CAPTURE_MODE_GLOBAL); }
static int lf_end_capture(void* s, CUgraph* g) { return (int)cuStreamEndCapture((CUstream)s, g); }
static int lf_instantiate(CUgraphExec* e, CUgraph g) { return (int)cuGraphInstantiateWithFlags(e, g, 0); }
static int lf_graph_launch(CUgraphExec e, void* s) { return (int)cuGraphLaunch(e, (CUstream)s); }
static int lf_exec_destroy(CUgraphExec e) { return (int)cuGraphExecDestroy(e); }
static int lf_graph_destroy(CUgraph g) { return (int)cuGraphDestroy(g); }
*/
import "C"

import (
	"fmt"
	"regexp"
	"runtime"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/latentflow/latentflow/kernels"
)

// autoCUDA: device = "auto" uses the GPU when one is usable.
const autoCUDA = true

// cuDriver is the real CUDA device: the primary context of one GPU, one
// blocking stream, the JIT-loaded PTX modules and a cuBLAS handle on the stream.
type cuDriver struct {
	dev    cu.Device
	ctx    cu.CUContext
	stream cu.Stream
	blas   C.cublasHandle_t
	fns    map[string]cuKernel
	name   string
	blasWS cu.DevicePtr
}

type cuKernel struct {
	name string
	f    cu.Function
}

func (k cuKernel) kernelName() string { return k.name }

// newDriver opens CUDA device ordinal `device`: it retains the device's
// primary context, creates a stream, JIT-loads every embedded PTX module (a
// failure returns the JIT error log) and binds cuBLAS to the stream with a
// preallocated workspace of wsBytes. It returns an error when no GPU is usable.
func newDriver(device int, m Math, wsBytes int64) (driver, error) {
	if err := initError(); err != nil {
		return nil, err
	}
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("no usable CUDA device: cuDeviceGetCount: %v", err)
	}
	if device < 0 || device >= n {
		return nil, fmt.Errorf("CUDA device %d does not exist (%d devices)", device, n)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d := &cuDriver{fns: map[string]cuKernel{}}
	if d.dev, err = cu.GetDevice(device); err != nil {
		return nil, fmt.Errorf("CUDA device %d: %v", device, err)
	}
	d.name, _ = d.dev.Name()
	if d.ctx, err = d.dev.RetainPrimaryCtx(); err != nil {
		return nil, fmt.Errorf("CUDA device %d (%s): retaining the primary context: %v", device, d.name, err)
	}
	fail := func(format string, args ...any) (driver, error) {
		d.release()
		return nil, fmt.Errorf(format, args...)
	}
	if err := cu.SetCurrentContext(d.ctx); err != nil {
		return fail("cuCtxSetCurrent: %v", err)
	}
	// A blocking stream (it waits for the legacy default stream and vice versa).
	if d.stream, err = cu.MakeStream(cu.DefaultStream); err != nil {
		return fail("cuStreamCreate: %v", err)
	}
	if err := d.loadModules(); err != nil {
		return fail("%v", err)
	}
	tf32 := C.int(0)
	if m == MathTF32 {
		tf32 = 1
	}
	if s := C.lf_cublas_create(&d.blas, d.streamPtr(), tf32); s != 0 {
		return fail("cuBLAS initialisation failed: status %d", int(s))
	}
	if d.blasWS, err = cu.MemAlloc(wsBytes); err != nil {
		return fail("cuMemAlloc(%d): %v", wsBytes, err)
	}
	if s := C.lf_cublas_workspace(d.blas, C.CUdeviceptr(d.blasWS), C.size_t(wsBytes)); s != 0 {
		return fail("cublasSetWorkspace(%d bytes): status %d", wsBytes, int(s))
	}
	return d, nil
}

var entryRE = regexp.MustCompile(`\.visible \.entry (\w+)\(`)

// loadModules JIT-loads every embedded PTX module and looks up its kernels.
func (d *cuDriver) loadModules() error {
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
			return fmt.Errorf("loading kernels/%s.ptx on %s: %v\nJIT error log:\n%s", name, d.name, err, msg)
		}
		for _, m := range entryRE.FindAllStringSubmatch(text, -1) {
			f, err := mod.Function(m[1])
			if err != nil {
				return fmt.Errorf("kernels/%s.ptx: kernel %s: %v", name, m[1], err)
			}
			d.fns[m[1]] = cuKernel{m[1], f}
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

// streamPtr returns the CUstream inside the cu.Stream (a struct holding only
// that pointer in gorgonia.org/cu v0.9.6, which go.mod pins).
func (d *cuDriver) streamPtr() unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&d.stream))
}

// release frees what newDriver acquired (best effort).
func (d *cuDriver) release() {
	if d.blasWS != 0 {
		cu.MemFree(d.blasWS)
		d.blasWS = 0
	}
	if d.blas != nil {
		C.lf_cublas_destroy(d.blas)
		d.blas = nil
	}
	if d.streamPtr() != nil {
		d.stream.Destroy()
	}
	d.dev.ReleasePrimaryCtx()
}

func (d *cuDriver) close() error {
	err := d.stream.Synchronize()
	d.release()
	return err
}

func (d *cuDriver) deviceName() string { return d.name }
func (d *cuDriver) makeCurrent() error { return cu.SetCurrentContext(d.ctx) }

func (d *cuDriver) malloc(bytes int64) (devptr, error) {
	p, err := cu.MemAlloc(bytes)
	return devptr(p), err
}

func (d *cuDriver) free(p devptr) error { return cu.MemFree(cu.DevicePtr(p)) }

func (d *cuDriver) memInfo() (free, total int64, err error) {
	f, t, err := cu.MemInfo()
	return int64(f), int64(t), err
}

func (d *cuDriver) hostAlloc(bytes int) (unsafe.Pointer, error) {
	var p unsafe.Pointer
	if r := C.lf_host_alloc(&p, C.size_t(bytes)); r != 0 {
		return nil, fmt.Errorf("cuMemHostAlloc(%d bytes): %s", bytes, resultName(int(r)))
	}
	return p, nil
}

func (d *cuDriver) hostFree(p unsafe.Pointer) {
	if p != nil {
		C.lf_host_free(p)
	}
}

func (d *cuDriver) memsetD32(p devptr, v uint32, n int64) error {
	return cu.MemsetD32Async(cu.DevicePtr(p), uint(v), n, d.stream)
}

func (d *cuDriver) copyHtoD(dst devptr, src unsafe.Pointer, bytes int64) error {
	if err := cu.MemcpyHtoDAsync(cu.DevicePtr(dst), src, bytes, d.stream); err != nil {
		return err
	}
	return d.stream.Synchronize()
}

func (d *cuDriver) copyDtoH(dst unsafe.Pointer, src devptr, bytes int64) error {
	if err := cu.MemcpyDtoHAsync(dst, cu.DevicePtr(src), bytes, d.stream); err != nil {
		return err
	}
	return d.stream.Synchronize()
}

func (d *cuDriver) copyDtoD(dst, src devptr, bytes int64) error {
	return cu.MemcpyDtoDAsync(cu.DevicePtr(dst), cu.DevicePtr(src), bytes, d.stream)
}

func (d *cuDriver) sync() error { return d.stream.Synchronize() }

func (d *cuDriver) kernel(name string) (kernelFn, bool) {
	k, ok := d.fns[name]
	return k, ok
}

// setMaxShared reads the CUfunction out of the cu.Function (a struct holding
// only that pointer in gorgonia.org/cu v0.9.6, as streamPtr assumes for
// cu.Stream): cu has no binding of cuFuncSetAttribute.
func (d *cuDriver) setMaxShared(k kernelFn, bytes int) error {
	f := k.(cuKernel).f
	if r := C.lf_func_max_shared(*(*C.CUfunction)(unsafe.Pointer(&f)), C.int(bytes)); r != 0 {
		return fmt.Errorf("cuFuncSetAttribute(%s, MAX_DYNAMIC_SHARED_SIZE_BYTES, %d): CUresult %d", k.kernelName(), bytes, int(r))
	}
	return nil
}

// launch passes each argument in its own 8-byte slot (gorgonia.org/cu copies
// 8 bytes per parameter; the driver reads the parameter's size from it).
func (d *cuDriver) launch(k kernelFn, grid, block dim, shared int, args []kernelArg) error {
	slots := make([]uint64, len(args))
	params := make([]unsafe.Pointer, len(args))
	for i, a := range args {
		slots[i] = a.bits
		params[i] = unsafe.Pointer(&slots[i])
	}
	return k.(cuKernel).f.Launch(grid.x, grid.y, grid.z, block.x, block.y, block.z, shared, d.stream, params)
}

func (d *cuDriver) gemm(ta, tb bool, m, n, k int, alpha float32, a devptr, lda int, sa int64,
	b devptr, ldb int, sb int64, beta float32, c devptr, ldc int, sc int64, batch int, math Math) int {
	bi := func(v bool) C.int {
		if v {
			return 1
		}
		return 0
	}
	return int(C.lf_gemm(d.blas, bi(ta), bi(tb), C.int(m), C.int(n), C.int(k), C.float(alpha),
		C.CUdeviceptr(a), C.int(lda), C.longlong(sa), C.CUdeviceptr(b), C.int(ldb), C.longlong(sb),
		C.float(beta), C.CUdeviceptr(c), C.int(ldc), C.longlong(sc), C.int(batch), C.int(math.mode())))
}

type cuGraph struct {
	g    C.CUgraph
	exec C.CUgraphExec
}

func (d *cuDriver) beginCapture() error {
	if r := C.lf_begin_capture(d.streamPtr()); r != 0 {
		return fmt.Errorf("cuStreamBeginCapture: %s", resultName(int(r)))
	}
	return nil
}

func (d *cuDriver) endCapture() (graphExec, error) {
	var graph C.CUgraph
	if r := C.lf_end_capture(d.streamPtr(), &graph); r != 0 {
		if graph != nil {
			C.lf_graph_destroy(graph)
		}
		return nil, fmt.Errorf("cuStreamEndCapture: %s (an operation in the captured function is not capturable)", resultName(int(r)))
	}
	g := &cuGraph{g: graph}
	if r := C.lf_instantiate(&g.exec, graph); r != 0 {
		C.lf_graph_destroy(graph)
		return nil, fmt.Errorf("cuGraphInstantiateWithFlags: %s", resultName(int(r)))
	}
	return g, nil
}

func (d *cuDriver) graphLaunch(x graphExec) error {
	if r := C.lf_graph_launch(x.(*cuGraph).exec, d.streamPtr()); r != 0 {
		return fmt.Errorf("cuGraphLaunch: %s", resultName(int(r)))
	}
	return nil
}

func (d *cuDriver) graphDestroy(x graphExec) error {
	g := x.(*cuGraph)
	var err error
	if r := C.lf_exec_destroy(g.exec); r != 0 {
		err = fmt.Errorf("cuGraphExecDestroy: %s", resultName(int(r)))
	}
	if r := C.lf_graph_destroy(g.g); r != 0 && err == nil {
		err = fmt.Errorf("cuGraphDestroy: %s", resultName(int(r)))
	}
	return err
}

type cuTimer struct{ start cu.Event }

func (d *cuDriver) timeStart() (timer, error) {
	start, err := cu.MakeEvent(0)
	if err == nil {
		err = start.Record(d.stream)
	}
	if err != nil {
		return nil, err
	}
	return &cuTimer{start}, nil
}

func (d *cuDriver) timeStop(x timer) (float64, error) {
	t := x.(*cuTimer)
	defer cu.DestroyEvent(&t.start)
	stop, err := cu.MakeEvent(0)
	if err == nil {
		err = stop.Record(d.stream)
	}
	if err == nil {
		err = stop.Synchronize()
	}
	if err != nil {
		return 0, err
	}
	defer cu.DestroyEvent(&stop)
	ms, err := t.start.Elapsed(stop)
	return float64(ms), err
}
