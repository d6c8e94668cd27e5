// Package fuzzseed writes seed files of go test -fuzz corpora
// (testdata/fuzz/FuzzName/NAME in the "go test fuzz v1" encoding of one
// []byte argument), for the tests that keep the corpora of the readers.
package fuzzseed

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Encode returns the corpus file of one []byte input.
func Encode(b []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n")
}

// Write writes input b as testdata/fuzz/<target>/<name> under dir.
func Write(dir, target, name string, b []byte) error {
	d := filepath.Join(dir, "testdata", "fuzz", target)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(d, name), Encode(b), 0o644); err != nil {
		return fmt.Errorf("fuzzseed: %w", err)
	}
	return nil
}
