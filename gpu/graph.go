//go:build cuda || cudaemu

package gpu

// CUDA graphs: Capture records the backend's launches on its stream into a
// graph instead of running them (the driver's stream capture); Launch replays
// the graph with one driver call.

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
	exec graphExec
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
	if err := be.drv.beginCapture(); err != nil {
		be.leave()
		return nil, fmt.Errorf("gpu: %v", err)
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
	exec, err := be.drv.endCapture()
	switch {
	case perr != nil:
		if err == nil {
			be.drv.graphDestroy(exec)
		}
		return nil, fmt.Errorf("gpu: Capture: %v", perr)
	case err != nil:
		return nil, fmt.Errorf("gpu: %v", err)
	}
	return &Graph{be: be, exec: exec}, nil
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
	be.calls.Graphs++
	if err := be.drv.graphLaunch(g.exec); err != nil {
		return fmt.Errorf("gpu: %v", err)
	}
	return nil
}

// Close waits for the queued work and destroys the graph. Closing twice does nothing.
func (g *Graph) Close() error {
	if g == nil || g.exec == nil {
		return nil
	}
	be := g.be
	if !be.tryEnter() {
		g.exec = nil // the backend's Close released the device and its graphs
		return nil
	}
	defer be.leave()
	if be.capturing {
		return errors.New("gpu: Graph.Close inside Capture")
	}
	var err error
	if e := be.hostWait(); e != nil {
		err = fmt.Errorf("gpu: Graph.Close: %v", e)
	}
	if e := be.drv.graphDestroy(g.exec); e != nil && err == nil {
		err = fmt.Errorf("gpu: %v", e)
	}
	g.exec = nil
	return err
}
