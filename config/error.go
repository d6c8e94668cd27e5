package config

import "strconv"

// Error is the error of every function of this package that reads input. It
// prints as one line:
//
//	config: FILE[:LINE]: KEY = VALUE: MSG
//
// leaving out the parts that are empty, for example
//
//	config: run.toml: train.batch = -4: must be a positive integer
//	config: -set: model.dd: unknown key (did you mean "model.d"?)
type Error struct {
	File  string // the config file, "-set" for an override, "" for a value not from input
	Line  int    // 1-based line in File, 0 if unknown
	Key   string // the dotted key, e.g. "train.batch"; "" if the error is not about one key
	Value string // the offending value as TOML writes it; "" if none
	Msg   string // what was wrong, or what was expected
	Err   error  // the underlying error (for example from the file system), or nil
}

func (e *Error) Error() string {
	s := "config: "
	if e.File != "" {
		s += e.File
		if e.Line > 0 {
			s += ":" + strconv.Itoa(e.Line)
		}
		s += ": "
	}
	if e.Key != "" {
		s += e.Key
		if e.Value != "" {
			s += " = " + e.Value
		}
		s += ": "
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error, so that errors.Is(err,
// fs.ErrNotExist) tells a missing file.
func (e *Error) Unwrap() error { return e.Err }
