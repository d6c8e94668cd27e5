package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
)

// IDX format (Y. LeCun, "THE MNIST DATABASE of handwritten digits", section
// "FILE FORMATS FOR THE MNIST DATABASE"): a magic number of four bytes, two
// zero bytes, a type code (0x08 unsigned byte, 0x09 signed byte, 0x0B int16,
// 0x0C int32, 0x0D float32, 0x0E float64) and the number of dimensions, then
// each dimension as a big-endian uint32, then the data in C order. The MNIST
// and Fashion-MNIST files are type 0x08 and are usually gzip-compressed.

// idxUbyte is the type code of unsigned bytes, the only one ReadIDX reads.
const idxUbyte = 0x08

// idxMaxDims is the largest number of dimensions ReadIDX accepts.
const idxMaxDims = 4

// deflateMaxRatio bounds the size of what a gzip (deflate) stream of n bytes
// can decompress to: at best one 258-byte match per two bits, 1032:1. It
// lets a header that claims more than the file could ever hold be refused
// before decompressing anything.
const deflateMaxRatio = 1032

// FashionMNISTDir is where Debian's dataset-fashion-mnist package installs the
// Fashion-MNIST files.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// IDX is an IDX array of unsigned bytes (type code 0x08).
type IDX struct {
	Dims []int  // dimensions, outermost first: [n, rows, cols] for images, [n] for labels
	Data []byte // C order, len(Data) = product of Dims
}

// IDXError reports a file that is not an IDX file ReadIDX reads: a malformed
// header or gzip stream, a size that does not match the header, a type code
// other than unsigned byte, or images and labels that do not fit together.
type IDXError string

func (e IDXError) Error() string { return "invalid IDX file: " + string(e) }

// ReadIDX reads an IDX file of unsigned bytes (type code 0x08, 1 to 4
// dimensions), raw or gzip-compressed; gzip is recognised by its magic bytes
// 0x1f 0x8b, not by the file name.
//
// Errors name the file. A malformed or unsupported file gives an IDXError
// (test with errors.As): bad magic, another type code, 0 or more than 4
// dimensions, data shorter or longer than the dimensions say, a corrupt gzip
// stream. The size the header claims is checked against the file (for gzip,
// against what the stream decompresses to) before it is allocated.
func ReadIDX(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: read idx: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("data: read idx: %w", err)
	}
	a, err := decodeIDX(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("data: read %s: %w", path, err)
	}
	return a, nil
}

// decodeIDX reads an IDX array, raw or gzip-compressed, from r, which holds
// size bytes.
func decodeIDX(r io.Reader, size int64) (*IDX, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(2)
	if err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, IDXError(fmt.Sprintf("corrupt gzip header: %v", err))
		}
		return decodeIDXData(gzipStream{zr}, -1, deflateMaxRatio*min(size, math.MaxInt64/deflateMaxRatio))
	}
	return decodeIDXData(br, size, size)
}

// decodeIDXData reads the header and data of an uncompressed IDX stream r.
// size is the exact length of the stream, or -1 when it is not known (gzip);
// then maxSize bounds it.
func decodeIDXData(r io.Reader, size, maxSize int64) (*IDX, error) {
	zipped := size < 0
	var head [4]byte
	if n, err := io.ReadFull(r, head[:]); err != nil {
		return nil, idxReadError(err, fmt.Sprintf("data ends after %d bytes, inside the 4-byte magic number", n))
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, IDXError(fmt.Sprintf("bad magic number % x: the first two bytes must be 0", head))
	}
	if head[2] != idxUbyte {
		return nil, IDXError(fmt.Sprintf("type code 0x%02x (%s) is not supported: want 0x08 (unsigned byte)", head[2], idxTypeName(head[2])))
	}
	nd := int(head[3])
	if nd < 1 || nd > idxMaxDims {
		return nil, IDXError(fmt.Sprintf("%d dimensions: want 1 to %d", nd, idxMaxDims))
	}
	dimBytes := make([]byte, 4*nd)
	if n, err := io.ReadFull(r, dimBytes); err != nil {
		return nil, idxReadError(err, fmt.Sprintf("data ends after %d bytes, inside the header of %d bytes for %d dimensions", 4+n, 4+4*nd, nd))
	}
	// The number of data bytes the dimensions claim, saturated at 2^63 (a
	// zero dimension still makes it 0).
	hlen := int64(4 + 4*nd)
	claimed := make([]uint32, nd)
	need := uint64(1)
	for i := range claimed {
		claimed[i] = binary.BigEndian.Uint32(dimBytes[4*i:])
		hi, lo := bits.Mul64(need, uint64(claimed[i]))
		need = lo
		if hi != 0 || lo > math.MaxInt64 {
			need = math.MaxInt64 + 1
		}
	}
	avail := max(0, min(maxSize-hlen, math.MaxInt)) // the most data bytes r can hold
	if need > uint64(avail) {
		switch {
		case zipped:
			return nil, IDXError(fmt.Sprintf("dimensions %v claim more data than a gzip file of %d bytes can hold (truncated?)", claimed, maxSize/deflateMaxRatio))
		case need > math.MaxInt64:
			return nil, IDXError(fmt.Sprintf("data shorter than dimensions %v say (truncated?): they claim more than 2^63 bytes, the file has %d", claimed, avail))
		}
		return nil, IDXError(fmt.Sprintf("data shorter than dimensions %v say (truncated?): want %d bytes, the file has %d", claimed, need, avail))
	}
	dims := make([]int, nd)
	for i, d := range claimed {
		if uint64(d) > math.MaxInt { // only where int has 32 bits
			return nil, IDXError(fmt.Sprintf("dimension %d of %v does not fit in an int", d, claimed))
		}
		dims[i] = int(d)
	}
	n := int(need) // <= avail

	if !zipped {
		if have := size - hlen; int64(n) < have {
			return nil, IDXError(fmt.Sprintf("%d bytes of trailing garbage after the data of dimensions %v", have-int64(n), dims))
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("reading data: %w", err)
		}
		return &IDX{Dims: dims, Data: data}, nil
	}

	data, err := readUpTo(r, n)
	if err != nil {
		return nil, idxReadError(err, "")
	}
	if len(data) < n {
		return nil, IDXError(fmt.Sprintf("data shorter than dimensions %v say (truncated?): want %d bytes, the gzip stream holds %d", dims, n, len(data)))
	}
	// The stream must end here; reading to its end also checks the CRC.
	var extra [1]byte
	if m, err := io.ReadFull(r, extra[:]); m > 0 {
		return nil, IDXError(fmt.Sprintf("trailing garbage: the gzip stream holds more than the %d data bytes of dimensions %v", n, dims))
	} else if err != io.EOF {
		return nil, idxReadError(err, "")
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// readUpTo reads from r until n bytes or the end of r, whichever comes first.
// The buffer grows with what r delivers, so a claimed n that r does not hold
// is never allocated in full.
func readUpTo(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, 1<<20))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(n-len(buf), len(buf)))
		}
		m, err := r.Read(buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			break
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// gzipStream reads a gzip stream, turning its decompression errors (a
// corrupt or truncated stream, a bad checksum) into IDXErrors; the errors of
// the file underneath and io.EOF pass through.
type gzipStream struct{ r *gzip.Reader }

func (g gzipStream) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	var pe *fs.PathError
	switch {
	case err == nil, err == io.EOF, errors.As(err, &pe):
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = IDXError("corrupt gzip stream: it ends early (truncated?)")
	default:
		err = IDXError(fmt.Sprintf("corrupt gzip stream: %v", err))
	}
	return n, err
}

