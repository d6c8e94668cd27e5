package train

import (
	"fmt"
	"slices"

	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/safetensors"
)

// The checkpoints of the flow, the autoencoder and the classifier store a flat
// parameter buffer as one named safetensors tensor per entry of its layout.

// layoutTensors names the tensors of flat (with the given layout) for
// safetensors.Write, each name prefixed; the data are views of flat.
func layoutTensors(prefix string, layout []model.Tensor, flat []float32) []safetensors.Tensor {
	ts := make([]safetensors.Tensor, 0, len(layout))
	for _, t := range layout {
		ts = append(ts, safetensors.Tensor{Name: prefix + t.Name, Shape: slices.Clone(t.Shape), Data: flat[t.Off : t.Off+t.N]})
	}
	return ts
}

// tensorIndex maps the tensors read from a file by name.
func tensorIndex(ts []safetensors.Tensor) map[string]safetensors.Tensor {
	m := make(map[string]safetensors.Tensor, len(ts))
	for _, t := range ts {
		m[t.Name] = t
	}
	return m
}

// readLayout gathers the tensors prefix+name of layout into a flat buffer of n
// values, checking that each exists with the layout's shape.
func readLayout(path, prefix string, byName map[string]safetensors.Tensor, layout []model.Tensor, n int) ([]float32, error) {
	flat := make([]float32, n)
	for _, lt := range layout {
		t, ok := byName[prefix+lt.Name]
		if !ok {
			return nil, fmt.Errorf("%s: tensor %q missing", path, prefix+lt.Name)
		}
		if !slices.Equal(t.Shape, lt.Shape) {
			return nil, fmt.Errorf("%s: tensor %q has shape %v, want %v", path, t.Name, t.Shape, lt.Shape)
		}
		copy(flat[lt.Off:], t.Data)
	}
	return flat, nil
}
