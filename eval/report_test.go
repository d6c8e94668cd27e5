package eval

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/philox"
)

// Measure on the checkerboard: the generated set is itself true samples, so
// each value is near its floor; a memorising "model" (the training points
// plus tiny noise) is far below the nearest-training-point floor.
func TestMeasureCheckerboard(t *testing.T) {
	const n = 300
	toy := func(step uint64) []float32 {
		v, err := data.Toy("checkerboard", n, philox.Key{Seed: 8, Step: step, Stream: philox.StreamData})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ref, ref2, gen, trainSet := toy(1), toy(2), toy(3), toy(4)
	rs, err := Measure(Sets{D: 2, Gen: gen, Ref: ref, Ref2: ref2, Train: trainSet, Checkerboard: true}, Options{Key: philox.Key{Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
		if r.Name == "in_cell" {
			if r.Value != 1 || r.Floor != 1 {
				t.Errorf("in_cell of true samples: %v, floor %v; want 1", r.Value, r.Floor)
			}
			continue
		}
		if r.Name == "mmd2" {
			if math.Abs(r.Value) > 0.01 || math.Abs(r.Floor) > 0.01 {
				t.Errorf("mmd2 of true samples: %v, floor %v", r.Value, r.Floor)
			}
			continue
		}
		if r.Floor <= 0 || r.Value/r.Floor > 2 || r.Value/r.Floor < 0.5 {
			t.Errorf("%s of true samples %v, floor %v: want within a factor of 2", r.Name, r.Value, r.Floor)
		}
	}
	if got := strings.Join(names, " "); got != "w2 sinkhorn sliced_w2 mmd2 frechet in_cell nearest_train" {
		t.Errorf("measures %q", got)
	}
	w2, _ := W2(gen, ref, 2)
	if rs[0].Value != w2 {
		t.Errorf("Measure's w2 %v, W2 %v", rs[0].Value, w2)
	}
	memo := append([]float32(nil), trainSet...)
	for i := range memo {
		memo[i] += 1e-4
	}
	rs, err = Measure(Sets{D: 2, Gen: memo, Ref: ref, Ref2: ref2, Train: trainSet}, Options{Only: []string{"nearest_train"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Value > 2e-4 || rs[0].Floor < 0.05 {
		t.Errorf("memorising set: %+v; want nearest_train about 1.4e-4, floor about 0.1", rs)
	}
	var b bytes.Buffer
	if err := WriteTable(&b, rs); err != nil || !strings.Contains(b.String(), "nearest_train") {
		t.Errorf("table %q, %v", b.String(), err)
	}
}

func TestMeasureErrors(t *testing.T) {
	a := []float32{0, 0, 1, 1}
	if _, err := Measure(Sets{D: 2, Gen: a, Ref: a[:2], Ref2: a}, Options{}); err == nil {
		t.Error("unequal sizes: no error")
	}
	bad := []float32{0, 0, float32(math.Inf(1)), 1}
	if _, err := Measure(Sets{D: 2, Gen: bad, Ref: a, Ref2: a}, Options{}); err == nil || !strings.Contains(err.Error(), "generated set") {
		t.Errorf("infinite coordinate: %v", err)
	}
}
