package eval

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/philox"
)

// Sets are the point sets of one evaluation, all in D dimensions. Gen, Ref
// and Ref2 have the same number of points: each distance is computed
// between Gen and Ref, and its floor is the same estimator between Ref2 and
// Ref, two independent sets of true samples of that size (in moderate
// dimension the empirical W2 between m points is dominated by its own bias,
// about m^(-1/D)).
type Sets struct {
	D     int
	Gen   []float32 // the samples judged
	Ref   []float32 // true samples
	Ref2  []float32 // more true samples, independent of Ref
	Train []float32 // the training points (nil: no memorisation check)
	// Checkerboard adds the fraction of points in the filled cells (D = 2).
	Checkerboard bool
	// Features, if not nil, maps points (n, D) to features (n, F): the
	// Frechet distance is then also computed in that space (for images: the
	// classifier's penultimate layer).
	Features func(x []float32) (f []float32, F int, err error)
}

// Options choose the estimators' settings; zero values pick the defaults.
type Options struct {
	// SinkhornEps is the entropic regularisation in squared-distance units
	// (0: 1e-3 times the trace of Ref's covariance).
	SinkhornEps   float64
	SinkhornIters int     // 0: 50
	Projections   int     // sliced W2 directions (0: 256)
	Sigma         float64 // RBF bandwidth (0: the median distance within Ref)
	Key           philox.Key
	// Only, if not empty, restricts the measures to these names (see Names).
	Only []string
}

// Names are the measures of Measure, in the order reported.
var Names = []string{"w2", "sinkhorn", "sliced_w2", "mmd2", "frechet", "frechet_features", "in_cell", "nearest_train"}

// Result is one measure with its floor.
type Result struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"` // between Gen and Ref
	Floor float64 `json:"floor"` // the same estimator between Ref2 and Ref
	Unit  string  `json:"unit"`
	Note  string  `json:"note,omitempty"`
}

