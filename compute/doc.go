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
// # Edge cases of the loss and sampling operations
//
// The formulas on Backend leave a few cases open; every backend settles them
// the same way (compute/backendtest checks it):
//
//   - SoftmaxCrossEntropy: a label that is not one of the integers 0..K-1
//     (negative, K or more, fractional, NaN) has no class: its row adds 0 to
//     the loss (still divided by B) and its onehot is all zero, so its
//     dlogits row is p / B. Nothing panics on the device.
//   - GaussianSample and GaussianSampleBackward: the clamp of logvar to
//     [-30, 20] passes the gradient for -30 <= logvar <= 20 (the ends
//     included) and blocks it strictly outside, for both the dz and the KL
//     terms.
//   - DropLabels: the comparison u_i < p is strict and in float32, with u_i
//     exactly element i of philox.Key.FillUniform (offset 0); Philox uniforms
//     lie in [2^-24, 1 - 2^-24], so p = 0 drops nothing and p = 1 drops all.
//
// # Error handling
//
// Misuse (shape mismatch, a view out of range) panics with a message
// prefixed by the backend's package ("cpu: ..."). Operations return nothing: a backend that can fail asynchronously
// (the GPU) reports failures from Sync.
package compute
