package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixtures written by NumPy (testdata/make_fixtures.py).
func TestReadNPYFixtures(t *testing.T) {
	f4 := []float32{-1, -0.5, 0, 0.5, 1, 1.5}
	iota24 := make([]float32, 24)
	for i := range iota24 {
		iota24[i] = float32(i)
	}
	tests := []struct {
		file  string
		shape []int
		want  []float32
	}{
		{"f4-2x3.npy", []int{2, 3}, f4},
		{"f4-v2.npy", []int{2, 3}, f4},
		{"f4-2x3x4.npy", []int{2, 3, 4}, iota24},
		{"f4-scalar.npy", []int{}, []float32{3.25}},
		{"f4-0x3.npy", []int{0, 3}, []float32{}},
		{"f8-5.npy", []int{5}, []float32{float32(0.1), -2.5, float32(1e10), float32(3.0e-8), float32(math.Copysign(0, -1))}},
	}
	for _, tt := range tests {
		shape, v, err := ReadNPY(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		if !reflect.DeepEqual(shape, tt.shape) {
			t.Errorf("%s: shape %v, want %v", tt.file, shape, tt.shape)
		}
		if !sameBits(v, tt.want) {
			t.Errorf("%s: values %v, want %v", tt.file, v, tt.want)
		}
	}
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestReadNPYErrors(t *testing.T) {
	var format FormatError
	var unsupported UnsupportedError
	tests := []struct {
		file string
		kind any    // *FormatError or *UnsupportedError
		msg  string // part of the message
	}{
		{"invalid-magic.npy", &format, "bad magic"},
		{"invalid-short.npy", &format, "too short"},
		{"invalid-version.npy", &unsupported, "version 9.0"},
		{"invalid-fortran.npy", &unsupported, "Fortran order"},
		{"invalid-dtype.npy", &unsupported, "dtype <i4"},
		{"invalid-bigendian.npy", &unsupported, "dtype >f4"},
		{"invalid-header-length.npy", &format, "header of 60000 bytes is larger than"},
		{"invalid-header-key.npy", &format, `no key "shape"`},
		{"invalid-truncated.npy", &format, "data shorter than shape [2 3] says: want 24 bytes, the file has 19"},
		{"invalid-trailing.npy", &format, "4 bytes after the data"},
	}
	for _, tt := range tests {
		path := filepath.Join("testdata", tt.file)
		_, _, err := ReadNPY(path)
		if err == nil {
			t.Errorf("%s: no error", tt.file)
			continue
		}
		if !errors.As(err, tt.kind) {
			t.Errorf("%s: error %q is not a %T", tt.file, err, tt.kind)
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %q does not name the file and say %q", tt.file, err, tt.msg)
		}
	}
	if _, _, err := ReadNPY(filepath.Join("testdata", "missing.npy")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v, want os.ErrNotExist", err)
	}
}

// A size in the header that would overflow int64 is refused before anything
// is allocated.
func TestReadNPYHugeShape(t *testing.T) {
	hdr, err := npyHeader([]int{2, 3})
	if err != nil {
		t.Fatal(err)
	}
	hdr = bytes.Replace(hdr, []byte("(2, 3), }"), []byte("(9223372036854775807, 9223372036854775807), }"), 1)
	hdr = bytes.Replace(hdr, bytes.Repeat([]byte(" "), 36), nil, 1) // keep the length
	path := filepath.Join(t.TempDir(), "huge.npy")
	if err := os.WriteFile(path, append(hdr, make([]byte, 24)...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = ReadNPY(path)
	var format FormatError
	if !errors.As(err, &format) || !strings.Contains(err.Error(), "data shorter") {
		t.Errorf("error %v, want data shorter than the shape says", err)
	}
}

// The header WriteNPY makes is byte for byte the one NumPy made for the
// fixture (NumPy may pad other shapes further, which readers ignore).
func TestNPYHeaderMatchesNumPy(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "f4-2x3.npy"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := npyHeader([]int{2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want[:len(got)]) || len(got) != len(want)-24 {
		t.Errorf("header\n%q\nwant\n%q", got, want[:len(want)-24])
	}
}

func TestWriteNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		shape []int
		n     int
	}{
		{[]int{}, 1},
		{[]int{0}, 0},
		{[]int{7}, 7},
		{[]int{3, 2}, 6},
		{[]int{2, 0, 5}, 0},
		{[]int{5000, 2}, 10000}, // more than one write buffer
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 3628800},
	}
	for _, tt := range tests {
		v := make([]float32, tt.n)
		for i := range v {
			v[i] = float32(i)*0.25 - 3
		}
		path := filepath.Join(dir, "a.npy")
		if err := WriteNPY(path, tt.shape, v); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if off := len(raw) - 4*tt.n; off%npyAlign != 0 {
			t.Errorf("shape %v: data starts at %d, not a multiple of %d", tt.shape, off, npyAlign)
		}
		shape, got, err := ReadNPY(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(shape) != len(tt.shape) || (len(shape) > 0 && !reflect.DeepEqual(shape, tt.shape)) {
			t.Errorf("shape %v read back as %v", tt.shape, shape)
		}
		if !sameBits(got, v) {
			t.Errorf("shape %v: values differ", tt.shape)
		}
	}
	// Only a.npy is left: the temporary files were renamed away.
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "a.npy" {
		t.Errorf("directory holds %v, want only a.npy", ents)
	}
}

func TestWriteNPYErrors(t *testing.T) {
	// A directory that does not exist: returned, naming the file.
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "a.npy")
	if err := WriteNPY(path, []int{1}, []float32{1}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want one naming %s", err, path)
	}
	// Misuse panics.
	for _, tt := range []struct {
		shape []int
		n     int
	}{{[]int{2, 3}, 5}, {[]int{-1}, 0}, {[]int{}, 0}} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(r.(string), "data: ") {
					t.Errorf("shape %v with %d values: recovered %v, want a data: panic", tt.shape, tt.n, r)
				}
			}()
			WriteNPY(filepath.Join(t.TempDir(), "a.npy"), tt.shape, make([]float32, tt.n))
		}()
	}
}

