package train

import (
	"fmt"
	"io"
	"strconv"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/safetensors"
)

// clsFormat names the layout of classifier checkpoints (metadata "format").
const clsFormat = "latentflow/classifier-v1"

// Classifier is the small MLP that scores class-conditional samples: images
// (H*W pixels in [0,1]) to logits over Classes.
type Classifier struct {
	Model  *model.MLP
	Params []float32
}

// TrainClassifier trains the classifier on the labelled training images with
// softmax cross-entropy.
func TrainClassifier(be compute.Backend, c config.Config, im *Images, metrics string, progress io.Writer) (*Classifier, error) {
	k := c.Classifier
	sizes := []int{im.H * im.W}
	for i := 0; i < k.Depth; i++ {
		sizes = append(sizes, k.Width)
	}
	m, err := model.NewMLP("", append(sizes, im.Classes))
	if err != nil {
		return nil, err
	}
	x, y := be.Alloc(len(im.Train)), be.Alloc(len(im.YTrain))
	defer be.Free(x)
	defer be.Free(y)
	be.Upload(x, im.Train)
	be.Upload(y, floats(im.YTrain))
	acts := m.NewActivations(be, k.Batch)
	defer acts.Free()
	dlogits := be.Alloc(k.Batch * im.Classes)
	defer be.Free(dlogits)
	spec := fitSpec{
		name: "classifier", tc: stageTrain(k.Steps, k.Batch, min(100, k.Steps/10), k.LR, c.Train.LogEvery),
		init: m.Init(c.Seed ^ 0xc1a55), x: x, y: y, n: im.NTrain(), X: im.H * im.W, stream: streamClsIndex, metrics: metrics,
		step: func(params, grads, xb, yb, loss compute.Buffer, _ int) {
			m.Forward(be, params, acts, xb)
			be.SoftmaxCrossEntropy(loss, dlogits, acts.Out, yb, im.Classes)
			m.Backward(be, params, grads, acts, xb, dlogits, nil)
		},
	}
	params, err := fit(be, c.Seed, spec, progress)
	if err != nil {
		return nil, err
	}
	return &Classifier{Model: m, Params: params}, nil
}

// Predict returns the most likely class of each image (n, H*W).
func (cl *Classifier) Predict(be compute.Backend, pix []float32) ([]int, error) {
	m := cl.Model
	In, K := m.In(), m.Out()
	n := len(pix) / In
	const B = 500
	params, in := be.Alloc(m.NParams), be.Alloc(B*In)
	defer be.Free(params)
	defer be.Free(in)
	be.Upload(params, cl.Params)
	acts := m.NewActivations(be, B)
	defer acts.Free()
	out := make([]int, n)
	logits := make([]float32, B*K)
	for i0 := 0; i0 < n; i0 += B {
		b := min(B, n-i0)
		if b < B {
			be.Fill(in, 0)
		}
		be.Upload(in, pix[i0*In:(i0+b)*In])
		m.Forward(be, params, acts, in)
		be.Download(logits, acts.Out)
		for r := 0; r < b; r++ {
			row := logits[r*K : (r+1)*K]
			out[i0+r] = argmax(row)
		}
	}
	return out, be.Sync()
}

// Accuracy is the fraction of predictions equal to the labels.
func Accuracy(pred, labels []int) float64 {
	ok := 0
	for i := range pred {
		if pred[i] == labels[i] {
			ok++
		}
	}
	return float64(ok) / float64(max(1, len(pred)))
}

func argmax(v []float32) int {
	j := 0
	for i := range v {
		if v[i] > v[j] {
			j = i
		}
	}
	return j
}

func floats(v []int) []float32 {
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return f
}

// Save writes the classifier atomically as safetensors.
func (cl *Classifier) Save(path string) error {
	ts := layoutTensors("", cl.Model.Layout, cl.Params)
	meta := map[string]string{"format": clsFormat, "layers": strconv.Itoa(len(cl.Model.Sizes) - 1)}
	if err := safetensors.Write(path, ts, meta); err != nil {
		return fmt.Errorf("writing classifier: %w", err)
	}
	return nil
}

// LoadClassifier reads a classifier written by Save.
func LoadClassifier(path string) (*Classifier, error) {
	ts, meta, err := safetensors.Read(path)
	if err != nil {
		return nil, err
	}
	if meta["format"] != clsFormat {
		return nil, fmt.Errorf("%s: not a latentflow classifier (format %q, want %q)", path, meta["format"], clsFormat)
	}
	layers, err := strconv.Atoi(meta["layers"])
	if err != nil || layers < 1 {
		return nil, fmt.Errorf("%s: bad layers %q in metadata", path, meta["layers"])
	}
	byName := tensorIndex(ts)
	var sizes []int
	for i := 0; i < layers; i++ {
		t, ok := byName[fmt.Sprintf("layers.%d.weight", i)]
		if !ok || len(t.Shape) != 2 {
			return nil, fmt.Errorf("%s: tensor layers.%d.weight missing or not 2-D", path, i)
		}
		if i == 0 {
			sizes = append(sizes, t.Shape[1])
		}
		sizes = append(sizes, t.Shape[0])
	}
	m, err := model.NewMLP("", sizes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	params, err := readLayout(path, "", byName, m.Layout, m.NParams)
	if err != nil {
		return nil, err
	}
	return &Classifier{Model: m, Params: params}, nil
}
