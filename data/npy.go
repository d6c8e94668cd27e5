package data

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/latentflow/latentflow/internal/atomicfile"
)

// NPY format (NEP 1): the magic string "\x93NUMPY", one byte major and one
// byte minor version, the header length (uint16 little-endian in 1.0, uint32
// in 2.0 and 3.0), then the header: a Python dict literal with the keys
// 'descr', 'fortran_order' and 'shape', padded with spaces and ended by '\n'
// so that the data that follows starts at a multiple of 64 bytes.
const npyMagic = "\x93NUMPY"

// npyAlign is the alignment of the data start NumPy uses (and WriteNPY keeps).
const npyAlign = 64

// FormatError reports a file that is not a valid NPY file.
type FormatError string

func (e FormatError) Error() string { return "invalid NPY file: " + string(e) }

// UnsupportedError reports a valid NPY file that uses a feature this package
// does not read (a version, a dtype, Fortran order).
type UnsupportedError string

func (e UnsupportedError) Error() string { return "unsupported NPY feature: " + string(e) }

// WriteNPY writes v, a C-order array of the given shape, to path as an NPY 1.0
// file of dtype '<f4'. An empty shape writes a 0-d array (one value). The file
// is written to a temporary file in the same directory, synced and renamed
// over path, so readers never see a partial file.
//
// WriteNPY panics if a dimension is negative or the product of shape is not
// len(v). Failures to create, write or rename the file are returned.
func WriteNPY(path string, shape []int, v []float32) error {
	return writeNPY("WriteNPY", path, "<f4", 4, shape, len(v), func(buf []byte, i int) {
		for j := range len(buf) / 4 {
			binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(v[i+j]))
		}
	})
}

// WriteNPYInt64 writes v, a C-order array of the given shape, to path as an
// NPY 1.0 file of dtype '<i8' (NumPy's int64), atomically, like WriteNPY; it
// panics and fails as WriteNPY does.
func WriteNPYInt64(path string, shape []int, v []int64) error {
	return writeNPY("WriteNPYInt64", path, "<i8", 8, shape, len(v), func(buf []byte, i int) {
		for j := range len(buf) / 8 {
			binary.LittleEndian.PutUint64(buf[8*j:], uint64(v[i+j]))
		}
	})
}

// WriteNPYUint8 writes v, a C-order array of the given shape, to path as an
// NPY 1.0 file of dtype '|u1' (NumPy's uint8), atomically, like WriteNPY; it
// panics and fails as WriteNPY does.
func WriteNPYUint8(path string, shape []int, v []uint8) error {
	return writeNPY("WriteNPYUint8", path, "|u1", 1, shape, len(v), func(buf []byte, i int) {
		copy(buf, v[i:])
	})
}

// writeNPY writes the NPY 1.0 file of n values of dtype descr (itemsize
// bytes each) and the given shape to path atomically. encode fills buf
// (a multiple of itemsize bytes) with the values from index i on. fn names the
// exported caller in panics.
func writeNPY(fn, path, descr string, itemsize int, shape []int, n int, encode func(buf []byte, i int)) error {
	count := 1
	for _, s := range shape {
		if s < 0 {
			panic(fmt.Sprintf("data: %s shape %v has a negative dimension", fn, shape))
		}
		count *= s
	}
	if count != n {
		panic(fmt.Sprintf("data: %s shape %v holds %d values, have %d", fn, shape, count, n))
	}
	hdr, err := npyHeader(descr, shape)
	if err != nil {
		return fmt.Errorf("data: write %s: %w", path, err)
	}
	if err := atomicfile.Write(path, func(w io.Writer) error {
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		var buf [4096]byte
		for i := 0; i < n; {
			m := min(n-i, len(buf)/itemsize)
			encode(buf[:m*itemsize], i)
			if _, err := w.Write(buf[:m*itemsize]); err != nil {
				return err
			}
			i += m
		}
		return nil
	}); err != nil {
		return fmt.Errorf("data: write %s: %w", path, err)
	}
	return nil
}

// npyHeader returns the magic, version 1.0, header length and padded header
// for a C-order array of dtype descr and the given shape.
func npyHeader(descr string, shape []int) ([]byte, error) {
	dims := make([]string, len(shape))
	for i, s := range shape {
		dims[i] = strconv.Itoa(s)
	}
	tuple := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		tuple = "(" + dims[0] + ",)"
	}
	dict := "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple + ", }"
	pre := len(npyMagic) + 2 + 2 // magic, version, uint16 header length
	total := pre + len(dict) + 1 // + '\n'
	total = (total + npyAlign - 1) / npyAlign * npyAlign
	hlen := total - pre
	if hlen > math.MaxUint16 {
		return nil, fmt.Errorf("shape %v needs a header of %d bytes, more than NPY 1.0 allows", shape, hlen)
	}
	b := make([]byte, 0, total)
	b = append(b, npyMagic...)
	b = append(b, 1, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(hlen))
	b = append(b, dict...)
	for len(b) < total-1 {
		b = append(b, ' ')
	}
	return append(b, '\n'), nil
}

