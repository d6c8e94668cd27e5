// Package gpu opens latentflow's compute backend by name and, built with the
// `cuda` tag (make gpu), provides the CUDA backend: the hand-written kernels
// of package kernels (PTX embedded in the binary, JIT-compiled by the driver)
// launched through gorgonia.org/cu, plus a thin cgo binding of our own for
// what cu lacks: cuBLAS on our stream (TF32 tensor-op and bf16 GEMM via
// cublasGemmStridedBatchedEx, with a preallocated workspace), pinned host
// memory (cuMemHostAlloc), stream capture into CUDA graphs (graph.go), and a
// guard around cuInit (see below).
//
// # Builds
//
// Without the tag (the default, pure-Go build) Open("cuda") returns ErrNoCUDA
// ("built without CUDA support: build with make gpu") and Open("auto")
// returns the CPU backend. With the tag, Open("auto") returns the CUDA
// backend when a GPU is usable and the CPU backend otherwise.
//
// # Start-up on a machine without a GPU (cuda build)
//
// gorgonia.org/cu calls cuInit in its package init and exits the process
// when it fails. The cuda build defines its own cuInit (gpu/initguard.go)
// that the linker binds cu's call to: it calls the driver's cuInit, records
// the result and reports success, so the process survives; New then returns
// the recorded error ("no usable CUDA device: ...") and Open("auto") falls
// back to the CPU. What cannot be avoided: a cuda binary links libcuda.so.1
// and libcublas, so on a machine without the NVIDIA driver the dynamic loader
// refuses to start it ("error while loading shared libraries: libcuda.so.1")
// before any Go code runs. Use the default build there.
//
// # Threads
//
// A CUDA context is current per OS thread. Every method of Backend locks its
// goroutine to its OS thread for the duration of the call
// (runtime.LockOSThread), makes the backend's context current
// (cuCtxSetCurrent) and holds the backend's mutex, so a Backend may be used
// from any goroutine (test subtests run on their own goroutines) and calls
// from several goroutines are serialised. All work is queued on one stream;
// only Download, Sync and the scalar reductions wait for it.
//
// # CUDA graphs
//
// Backend.Capture records what a function queues on the stream into a graph
// (stream capture, global mode) and Graph.Launch replays it with one driver
// call; kernel arguments are fixed at capture. Capture holds the backend's
// mutex only around the begin and the end of the capture (the captured ops
// take it as usual) and runs on one OS thread. During a capture the calls
// that allocate or wait for the device panic ("... inside Capture"), and
// Capture turns that into its error after ending the capture, so the stream
// stays usable; cuBLAS never allocates (its workspace is set at New). No
// other goroutine may use the backend during a capture.
//
// # Errors
//
// A failing CUDA call (out of memory, a kernel fault) panics with a "gpu: "
// message naming the call: Backend methods have no error return, and after a
// kernel fault the context is unusable. Bad indices seen by a kernel
// (GatherRows, ScatterAddRows, SoftmaxCrossEntropy labels) cannot panic on
// the device: they set a bit in a device error word that Sync reports.
package gpu
