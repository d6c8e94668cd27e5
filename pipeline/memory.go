package pipeline

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/internal/sysmem"
	"github.com/latentflow/latentflow/model"
	"github.com/latentflow/latentflow/sample"
)

// A memory estimate of a whole run, made from the configuration alone
// before anything is allocated, and compared with what the machine has:
// host memory (sysmem.Available) for everything on the CPU backend, device
// memory (the backend's MemInfo) for the device buffers on CUDA. It counts
// the large buffers (parameters, gradients, AdamW moments, EMA, the
// activations of a step at the configured batch, the data resident on the
// device, the samples drawn at the end) and leaves out what is small or
// transient, so it is a lower bound: a run it refuses cannot fit.

// part is one large allocation of a stage, in float32s.
type part struct {
	what   string  // e.g. "stage 2 activations at train.batch = 256"
	floats float64 // float64: the products of large bounds overflow an int64
	device bool    // a device buffer (host memory on the CPU backend)
	lower  string  // the keys that shrink it
}

// stage is the parts that are alive together.
type stage []part

// footprint returns the stages of cfg's run: the data resident in every
// stage, then stage 1, the classifier, stage 2 and the end-of-run samples.
func footprint(cfg config.Config) (resident stage, stages []stage, err error) {
	mc := model.ConfigFrom(cfg)
	if err := mc.Validate(); err != nil {
		return nil, nil, input("", err)
	}
	m := model.NewDiT(mc) // the table of tensors only: sizes are bounded by Validate
	X := float64(mc.T) * float64(mc.C)
	tc := cfg.Train
	B := float64(tc.Batch)
	P := float64(m.NParams)
	shape := fmt.Sprintf("model.d = %d, model.layers = %d, model.mlp_ratio = %d", mc.D, mc.L, mc.MLPRatio)

	// The training rows: on the host and uploaded to the device.
	var rows, rowWidth float64
	switch {
	case cfg.Data.Latents():
		if st, err := os.Stat(cfg.Data.NPY); err == nil {
			rows, rowWidth = float64(st.Size())/4/X, X // float32 or wider: at most this many floats
		}
	case cfg.Data.Images():
		n := float64(cfg.Data.Size)
		if n == 0 { // all the IDX images
			n = 60000
		}
		test := float64(cfg.Data.TestSize)
		if test == 0 {
			test = 10000
		}
		const pixels = 28 * 28
		resident = append(resident, part{fmt.Sprintf("the %.0f training and %.0f test images", n, test), (n + test) * pixels, false, "data.size, data.test_size"},
			part{"the latent cache", n * X, false, "data.size"})
		rows, rowWidth = n, X
	default:
		rows, rowWidth = float64(cfg.Data.Size), X
	}
	resident = append(resident, part{fmt.Sprintf("the %.0f training rows", rows), rows * (rowWidth + 1), false, "data.size"},
		part{"the training rows on the device", rows * (rowWidth + 1), true, "data.size"})

	if cfg.Data.Images() {
		const pixels = 28 * 28
		ae := model.AEConfigFrom(cfg, 28, 28)
		sizes := append(append([]int{pixels}, ae.Hidden...), ae.L()*2)
		n := float64(cfg.Data.Size)
		ap, aa := mlpFloats(sizes, float64(cfg.Autoencoder.Batch))
		stages = append(stages, stage{
			{"the training images on the device", n * pixels, true, "data.size"},
			{fmt.Sprintf("the autoencoder's parameters and optimiser state (autoencoder.width = %d, autoencoder.depth = %d)", cfg.Autoencoder.Width, cfg.Autoencoder.Depth),
				2 * 6 * ap, true, "autoencoder.width, autoencoder.depth"},
			{fmt.Sprintf("the autoencoder's activations at autoencoder.batch = %d", cfg.Autoencoder.Batch), 2 * aa, true, "autoencoder.batch, autoencoder.width"},
		})
		if cfg.Classifier.Steps > 0 {
			cs := []int{pixels}
			for range cfg.Classifier.Depth {
				cs = append(cs, cfg.Classifier.Width)
			}
			cs = append(cs, max(cfg.Model.NumClasses, 10))
			cp, ca := mlpFloats(cs, float64(cfg.Classifier.Batch))
			stages = append(stages, stage{
				{"the training images on the device", n * pixels, true, "data.size"},
				{fmt.Sprintf("the classifier's parameters and optimiser state (classifier.width = %d, classifier.depth = %d)", cfg.Classifier.Width, cfg.Classifier.Depth),
					6 * cp, true, "classifier.width, classifier.depth"},
				{fmt.Sprintf("the classifier's activations at classifier.batch = %d", cfg.Classifier.Batch), ca, true, "classifier.batch, classifier.width"},
			})
		}
	}

	stages = append(stages, stage{
		{fmt.Sprintf("the flow's parameters, gradients, AdamW moments and EMA (%.0f parameters: %s)", P, shape), 5 * P, true, "model.d, model.layers"},
		{fmt.Sprintf("the flow's training state on the host (%s)", shape), 4 * P, false, "model.d, model.layers"},
		{fmt.Sprintf("the flow's activations at train.batch = %d (%s, model.tokens = %d)", tc.Batch, shape, mc.T),
			float64(m.ActivationFloats(1))*B + 6*B*X, true, "train.batch, model.d, model.layers"},
	})
	if cfg.Flow.Coupling == "ot" { // the assignment's float64 cost matrix
		last := &stages[len(stages)-1]
		*last = append(*last, part{fmt.Sprintf("the OT coupling's cost matrix at train.batch = %d", tc.Batch), 2 * B * B, true, "train.batch"})
	}

	sb := min(cfg.Sample.Batch, cfg.Sample.N)
	out := float64(cfg.Sample.N) * X
	if cfg.Data.Images() {
		out += float64(cfg.Sample.N) * 28 * 28
	}
	stages = append(stages, stage{
		{"the weights for sampling", P, true, "model.d, model.layers"},
		{fmt.Sprintf("the forward pass of sampling at sample.batch = %d", sb), float64(sample.SampleFloats(m, 1)) * float64(sb), true, "sample.batch"},
		{fmt.Sprintf("the %d samples (sample.n)", cfg.Sample.N), out, false, "sample.n"},
	})
	return resident, stages, nil
}