// npyDtype is an element type the readers accept.
type npyDtype struct {
	size int  // bytes per element
	kind byte // 'f' float, 'i' signed integer, 'u' unsigned integer
}

// npyDtypes are the dtypes the readers accept, by descr. All are
// little-endian; a one-byte type has no byte order, which NumPy writes '|'.
var npyDtypes = map[string]npyDtype{
	"<f4": {4, 'f'},
	"<f8": {8, 'f'},
	"|u1": {1, 'u'},
	"<u1": {1, 'u'},
	"<i4": {4, 'i'},
	"<i8": {8, 'i'},
}

// npyDtypeList lists npyDtypes for messages.
const npyDtypeList = "'<f4', '<f8', '|u1', '<i4' or '<i8'"

// float returns element j of b, a float dtype.
func (d npyDtype) float(b []byte, j int) float64 {
	if d.size == 4 {
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:])))
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b[8*j:]))
}

// int returns element j of b, an integer dtype.
func (d npyDtype) int(b []byte, j int) int64 {
	switch d.size {
	case 1:
		return int64(b[j])
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(b[4*j:])))
	}
	return int64(binary.LittleEndian.Uint64(b[8*j:]))
}

// npyMaxExact is the largest magnitude up to which every integer is exact in
// float32 (24-bit significand).
const npyMaxExact = 1 << 24

// ReadNPY reads an NPY file holding a C-order array of dtype '<f4', '<f8',
// '|u1' (or '<u1'), '<i4' or '<i8' (format version 1.0, 2.0 or 3.0) and
// returns its shape and values as float32. '<f8' values are rounded to
// float32; integers are converted exactly, so they must lie in
// [-2^24, 2^24]. A 0-d array has an empty shape and one value.
//
// Errors name the file and say what is wrong: a FormatError for a malformed
// file (bad magic, a header longer than the file, data shorter or longer than
// the shape says), an UnsupportedError for a version, dtype or Fortran order
// this function does not read, or an integer too large for float32.
func ReadNPY(path string) (shape []int, v []float32, err error) {
	err = withNPY(path, func(a *npyArray) error {
		var rerr error
		shape = a.shape
		v, rerr = a.float32s()
		return rerr
	})
	if err != nil {
		return nil, nil, err
	}
	return shape, v, nil
}

// ReadNPYLabels reads an NPY file holding a 1-D C-order array of class labels:
// integers of dtype '<i8', '<i4' or '|u1' (or '<u1'), or floats ('<f4',
// '<f8') whose values are all integral. Every label must be >= 0 (and, for
// floats, at most 2^53).
//
// Errors are those of ReadNPY, and an UnsupportedError for an array that is
// not 1-D or a label that is negative, not integral or too large.
func ReadNPYLabels(path string) ([]int, error) {
	var labels []int
	err := withNPY(path, func(a *npyArray) error {
		if len(a.shape) != 1 {
			return UnsupportedError(fmt.Sprintf("labels of shape %v (want a 1-D array)", a.shape))
		}
		var rerr error
		labels, rerr = a.labels()
		return rerr
	})
	if err != nil {
		return nil, err
	}
	return labels, nil
}

// withNPY opens path, reads and checks its header and calls read with the
// array positioned at its data; errors are wrapped with the file name.
func withNPY(path string, read func(a *npyArray) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("data: read npy: %w", err)
	}
	defer f.Close()
	a, err := openNPY(f)
	if err == nil {
		err = read(a)
	}
	if err != nil {
		return fmt.Errorf("data: read %s: %w", path, err)
	}
	return nil
}

// npyArray is an NPY file whose header has been read and checked against the
// file's size, positioned at the start of its data.
type npyArray struct {
	shape []int
	dtype npyDtype
	count int // product of shape
	r     io.Reader
}

