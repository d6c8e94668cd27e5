package pipeline

// InputError is a failure of a run caused by its input: the configuration,
// a data file, a checkpoint to resume or to load, the device asked for. It
// prints as one line, what was being done first:
//
//	resuming: runs/a/ckpt.safetensors was trained with a different model shape
//	data.npy = "z.npy": shape [10 3], want (n, 98) or (n, 7, 14) with n > 0 (model.tokens x model.chans)
//
// The commands exit with status 2 on it; other errors are failures of the
// program or the machine.
type InputError struct {
	Op  string // what was being done ("resuming", "autoencoder.checkpoint"), "" when Err says it
	Err error
}

func (e *InputError) Error() string {
	if e.Op == "" {
		return e.Err.Error()
	}
	return e.Op + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// input wraps err (not nil) as an InputError of op.
func input(op string, err error) error { return &InputError{Op: op, Err: err} }
