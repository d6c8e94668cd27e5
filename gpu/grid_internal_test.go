//go:build cuda || cudaemu

package gpu

import (
	"math"
	"strings"
	"testing"
)

// TestGridCellsBound: a grid-stride loop's int index i < n plus its stride
// never wraps past 2^31 - 1 for any n the wrappers accept, and a larger n is
// refused with a message (before: only n <= MaxInt32 was checked, so the last
// strides of n near 2^31 wrapped).
func TestGridCellsBound(t *testing.T) {
	for _, n := range []int{0, 1, 1 << 20, maxGridElems} {
		g, b := elem(n)
		if stride := g.x * b.x; n+stride > math.MaxInt32 {
			t.Errorf("elem(%d): stride %d, i + stride can reach %d > 2^31-1", n, stride, n+stride)
		}
		g, b = red(n)
		if stride := g.x * b.x; n+stride > math.MaxInt32 {
			t.Errorf("red(%d): stride %d wraps", n, stride)
		}
	}
	for _, f := range []func(int) (dim, dim){elem, red} {
		msg := func() (m string) {
			defer func() { m, _ = recover().(string) }()
			f(maxGridElems + 1)
			return "no panic"
		}()
		if !strings.Contains(msg, "32-bit grid-stride loops") {
			t.Errorf("a grid of %d cells: %q, want a refusal", maxGridElems+1, msg)
		}
	}
}
