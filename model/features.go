package model

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
)

// Features returns the classifier's penultimate activations (after GELU) of
// images (n, H*W): (n, F) with F the width of the last hidden layer, the
// fixed feature space of a Frechet distance between image sets. It needs a
// classifier with a hidden layer.
func (cl *Classifier) Features(be compute.Backend, pix []float32) ([]float32, int, error) {
	m := cl.Model
	k := len(m.Sizes) - 1
	if k < 2 {
		return nil, 0, fmt.Errorf("model: the classifier has no hidden layer to take features from")
	}
	F := m.Sizes[k-1]
	out := make([]float32, len(pix)/m.In()*F)
	params, acts := upload(be, cl.Params), m.NewActivations(be, inferBatch)
	defer be.Free(params)
	defer acts.Free()
	h := make([]float32, inferBatch*F)
	err := inBatches(be, pix, m.In(), func(in compute.Buffer, i0, b int) {
		m.Forward(be, params, acts, in)
		be.Download(h, acts.act[k-2])
		copy(out[i0*F:(i0+b)*F], h[:b*F])
	})
	return out, F, err
}
