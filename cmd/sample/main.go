// Command sample draws samples from a trained checkpoint by solving
// dx/dt = v(x, t) from noise (t=0) to data (t=1).
//
//	sample -ckpt FILE [-n N] [-solver euler|midpoint|heun|rk4|dopri5] [-steps K]
//	       [-rtol R -atol A] [-seed S] [-class C -cfg W] [-npy OUT.npy] [-png OUT.png]
//
// -npy writes float32 samples in data space, shape (N, data dims...). The
// number of function evaluations (NFE) is printed. Exit status: 0 ok, 2 bad
// input, 1 other failure.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/latentflow/latentflow/data"
	"github.com/latentflow/latentflow/internal/cli"
	"github.com/latentflow/latentflow/plots"

	"github.com/latentflow/latentflow/sample"
	"github.com/latentflow/latentflow/train"
)

func main() { cli.Exit("sample", run(os.Args[1:])) }

func run(args []string) error {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	ckpt := fs.String("ckpt", "", "checkpoint `file` (ckpt.safetensors of a run)")
	n := fs.Int("n", 1000, "number of samples")
	solver := fs.String("solver", "", "ODE solver: euler, midpoint, heun, rk4, dopri5 (default: the run's sample.solver)")
	steps := fs.Int("steps", 0, "steps of a fixed-step solver (default: the run's sample.steps)")
	rtol := fs.Float64("rtol", 0, "dopri5 relative tolerance (default: the run's sample.rtol)")
	atol := fs.Float64("atol", 0, "dopri5 absolute tolerance (default: the run's sample.atol)")
	maxSteps := fs.Int("max-steps", 0, "dopri5 step budget (default: the run's sample.max_steps)")
	seed := fs.Uint64("seed", 0, "seed of the initial noise")
	class := fs.String("class", "", "class label to sample (class-conditional models)")
	cfgW := fs.Float64("cfg", 1, "classifier-free guidance weight (1 = none)")
	raw := fs.Bool("raw", false, "use the raw weights instead of the EMA weights")
	npyOut := fs.String("npy", "", "write the samples as float32 .npy `file` (data space)")
	pngOut := fs.String("png", "", "write a picture of the samples (2D data) to `file`")
	device := fs.String("device", "", "auto, cpu or cuda (default: the run's device)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *ckpt == "" {
		return cli.Inputf("-ckpt FILE is required")
	}
	if *n <= 0 {
		return cli.Inputf("-n %d: must be a positive number of samples", *n)
	}
	st, err := train.LoadCheckpoint(*ckpt)
	if err != nil {
		return cli.Input(err)
	}
	s := &st.Config.Sample
	if *solver != "" {
		s.Solver = *solver
	}
	if *steps != 0 {
		s.Steps = *steps
	}
	if *rtol != 0 {
		s.RTol = *rtol
	}
	if *atol != 0 {
		s.ATol = *atol
	}
	if *maxSteps != 0 {
		s.MaxSteps = *maxSteps
	}
	o, err := train.SolverOptions(*st)
	if err != nil {
		return cli.Input(err)
	}
	if err := o.Validate(); err != nil {
		return cli.Input(err)
	}
	var labels []float32
	m := st.Model
	if *class != "" {
		if m.Cfg.NumClasses == 0 {
			return cli.Inputf("-class %s: %s is an unconditional model", *class, *ckpt)
		}
		c, err := strconv.Atoi(*class)
		if err != nil || c < 0 || c >= m.Cfg.NumClasses {
			return cli.Inputf("-class %q: want a class number in 0..%d", *class, m.Cfg.NumClasses-1)
		}
		labels = make([]float32, *n)
		for i := range labels {
			labels[i] = float32(c)
		}
	} else if *cfgW != 1 {
		return cli.Inputf("-cfg %g needs -class", *cfgW)
	}
	dev := st.Config.Device
	if *device != "" {
		dev = *device
	}
	be, err := train.OpenBackend(dev)
	if err != nil {
		return cli.Input(err)
	}
	w := st.EMA
	if *raw {
		w = st.Params
	}
	params := be.Alloc(len(w))
	be.Upload(params, w)
	xs, stats, err := sample.Generate(be, m, params, *n, labels, float32(*cfgW), *seed, o)
	if err != nil {
		return err
	}
	train.Denormalise(xs, st.Mean, st.Std)
	fmt.Printf("%d samples with %s: NFE %d", *n, o.Method, stats.NFE)
	if o.Method.Adaptive() {
		fmt.Printf(" (%d steps accepted, %d rejected)", stats.Accepted, stats.Rejected)
	}
	fmt.Println()
	shape := append([]int{*n}, train.DataShape(st.Config)...)
	if *npyOut != "" {
		if err := data.WriteNPY(*npyOut, shape, xs); err != nil {
			return err
		}
		fmt.Printf("wrote %s (float32, shape %v)\n", *npyOut, shape)
	}
	if *pngOut != "" {
		if m.Cfg.T*m.Cfg.C != 2 {
			return cli.Inputf("-png: pictures are drawn for 2-dimensional data only (this model has %d dimensions)", m.Cfg.T*m.Cfg.C)
		}
		title := fmt.Sprintf("%s: %d samples, %s, NFE %d", st.Config.Data.Kind, *n, o.Method, stats.NFE)
		if err := plots.Scatter2D(*pngOut, title, []plots.Panel{{Title: "samples", XY: xs}}); err != nil {
			return err
		}
		fmt.Printf("wrote %s\n", *pngOut)
	}
	if st.Config.Data.Kind == "checkerboard" && m.Cfg.T*m.Cfg.C == 2 {
		fmt.Printf("%.1f%% of the samples lie inside the filled checkerboard cells\n", 100*data.CheckerboardFraction(xs))
	}
	return nil
}
