// Package generate draws samples from a trained run: the flow's ODE from
// noise with the sampling weights (EMA or raw), mapped back to data space;
// for an image run, decoded by the autoencoder, scored by the classifier and
// written as .npy files and a PNG grid. bin/train (at the end of a run) and
// bin/sample both sample through it.
//
// # Error handling
//
// Solver and file failures are returned; misuse (a class outside the
// model's classes) panics with a "generate: ..." message.
package generate
