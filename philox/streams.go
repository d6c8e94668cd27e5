package philox

import "math"

// The Philox streams of latentflow, declared once. Every Key the program
// draws from has one of these Stream values and a seed derived from the
// run's seed by one of the Salts below. Uses lists each use with its steps;
// a test checks that no two uses of one run can draw the same key, which is
// what makes rule 2 (same randomness everywhere, exact resume) hold.
const (
	StreamNoise     uint32 = 1  // x0 of a CFM batch
	StreamTime      uint32 = 2  // t of a CFM batch
	StreamIndex     uint32 = 3  // dataset rows of a flow batch
	StreamData      uint32 = 4  // generated data: 2D batches and sets, rendered digits
	StreamLabelDrop uint32 = 5  // classifier-free guidance label dropout
	StreamAEIndex   uint32 = 6  // autoencoder (stage 1) batch rows
	StreamAENoise   uint32 = 7  // autoencoder reparameterisation noise (KL > 0)
	StreamClsIndex  uint32 = 8  // evaluation classifier batch rows
	StreamSample    uint32 = 16 // initial noise x(0) of sampling (step 0)
	// StreamEvalDirections: bin/eval's own draws: the sliced-W2 directions
	// (step 0) and the convergence experiment's resampling of a training set
	// of n points (step n).
	StreamEvalDirections uint32 = 17
	// StreamInit + i initialises tensor i of a parameter layout (step 0);
	// the InitStreams streams from StreamInit on are reserved for it.
	StreamInit  uint32 = 0x1000
	InitStreams uint32 = 0x1000
)

// A Salt derives a seed from the run's seed: Seed(run) = run XOR salt. Two
// uses of the same stream and step with different salts draw different
// numbers within one run.
type Salt uint64

// The seed derivations.
const (
	SaltRun            Salt = 0       // the run's seed itself
	SaltAEInit         Salt = 0xae    // the autoencoder's initial weights
	SaltClassifierInit Salt = 0xc1a55 // the evaluation classifier's initial weights
	SaltEvalTarget     Salt = 0x5eed  // the fresh 2D data that samples are scored against
)

// Seed returns the seed that this salt derives from the run's seed.
func (s Salt) Seed(run uint64) uint64 { return run ^ uint64(s) }

// Runs says in which kinds of run a use draws (a bit set).
type Runs uint8

// Kinds of run.
const (
	RunToy     Runs = 1 << iota // built-in 2D data
	RunImages                   // an image run (autoencoder, classifier)
	RunLatents                  // imported latents
	RunBench                    // bin/bench's synthetic step
	RunAll     = RunToy | RunImages | RunLatents
)

// Use is one use of the generator: streams [Stream, Stream+Streams), seeds
// Salt.Seed(run) (or any seed when AnySeed), steps [FirstStep, LastStep].
type Use struct {
	What                string
	Stream, Streams     uint32
	Salt                Salt
	AnySeed             bool // the seed is the user's choice (sampling)
	FirstStep, LastStep uint64
	Runs                Runs
}

// lastStep bounds the training steps (the step MaxUint64 is the 2D data
// sets' reference draw).
const lastStep = math.MaxUint64 - 1

// Uses is the table of every use of the generator in latentflow.
func Uses() []Use {
	one := func(what string, stream uint32, salt Salt, first, last uint64, runs Runs) Use {
		return Use{What: what, Stream: stream, Streams: 1, Salt: salt, FirstStep: first, LastStep: last, Runs: runs}
	}
	return []Use{
		one("flow: noise x0", StreamNoise, SaltRun, 1, lastStep, RunAll|RunBench),
		one("flow: times t", StreamTime, SaltRun, 1, lastStep, RunAll|RunBench),
		one("flow: batch rows", StreamIndex, SaltRun, 1, lastStep, RunAll),
		one("flow: label dropout", StreamLabelDrop, SaltRun, 1, lastStep, RunAll),
		one("2D data: fresh batches", StreamData, SaltRun, 1, lastStep, RunToy),
		one("2D data: fixed set and normalisation reference", StreamData, SaltRun, math.MaxUint64, math.MaxUint64, RunToy),
		one("2D data: evaluation target (step 1) and bin/eval's floor set (step 2)", StreamData, SaltEvalTarget, 1, 2, RunToy),
		one("digits: training images", StreamData, SaltRun, 0, 0, RunImages),
		one("digits: test images", StreamData, SaltRun, 1, 1, RunImages),
		one("bench: synthetic batch", StreamData, SaltRun, 0, 0, RunBench),
		one("autoencoder: batch rows", StreamAEIndex, SaltRun, 1, lastStep, RunImages),
		one("autoencoder: reparameterisation noise", StreamAENoise, SaltRun, 1, lastStep, RunImages),
		one("classifier: batch rows", StreamClsIndex, SaltRun, 1, lastStep, RunImages),
		{What: "eval: sliced-W2 directions (step 0), memoriser resampling (step n)", Stream: StreamEvalDirections, Streams: 1, AnySeed: true, Runs: RunAll},
		{What: "sampling: initial noise", Stream: StreamSample, Streams: 1, AnySeed: true, Runs: RunAll | RunBench},
		{What: "flow: initial weights", Stream: StreamInit, Streams: InitStreams, Salt: SaltRun, Runs: RunAll | RunBench},
		{What: "autoencoder: initial weights", Stream: StreamInit, Streams: InitStreams, Salt: SaltAEInit, Runs: RunImages},
		{What: "classifier: initial weights", Stream: StreamInit, Streams: InitStreams, Salt: SaltClassifierInit, Runs: RunImages},
	}
}

// Collide reports whether two uses can draw the same key in one run: they
// share a kind of run, a stream and a step, and their seeds can be equal.
func Collide(a, b Use) bool {
	return a.Runs&b.Runs != 0 &&
		a.Stream < b.Stream+b.Streams && b.Stream < a.Stream+a.Streams &&
		a.FirstStep <= b.LastStep && b.FirstStep <= a.LastStep &&
		(a.AnySeed || b.AnySeed || a.Salt == b.Salt)
}
