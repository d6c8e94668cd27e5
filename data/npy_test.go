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
		{"invalid-fortran-i8.npy", &unsupported, "Fortran order"},
		{"invalid-dtype.npy", &unsupported, "dtype <c8 (want '<f4', '<f8', '|u1', '<i4' or '<i8')"},
		{"invalid-bigendian.npy", &unsupported, "dtype >f4"},
		{"invalid-structured.npy", &unsupported, "structured dtype"},
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
	hdr, err := npyHeader("<f4", []int{2, 3})
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
	got, err := npyHeader("<f4", []int{2, 3})
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

// Integer fixtures written by NumPy, read by ReadNPY as exact float32.
func TestReadNPYIntegerFixtures(t *testing.T) {
	tests := []struct {
		file  string
		shape []int
		want  []float32
	}{
		{"u1-2x3.npy", []int{2, 3}, []float32{0, 1, 127, 128, 254, 255}},
		{"u1-4.npy", []int{4}, []float32{0, 1, 2, 255}},
		{"i4-6.npy", []int{6}, []float32{5, 4, 3, 2, 1, 0}},
		{"i8-6.npy", []int{6}, []float32{3, 0, 9, 1, 1, 7}},
		{"i8-2x3.npy", []int{2, 3}, []float32{-1 << 24, -1, 0, 1, 255, 1 << 24}},
		{"f8-labels.npy", []int{4}, []float32{0, 2, 1, 9}},
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
	// 2^24+1 has no float32: refused, not rounded.
	path := filepath.Join("testdata", "i8-big.npy")
	_, _, err := ReadNPY(path)
	var unsupported UnsupportedError
	if !errors.As(err, &unsupported) || !strings.Contains(err.Error(), path) ||
		!strings.Contains(err.Error(), "value 16777217 at index 1 is not exact in float32") {
		t.Errorf("%s: error %v, want an UnsupportedError naming the file and value 16777217", path, err)
	}
}

func TestReadNPYLabels(t *testing.T) {
	tests := []struct {
		file string
		want []int
	}{
		{"u1-4.npy", []int{0, 1, 2, 255}},
		{"i4-6.npy", []int{5, 4, 3, 2, 1, 0}},
		{"i8-6.npy", []int{3, 0, 9, 1, 1, 7}},
		{"i8-big.npy", []int{0, 1<<24 + 1}}, // exact as an int
		{"f8-labels.npy", []int{0, 2, 1, 9}},
	}
	for _, tt := range tests {
		got, err := ReadNPYLabels(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: labels %v, want %v", tt.file, got, tt.want)
		}
	}

	var format FormatError
	var unsupported UnsupportedError
	errTests := []struct {
		file string
		kind any
		msg  string
	}{
		{"i8-neg.npy", &unsupported, "label -1 at index 1 (want labels >= 0)"},
		{"f8-5.npy", &unsupported, "label 0.1 at index 0 (want integral values"},
		{"u1-2x3.npy", &unsupported, "labels of shape [2 3] (want a 1-D array)"},
		{"f4-scalar.npy", &unsupported, "labels of shape [] (want a 1-D array)"},
		{"invalid-fortran.npy", &unsupported, "Fortran order"},
		{"invalid-dtype.npy", &unsupported, "dtype <c8"},
		{"invalid-truncated.npy", &format, "data shorter"},
		{"invalid-magic.npy", &format, "bad magic"},
	}
	for _, tt := range errTests {
		path := filepath.Join("testdata", tt.file)
		_, err := ReadNPYLabels(path)
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
	if _, err := ReadNPYLabels(filepath.Join("testdata", "missing.npy")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v, want os.ErrNotExist", err)
	}
}

// Float labels that are not integral, or too large for an exact int, are
// refused; -0 is the label 0.
func TestReadNPYLabelsFloat(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		v    []float32
		want []int
		msg  string
	}{
		{[]float32{1, float32(math.Copysign(0, -1)), 16777216}, []int{1, 0, 16777216}, ""},
		{[]float32{1, float32(math.NaN())}, nil, "label NaN at index 1"},
		{[]float32{float32(math.Inf(1))}, nil, "label +Inf at index 0"},
		{[]float32{2, 1.5}, nil, "label 1.5 at index 1"},
		{[]float32{-2}, nil, "label -2 at index 0"},
		{[]float32{1e30}, nil, "label 1.0000000150474662e+30 at index 0"},
	} {
		path := filepath.Join(dir, "l.npy")
		if err := WriteNPY(path, []int{len(tt.v)}, tt.v); err != nil {
			t.Fatal(err)
		}
		got, err := ReadNPYLabels(path)
		if tt.msg == "" {
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%v: labels %v, %v, want %v", tt.v, got, err, tt.want)
			}
			continue
		}
		var unsupported UnsupportedError
		if !errors.As(err, &unsupported) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%v: error %v, want an UnsupportedError saying %q", tt.v, err, tt.msg)
		}
	}
}

func TestWriteNPYIntegersRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		shape []int
		n     int
	}{{[]int{}, 1}, {[]int{0}, 0}, {[]int{7}, 7}, {[]int{3, 2}, 6}, {[]int{5000}, 5000}, {[]int{100, 100}, 10000}} {
		// int64: header, then read back as labels (1-D) and as float32.
		v := make([]int64, tt.n)
		for i := range v {
			v[i] = int64(i * 3 % 1000)
		}
		path := filepath.Join(dir, "i.npy")
		if err := WriteNPYInt64(path, tt.shape, v); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		hdr, _ := npyHeader("<i8", tt.shape)
		if !bytes.Equal(raw[:len(hdr)], hdr) || len(raw) != len(hdr)+8*tt.n || len(hdr)%npyAlign != 0 {
			t.Errorf("int64 shape %v: file of %d bytes, header %q", tt.shape, len(raw), raw[:min(len(raw), len(hdr))])
		}
		shape, f, err := ReadNPY(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(shape) != len(tt.shape) || len(f) != tt.n {
			t.Errorf("int64 shape %v read back as %v with %d values", tt.shape, shape, len(f))
		}
		for i := range f {
			if f[i] != float32(v[i]) {
				t.Errorf("int64 shape %v: value %d is %v, want %d", tt.shape, i, f[i], v[i])
				break
			}
		}
		if len(tt.shape) == 1 {
			labels, err := ReadNPYLabels(path)
			if err != nil {
				t.Fatal(err)
			}
			for i := range labels {
				if int64(labels[i]) != v[i] {
					t.Errorf("int64 shape %v: label %d is %d, want %d", tt.shape, i, labels[i], v[i])
					break
				}
			}
		}

		// uint8: every byte value.
		u := make([]uint8, tt.n)
		for i := range u {
			u[i] = uint8(i * 7)
		}
		if err := WriteNPYUint8(path, tt.shape, u); err != nil {
			t.Fatal(err)
		}
		raw, err = os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		hdr, _ = npyHeader("|u1", tt.shape)
		if !bytes.Equal(raw[:len(hdr)], hdr) || !bytes.Equal(raw[len(hdr):], u) {
			t.Errorf("uint8 shape %v: file differs from header + values", tt.shape)
		}
		shape, f, err = ReadNPY(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(shape) != len(tt.shape) || len(f) != tt.n {
			t.Errorf("uint8 shape %v read back as %v with %d values", tt.shape, shape, len(f))
		}
		for i := range f {
			if f[i] != float32(u[i]) {
				t.Errorf("uint8 shape %v: value %d is %v, want %d", tt.shape, i, f[i], u[i])
				break
			}
		}
	}
	// Negative int64 values survive (as float32, within 2^24).
	path := filepath.Join(dir, "neg.npy")
	if err := WriteNPYInt64(path, []int{3}, []int64{-1 << 24, -7, 1 << 24}); err != nil {
		t.Fatal(err)
	}
	if _, f, err := ReadNPY(path); err != nil || !reflect.DeepEqual(f, []float32{-1 << 24, -7, 1 << 24}) {
		t.Errorf("negative int64: %v, %v", f, err)
	}
}

func TestWriteNPYIntegersErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "a.npy")
	if err := WriteNPYInt64(path, []int{1}, []int64{1}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("WriteNPYInt64: error %v, want one naming %s", err, path)
	}
	if err := WriteNPYUint8(path, []int{1}, []uint8{1}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("WriteNPYUint8: error %v, want one naming %s", err, path)
	}
	for _, tt := range []struct {
		shape []int
		n     int
	}{{[]int{2, 3}, 5}, {[]int{-1}, 0}, {[]int{}, 0}} {
		for name, write := range map[string]func() error{
			"WriteNPYInt64": func() error { return WriteNPYInt64(filepath.Join(t.TempDir(), "a.npy"), tt.shape, make([]int64, tt.n)) },
			"WriteNPYUint8": func() error { return WriteNPYUint8(filepath.Join(t.TempDir(), "a.npy"), tt.shape, make([]uint8, tt.n)) },
		} {
			func() {
				defer func() {
					if r, ok := recover().(string); !ok || !strings.HasPrefix(r, "data: "+name+" ") {
						t.Errorf("%s shape %v with %d values: recovered %q, want a data: %s panic", name, tt.shape, tt.n, r, name)
					}
				}()
				write()
			}()
		}
	}
}