// numpyPython returns a python3 that can import numpy, or skips the test.
func numpyPython(t *testing.T) string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(py); err == nil {
			if exec.Command(p, "-c", "import numpy").Run() == nil {
				return p
			}
		}
	}
	t.Skip("python3 with numpy not found (Debian: apt-get install python3-numpy)")
	return ""
}

// NumPy itself loads what WriteNPY writes: shape, dtype and every bit.
func TestWriteNPYLoadsInNumPy(t *testing.T) {
	py := numpyPython(t)
	dir := t.TempDir()
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-45, -3.4028235e38, float32(math.Inf(1)), float32(math.NaN()), 0.1, 12345.678}
	tests := []struct {
		shape []int
		v     []float32
	}{
		{[]int{2, 4}, special},
		{[]int{8}, special},
		{[]int{}, []float32{2.5}},
		{[]int{0, 2}, nil},
		{[]int{3, 1, 2}, []float32{1, 2, 3, 4, 5, 6}},
	}
	const script = `
import json, sys
import numpy as np
a = np.load(sys.argv[1])
raw = open(sys.argv[1], "rb").read()
print(json.dumps({"shape": list(a.shape), "dtype": a.dtype.str, "fortran": bool(np.isfortran(a)) and a.ndim > 1,
                  "bits": np.ascontiguousarray(a).reshape(-1).view("<u4").tolist(),
                  "offset": len(raw) - a.nbytes}))
`
	for _, tt := range tests {
		path := filepath.Join(dir, "w.npy")
		if err := WriteNPY(path, tt.shape, tt.v); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "-c", script, path).CombinedOutput()
		if err != nil {
			t.Fatalf("shape %v: numpy failed: %v\n%s", tt.shape, err, out)
		}
		var got struct {
			Shape   []int
			Dtype   string
			Fortran bool
			Bits    []uint32
			Offset  int
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("shape %v: %v in %s", tt.shape, err, out)
		}
		if len(got.Shape) != len(tt.shape) || (len(tt.shape) > 0 && !reflect.DeepEqual(got.Shape, tt.shape)) {
			t.Errorf("numpy shape %v, want %v", got.Shape, tt.shape)
		}
		if got.Dtype != "<f4" || got.Fortran {
			t.Errorf("shape %v: numpy dtype %s fortran %v, want <f4 in C order", tt.shape, got.Dtype, got.Fortran)
		}
		if got.Offset%64 != 0 {
			t.Errorf("shape %v: data at offset %d", tt.shape, got.Offset)
		}
		if len(got.Bits) != len(tt.v) {
			t.Fatalf("shape %v: numpy read %d values, want %d", tt.shape, len(got.Bits), len(tt.v))
		}
		for i, b := range got.Bits {
			if b != math.Float32bits(tt.v[i]) {
				t.Errorf("shape %v: value %d has bits %#x, want %#x", tt.shape, i, b, math.Float32bits(tt.v[i]))
			}
		}
	}
}
