// Package train runs latentflow's flow-matching training loop: data batches,
// the CFM loss, Backward, global gradient-norm clipping, AdamW with linear
// warmup and a constant or cosine schedule, an EMA of the weights, metrics,
// a live progress line, checkpoints (with exact resume), and the figures at
// the end of a run.
//
// Every random number of a step comes from the Philox streams keyed by
// (seed, step, stream) (see package flow), so a resumed run continues exactly
// as the uninterrupted run would have.
//
// # Files in the run directory
//
//	config.toml        the resolved configuration
//	ckpt.safetensors   the latest checkpoint (weights, EMA, AdamW moments, step, config)
//	metrics.jsonl      one JSON object per log interval
//	loss.png, samples.png, trajectories.png   figures (2D data)
//
// # Error handling
//
// Failures caused by input (configuration, files) are returned wrapped with
// what was being done; programming errors panic.
package train