// openNPY reads the header of f and checks that the file holds exactly the
// data the header describes, in a dtype of npyDtypes and C order.
func openNPY(f *os.File) (*npyArray, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	r := bufio.NewReaderSize(f, 1<<16)

	// Magic and version.
	var pre [8]byte
	if n, err := io.ReadFull(r, pre[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, FormatError(fmt.Sprintf("file of %d bytes is too short for the magic string and version", n))
		}
		return nil, err
	}
	if string(pre[:6]) != npyMagic {
		return nil, FormatError(fmt.Sprintf("bad magic %q, want %q", pre[:6], npyMagic))
	}
	major, minor := pre[6], pre[7]
	var lenBytes int
	switch {
	case major == 1 && minor == 0:
		lenBytes = 2
	case (major == 2 || major == 3) && minor == 0:
		lenBytes = 4
	default:
		return nil, UnsupportedError(fmt.Sprintf("format version %d.%d (want 1.0, 2.0 or 3.0)", major, minor))
	}

	// Header.
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:lenBytes]); err != nil {
		return nil, FormatError("file ends inside the header length")
	}
	hlen := int64(binary.LittleEndian.Uint32(lb[:]))
	start := int64(8 + lenBytes)
	if hlen > size-start {
		return nil, FormatError(fmt.Sprintf("header of %d bytes is larger than the %d bytes left in the file", hlen, size-start))
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	descr, fortran, shape, err := parseNPYHeader(string(hdr))
	if err != nil {
		return nil, err
	}
	dtype, ok := npyDtypes[descr]
	if !ok {
		return nil, UnsupportedError(fmt.Sprintf("dtype %s (want %s)", descr, npyDtypeList))
	}
	if fortran {
		return nil, UnsupportedError("Fortran order (want C order)")
	}

	// Data: check the size the shape claims against the file before
	// allocating anything.
	itemsize := int64(dtype.size)
	have := size - start - hlen
	count := int64(1)
	for _, s := range shape {
		if s > 0 && count > math.MaxInt64/itemsize/int64(s) {
			return nil, FormatError(fmt.Sprintf("data shorter than shape %v says: its size overflows int64, the file has %d data bytes", shape, have))
		}
		count *= int64(s)
	}
	need := count * itemsize
	if need > have {
		return nil, FormatError(fmt.Sprintf("data shorter than shape %v says: want %d bytes, the file has %d", shape, need, have))
	}
	if need < have {
		return nil, FormatError(fmt.Sprintf("%d bytes after the data of shape %v", have-need, shape))
	}
	return &npyArray{shape: shape, dtype: dtype, count: int(count), r: r}, nil
}

// chunks reads the data in order, calling fn with each chunk of whole
// elements and the index of its first element; it stops at fn's first error.
func (a *npyArray) chunks(fn func(b []byte, i int) error) error {
	size := a.dtype.size
	buf := make([]byte, min(1<<16, a.count*size))
	for i := 0; i < a.count; {
		m := min(a.count-i, len(buf)/size)
		if _, err := io.ReadFull(a.r, buf[:m*size]); err != nil {
			return fmt.Errorf("reading data: %w", err)
		}
		if err := fn(buf[:m*size], i); err != nil {
			return err
		}
		i += m
	}
	return nil
}

