package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// sameTensors reports whether got and want hold the same names, shapes and
// bit-identical data (so NaN payloads and -0 count).
func sameTensors(t *testing.T, got, want []Tensor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d tensors, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || len(g.Shape) != len(w.Shape) || len(g.Data) != len(w.Data) {
			t.Errorf("tensor %d: got %q %v (%d values), want %q %v (%d values)",
				i, g.Name, g.Shape, len(g.Data), w.Name, w.Shape, len(w.Data))
			continue
		}
		for j := range w.Shape {
			if g.Shape[j] != w.Shape[j] {
				t.Errorf("tensor %q: shape %v, want %v", w.Name, g.Shape, w.Shape)
				break
			}
		}
		for j := range w.Data {
			if math.Float32bits(g.Data[j]) != math.Float32bits(w.Data[j]) {
				t.Errorf("tensor %q: [%d] = %v (%08x), want %v (%08x)", w.Name, j,
					g.Data[j], math.Float32bits(g.Data[j]), w.Data[j], math.Float32bits(w.Data[j]))
				break
			}
		}
	}
}

func testTensors() []Tensor {
	big := make([]float32, 3*chunk+5) // more than one conversion chunk
	for i := range big {
		big[i] = float32(math.Sin(float64(i))) * 1e3
	}
	return []Tensor{
		{Name: "blocks.0.attn.qkv.weight", Shape: []int{2, 3}, Data: []float32{1, -2, 0.5, 3.25, float32(math.Copysign(0, -1)), 1e-8}},
		{Name: "scalar", Shape: []int{}, Data: []float32{42}},
		{Name: "empty", Shape: []int{0, 4}, Data: nil},
		{Name: "special", Shape: []int{5}, Data: []float32{
			float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0x7fc00123), 1e-45, math.MaxFloat32}},
		{Name: "big", Shape: []int{3, chunk + 1, 1}, Data: big[:3*(chunk+1)]},
		{Name: `naïve "quoted" \ name`, Shape: []int{1}, Data: []float32{7}},
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	want := testTensors()
	meta := map[string]string{"step": "1200", "config": "[model]\nd = 64\n", "ünï": `"<&>"`}
	if err := Write(path, want, meta); err != nil {
		t.Fatal(err)
	}
	got, gotMeta, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, got, want)
	if !reflect.DeepEqual(gotMeta, meta) {
		t.Errorf("metadata = %q, want %q", gotMeta, meta)
	}

	// The layout: 8-byte length, a header padded to a multiple of 8 with
	// spaces that holds the checksum, then the data.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	if n%8 != 0 || b[8] != '{' || !bytes.Contains(b[8:8+n], []byte(`"`+ChecksumKey+`":"`)) {
		t.Errorf("header length %d, header %q", n, b[8:8+n])
	}
	if crc := crc32.Checksum(b[8+n:], crc32.MakeTable(crc32.Castagnoli)); !bytes.Contains(b[8:8+n], []byte(hex8(crc))) {
		t.Errorf("header does not hold the CRC-32C %s of the data", hex8(crc))
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode())
	}

	// Overwrite with other contents; nothing else is left in the directory.
	want2 := []Tensor{{Name: "only", Shape: []int{2}, Data: []float32{1, 2}}}
	if err := Write(path, want2, nil); err != nil {
		t.Fatal(err)
	}
	got, gotMeta, err = Read(path)
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, got, want2)
	if len(gotMeta) != 0 {
		t.Errorf("metadata = %q, want none", gotMeta)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only the file: %v", len(ents), ents)
	}

	// No tensors at all is a valid file.
	if err := Write(path, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got, _, err := Read(path); err != nil || len(got) != 0 {
		t.Errorf("Read(no tensors) = %v, %v", got, err)
	}
}

func hex8(x uint32) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[x&15]
		x >>= 4
	}
	return string(b)
}

func TestCRC32CCheckValue(t *testing.T) {
	if got := crc32.Checksum([]byte("123456789"), castagnoli); got != 0xe3069283 {
		t.Errorf("CRC-32C(123456789) = %08x, want e3069283", got)
	}
}