// mlpFloats returns the parameters of an MLP of the given layer sizes and
// its activations (pre-activations, activations and their gradients) for
// a batch of B rows.
func mlpFloats(sizes []int, B float64) (params, acts float64) {
	for i := 0; i+1 < len(sizes); i++ {
		params += float64(sizes[i])*float64(sizes[i+1]) + float64(sizes[i+1])
		acts += 3 * B * float64(sizes[i+1])
	}
	return params, acts + B*float64(sizes[0])
}

// memInfoer is a backend that reports its device memory (the CUDA backend).
type memInfoer interface {
	MemInfo() (free, total int64, err error)
}

// CheckMemory compares the estimate of cfg's run with the memory of the
// machine: host memory, and the device's when be reports it. A run that
// cannot fit is an *InputError that names the largest part and the keys to
// lower. Run calls it before it allocates anything; bin/bench too.
func CheckMemory(be compute.Backend, cfg config.Config) error {
	resident, stages, err := footprint(cfg)
	if err != nil {
		return err
	}
	var devFree int64 = -1
	if mi, ok := be.(memInfoer); ok {
		if free, _, err := mi.MemInfo(); err == nil {
			devFree = free
		}
	}
	hostFree, hostKnown := sysmem.Available()
	for _, s := range stages {
		all := append(append(stage{}, resident...), s...)
		if devFree >= 0 {
			if err := fits(all, true, devFree, "device"); err != nil {
				return err
			}
		}
		if hostKnown {
			var host stage
			for _, p := range all {
				if !p.device || devFree < 0 { // on the CPU the device buffers are host memory
					host = append(host, p)
				}
			}
			if err := fits(host, false, hostFree, "host"); err != nil {
				return err
			}
		}
	}
	return nil
}

// fits returns an error when the parts of s (device parts only when device
// is set) need more than free bytes.
func fits(s stage, device bool, free int64, kind string) error {
	var need float64
	var ps []part
	for _, p := range s {
		if device && !p.device {
			continue
		}
		need += 4 * p.floats
		ps = append(ps, p)
	}
	if need <= float64(free) {
		return nil
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].floats > ps[j].floats })
	big := ps[0]
	return input("", fmt.Errorf("the run needs at least %s of %s memory, most of it %s (%s), but %s are available: lower %s",
		size(need), kind, big.what, size(4*big.floats), size(free), lowerKeys(ps)))
}

// lowerKeys lists the keys of the largest parts, largest first, once each.
func lowerKeys(ps []part) string {
	var keys []string
	seen := map[string]bool{}
	for _, p := range ps[:min(2, len(ps))] {
		for _, k := range strings.Split(p.lower, ", ") {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return strings.Join(keys, ", ")
}

// size prints bytes in MiB, GiB or TiB.
func size[T int64 | float64](n T) string {
	b := float64(n)
	switch {
	case b >= 1<<40:
		return fmt.Sprintf("%.1f TiB", b/(1<<40))
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", b/(1<<30))
	}
	return fmt.Sprintf("%.0f MiB", b/(1<<20))
}