// float32s reads the data as float32 (see ReadNPY).
func (a *npyArray) float32s() ([]float32, error) {
	v := make([]float32, a.count)
	d := a.dtype
	err := a.chunks(func(b []byte, i int) error {
		dst := v[i : i+len(b)/d.size]
		switch {
		case d.kind == 'f' && d.size == 4: // keep every bit, NaN payloads too
			for j := range dst {
				dst[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
			}
		case d.kind == 'f':
			for j := range dst {
				dst[j] = float32(d.float(b, j))
			}
		default:
			for j := range dst {
				x := d.int(b, j)
				if x < -npyMaxExact || x > npyMaxExact {
					return UnsupportedError(fmt.Sprintf("value %d at index %d is not exact in float32 (integers are read up to 2^24 in magnitude)", x, i+j))
				}
				dst[j] = float32(x)
			}
		}
		return nil
	})
	return v, err
}

// labels reads the data as non-negative integers (see ReadNPYLabels).
func (a *npyArray) labels() ([]int, error) {
	v := make([]int, a.count)
	d := a.dtype
	err := a.chunks(func(b []byte, i int) error {
		for j := range len(b) / d.size {
			var x int64
			if d.kind == 'f' {
				f := d.float(b, j)
				if f != math.Trunc(f) || f < 0 || f > 1<<53 { // NaN and Inf fail too
					return UnsupportedError(fmt.Sprintf("label %v at index %d (want integral values from 0 to 2^53)", f, i+j))
				}
				x = int64(f)
			} else {
				x = d.int(b, j)
			}
			if x < 0 {
				return UnsupportedError(fmt.Sprintf("label %d at index %d (want labels >= 0)", x, i+j))
			}
			v[i+j] = int(x)
		}
		return nil
	})
	return v, err
}

// parseNPYHeader reads the header dict: descr (a dtype string), fortran_order
// and shape; any other key, or a missing one, is a FormatError.
func parseNPYHeader(h string) (descr string, fortran bool, shape []int, err error) {
	p := &pyParser{s: strings.TrimRight(h, " \n\x00")}
	val, err := p.value()
	if err == nil {
		p.space()
		if p.i != len(p.s) {
			err = fmt.Errorf("unexpected %q after the dict", p.s[p.i:])
		}
	}
	if err != nil {
		return "", false, nil, FormatError(fmt.Sprintf("header %q: %v", h, err))
	}
	dict, ok := val.(map[string]any)
	if !ok {
		return "", false, nil, FormatError(fmt.Sprintf("header %q is not a dict", h))
	}
	for _, key := range []string{"descr", "fortran_order", "shape"} {
		if _, ok := dict[key]; !ok {
			return "", false, nil, FormatError(fmt.Sprintf("header %q has no key %q", h, key))
		}
	}
	if len(dict) != 3 {
		return "", false, nil, FormatError(fmt.Sprintf("header %q has keys other than descr, fortran_order and shape", h))
	}
	switch d := dict["descr"].(type) {
	case string:
		descr = d
	default:
		// A structured dtype (a list of fields): valid, but not ours.
		return "", false, nil, UnsupportedError(fmt.Sprintf("structured dtype %v (want %s)", d, npyDtypeList))
	}
	if fortran, ok = dict["fortran_order"].(bool); !ok {
		return "", false, nil, FormatError(fmt.Sprintf("header %q: fortran_order is not True or False", h))
	}
	tup, ok := dict["shape"].([]any)
	if !ok {
		return "", false, nil, FormatError(fmt.Sprintf("header %q: shape is not a tuple", h))
	}
	shape = make([]int, len(tup))
	for i, x := range tup {
		s, ok := x.(int64)
		if !ok || s < 0 {
			return "", false, nil, FormatError(fmt.Sprintf("header %q: shape has a bad dimension %v", h, x))
		}
		shape[i] = int(s)
	}
	return descr, fortran, shape, nil
}

// pyParser parses the subset of Python literals NPY headers use: dicts with
// string keys, tuples and lists, strings, integers, True, False and None.
// Tuples and lists become []any, integers int64.
type pyParser struct {
	s string
	i int
}

func (p *pyParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *pyParser) value() (any, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.dict()
	case c == '(':
		return p.seq(')')
	case c == '[':
		return p.seq(']')
	case c == '\'' || c == '"':
		return p.str()
	case c == '-' || c >= '0' && c <= '9':
		j := p.i + 1
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		n, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad integer %q", p.s[p.i:j])
		}
		p.i = j
		if p.i < len(p.s) && p.s[p.i] == 'L' { // Python 2 long
			p.i++
		}
		return n, nil
	default:
		for _, w := range []struct {
			word string
			v    any
		}{{"True", true}, {"False", false}, {"None", nil}} {
			if strings.HasPrefix(p.s[p.i:], w.word) {
				p.i += len(w.word)
				return w.v, nil
			}
		}
		return nil, fmt.Errorf("unexpected %q at offset %d", c, p.i)
	}
}

func (p *pyParser) str() (string, error) {
	q := p.s[p.i]
	var b strings.Builder
	for j := p.i + 1; j < len(p.s); j++ {
		switch c := p.s[j]; c {
		case q:
			p.i = j + 1
			return b.String(), nil
		case '\\':
			if j+1 < len(p.s) {
				j++
				b.WriteByte(p.s[j])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("unterminated string")
}

// seq parses a tuple or list up to the closing byte end.
func (p *pyParser) seq(end byte) ([]any, error) {
	p.i++ // opening bracket
	out := []any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			return out, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
		} else if p.i >= len(p.s) || p.s[p.i] != end {
			return nil, fmt.Errorf("expected ',' or %q at offset %d", end, p.i)
		}
	}
}

func (p *pyParser) dict() (map[string]any, error) {
	p.i++ // '{'
	out := map[string]any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return out, nil
		}
		if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
			return nil, fmt.Errorf("expected a string key at offset %d", p.i)
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, fmt.Errorf("expected ':' at offset %d", p.i)
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("key %q twice", k)
		}
		out[k] = v
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
		} else if p.i >= len(p.s) || p.s[p.i] != '}' {
			return nil, fmt.Errorf("expected ',' or '}' at offset %d", p.i)
		}
	}
}
