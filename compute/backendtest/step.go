package backendtest

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/philox"
)

// The per-step ops (StepAdvance and the *At ops) must equal their host
// twins with the block's values bit for bit: a captured training loop reads
// its step from a block, a direct one passes it, and both must give the
// same numbers. So every check here is exact.

// stepBlock uploads a block of step s with the given row.
func stepBlock(b compute.Backend, s uint64, r compute.ScheduleRow) compute.Buffer {
	bl := b.Alloc(compute.StepBlockLen)
	b.Upload(bl, []float32{compute.StepBits(s), r.LR, r.BC1, r.BC2, r.Decay})
	return bl
}

func download(b compute.Backend, x compute.Buffer) []float32 {
	v := make([]float32, x.Len())
	b.Download(v, x)
	return v
}

// sameBits reports the first element where got and want differ in bits.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("%s[%d] = %v (bits %#x), want %v (bits %#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			return
		}
	}
}

// TestStepAdvance checks that StepAdvance copies row s-1 of the table with
// the step, advances the counter, and writes NaNs past the table's end.
func TestStepAdvance(t *testing.T, b compute.Backend, o Options) {
	const rows = 3
	tab := make([]float32, 4*rows)
	for i := range tab {
		tab[i] = float32(i) + 0.5
	}
	table, counter, block := b.Alloc(len(tab)), b.Alloc(1), b.Alloc(compute.StepBlockLen)
	defer func() { b.Free(table); b.Free(counter); b.Free(block) }()
	b.Upload(table, tab)
	b.Upload(counter, []float32{compute.StepBits(1)})
	for s := uint64(1); s <= rows+1; s++ {
		b.StepAdvance(block, table, counter)
		got := download(b, block)
		want := []float32{compute.StepBits(s), float32(math.NaN()), float32(math.NaN()), float32(math.NaN()), float32(math.NaN())}
		if s <= rows {
			copy(want[1:], tab[4*(s-1):4*s])
			sameBits(t, "block", got, want)
		} else if compute.BlockStep(got[0]) != s || !math.IsNaN(float64(got[1])) || !math.IsNaN(float64(got[4])) {
			t.Errorf("step %d past the table: block %v, want the step and NaNs", s, got)
		}
		if c := compute.BlockStep(download(b, counter)[0]); c != s+1 {
			t.Errorf("after step %d: counter %d, want %d", s, c, s+1)
		}
	}
}

// atSteps are steps of the *At checks: small, past 2^24 (not exact as a
// float32 value) and past 2^31.
var atSteps = []uint64{1, 7, 1<<24 + 3, 1<<31 + 5}

// TestPhiloxAt checks FillUniformAt, FillNormalAt, UniformIndexAt,
// LogitNormalAt and DropLabelsAt against FillUniform, ... with the key
// (seed, step, stream), over lengths that end inside a Philox call.
func TestPhiloxAt(t *testing.T, b compute.Backend, o Options) {
	const seed, stream = 0x1234_5678_9abc, 5
	for _, s := range atSteps {
		for _, n := range []int{1, 6, 1001} {
			k := philox.Key{Seed: seed, Step: s, Stream: stream}
			bl := stepBlock(b, s, compute.ScheduleRow{})
			x, y := b.Alloc(n), b.Alloc(n)
			labels := make([]float32, n)
			for i := range labels {
				labels[i] = float32(i % 3)
			}
			for _, c := range []struct {
				name    string
				at, ref func(x compute.Buffer)
			}{
				{"FillUniformAt", func(x compute.Buffer) { b.FillUniformAt(x, bl, seed, stream) }, func(x compute.Buffer) { b.FillUniform(x, k) }},
				{"FillNormalAt", func(x compute.Buffer) { b.FillNormalAt(x, bl, seed, stream) }, func(x compute.Buffer) { b.FillNormal(x, k) }},
				{"UniformIndexAt", func(x compute.Buffer) { b.UniformIndexAt(x, 1000, bl, seed, stream) }, func(x compute.Buffer) { b.UniformIndex(x, 1000, k) }},
				{"LogitNormalAt", func(x compute.Buffer) { b.LogitNormalAt(x, bl, seed, stream, 0.3, 1.2) }, func(x compute.Buffer) { b.LogitNormal(x, k, 0.3, 1.2) }},
				{"DropLabelsAt", func(x compute.Buffer) { b.Upload(x, labels); b.DropLabelsAt(x, bl, seed, stream, 0.3, 3) },
					func(x compute.Buffer) { b.Upload(x, labels); b.DropLabels(x, k, 0.3, 3) }},
			} {
				b.Fill(x, float32(math.NaN()))
				b.Fill(y, float32(math.NaN()))
				c.at(x)
				c.ref(y)
				sameBits(t, shape("%s/step=%d,n=%d", c.name, s, n), download(b, x), download(b, y))
			}
			b.Free(x)
			b.Free(y)
			b.Free(bl)
		}
	}
}

