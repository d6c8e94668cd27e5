// Package pipeline runs a whole training run around the loop of package
// train: it opens the backend, prepares the data (the built-in 2D sets,
// imported latents, or an image set with its stages: the autoencoder,
// the latent cache latents.npy and the evaluation classifier), trains the
// flow with checkpoints and exact resume, and ends with the figures and
// samples of the run (through package generate).
//
// # Files in the run directory
//
//	config.toml        the resolved configuration
//	ckpt.safetensors   the latest checkpoint (weights, EMA, AdamW moments, step, config)
//	metrics.jsonl      one train.Record per log interval
//	loss.png, samples.png, trajectories.png   figures (2D data)
//
// An image run adds autoencoder.safetensors, ae_metrics.jsonl, latents.npy
// and labels.npy (the latent cache), reconstructions.png,
// classifier.safetensors, classifier_metrics.jsonl, samples*.npy,
// samples.png, ae_loss.png and eval.json. Result.Files lists every file
// written. While the autoencoder or the classifier trains, its checkpoint
// is autoencoder.state.safetensors or classifier.state.safetensors
// (removed when the stage ends).
//
// # Before anything is written
//
// Run checks everything it can before it allocates or writes: the model
// shape, the memory estimate of the whole run against the machine's
// (CheckMemory), the checkpoint to resume (same model, data and
// optimisation: config.Resumable), and that the run directory can be
// written; it then removes the temporary files a killed run left there. A
// closed Options.Interrupt (a signal) ends the stage that trains after its
// current step with a checkpoint (Result.Interrupted).
//
// # Error handling
//
// Failures caused by input (configuration, data files, checkpoints, the
// device asked for) are returned as *InputError; the commands exit with
// status 2 on them. Other failures are returned wrapped with what was being
// done; programming errors panic.
package pipeline
