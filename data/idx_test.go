package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// idxFile returns an IDX file: two zero bytes, the type code, the number of
// dimensions, the dimensions (big-endian uint32) and data.
func idxFile(typ byte, dims []uint32, data []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func gzipped(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeTemp(t *testing.T, name string, b []byte) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func iotaBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*37 + 11)
	}
	return b
}

func TestReadIDXRoundTrip(t *testing.T) {
	for _, dims := range [][]uint32{{0}, {5}, {2, 3, 4}, {0, 28, 28}, {3, 0}, {2, 3, 4, 5}, {70, 100, 30}} {
		n := 1
		want := make([]int, len(dims))
		for i, d := range dims {
			n *= int(d)
			want[i] = int(d)
		}
		data := iotaBytes(n)
		raw := idxFile(0x08, dims, data)
		// The name does not decide: a gzip file without .gz and a raw one with it.
		for name, b := range map[string][]byte{"raw.idx": raw, "raw.gz": raw, "zipped.idx": gzipped(t, raw), "zipped.gz": gzipped(t, raw)} {
			a, err := ReadIDX(writeTemp(t, name, b))
			if err != nil {
				t.Errorf("dims %v %s: %v", dims, name, err)
				continue
			}
			if !reflect.DeepEqual(a.Dims, want) || !bytes.Equal(a.Data, data) || len(a.Data) != n {
				t.Errorf("dims %v %s: read dims %v and %d bytes", dims, name, a.Dims, len(a.Data))
			}
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	good := idxFile(0x08, []uint32{2, 3}, iotaBytes(6))
	zgood := gzipped(t, good)
	// A flipped byte inside the deflate data: a bad block or a bad checksum.
	corrupt := bytes.Clone(zgood)
	corrupt[len(corrupt)-12] ^= 0xff
	// A bad CRC-32 in the trailer.
	badCRC := bytes.Clone(zgood)
	badCRC[len(badCRC)-8] ^= 0xff
	const huge = 0xffffffff
	tests := []struct {
		name string
		file []byte
		msg  string
	}{
		{"empty", nil, "data ends after 0 bytes, inside the 4-byte magic number"},
		{"short-magic", []byte{0, 0, 8}, "data ends after 3 bytes, inside the 4-byte magic number"},
		{"bad-magic", append([]byte{1, 2}, good[2:]...), "bad magic number 01 02 08 02: the first two bytes must be 0"},
		{"bad-magic-text", []byte("hello, world\n"), "bad magic number"},
		{"npy", []byte("\x93NUMPY\x01\x00"), "bad magic number"},
		{"type-float", idxFile(0x0d, []uint32{2}, make([]byte, 8)), "type code 0x0d (float32) is not supported: want 0x08 (unsigned byte)"},
		{"type-sbyte", idxFile(0x09, []uint32{2}, make([]byte, 2)), "type code 0x09 (signed byte)"},
		{"type-unknown", idxFile(0x42, []uint32{2}, make([]byte, 2)), "type code 0x42 (unknown)"},
		{"zero-dims", idxFile(0x08, nil, []byte{1}), "0 dimensions: want 1 to 4"},
		{"five-dims", idxFile(0x08, []uint32{1, 1, 1, 1, 1}, []byte{1}), "5 dimensions: want 1 to 4"},
		{"short-header", good[:9], "data ends after 9 bytes, inside the header of 12 bytes for 2 dimensions"},
		{"truncated", good[:len(good)-2], "data shorter than dimensions [2 3] say (truncated?): want 6 bytes, the file has 4"},
		{"trailing", append(bytes.Clone(good), 0, 0, 0), "3 bytes of trailing garbage after the data of dimensions [2 3]"},
		{"huge", idxFile(0x08, []uint32{huge, huge, huge, huge}, iotaBytes(10)), "data shorter than dimensions [4294967295 4294967295 4294967295 4294967295] say (truncated?): they claim more than 2^63 bytes, the file has 10"},
		{"huge-1d", idxFile(0x08, []uint32{huge}, iotaBytes(10)), "want 4294967295 bytes, the file has 10"},
		{"gz-truncated-data", gzipped(t, good[:len(good)-2]), "data shorter than dimensions [2 3] say (truncated?): want 6 bytes, the gzip stream holds 4"},
		{"gz-short-header", gzipped(t, good[:9]), "data ends after 9 bytes, inside the header"},
		{"gz-trailing", gzipped(t, append(bytes.Clone(good), 7)), "trailing garbage: the gzip stream holds more than the 6 data bytes of dimensions [2 3]"},
		{"gz-bad-magic", gzipped(t, append([]byte{0, 1}, good[2:]...)), "bad magic number"},
		{"gz-type", gzipped(t, idxFile(0x0c, []uint32{1}, make([]byte, 4))), "type code 0x0c (int32)"},
		{"gz-huge", gzipped(t, idxFile(0x08, []uint32{huge, huge, huge, huge}, iotaBytes(10))), "dimensions [4294967295 4294967295 4294967295 4294967295] claim more data than a gzip file of"},
		{"gz-cut", zgood[:len(zgood)-10], "corrupt gzip stream: it ends early (truncated?)"},
		{"gz-cut-header", zgood[:5], "corrupt gzip header"},
		{"gz-corrupt", corrupt, "corrupt gzip stream"},
		{"gz-bad-crc", badCRC, "corrupt gzip stream: gzip: invalid checksum"},
		{"gz-then-garbage", append(bytes.Clone(zgood), "garbage"...), "corrupt gzip stream"},
	}
	for _, tt := range tests {
		path := writeTemp(t, tt.name, tt.file)
		a, err := ReadIDX(path)
		if err == nil {
			t.Errorf("%s: no error, read %v", tt.name, a.Dims)
			continue
		}
		var ie IDXError
		if !errors.As(err, &ie) {
			t.Errorf("%s: error %q is not an IDXError", tt.name, err)
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %q does not name the file and say %q", tt.name, err, tt.msg)
		}
	}
	_, err := ReadIDX(filepath.Join(t.TempDir(), "missing.gz"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.gz") {
		t.Errorf("missing file: error %v, want os.ErrNotExist naming the file", err)
	}
}

// A gzip file whose header claims far more than its stream holds costs
// memory in proportion to the stream, not to the claim.
func TestReadIDXClaimNotAllocated(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 100_000) // incompressible
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	claim := uint32(100_000_000) // within deflateMaxRatio of the file
	path := writeTemp(t, "claim.gz", gzipped(t, idxFile(0x08, []uint32{claim}, data)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadIDX(path)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "want 100000000 bytes, the gzip stream holds 100000") {
		t.Errorf("error %v, want data shorter than the dimensions say", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Errorf("reading allocated %d bytes for a stream of %d", got, len(data))
	}
}

func TestReadIDXImages(t *testing.T) {
	pixels := []byte{0, 255, 51, 102, 1, 254, 128, 7, 9, 10, 11, 12} // 2 images, 2x3
	images := writeTemp(t, "images.gz", gzipped(t, idxFile(0x08, []uint32{2, 2, 3}, pixels)))
	labels := writeTemp(t, "labels", idxFile(0x08, []uint32{2}, []byte{9, 0}))
	pix, lab, rows, cols, err := ReadIDXImages(images, labels)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 2 || cols != 3 || !reflect.DeepEqual(lab, []int{9, 0}) || len(pix) != len(pixels) {
		t.Fatalf("rows %d cols %d labels %v, %d pixels", rows, cols, lab, len(pix))
	}
	for i, b := range pixels {
		if want := float32(float64(b) / 255); pix[i] != want {
			t.Errorf("pixel %d: %v, want %v", i, pix[i], want)
		}
	}
	if pix[0] != 0 || pix[1] != 1 || pix[2] != 0.2 || pix[3] != 0.4 {
		t.Errorf("pixels %v, want 0, 1, 0.2, 0.4 first", pix[:4])
	}

	three := writeTemp(t, "three", idxFile(0x08, []uint32{3}, []byte{1, 2, 3}))
	flat := writeTemp(t, "flat", idxFile(0x08, []uint32{2, 6}, pixels))
	labels2d := writeTemp(t, "labels2d", idxFile(0x08, []uint32{2, 1}, []byte{1, 2}))
	bad := writeTemp(t, "bad", []byte{1, 2, 3, 4})
	for _, tt := range []struct {
		images, labels, file, msg string
	}{
		{images, three, three, "3 labels for the 2 images of " + images + ": want as many labels as images"},
		{flat, labels, flat, "images have dimensions [2 6]: want 3, [n, rows, cols]"},
		{images, labels2d, labels2d, "labels have dimensions [2 1]: want 1, [n]"},
		{images, bad, bad, "bad magic"},
		{bad, labels, bad, "bad magic"},
	} {
		_, _, _, _, err := ReadIDXImages(tt.images, tt.labels)
		var ie IDXError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "data: read "+tt.file+": ") || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("images %s labels %s: error %v, want an IDXError naming %s and saying %q", tt.images, tt.labels, err, tt.file, tt.msg)
		}
	}
	if _, _, _, _, err := ReadIDXImages(images, filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing labels: error %v, want os.ErrNotExist", err)
	}
}

func TestFashionMNISTDir(t *testing.T) {
	// Uncompressed files are found when the .gz ones are missing; "test" is t10k.
	dir := t.TempDir()
	for name, b := range map[string][]byte{
		"t10k-images-idx3-ubyte": idxFile(0x08, []uint32{1, 2, 2}, []byte{0, 255, 0, 255}),
		"t10k-labels-idx1-ubyte": idxFile(0x08, []uint32{1}, []byte{4}),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pix, labels, rows, cols, err := FashionMNIST(dir, "test")
	if err != nil || rows != 2 || cols != 2 || !reflect.DeepEqual(labels, []int{4}) || !reflect.DeepEqual(pix, []float32{0, 1, 0, 1}) {
		t.Errorf("FashionMNIST(test) = %v %v %d %d %v", pix, labels, rows, cols, err)
	}
	if _, _, _, _, err := FashionMNIST(dir, "train"); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "train-images-idx3-ubyte.gz") {
		t.Errorf("missing train split: error %v, want os.ErrNotExist naming the .gz file", err)
	}
	if _, _, _, _, err := FashionMNIST(dir, "validation"); err == nil || !strings.Contains(err.Error(), `split "validation" (valid: train, t10k, test)`) {
		t.Errorf("unknown split: error %v", err)
	}
}

// The real Fashion-MNIST, where Debian's dataset-fashion-mnist installed it.
func TestFashionMNISTInstalled(t *testing.T) {
	if _, err := os.Stat(FashionMNISTDir); err != nil {
		t.Skipf("%s not found (Debian: apt-get install dataset-fashion-mnist)", FashionMNISTDir)
	}
	if testing.Short() {
		t.Skip("reads 55 MB of images; skipped with -short")
	}
	for _, tt := range []struct {
		split    string
		n, class int // images, images per class
	}{{"train", 60000, 6000}, {"t10k", 10000, 1000}} {
		pix, labels, rows, cols, err := FashionMNIST("", tt.split)
		if err != nil {
			t.Fatal(err)
		}
		if rows != 28 || cols != 28 || len(labels) != tt.n || len(pix) != tt.n*28*28 {
			t.Fatalf("%s: %d labels, %d pixels of %dx%d, want %d of 28x28", tt.split, len(labels), len(pix), rows, cols, tt.n)
		}
		var counts [10]int
		for i, l := range labels {
			if l < 0 || l > 9 {
				t.Fatalf("%s: label %d at %d, want 0..9", tt.split, l, i)
			}
			counts[l]++
		}
		for c, k := range counts {
			if k != tt.class {
				t.Errorf("%s: class %d has %d images, want %d", tt.split, c, k, tt.class)
			}
		}
		lo, hi := pix[0], pix[0]
		var sum float64
		for _, p := range pix {
			lo, hi = min(lo, p), max(hi, p)
			sum += float64(p)
		}
		// The mean pixel of Fashion-MNIST is about 0.286.
		if mean := sum / float64(len(pix)); lo != 0 || hi != 1 || mean < 0.27 || mean > 0.30 {
			t.Errorf("%s: pixels in [%v, %v], mean %v; want [0, 1], mean about 0.286", tt.split, lo, hi, mean)
		}
	}
}

// Any input gives an array whose data matches its dimensions, or an error;
// never a panic.
func FuzzReadIDX(f *testing.F) {
	good := idxFile(0x08, []uint32{2, 3}, iotaBytes(6))
	f.Add(good)
	f.Add(gzipped(f, good))
	f.Add(idxFile(0x08, []uint32{0xffffffff, 0xffffffff}, nil))
	f.Add(gzipped(f, idxFile(0x08, []uint32{1 << 20}, nil)))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := decodeIDX(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		n := 1
		for _, d := range a.Dims {
			n *= d
		}
		if len(a.Dims) < 1 || len(a.Dims) > 4 || len(a.Data) != n {
			t.Errorf("dims %v with %d bytes of data", a.Dims, len(a.Data))
		}
	})
}