// TestAdamWStepAt checks AdamWStepAt against AdamWStepDev with the block's
// learning rate and the bias corrections of its step, and EMAAt against EMA.
func TestAdamWStepAt(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	const n = 1003
	for _, c := range adamCases {
		bc1, bc2 := compute.BiasCorrections(c.Beta1, c.Beta2, c.Step)
		bl := stepBlock(b, uint64(c.Step), compute.ScheduleRow{LR: c.LR, BC1: bc1, BC2: bc2, Decay: 0.9})
		p0, g0, m0, v0 := s.normal(n, 1), s.normal(n, 0.1), s.normal(n, 0.01), s.normal(n, 0.03)
		for i := range v0 {
			v0[i] *= v0[i]
		}
		var got, want [4][]float32
		scale := b.Alloc(3)
		b.Upload(scale, []float32{0.75, 0, 0})
		for r, run := range []func(p, g, m, v compute.Buffer){
			func(p, g, m, v compute.Buffer) {
				o := c
				o.LR, o.Step = 123, 999 // ignored
				b.AdamWStepAt(p, g, m, v, scale, bl, o)
			},
			func(p, g, m, v compute.Buffer) { b.AdamWStepDev(p, g, m, v, scale, c) },
		} {
			bufs := [4]compute.Buffer{}
			for i, x := range [][]float32{p0, g0, m0, v0} {
				bufs[i] = b.Alloc(n)
				b.Upload(bufs[i], x)
			}
			run(bufs[0], bufs[1], bufs[2], bufs[3])
			for i := range bufs {
				if r == 0 {
					got[i] = download(b, bufs[i])
				} else {
					want[i] = download(b, bufs[i])
				}
				b.Free(bufs[i])
			}
		}
		for i, name := range []string{"params", "grad", "m", "v"} {
			sameBits(t, shape("AdamWStepAt/step=%d/%s", c.Step, name), got[i], want[i])
		}
		e1, e2, p := b.Alloc(n), b.Alloc(n), b.Alloc(n)
		b.Upload(e1, m0)
		b.Upload(e2, m0)
		b.Upload(p, p0)
		b.EMAAt(e1, p, bl)
		b.EMA(e2, p, 0.9)
		sameBits(t, "EMAAt", download(b, e1), download(b, e2))
		for _, x := range []compute.Buffer{e1, e2, p, scale, bl} {
			b.Free(x)
		}
	}
}

// TestToyBatchAt checks ToyBatchAt against data.Toy and data.Normalise on
// the host, bit for bit, for every distribution.
func TestToyBatchAt(t *testing.T, b compute.Backend, o Options) {
	const seed = 77
	mean, std := [2]float32{0.1, -0.2}, [2]float32{1.7, 0.9}
	for k := compute.ToyCheckerboard; k <= compute.ToySpirals; k++ {
		for _, s := range []uint64{1, 1<<31 + 5} {
			for _, n := range []int{1, 3, 515} {
				want, err := data.Toy(k.String(), n, philox.Key{Seed: seed, Step: s, Stream: philox.StreamData})
				if err != nil {
					t.Fatal(err)
				}
				data.Normalise(want, mean[:], std[:])
				bl := stepBlock(b, s, compute.ScheduleRow{})
				x := b.Alloc(2 * n)
				b.ToyBatchAt(x, bl, k, seed, philox.StreamData, mean, std)
				sameBits(t, shape("%v/step=%d,n=%d", k, s, n), download(b, x), want)
				b.Free(x)
				b.Free(bl)
			}
		}
	}
}