// NumPy loads what WriteNPYInt64 and WriteNPYUint8 write: shape, dtype and
// every value.
func TestWriteNPYIntegersLoadInNumPy(t *testing.T) {
	py := numpyPython(t)
	dir := t.TempDir()
	const script = `
import json, sys
import numpy as np
a = np.load(sys.argv[1])
print(json.dumps({"shape": list(a.shape), "dtype": a.dtype.str, "fortran": bool(np.isfortran(a)) and a.ndim > 1,
                  "values": a.reshape(-1).tolist()}))
`
	i64 := []int64{math.MinInt64, -1, 0, 1, 1 << 40, math.MaxInt64}
	u8 := []uint8{0, 1, 127, 128, 254, 255}
	tests := []struct {
		shape []int
		dtype string
		want  []int64
		write func(path string) error
	}{
		{[]int{2, 3}, "<i8", i64, func(p string) error { return WriteNPYInt64(p, []int{2, 3}, i64) }},
		{[]int{6}, "<i8", i64, func(p string) error { return WriteNPYInt64(p, []int{6}, i64) }},
		{[]int{}, "<i8", []int64{-5}, func(p string) error { return WriteNPYInt64(p, nil, []int64{-5}) }},
		{[]int{0, 4}, "<i8", []int64{}, func(p string) error { return WriteNPYInt64(p, []int{0, 4}, nil) }},
		{[]int{3, 1, 2}, "|u1", []int64{0, 1, 127, 128, 254, 255}, func(p string) error { return WriteNPYUint8(p, []int{3, 1, 2}, u8) }},
		{[]int{6}, "|u1", []int64{0, 1, 127, 128, 254, 255}, func(p string) error { return WriteNPYUint8(p, []int{6}, u8) }},
		{[]int{}, "|u1", []int64{200}, func(p string) error { return WriteNPYUint8(p, []int{}, []uint8{200}) }},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, "w.npy")
		if err := tt.write(path); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "-c", script, path).CombinedOutput()
		if err != nil {
			t.Fatalf("%s shape %v: numpy failed: %v\n%s", tt.dtype, tt.shape, err, out)
		}
		var got struct {
			Shape   []int
			Dtype   string
			Fortran bool
			Values  []int64
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s shape %v: %v in %s", tt.dtype, tt.shape, err, out)
		}
		if len(got.Shape) != len(tt.shape) || (len(tt.shape) > 0 && !reflect.DeepEqual(got.Shape, tt.shape)) {
			t.Errorf("%s: numpy shape %v, want %v", tt.dtype, got.Shape, tt.shape)
		}
		if got.Dtype != tt.dtype || got.Fortran {
			t.Errorf("shape %v: numpy dtype %s fortran %v, want %s in C order", tt.shape, got.Dtype, got.Fortran, tt.dtype)
		}
		if len(got.Values) != len(tt.want) || (len(tt.want) > 0 && !reflect.DeepEqual(got.Values, tt.want)) {
			t.Errorf("%s shape %v: numpy values %v, want %v", tt.dtype, tt.shape, got.Values, tt.want)
		}
	}
}
