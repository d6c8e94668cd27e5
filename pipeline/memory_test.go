package pipeline

import (
	"strings"
	"testing"

	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/config"
)

// The runs this program is made for pass the memory check on a machine
// with a few GiB free; runs far beyond the machine are refused naming the
// keys to lower.
func TestMemoryEstimate(t *testing.T) {
	be := cpu.New(0)
	for _, path := range []string{"", "../examples/checkerboard.toml", "../examples/fashion-mnist.toml"} {
		c, err := config.Resolve(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resident, stages, err := footprint(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stages {
			if err := fits(append(append(stage{}, resident...), s...), false, 2<<30, "host"); err != nil {
				t.Errorf("%q does not fit in 2 GiB: %v", path, err)
			}
		}
		if err := CheckMemory(be, c); err != nil {
			t.Errorf("%q: %v", path, err)
		}
	}
	for _, tc := range []struct {
		sets []string
		want string
	}{
		{[]string{"train.batch=1000000", "model.d=4096"}, "lower train.batch, model.d, model.layers"},
		{[]string{"data.size=100000000"}, "lower data.size"},
		{[]string{"autoencoder.width=65536", "autoencoder.depth=64"}, "lower autoencoder.width, autoencoder.depth"},
		{[]string{"sample.n=100000000", "sample.batch=1048576", "model.d=2048"}, "sample."},
	} {
		c, err := config.Resolve("", tc.sets)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckMemory(be, c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.sets, err, tc.want)
		}
	}
}
