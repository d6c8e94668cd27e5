package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/philox"
)

// Images is the image data of a latent run: pixels in [0,1], row-major.
type Images struct {
	Train, Test   []float32 // (n, H*W)
	YTrain, YTest []int     // class labels (nil when unlabelled)
	H, W          int
	Classes       int // number of classes (10 for every built-in image set)
	Name          string
}

// NTrain and NTest are the numbers of images.
func (im *Images) NTrain() int { return len(im.Train) / (im.H * im.W) }
func (im *Images) NTest() int  { return len(im.Test) / (im.H * im.W) }

// LoadImages reads or renders the image set of an image run (c.Data.Images()).
func LoadImages(c config.Config) (*Images, error) {
	d := c.Data
	switch d.Kind {
	case "digits":
		im := &Images{H: data.DigitsSize, W: data.DigitsSize, Classes: 10, Name: "digits"}
		var err error
		if im.Train, im.YTrain, err = data.Digits(d.Size, philox.Key{Seed: c.Seed, Step: 0, Stream: philox.StreamData}); err != nil {
			return nil, fmt.Errorf("data.size: %w", err)
		}
		if d.TestSize > 0 {
			if im.Test, im.YTest, err = data.Digits(d.TestSize, philox.Key{Seed: c.Seed, Step: 1, Stream: philox.StreamData}); err != nil {
				return nil, fmt.Errorf("data.test_size: %w", err)
			}
		}
		return im, nil
	case "fashion-mnist", "mnist":
		dir := d.Path
		if dir == "" {
			dir = data.FashionMNISTDir
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			hint := ""
			if d.Kind == "fashion-mnist" && d.Path == "" {
				hint = " (install Debian's dataset-fashion-mnist, or set data.path)"
			}
			return nil, fmt.Errorf("data.path = %q: not a directory of IDX files%s", dir, hint)
		}
		im := &Images{Classes: 10, Name: d.Kind}
		var err error
		var rows, cols int
		if im.Train, im.YTrain, rows, cols, err = readIDXSplit(dir, "train"); err != nil {
			return nil, err
		}
		im.H, im.W = rows, cols
		if im.Test, im.YTest, rows, cols, err = readIDXSplit(dir, "t10k"); err != nil {
			return nil, err
		}
		if rows != im.H || cols != im.W {
			return nil, fmt.Errorf("%s: test images are %dx%d, training images %dx%d", dir, rows, cols, im.H, im.W)
		}
		P := im.H * im.W
		if d.Size > 0 && d.Size < im.NTrain() {
			im.Train, im.YTrain = im.Train[:d.Size*P], im.YTrain[:d.Size]
		}
		if d.TestSize > 0 && d.TestSize < im.NTest() {
			im.Test, im.YTest = im.Test[:d.TestSize*P], im.YTest[:d.TestSize]
		}
		for _, y := range im.YTrain {
			if y < 0 || y >= im.Classes {
				return nil, fmt.Errorf("%s: training label %d outside 0..%d", dir, y, im.Classes-1)
			}
		}
		return im, nil
	}
	return nil, fmt.Errorf("data.kind = %q is not an image set", d.Kind)
}

// readIDXSplit reads {split}-images-idx3-ubyte[.gz] and {split}-labels-idx1-ubyte[.gz] from dir.
func readIDXSplit(dir, split string) ([]float32, []int, int, int, error) {
	find := func(base string) (string, error) {
		for _, name := range []string{base + ".gz", base} {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
		return "", fmt.Errorf("data.path = %q: neither %s.gz nor %s found", dir, base, base)
	}
	ip, err := find(split + "-images-idx3-ubyte")
	if err != nil {
		return nil, nil, 0, 0, err
	}
	lp, err := find(split + "-labels-idx1-ubyte")
	if err != nil {
		return nil, nil, 0, 0, err
	}
	return data.ReadIDXImages(ip, lp)
}

// LoadLatents reads imported latents (data.npy) as rows of T*C floats and the
// optional labels (data.labels) as float32 class numbers.
func LoadLatents(c config.Config) (rows []float32, labels []float32, err error) {
	T, C := c.Model.Tokens, c.Model.Chans
	shape, v, err := data.ReadNPY(c.Data.NPY)
	if err != nil {
		return nil, nil, fmt.Errorf("data.npy: %w", err)
	}
	X := 1
	for _, s := range shape[min(1, len(shape)):] {
		X *= s
	}
	if len(shape) < 2 || X != T*C || shape[0] == 0 {
		return nil, nil, fmt.Errorf("data.npy = %q: shape %v, want (n, %d) or (n, %d, %d) with n > 0 (model.tokens x model.chans)", c.Data.NPY, shape, T*C, T, C)
	}
	for i, x := range v {
		if x != x || x > 3e38 || x < -3e38 {
			return nil, nil, fmt.Errorf("data.npy = %q: value %d is %g (latents must be finite)", c.Data.NPY, i, x)
		}
	}
	n := shape[0]
	if c.Data.Labels == "" {
		if c.Model.NumClasses > 0 {
			return nil, nil, errors.New("model.num_classes > 0 but data.labels is empty: imported latents need labels for class conditioning (or set model.num_classes = 0)")
		}
		return v, nil, nil
	}
	ys, err := data.ReadNPYLabels(c.Data.Labels)
	if err != nil {
		return nil, nil, fmt.Errorf("data.labels: %w", err)
	}
	if len(ys) != n {
		return nil, nil, fmt.Errorf("data.labels = %q: %d labels for %d latents in %s", c.Data.Labels, len(ys), n, c.Data.NPY)
	}
	labels = make([]float32, n)
	for i, y := range ys {
		if y >= c.Model.NumClasses {
			return nil, nil, fmt.Errorf("data.labels = %q: label %d at row %d, but model.num_classes = %d", c.Data.Labels, y, i, c.Model.NumClasses)
		}
		labels[i] = float32(y)
	}
	return v, labels, nil
}