// file assembles a safetensors file by hand: the length, the header text as
// given (no padding added), the data bytes.
func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// f32 writes little-endian float32s.
func f32(x ...float32) []byte {
	var b []byte
	for _, v := range x {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func put(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.safetensors")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHandBuilt reads a file assembled byte by byte, independently of
// Write: header keys in another order than the data, an unaligned header
// with trailing spaces, no checksum.
func TestHandBuilt(t *testing.T) {
	header := `{"b":{"shape":[3],"data_offsets":[8,20],"dtype":"F32"},` +
		`"__metadata__":{"format":"pt"},` +
		`"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}   `
	b := []byte{byte(len(header)), 0, 0, 0, 0, 0, 0, 0}
	b = append(b, header...)
	b = append(b,
		0x00, 0x00, 0x80, 0x3f, // a[0] = 1
		0x00, 0x00, 0x00, 0xc0, // a[1] = -2
		0x00, 0x00, 0x00, 0x3f, // b[0] = 0.5
		0x00, 0x00, 0x50, 0x40, // b[1] = 3.25
		0x00, 0x00, 0x80, 0x7f, // b[2] = +Inf
	)
	got, meta, err := Read(put(t, b))
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, got, []Tensor{
		{Name: "a", Shape: []int{1, 2}, Data: []float32{1, -2}},
		{Name: "b", Shape: []int{3}, Data: []float32{0.5, 3.25, float32(math.Inf(1))}},
	})
	if !reflect.DeepEqual(meta, map[string]string{"format": "pt"}) {
		t.Errorf("metadata = %q", meta)
	}
}

// pythonTensors is what testdata/gen.py writes, in the order of the data.
var pythonTensors = []Tensor{
	{Name: "w", Shape: []int{2, 3}, Data: []float32{1, -2, 0.5, 3.25, float32(math.Copysign(0, -1)), 1e-8}},
	{Name: "e", Shape: []int{0, 4}, Data: nil},
	{Name: "b", Shape: []int{3}, Data: []float32{0.1, 0.2, 0.3}},
	{Name: "x", Shape: []int{4}, Data: []float32{float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0x7fc00000), 1e-45}},
	{Name: "s", Shape: []int{}, Data: []float32{42}},
}

// TestPythonFixtures reads the files written by testdata/gen.py, with and
// without a checksum, and, where python3 runs, checks that gen.py still
// writes exactly those bytes.
func TestPythonFixtures(t *testing.T) {
	for _, name := range []string{"python.safetensors", "python_crc.safetensors"} {
		got, meta, err := Read(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		sameTensors(t, got, pythonTensors)
		if !reflect.DeepEqual(meta, map[string]string{"format": "pt"}) {
			t.Errorf("%s: metadata = %q", name, meta)
		}
	}

	// A checksum computed by Python's hand-written CRC-32C agrees with ours:
	// rewriting the tensors in Go gives the same checksum.
	p := filepath.Join(t.TempDir(), "go.safetensors")
	if err := Write(p, pythonTensors, nil); err != nil {
		t.Fatal(err)
	}
	goFile, _ := os.ReadFile(p)
	pyFile, _ := os.ReadFile(filepath.Join("testdata", "python_crc.safetensors"))
	sum := []byte(`"` + ChecksumKey + `":"`)
	i, j := bytes.Index(goFile, sum), bytes.Index(pyFile, sum)
	if i < 0 || j < 0 || !bytes.Equal(goFile[i:i+len(sum)+8], pyFile[j:j+len(sum)+8]) {
		t.Errorf("checksums differ: Go %q, Python %q", goFile[i:i+len(sum)+8], pyFile[j:j+len(sum)+8])
	}

	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not found: fixtures not regenerated")
	}
	dir := t.TempDir()
	if out, err := exec.Command("python3", filepath.Join("testdata", "gen.py"), dir).CombinedOutput(); err != nil {
		t.Fatalf("gen.py: %v\n%s", err, out)
	}
	for _, name := range []string{"python.safetensors", "python_crc.safetensors"} {
		a, _ := os.ReadFile(filepath.Join("testdata", name))
		b, _ := os.ReadFile(filepath.Join(dir, name))
		if !bytes.Equal(a, b) {
			t.Errorf("gen.py writes a different %s than testdata holds: run it", name)
		}
	}
}

// TestReadErrors checks that every kind of damage is an *Error naming the
// file and the problem.
func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := Write(good, []Tensor{{Name: "w", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}}, nil); err != nil {
		t.Fatal(err)
	}
	valid, _ := os.ReadFile(good)
	n := binary.LittleEndian.Uint64(valid)

	// An entry for a 2-float tensor "w" at [0, 8).
	const w = `"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`
	data := f32(1, 2)

	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "truncated: 0 bytes, fewer than the 8-byte header length"},
		{"7 bytes", valid[:7], "truncated: 7 bytes"},
		{"header longer than file", valid[:8+n-1], "header length " + itoa(n) + " is more than the " + itoa(n-1) + " bytes after it"},
		{"huge header length", binary.LittleEndian.AppendUint64(nil, 1<<62), "over the limit"},
		{"header length 0", file("", nil), "too short for a JSON object"},
		{"truncated data", valid[:len(valid)-1], "outside the 15-byte data buffer (truncated file?)"},
		{"garbage JSON", file(`{"w":{"dtype":`, nil), "header is not valid JSON"},
		{"not JSON", file("hello, world", nil), "header does not begin with '{'"},
		{"not an object", file("{[1,2]}", nil), "header is not valid JSON"},
		{"not UTF-8", file("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"after the object", file("{"+w+"} x", data), `header has "x" after its JSON object`},
		{"flipped data byte", func() []byte {
			b := bytes.Clone(valid)
			b[len(b)-3] ^= 0x10
			return b
		}(), "corrupt: checksum mismatch"},
		{"wrong dtype", file(`{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, data[:4]), `tensor "w" has dtype "F16": only F32 is supported`},
		{"no dtype", file(`{"w":{"shape":[2],"data_offsets":[0,8]}}`, data), `tensor "w" has no dtype`},
		{"no shape", file(`{"w":{"dtype":"F32","data_offsets":[0,8]}}`, data), `tensor "w" has no shape`},
		{"no offsets", file(`{"w":{"dtype":"F32","shape":[2]}}`, data), `tensor "w" has no data_offsets`},
		{"unknown field", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, data), `unknown field "x"`},
		{"entry not an object", file(`{"w":3}`, data), `tensor "w": entry 3: expected`},
		{"float dimension", file(`{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}`, data), `tensor "w": entry`},
		{"negative dimension", file(`{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, data), "dimension -2 is out of range"},
		{"overflowing shape", file(`{"w":{"dtype":"F32","shape":[4,4611686018427387904,4611686018427387904],"data_offsets":[0,8]}}`, data), "(over 2^63 bytes of F32) but data_offsets [0, 8]"},
		{"overflowing product", file(`{"w":{"dtype":"F32","shape":[8,8,8],"data_offsets":[0,8]}}`, data), `tensor "w" has shape [8 8 8] (2048 bytes of F32) but data_offsets [0, 8] (8 bytes)`},
		{"zero dimension", file(`{"w":{"dtype":"F32","shape":[4611686018427387904,0],"data_offsets":[0,8]}}`, data), "(0 bytes of F32) but data_offsets [0, 8] (8 bytes)"},
		{"huge dimension", file(`{"w":{"dtype":"F32","shape":[1e30],"data_offsets":[0,8]}}`, data), `tensor "w": entry`},
		{"shape vs offsets", file(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, data), `tensor "w" has shape [3] (12 bytes of F32) but data_offsets [0, 8] (8 bytes)`},
		{"three offsets", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}`, data), "expected [begin, end]"},
		{"offsets reversed", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}`, data), "data_offsets [8, 0]: outside"},
		{"offsets past buffer", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, data), "data_offsets [4, 12]: outside the 8-byte data buffer"},
		{"negative offset", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`, data), "outside"},
		{"overlap", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, data), `tensor "v" at bytes [4, 8) overlaps`},
		{"gap", file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, data), "gap: bytes [0, 4) of the data buffer belong to no tensor"},
		{"trailing bytes", file("{"+w+"}", f32(1, 2, 3)), "the data buffer has 12 bytes but the tensors cover 8: 4 trailing bytes"},
		{"empty name", file(`{"":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, data), `empty name`},
		{"duplicate name", file("{"+w+","+w+"}", data), `header has the key "w" twice`},
		{"metadata not strings", file(`{"__metadata__":{"step":3},`+w+"}", data), "__metadata__ = {\"step\":3}: expected an object of strings"},
		{"metadata null", file(`{"__metadata__":null,`+w+"}", data), "__metadata__ = null"},
		{"bad checksum text", file(`{"__metadata__":{"latentflow_crc32c":"xyz"},`+w+"}", data), `metadata latentflow_crc32c = "xyz": expected 8 hex digits`},
		{"wrong checksum", file(`{"__metadata__":{"latentflow_crc32c":"00000000"},`+w+"}", data), "corrupt: checksum mismatch: the header says CRC-32C 00000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".safetensors")
			if err := os.WriteFile(p, tc.b, 0o644); err != nil {
				t.Fatal(err)
			}
			got, meta, err := Read(p)
			var e *Error
			if !errors.As(err, &e) || e.File != p {
				t.Fatalf("Read = %v (%T), want an *Error for %s", err, err, p)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "safetensors: "+p+": ") {
				t.Errorf("Read error\n  %q\nwant it to contain\n  %q", err, tc.want)
			}
			if got != nil || meta != nil {
				t.Errorf("Read failed but returned tensors or metadata")
			}
		})
	}

	missing := filepath.Join(dir, "missing.safetensors")
	if _, _, err := Read(missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Read(missing) = %v, want a not-exist error naming the file", err)
	}
	if _, _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Read(directory) = %v, want 'not a regular file'", err)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func TestWriteMisusePanics(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		want    string
	}{
		{"shape vs data", []Tensor{{Name: "w", Shape: []int{2, 2}, Data: []float32{1, 2, 3}}}, nil, `safetensors: tensor "w" has shape [2 2] (4 elements) but 3 values`},
		{"negative dim", []Tensor{{Name: "w", Shape: []int{-1}, Data: nil}}, nil, "negative dimension"},
		{"empty name", []Tensor{{Shape: []int{1}, Data: []float32{1}}}, nil, "empty name"},
		{"duplicate", []Tensor{{Name: "w", Shape: []int{}, Data: []float32{1}}, {Name: "w", Shape: []int{}, Data: []float32{1}}}, nil, `duplicate tensor name "w"`},
		{"reserved name", []Tensor{{Name: "__metadata__", Shape: []int{}, Data: []float32{1}}}, nil, "__metadata__"},
		{"bad UTF-8", []Tensor{{Name: "\xff", Shape: []int{}, Data: []float32{1}}}, nil, "not UTF-8"},
		{"reserved metadata", nil, map[string]string{ChecksumKey: "0"}, "reserved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.safetensors")
			defer func() {
				r := recover()
				s, _ := r.(string)
				if !strings.HasPrefix(s, "safetensors: ") || !strings.Contains(s, tc.want) {
					t.Errorf("panic %v, want one with %q", r, tc.want)
				}
				if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("a file was written before the panic")
				}
			}()
			Write(p, tc.tensors, tc.meta)
		})
	}
}