// idxReadError returns the error for a failed read: short, an IDXError, when
// the data ended early; an IDXError (of gzipStream) as it is; any other
// (file system) error wrapped.
func idxReadError(err error, short string) error {
	var ie IDXError
	switch {
	case errors.As(err, &ie):
		return err
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return IDXError(short)
	}
	return fmt.Errorf("reading: %w", err)
}

// idxTypeName names an IDX type code for messages.
func idxTypeName(c byte) string {
	switch c {
	case 0x08:
		return "unsigned byte"
	case 0x09:
		return "signed byte"
	case 0x0B:
		return "int16"
	case 0x0C:
		return "int32"
	case 0x0D:
		return "float32"
	case 0x0E:
		return "float64"
	}
	return "unknown"
}

// ReadIDXImages reads images of dimensions [n, rows, cols] from imagesPath and
// n labels (dimensions [n]) from labelsPath (see ReadIDX). It returns the
// pixels as n*rows*cols float32, image i at [i*rows*cols, (i+1)*rows*cols),
// each byte b scaled to b/255 (rounded to float32, so 0 and 255 give exactly
// 0 and 1), and the labels as ints.
//
// Besides ReadIDX's errors, images that are not 3-D, labels that are not 1-D
// and counts that differ give an IDXError naming the file.
func ReadIDXImages(imagesPath, labelsPath string) (pix []float32, labels []int, rows, cols int, err error) {
	im, err := ReadIDX(imagesPath)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	if len(im.Dims) != 3 {
		return nil, nil, 0, 0, fmt.Errorf("data: read %s: %w", imagesPath,
			IDXError(fmt.Sprintf("images have dimensions %v: want 3, [n, rows, cols]", im.Dims)))
	}
	lb, err := ReadIDX(labelsPath)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	if len(lb.Dims) != 1 {
		return nil, nil, 0, 0, fmt.Errorf("data: read %s: %w", labelsPath,
			IDXError(fmt.Sprintf("labels have dimensions %v: want 1, [n]", lb.Dims)))
	}
	if im.Dims[0] != lb.Dims[0] {
		return nil, nil, 0, 0, fmt.Errorf("data: read %s: %w", labelsPath,
			IDXError(fmt.Sprintf("%d labels for the %d images of %s: want as many labels as images", lb.Dims[0], im.Dims[0], imagesPath)))
	}
	pix = make([]float32, len(im.Data))
	for i, b := range im.Data {
		pix[i] = float32(b) / 255
	}
	labels = make([]int, len(lb.Data))
	for i, b := range lb.Data {
		labels[i] = int(b)
	}
	return pix, labels, im.Dims[1], im.Dims[2], nil
}

// FashionMNIST reads one split of Fashion-MNIST from dir (FashionMNISTDir when
// dir is ""): split "train" (60000 images) or "t10k" (10000; "test" is an
// alias). It reads <split>-images-idx3-ubyte.gz and
// <split>-labels-idx1-ubyte.gz, or the same names without ".gz" when the
// compressed file does not exist, with ReadIDXImages, whose results and
// errors it returns. An unknown split is an error.
func FashionMNIST(dir, split string) (pix []float32, labels []int, rows, cols int, err error) {
	if dir == "" {
		dir = FashionMNISTDir
	}
	switch split {
	case "train", "t10k":
	case "test":
		split = "t10k"
	default:
		return nil, nil, 0, 0, fmt.Errorf("data: unknown Fashion-MNIST split %q (valid: train, t10k, test)", split)
	}
	find := func(name string) string {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p + ".gz"); err == nil {
			return p + ".gz"
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
		return p + ".gz" // missing: ReadIDX reports it
	}
	return ReadIDXImages(find(split+"-images-idx3-ubyte"), find(split+"-labels-idx1-ubyte"))
}
