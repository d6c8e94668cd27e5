// Package atomicfile writes files so that a reader (or a crash) sees either
// the old file or the complete new one, never a half-written file.
package atomicfile

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Write calls write with a buffered temporary file beside path, then flushes,
// makes it world-readable (0644), fsyncs, closes and renames it over path, and
// syncs the directory (best effort). On any failure the temporary file is
// removed and an existing file at path is untouched. The error does not name
// the temporary file (the caller names path): "no space left on device".
func Write(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, TempPrefix(base))
	if err != nil {
		return pathless(err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = pathless(err)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename durable; not every file system can sync a directory,
	// and the file itself is already safe, so a failure here is ignored.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// WriteBytes writes b to path atomically (see Write).
func WriteBytes(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// TempPrefix is the pattern of the temporary file of a file named base
// (for os.CreateTemp): ".BASE.tmp-*". Clean removes what matches it.
func TempPrefix(base string) string { return "." + base + ".tmp-*" }

// IsTemp reports whether a file name is a temporary file of Write (or of
// another writer that follows TempPrefix).
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// Clean removes the temporary files (IsTemp) in dir that a process killed
// while writing left behind; the files they were to replace are intact.
func Clean(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.Type().IsRegular() && IsTemp(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// pathless drops the path of an *os.PathError or *os.LinkError (the name
// of the temporary file), keeping what went wrong.
func pathless(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
