package gpu

// Calls counts the operations the host has queued on the stream since New
// (during a Capture: recorded into the graph). A test or bin/bench brackets
// a train step with it to count its launches.
type Calls struct {
	Kernels int64 // kernel launches (cuLaunchKernel)
	Gemms   int64 // cuBLAS GEMM calls (each one or a few kernels on the device)
	Memops  int64 // device fills and copies (Fill, Copy)
	Uploads int64 // host-to-device copies (Upload, per staged chunk)
	Graphs  int64 // graph replays (Graph.Launch)
}
