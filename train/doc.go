// Package train is latentflow's training loop and the state it drives.
//
// Loop.Run is the one loop: it fills each batch from a Source (Rows: a
// device-resident set gathered by Philox row indices), calls a Stepper's
// Step, reads the loss and the gradient norm at log steps, writes one Record
// per log step as a JSON line, shows the progress (internal/progress), stops
// when training diverges and calls the checkpoint hook. The steppers are
// the flow (Trainer: CFM loss, clipping, AdamW, EMA), the autoencoder
// (AEStepper) and the evaluation classifier (ClassifierStepper); they share
// the optimiser state Optim (AdamW with the warmup and cosine Schedule,
// global-norm clipping on the device).
//
// What a whole run does around the loop (data, stages, caches, figures,
// samples, files) is package pipeline's.
//
// # One step, function by function
//
//	Loop.Run          src.Fill(x, y, step)           (Rows.Fill: UniformIndex, GatherRows)
//	  Trainer.Step    Objective.Prepare              (x0, t from Philox; xt)
//	                  Fill(grads, 0); DropLabels
//	                  DiT.Forward; Objective.Loss; DiT.Backward
//	                  Optim.update                   (GradClipScale, Schedule.LR, AdamWStepDev)
//	                  EMA
//	  at log steps    Optim.GradNorm; read and reset Loss; Record -> metrics.jsonl
//	  every CkptEvery, every CkptInterval of wall time, on Interrupt:
//	                  Optim.GradNorm (divergence); the Carry of the log interval; Checkpoint hook
//
// Every random number of a step comes from the Philox streams keyed by
// (seed, step, stream) (package philox's table), so a resumed run continues
// exactly as the uninterrupted run would have.
//
// # Error handling
//
// Divergence and device failures are returned; misuse (a state of the
// wrong size, an unknown schedule in a validated config) panics with a
// "train: ..." message.
package train
