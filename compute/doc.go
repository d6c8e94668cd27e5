// Package compute defines the Backend interface: the coarse, fused operations
// on device-resident float32 buffers out of which latentflow's models, losses,
// optimizers and ODE solvers are built. The model's Forward and Backward are
// written once against this interface; compute/cpu is the reference backend
// (the specification) and gpu is the CUDA backend.
//
// # Dimensions
//
// Names are the same in every package:
//
//	B  batch size (samples)
//	T  tokens per sample
//	C  channels per token (the data / latent width)
//	D  model width
//	H  attention heads, Dh = D/H the head width
//	N  rows of a row-major matrix, usually B*T
//
// All matrices are row-major. A Buffer is a flat float32 array; Slice makes
// views, so one parameter buffer can hold every weight of a model.
//
// # Error handling
//
// Misuse (shape mismatch, a view out of range) panics with a message
// prefixed by the backend's package ("cpu: ..."). Operations return nothing: a backend that can fail asynchronously
// (the GPU) reports failures from Sync.
package compute