// TestWriteFailureKeepsOld checks that a Write that fails leaves the old
// file as it was and no temporary file behind.
func TestWriteFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	if err := Write(filepath.Join(dir, "nodir", "x.safetensors"), nil, nil); err == nil ||
		!strings.Contains(err.Error(), "cannot create a temporary file") {
		t.Errorf("Write into a missing directory = %v", err)
	}

	// The target is a non-empty directory: the rename fails after the data
	// was written.
	target := filepath.Join(dir, "ckpt")
	if err := os.MkdirAll(filepath.Join(target, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := Write(target, []Tensor{{Name: "w", Shape: []int{1}, Data: []float32{1}}}, nil)
	var e *Error
	if !errors.As(err, &e) || e.File != target || !strings.Contains(err.Error(), "cannot rename") {
		t.Errorf("Write over a directory = %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "ckpt" {
		t.Errorf("directory after a failed Write: %v, want only ckpt", ents)
	}
	if _, err := os.Stat(filepath.Join(target, "keep")); err != nil {
		t.Errorf("the old target was damaged: %v", err)
	}
}

// FuzzRead checks that Read never panics or over-allocates on damaged
// input, and that what it accepts survives a Write and Read again.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"python.safetensors", "python_crc.safetensors"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, f32(1, 2)))
	f.Add(file(`{"":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, f32(1)))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "in.safetensors")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		got, meta, err := Read(p)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "safetensors: "+p+": ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		q := filepath.Join(dir, "out.safetensors")
		if err := Write(q, got, meta); err != nil {
			t.Fatal(err)
		}
		again, meta2, err := Read(q)
		if err != nil {
			t.Fatal(err)
		}
		sameTensors(t, again, got)
		if !reflect.DeepEqual(meta, meta2) {
			t.Fatalf("metadata %q became %q", meta, meta2)
		}
	})
}
