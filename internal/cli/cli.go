// Package cli holds what latentflow's commands share: the exit-status policy
// (0 ok, 2 bad input, 1 other failure), repeatable flags and terminal detection.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// InputError marks a failure caused by the user's input (flags, configuration,
// files): the command exits with status 2.
type InputError struct{ Err error }

func (e InputError) Error() string { return e.Err.Error() }
func (e InputError) Unwrap() error { return e.Err }

// Input wraps err (if not nil) as an InputError.
func Input(err error) error {
	if err == nil {
		return nil
	}
	return InputError{err}
}

// Inputf formats an InputError.
func Inputf(format string, args ...any) error { return InputError{fmt.Errorf(format, args...)} }

// Exit prints err as one line prefixed by the command name and exits: 2 for
// input errors, 1 otherwise, 0 for nil.
func Exit(cmd string, err error) {
	if err == nil {
		os.Exit(0)
	}
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
	for strings.HasPrefix(msg, cmd+": ") { // "sample: sample: ..." from a package of the same name
		msg = strings.TrimPrefix(msg, cmd+": ")
	}
	fmt.Fprintf(os.Stderr, "%s: %s\n", cmd, msg)
	var ie InputError
	if errors.As(err, &ie) {
		os.Exit(2)
	}
	os.Exit(1)
}

// Parse parses the command line with fs (ContinueOnError); usage errors are input errors.
func Parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard) // a usage error is one line; -h prints the usage
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stderr)
			fs.Usage()
			os.Exit(0)
		}
		return Inputf("%v (see -h)", err)
	}
	if fs.NArg() > 0 {
		return Inputf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	return nil
}

// Strings is a repeatable string flag.
type Strings []string

func (s *Strings) String() string     { return strings.Join(*s, ",") }
func (s *Strings) Set(v string) error { *s = append(*s, v); return nil }

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// OnInterrupt calls first (once, on its own goroutine) at the first SIGINT
// or SIGTERM; a second one exits at once with status 130 (files are written
// atomically, so none is left half-written; temporary files are removed by
// the next run). The returned function stops listening.
func OnInterrupt(first func()) (stop func()) {
	c := make(chan os.Signal, 2)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-c:
		case <-done:
			return
		}
		first()
		select {
		case <-c:
			fmt.Fprintln(os.Stderr, "interrupted again: exiting now")
			os.Exit(130)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(c)
		close(done)
	}
}
