//go:build cuda

package gpu

// CUDA graphs: a thin binding of stream capture and graph launch (driver API;
// gorgonia.org/cu has neither). Capture records the backend's launches on its
// stream into a graph instead of running them; Launch replays the graph with
// one driver call.
//
// Symbols (cuda.h of CUDA 11.8, the headers the build uses):
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
#include <cuda.h>

static int lf_begin_capture(void* s) { return (int)cuStreamBeginCapture((CUstream)s, CU_STREAM_CAPTURE_MODE_GLOBAL); }
static int lf_end_capture(void* s, CUgraph* g) { return (int)cuStreamEndCapture((CUstream)s, g); }
static int lf_instantiate(CUgraphExec* e, CUgraph g) { return (int)cuGraphInstantiateWithFlags(e, g, 0); }
static int lf_graph_launch(CUgraphExec e, void* s) { return (int)cuGraphLaunch(e, (CUstream)s); }
static int lf_exec_destroy(CUgraphExec e) { return (int)cuGraphExecDestroy(e); }
static int lf_graph_destroy(CUgraph g) { return (int)cuGraphDestroy(g); }
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/latentflow/latentflow/compute"
)

// Graph is a captured sequence of the backend's operations, replayed by Launch.
// Kernel arguments (pointers, sizes, scalars such as a Philox key or a
// learning rate) are fixed at capture; the buffers' contents are not.
type Graph struct {
	be   *Backend
	g    C.CUgraph
	exec C.CUgraphExec
}

// Capture records the operations that fn queues on the backend into a graph
// (stream capture in global mode) and instantiates it; nothing runs on the
// device until Launch. It must not be called during another Capture.
//
// Inside fn only device-side operations are allowed: kernels, cuBLAS GEMMs
// (their workspace is preallocated at New), fills and device copies. The
// calls that allocate or wait for the device (Alloc, Free, Upload, Download,
// Sync, Time, the scalar reductions Sum, SumSquares and ErrNorm, a first use
// of an op that grows its scratch buffer) panic inside fn; Capture then ends
// the capture, discards it and returns the panic as an error, as it does for
// a panic of fn itself. Run fn once outside Capture first, so scratch buffers
// have their final size. fn must use the backend from the calling goroutine
// only, and no other goroutine may use the backend until Capture returns
// (its work would be captured too).
func (be *Backend) Capture(fn func()) (g *Graph, err error) {
	if fn == nil {
		return nil, errors.New("gpu: Capture(nil)")
	}
	// One OS thread for the whole capture (enter and leave nest LockOSThread).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	be.enter()
	if be.capturing {
		be.leave()
		return nil, errors.New("gpu: Capture inside Capture")
	}
	if r := C.lf_begin_capture(streamPtr(&be.stream)); r != 0 {
		be.leave()
		return nil, fmt.Errorf("gpu: cuStreamBeginCapture: %s", resultName(int(r)))
	}
	be.capturing = true
	be.leave()

	var perr any
	func() {
		defer func() { perr = recover() }()
		fn()
	}()

	be.enter()
	defer be.leave()
	be.capturing = false
	var graph C.CUgraph
	r := C.lf_end_capture(streamPtr(&be.stream), &graph)
	switch {
	case perr != nil:
		if graph != nil {
			C.lf_graph_destroy(graph)
		}
		return nil, fmt.Errorf("gpu: Capture: %v", perr)
	case r != 0:
		if graph != nil {
			C.lf_graph_destroy(graph)
		}
		return nil, fmt.Errorf("gpu: cuStreamEndCapture: %s (an operation in the captured function is not capturable)", resultName(int(r)))
	}
	g = &Graph{be: be, g: graph}
	if r := C.lf_instantiate(&g.exec, graph); r != 0 {
		C.lf_graph_destroy(graph)
		return nil, fmt.Errorf("gpu: cuGraphInstantiateWithFlags: %s", resultName(int(r)))
	}
	return g, nil
}

var _ compute.Capturer = (*Backend)(nil)

// CaptureGraph is Capture returning a compute.Graph (compute.Capturer).
func (be *Backend) CaptureGraph(fn func()) (compute.Graph, error) {
	g, err := be.Capture(fn)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// Launch queues one replay of the graph on the backend's stream (it does not
// wait: Sync or a Download does).
func (g *Graph) Launch() error {
	if g == nil || g.exec == nil {
		return errors.New("gpu: Launch of a closed graph")
	}
	be := g.be
	be.enter()
	defer be.leave()
	if be.capturing {
		return errors.New("gpu: Graph.Launch inside Capture")
	}
	if r := C.lf_graph_launch(g.exec, streamPtr(&be.stream)); r != 0 {
		return fmt.Errorf("gpu: cuGraphLaunch: %s", resultName(int(r)))
	}
	return nil
}

// Close waits for the queued work and destroys the graph. Closing twice does nothing.
func (g *Graph) Close() error {
	if g == nil || g.exec == nil {
		return nil
	}
	be := g.be
	be.enter()
	defer be.leave()
	if be.capturing {
		return errors.New("gpu: Graph.Close inside Capture")
	}
	var err error
	if e := be.stream.Synchronize(); e != nil {
		err = fmt.Errorf("gpu: Graph.Close: %v", e)
	}
	if r := C.lf_exec_destroy(g.exec); r != 0 && err == nil {
		err = fmt.Errorf("gpu: cuGraphExecDestroy: %s", resultName(int(r)))
	}
	if r := C.lf_graph_destroy(g.g); r != 0 && err == nil {
		err = fmt.Errorf("gpu: cuGraphDestroy: %s", resultName(int(r)))
	}
	g.exec, g.g = nil, nil
	return err
}
