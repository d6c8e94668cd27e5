package safetensors

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"
)

// ChecksumKey is the metadata key under which Write stores the CRC-32C
// (Castagnoli) of the data buffer as 8 lowercase hex digits, and which Read
// verifies when present. Read does not return it among the metadata.
const ChecksumKey = "latentflow_crc32c"

// MaxHeader is the largest JSON header, in bytes, that Read accepts: a
// larger declared length is taken as a corrupt file rather than allocated.
const MaxHeader = 100 << 20

// Tensor is one named float32 array.
type Tensor struct {
	Name  string    // unique within a file; not "__metadata__"
	Shape []int     // dimensions, outermost first; empty for a scalar
	Data  []float32 // row-major, len(Data) = product of Shape
}

// Error is the error of Read and Write: the file, what was wrong, and the
// underlying error if any (so errors.Is(err, fs.ErrNotExist) works).
type Error struct {
	File string // the file being read or written
	Msg  string // what was wrong
	Err  error  // the underlying error, or nil
}

func (e *Error) Error() string {
	s := "safetensors: " + e.File + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// chunk is the number of float32s converted at a time.
const chunk = 1 << 14

// Write stores tensors and the metadata meta in the safetensors file path,
// in the order given, and adds the metadata entry ChecksumKey. The file is
// written to a temporary file in the same directory, synced and renamed
// over path, so an existing file at path is replaced whole or not at all.
//
// Write panics if a name is empty, duplicated, "__metadata__" or not UTF-8,
// if a shape has a negative dimension or does not match len(Data), or if
// meta holds ChecksumKey or a string that is not UTF-8: those are misuse.
// Failures of the file system are returned as *Error.
func Write(path string, tensors []Tensor, meta map[string]string) error {
	seen := map[string]bool{}
	for i, t := range tensors {
		switch {
		case t.Name == "":
			panic(fmt.Sprintf("safetensors: tensor %d has an empty name", i))
		case t.Name == "__metadata__":
			panic("safetensors: a tensor cannot be named __metadata__")
		case !utf8.ValidString(t.Name):
			panic(fmt.Sprintf("safetensors: tensor name %q is not UTF-8", t.Name))
		case seen[t.Name]:
			panic(fmt.Sprintf("safetensors: duplicate tensor name %q", t.Name))
		}
		seen[t.Name] = true
		n := 1
		for _, d := range t.Shape {
			if d < 0 {
				panic(fmt.Sprintf("safetensors: tensor %q has shape %v with a negative dimension", t.Name, t.Shape))
			}
			if d != 0 && n > math.MaxInt/d {
				panic(fmt.Sprintf("safetensors: tensor %q has shape %v: too many elements", t.Name, t.Shape))
			}
			n *= d
		}
		if n != len(t.Data) {
			panic(fmt.Sprintf("safetensors: tensor %q has shape %v (%d elements) but %d values", t.Name, t.Shape, n, len(t.Data)))
		}
	}
	if _, ok := meta[ChecksumKey]; ok {
		panic("safetensors: metadata key " + ChecksumKey + " is reserved")
	}
	for k, v := range meta {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			panic(fmt.Sprintf("safetensors: metadata %q = %q is not UTF-8", k, v))
		}
	}

	// The checksum goes in the header, before the data: one pass to compute
	// it, another to write.
	crc := crc32.New(castagnoli)
	scratch := make([]byte, 4*chunk)
	for _, t := range tensors {
		writeData(crc, t.Data, scratch)
	}
	m := make(map[string]string, len(meta)+1)
	for k, v := range meta {
		m[k] = v
	}
	m[ChecksumKey] = fmt.Sprintf("%08x", crc.Sum32())
	header := encodeHeader(tensors, m)

	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return &Error{File: path, Msg: "cannot create a temporary file beside it", Err: pathless(err)}
	}
	tmp := f.Name()
	fail := func(msg string, err error) error {
		f.Close()
		os.Remove(tmp)
		return &Error{File: path, Msg: msg, Err: pathless(err)}
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	w.Write(n[:])
	w.Write(header)
	for _, t := range tensors {
		writeData(w, t.Data, scratch)
	}
	if err := w.Flush(); err != nil {
		return fail("cannot write", err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fail("cannot set the file mode", err)
	}
	if err := f.Sync(); err != nil {
		return fail("cannot sync", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return &Error{File: path, Msg: "cannot close", Err: pathless(err)}
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return &Error{File: path, Msg: "cannot rename the temporary file over it", Err: pathless(err)}
	}
	// Make the rename itself durable; not every system can sync a
	// directory, so this is best effort.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// writeData writes x as little-endian float32 to w (a bufio.Writer or a
// hash, whose Write methods fail only through Flush or not at all).
func writeData(w io.Writer, x []float32, scratch []byte) {
	for len(x) > 0 {
		n := min(len(x), chunk)
		for i, v := range x[:n] {
			binary.LittleEndian.PutUint32(scratch[4*i:], math.Float32bits(v))
		}
		w.Write(scratch[:4*n])
		x = x[n:]
	}
}

// encodeHeader returns the JSON header, padded with spaces to a multiple
// of 8 bytes so that the data buffer starts 8-byte aligned.
func encodeHeader(tensors []Tensor, meta map[string]string) []byte {
	var b bytes.Buffer
	str := func(s string) {
		q, err := json.Marshal(s)
		if err != nil {
			panic("safetensors: " + err.Error()) // unreachable for UTF-8 strings
		}
		b.Write(q)
	}
	b.WriteString(`{"__metadata__":{`)
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		str(k)
		b.WriteByte(':')
		str(meta[k])
	}
	b.WriteByte('}')
	off := 0
	for _, t := range tensors {
		b.WriteByte(',')
		str(t.Name)
		b.WriteString(`:{"dtype":"F32","shape":[`)
		for i, d := range t.Shape {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		end := off + 4*len(t.Data)
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes()
}

// entry is one tensor of a header being read.
type entry struct {
	name       string
	shape      []int
	begin, end int64 // byte offsets in the data buffer
}

// Read loads every tensor and the metadata of the safetensors file path.
// The tensors come in the order of their data in the file (the order Write
// was given). Only dtype F32 is supported.
//
// Read checks everything before it trusts it: the header length against
// the file size and MaxHeader, the JSON, each tensor's dtype, shape and
// offsets, that the tensors tile the data buffer exactly (no gap, overlap
// or trailing bytes), and the checksum if the file has one. Every failure
// is an *Error naming the file and what was wrong; a checksum mismatch
// reads "corrupt: checksum mismatch".
func Read(path string) ([]Tensor, map[string]string, error) {
	bad := func(format string, args ...any) error {
		return &Error{File: path, Msg: fmt.Sprintf(format, args...)}
	}
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, nil, &Error{File: path, Msg: "cannot open", Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, &Error{File: path, Msg: "cannot stat", Err: err}
	}
	if !st.Mode().IsRegular() {
		return nil, nil, bad("not a regular file")
	}
	size := st.Size()
	if size < 8 {
		return nil, nil, bad("truncated: %d bytes, fewer than the 8-byte header length", size)
	}

	r := bufio.NewReaderSize(f, 1<<20)
	var nb [8]byte
	if _, err := io.ReadFull(r, nb[:]); err != nil {
		return nil, nil, &Error{File: path, Msg: "cannot read the header length", Err: err}
	}
	n := binary.LittleEndian.Uint64(nb[:])
	switch {
	case n > MaxHeader:
		return nil, nil, bad("header length %d is over the limit of %d bytes: not a safetensors file, or corrupt", n, MaxHeader)
	case n > uint64(size-8):
		return nil, nil, bad("header length %d is more than the %d bytes after it: truncated or not a safetensors file", n, size-8)
	case n < 2:
		return nil, nil, bad("header length %d: too short for a JSON object", n)
	}
	header := make([]byte, n)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, nil, &Error{File: path, Msg: "cannot read the header", Err: err}
	}
	bufLen := size - 8 - int64(n)

	entries, meta, err := parseHeader(header, bufLen)
	if err != nil {
		return nil, nil, &Error{File: path, Msg: err.Error()}
	}

	// The tensors must tile the buffer: sorted by offset, each begins where
	// the previous ends, and the last ends at the end of the file.
	slices.SortStableFunc(entries, func(a, b entry) int {
		if a.begin != b.begin {
			return cmp.Compare(a.begin, b.begin)
		}
		return cmp.Compare(a.end, b.end)
	})
	var pos int64
	for _, e := range entries {
		if e.begin < pos {
			return nil, nil, bad("tensor %q at bytes [%d, %d) overlaps the tensor before it, which ends at %d", e.name, e.begin, e.end, pos)
		}
		if e.begin > pos {
			return nil, nil, bad("gap: bytes [%d, %d) of the data buffer belong to no tensor (next is %q)", pos, e.begin, e.name)
		}
		pos = e.end
	}
	if pos != bufLen {
		return nil, nil, bad("the data buffer has %d bytes but the tensors cover %d: %d trailing bytes", bufLen, pos, bufLen-pos)
	}

	sum, hasSum := meta[ChecksumKey]
	var want uint64
	if hasSum {
		if want, err = strconv.ParseUint(sum, 16, 32); err != nil || len(sum) != 8 {
			return nil, nil, bad("metadata %s = %q: expected 8 hex digits", ChecksumKey, sum)
		}
		delete(meta, ChecksumKey)
	}

	crc := crc32.New(castagnoli)
	scratch := make([]byte, 4*chunk)
	tensors := make([]Tensor, len(entries))
	for i, e := range entries {
		data := make([]float32, (e.end-e.begin)/4)
		if err := readData(r, crc, data, scratch); err != nil {
			return nil, nil, &Error{File: path, Msg: fmt.Sprintf("cannot read tensor %q", e.name), Err: err}
		}
		tensors[i] = Tensor{Name: e.name, Shape: e.shape, Data: data}
	}
	if got := crc.Sum32(); hasSum && uint32(want) != got {
		return nil, nil, bad("corrupt: checksum mismatch: the header says CRC-32C %08x, the data has %08x", want, got)
	}
	return tensors, meta, nil
}

// readData fills x with little-endian float32s from r, feeding the bytes
// to h.
func readData(r io.Reader, h hash.Hash32, x []float32, scratch []byte) error {
	for len(x) > 0 {
		n := min(len(x), chunk)
		b := scratch[:4*n]
		if _, err := io.ReadFull(r, b); err != nil {
			return err
		}
		h.Write(b)
		for i := range x[:n] {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		x = x[n:]
	}
	return nil
}

// rawEntry is a tensor's header entry as JSON; pointers tell a missing
// field from a zero one.
type rawEntry struct {
	Dtype   *string  `json:"dtype"`
	Shape   *[]int64 `json:"shape"`
	Offsets *[]int64 `json:"data_offsets"`
}

// parseHeader decodes and checks the JSON header against a data buffer of
// bufLen bytes. Its errors say what was wrong, without the file name.
func parseHeader(header []byte, bufLen int64) ([]entry, map[string]string, error) {
	if header[0] != '{' {
		return nil, nil, fmt.Errorf("header does not begin with '{' (0x7b) but with %q: not a safetensors file", header[0])
	}
	if !utf8.Valid(header) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	jsonErr := func(err error) error {
		return fmt.Errorf("header is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != nil { // the '{'
		return nil, nil, jsonErr(err)
	}
	var entries []entry
	meta := map[string]string{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, jsonErr(err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, jsonErr(fmt.Errorf("unexpected %v", tok))
		}
		if name == "" {
			return nil, nil, errors.New(`header has a tensor with the empty name ""`)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("header has the key %q twice", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, jsonErr(err)
		}
		if name == "__metadata__" {
			if err := json.Unmarshal(raw, &meta); err != nil || meta == nil {
				return nil, nil, fmt.Errorf("__metadata__ = %.100s: expected an object of strings", raw)
			}
			continue
		}
		e, err := checkEntry(name, raw, bufLen)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // the '}'
		return nil, nil, jsonErr(err)
	}
	// Only padding may follow the object.
	if rest := bytes.TrimSpace(header[dec.InputOffset():]); len(rest) != 0 {
		return nil, nil, fmt.Errorf("header has %.40q after its JSON object", rest)
	}
	return entries, meta, nil
}

// checkEntry decodes one tensor's entry and checks its dtype, shape and
// offsets against a data buffer of bufLen bytes.
func checkEntry(name string, raw json.RawMessage, bufLen int64) (entry, error) {
	var r rawEntry
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		return entry{}, fmt.Errorf("tensor %q: entry %.200s: expected {\"dtype\": string, \"shape\": [non-negative integers], \"data_offsets\": [begin, end]}: %v", name, raw, err)
	}
	switch {
	case r.Dtype == nil:
		return entry{}, fmt.Errorf("tensor %q has no dtype", name)
	case r.Shape == nil:
		return entry{}, fmt.Errorf("tensor %q has no shape", name)
	case r.Offsets == nil:
		return entry{}, fmt.Errorf("tensor %q has no data_offsets", name)
	}
	if *r.Dtype != "F32" {
		return entry{}, fmt.Errorf("tensor %q has dtype %q: only F32 is supported", name, *r.Dtype)
	}
	off := *r.Offsets
	if len(off) != 2 {
		return entry{}, fmt.Errorf("tensor %q has data_offsets %v: expected [begin, end]", name, off)
	}
	begin, end := off[0], off[1]
	if begin < 0 || end < begin || end > bufLen {
		return entry{}, fmt.Errorf("tensor %q has data_offsets [%d, %d]: outside the %d-byte data buffer (truncated file?)", name, begin, end, bufLen)
	}
	// The bytes the shape needs, computed so that it cannot overflow.
	shape := make([]int, len(*r.Shape))
	nbytes, zero, over := int64(4), false, false
	for i, dim := range *r.Shape {
		if dim < 0 || dim > math.MaxInt {
			return entry{}, fmt.Errorf("tensor %q has shape %v: dimension %d is out of range", name, *r.Shape, dim)
		}
		shape[i] = int(dim)
		switch {
		case dim == 0:
			zero = true
		case over || nbytes > math.MaxInt64/dim:
			over = true
		default:
			nbytes *= dim
		}
	}
	switch {
	case zero:
		nbytes = 0
	case over:
		return entry{}, fmt.Errorf("tensor %q has shape %v (over 2^63 bytes of F32) but data_offsets [%d, %d] (%d bytes)", name, *r.Shape, begin, end, end-begin)
	}
	if end-begin != nbytes {
		return entry{}, fmt.Errorf("tensor %q has shape %v (%d bytes of F32) but data_offsets [%d, %d] (%d bytes)", name, *r.Shape, nbytes, begin, end, end-begin)
	}
	return entry{name: name, shape: shape, begin: begin, end: end}, nil
}

// pathless drops the path of an *os.PathError or *os.LinkError: the
// temporary file's name, which the user never gave (Error names the file).
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