// Measure computes every applicable measure of s (exact W2 only up to
// MaxW2Points points; the in-cell fraction only for the checkerboard; the
// nearest-training-point distance only with Train). For nearest_train the
// value is the mean distance from a sample to its nearest training point and
// the floor that of Ref2's points: a memorising model is far below it.
func Measure(s Sets, o Options) ([]Result, error) {
	d := s.D
	n := points(s.Gen, d, "Measure")
	if points(s.Ref, d, "Measure") != n || points(s.Ref2, d, "Measure") != n {
		return nil, fmt.Errorf("eval: Measure needs Gen, Ref and Ref2 of equal size, have %d, %d and %d points",
			n, len(s.Ref)/d, len(s.Ref2)/d)
	}
	if n < 2 {
		return nil, fmt.Errorf("eval: Measure needs at least 2 points per set, have %d", n)
	}
	for _, c := range []struct {
		v    []float32
		what string
	}{{s.Gen, "generated"}, {s.Ref, "reference"}, {s.Ref2, "second reference"}, {s.Train, "training"}} {
		if err := finite(c.v, d, c.what); err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
	}
	want := func(name string) bool {
		if len(o.Only) == 0 {
			return true
		}
		for _, x := range o.Only {
			if x == name {
				return true
			}
		}
		return false
	}
	var out []Result
	pair := func(name, unit, note string, f func(x []float32) (float64, error)) error {
		if !want(name) {
			return nil
		}
		v, err := f(s.Gen)
		if err != nil {
			return err
		}
		fl, err := f(s.Ref2)
		if err != nil {
			return err
		}
		out = append(out, Result{Name: name, Value: v, Floor: fl, Unit: unit, Note: note})
		return nil
	}
	if n <= MaxW2Points {
		if err := pair("w2", "distance", "exact, optimal assignment", func(x []float32) (float64, error) { return W2(x, s.Ref, d) }); err != nil {
			return nil, err
		}
	}
	eps := o.SinkhornEps
	if eps == 0 {
		eps = 1e-3 * covTrace(s.Ref, d)
	}
	iters := o.SinkhornIters
	if iters == 0 {
		iters = 50
	}
	if eps > 0 && !math.IsInf(eps, 0) {
		if err := pair("sinkhorn", "squared distance", fmt.Sprintf("debiased, eps %.3g, %d iterations", eps, iters),
			func(x []float32) (float64, error) { return Sinkhorn(x, s.Ref, d, eps, iters), nil }); err != nil {
			return nil, err
		}
	}
	proj := o.Projections
	if proj == 0 {
		proj = 256
	}
	if err := pair("sliced_w2", "distance", fmt.Sprintf("%d directions", proj),
		func(x []float32) (float64, error) { return SlicedW2(x, s.Ref, d, proj, o.Key) }); err != nil {
		return nil, err
	}
	sigma := o.Sigma
	if sigma == 0 {
		sigma = MedianDistance(s.Ref, d)
	}
	if sigma > 0 && !math.IsInf(sigma, 0) {
		if err := pair("mmd2", "kernel", fmt.Sprintf("unbiased, RBF sigma %.3g", sigma),
			func(x []float32) (float64, error) { return MMD2(x, s.Ref, d, sigma) }); err != nil {
			return nil, err
		}
	}
	if err := pair("frechet", "squared distance", "data space",
		func(x []float32) (float64, error) { return Frechet(x, s.Ref, d) }); err != nil {
		return nil, err
	}
	if s.Features != nil && want("frechet_features") {
		fr, F, err := s.Features(s.Ref)
		if err != nil {
			return nil, err
		}
		if err := pair("frechet_features", "squared distance", fmt.Sprintf("classifier features (%d)", F),
			func(x []float32) (float64, error) {
				fx, F2, err := s.Features(x)
				if err != nil {
					return 0, err
				}
				if F2 != F {
					return 0, fmt.Errorf("eval: feature widths %d and %d differ", F2, F)
				}
				return Frechet(fx, fr, F)
			}); err != nil {
			return nil, err
		}
	}
	if s.Checkerboard && d == 2 {
		if err := pair("in_cell", "fraction", "checkerboard: inside the filled cells",
			func(x []float32) (float64, error) { return data.CheckerboardFraction(x), nil }); err != nil {
			return nil, err
		}
	}
	if s.Train != nil {
		if err := pair("nearest_train", "distance", fmt.Sprintf("mean distance to the nearest of %d training points", len(s.Train)/d),
			func(x []float32) (float64, error) {
				nd, err := NearestDistances(x, s.Train, d)
				if err != nil {
					return 0, err
				}
				var m float64
				for _, v := range nd {
					m += v
				}
				return m / float64(len(nd)), nil
			}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// covTrace is the trace of the (biased) covariance of x.
func covTrace(x []float32, d int) float64 {
	n := len(x) / d
	var t float64
	for k := 0; k < d; k++ {
		var s, s2 float64
		for i := 0; i < n; i++ {
			v := float64(x[i*d+k])
			s += v
			s2 += v * v
		}
		mu := s / float64(n)
		t += s2/float64(n) - mu*mu
	}
	return t
}

// WriteTable prints results as an aligned table: name, value, floor, the
// ratio value/floor and the notes.
func WriteTable(w io.Writer, rs []Result) error {
	rows := [][]string{{"measure", "value", "floor", "value/floor", "unit", "note"}}
	for _, r := range rs {
		ratio := "-"
		if r.Floor != 0 && r.Name != "in_cell" {
			ratio = fmt.Sprintf("%.2f", r.Value/r.Floor)
		}
		rows = append(rows, []string{r.Name, fmt.Sprintf("%.5g", r.Value), fmt.Sprintf("%.5g", r.Floor), ratio, r.Unit, r.Note})
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(c)
			} else {
				fmt.Fprintf(&b, "%-*s  ", width[i], c)
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
