package backendtest

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/latentflow/latentflow/compute"
)

// Default tolerances: the error allowed in an output cell divided by its error
// scale (see the package documentation), for float32 arithmetic as in
// compute/cpu. eps = 2^-24 ~ 6e-8 is the unit roundoff of float32.
const (
	// DefaultElemTol is for elementwise ops: a few roundings plus float32
	// exp/tanh/sin/cos (a few ulp each), ~10 eps at most; 1e-5 leaves ~100x room.
	DefaultElemTol = 1e-5
	// DefaultReduceTol is for sums over rows, norms, layernorm statistics and
	// losses: a float32 sum of n terms errs by at most ~n eps times the sum of
	// |terms| (the scale used here), ~sqrt(n) eps in practice (n <= 1000 rows
	// here). Sum, SumSquares and ErrNorm run over up to 2^20+1 elements, where
	// a float32 running sum errs by ~4e-4: they need pairwise, blocked or
	// float64 accumulation (compute/cpu uses float64).
	DefaultReduceTol = 1e-5
	// DefaultGemmTol is for Gemm: a length-k float32 dot product errs by at most
	// k eps sum_p |a_ip b_pj| (blocked sums: ~sqrt(k) eps); k <= 300 here. A
	// backend multiplying in TF32 (10-bit mantissa) needs ~2e-3, bf16 ~2e-2.
	DefaultGemmTol = 1e-5
	// DefaultAttnTol is for Attention and AttentionBackward: the same dot
	// products (length Dh and T) plus a softmax whose error is scaled by the
	// size of the exponents (see attention.go).
	DefaultAttnTol = 1e-5
	// DefaultFDTol is for the finite-difference checks of TestGradients: central
	// differences in float32 with step 1e-2 err by h^2 |f'''|/6 ~ 2e-5
	// (truncation) plus eps |L| / h ~ 1e-5 |L| (rounding) relative to gradients
	// of order one (compute/cpu: ~5e-5); 2e-3 of |g| + rms(g) leaves room for a
	// forward pass a few times noisier and still catches a gradient 1% off.
	DefaultFDTol = 2e-3
	// DefaultXentTol is for SoftmaxCrossEntropy: an exp per logit, a sum over
	// the K classes, a division and a log. The error scale carries the float32
	// error of each exponent x - max (|x - max| eps) and of the row sum, so a
	// correct float32 kernel errs by ~10 eps of it; 1e-5 leaves ~15x room (a
	// sequential sum over K = 1000 classes, ~sqrt(K) eps, included).
	DefaultXentTol = 1e-5
	// DefaultVAETol is for GaussianSample and GaussianSampleBackward: exp(lv/2)
	// and exp(lv) with |lv| <= 30, whose float32 error grows with |lv| (carried
	// by the error scale), and the KL sum over N*L terms (~sqrt(N L) eps,
	// N L <= 5600 here) relative to the sum of |terms|; 1e-5 leaves ~2x room
	// for a sequential float32 sum and ~20x for a blocked one.
	DefaultVAETol = 1e-5
)

// Options tunes the suite for a backend. The zero value checks a float32
// backend to the precision of compute/cpu, on fresh random inputs.
type Options struct {
	// GemmTol is the error allowed in Gemm relative to
	// sum_p |alpha a_ip b_pj| + |beta c_ij| (0: DefaultGemmTol).
	// A backend that multiplies in TF32 needs about 2e-3, in bf16 about 2e-2.
	GemmTol float64
	// AttnTol is the same for Attention and AttentionBackward (0: DefaultAttnTol).
	AttnTol float64
	// ElemTol is the error allowed in elementwise ops (0: DefaultElemTol).
	ElemTol float64
	// ReduceTol is the error allowed in reductions (0: DefaultReduceTol).
	ReduceTol float64
	// FDTol is the disagreement allowed between a backward op and central
	// differences of its forward op (0: DefaultFDTol).
	FDTol float64
	// XentTol is the error allowed in SoftmaxCrossEntropy, dlogits and loss
	// (0: DefaultXentTol). Exp/log intrinsics of a few ulp fit the default
	// (their error is relative to the exponent, as the scale assumes); logits
	// read in bf16 need about 1e-2.
	XentTol float64
	// VAETol is the error allowed in GaussianSample (z and kl) and
	// GaussianSampleBackward (0: DefaultVAETol). A fast exp whose error grows
	// with its argument (CUDA __expf: 2 + 1.16|x| ulp) fits the default.
	VAETol float64
	// Seed is the base seed of the random inputs (0: $BACKENDTEST_SEED if set,
	// else the clock). Every failing test prints the base seed it used.
	Seed uint64
}

func (o Options) withDefaults() Options {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.GemmTol, DefaultGemmTol)
	def(&o.AttnTol, DefaultAttnTol)
	def(&o.ElemTol, DefaultElemTol)
	def(&o.ReduceTol, DefaultReduceTol)
	def(&o.FDTol, DefaultFDTol)
	def(&o.XentTol, DefaultXentTol)
	def(&o.VAETol, DefaultVAETol)
	return o
}

// SeedEnv names the environment variable that fixes the base seed of the
// random inputs (a decimal uint64), to reproduce a failure.
const SeedEnv = "BACKENDTEST_SEED"

// clockSeed is the base seed of this process when neither Options.Seed nor
// $BACKENDTEST_SEED gives one.
var clockSeed = sync.OnceValue(func() uint64 { return uint64(time.Now().UnixNano()) })

func baseSeed(t *testing.T, o Options) uint64 {
	if o.Seed != 0 {
		return o.Seed
	}
	if v := os.Getenv(SeedEnv); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("backendtest: $%s = %q: %v", SeedEnv, v, err)
		}
		return s
	}
	return clockSeed()
}

// RunAll runs the whole conformance suite on b, one subtest per operation.
func RunAll(t *testing.T, b compute.Backend, o Options) {
	for _, c := range All {
		t.Run(c.Name, func(t *testing.T) { c.Test(t, b, o) })
	}
}

// All lists the tests of the suite in the order RunAll runs them.
var All = []struct {
	Name string
	Test func(*testing.T, compute.Backend, Options)
}{
	{"Buffers", TestBuffers},
	{"Fill", TestFill},
	{"Copy", TestCopy},
	{"Scale", TestScale},
	{"Axpy", TestAxpy},
	{"LinComb", TestLinComb},
	{"ErrNorm", TestErrNorm},
	{"SumSquares", TestSumSquares},
	{"Sum", TestSum},
	{"Gemm", TestGemm},
	{"AddBias", TestAddBias},
	{"BiasGrad", TestBiasGrad},
	{"AddBiases", TestAddBiases},
	{"BiasGrads", TestBiasGrads},
	{"MultiBiasGrad", TestMultiBiasGrad},
	{"AddRows", TestAddRows},
	{"AddRowsGrad", TestAddRowsGrad},
	{"GatherRows", TestGatherRows},
	{"ScatterAddRows", TestScatterAddRows},
	{"LayerNormMod", TestLayerNormMod},
	{"LayerNormModBackward", TestLayerNormModBackward},
	{"ResidualLayerNormMod", TestResidualLayerNormMod},
	{"LayerNormModBackwardGated", TestLayerNormModBackwardGated},
	{"Attention", TestAttention},
	{"AttentionBackward", TestAttentionBackward},
	{"AttentionSpec", TestAttentionSpec},
	{"Gelu", TestGelu},
	{"GeluBackward", TestGeluBackward},
	{"BiasGelu", TestBiasGelu},
	{"BiasSiLU", TestBiasSiLU},
	{"SiLU", TestSiLU},
	{"SiLUBackward", TestSiLUBackward},
	{"GatedResidual", TestGatedResidual},
	{"GatedResidualBackward", TestGatedResidualBackward},
	{"BiasGatedResidual", TestBiasGatedResidual},
	{"TimestepEmbedding", TestTimestepEmbedding},
	{"FillUniform", TestFillUniform},
	{"FillNormal", TestFillNormal},
	{"UniformIndex", TestUniformIndex},
	{"LogitNormal", TestLogitNormal},
	{"CFMInterp", TestCFMInterp},
	{"CFMLoss", TestCFMLoss},
	{"AdamWStep", TestAdamWStep},
	{"GradClipScale", TestGradClipScale},
	{"AdamWStepDev", TestAdamWStepDev},
	{"EMA", TestEMA},
	{"MSELoss", TestMSELoss},
	{"SoftmaxCrossEntropy", TestSoftmaxCrossEntropy},
	{"GaussianSample", TestGaussianSample},
	{"GaussianSampleBackward", TestGaussianSampleBackward},
	{"DropLabels", TestDropLabels},
	{"Gradients", TestGradients},
	// The per-step ops of the captured training loop (step.go).
	{"StepAdvance", TestStepAdvance},
	{"PhiloxAt", TestPhiloxAt},
	{"AdamWStepAt", TestAdamWStepAt},
	{"ToyBatchAt", TestToyBatchAt},
	{"SolverClock", TestSolverClock},
	{"Dopri5Controller", TestDopri5Controller},
	{"Dopri5Ops", TestDopri5Ops},
	{"OTCoupling", TestOTCoupling},
}

// suite is the state of one exported test: the backend, the tolerances, the
// random source and the buffers to free.
type suite struct {
	b      compute.Backend
	o      Options // tolerances filled in
	seed   uint64  // base seed
	rng    *rand.Rand
	allocs []compute.Buffer

	worst   float64 // largest error/allowed seen
	worstAt string
}

// newSuite starts a test: its random source is seeded by the base seed and a
// hash of the test's name, so each test is reproducible on its own.
func newSuite(t *testing.T, b compute.Backend, o Options) *suite {
	t.Helper()
	s := &suite{b: b, o: o.withDefaults(), seed: baseSeed(t, o)}
	s.reseed(t)
	t.Cleanup(func() {
		for _, a := range s.allocs {
			b.Free(a)
		}
		switch {
		case t.Failed():
			t.Logf("random inputs from base seed %d (rerun with %s=%d)", s.seed, SeedEnv, s.seed)
		case s.worst > 0:
			t.Logf("%s: largest error %.2g of the tolerance, at %s", b.Name(), s.worst, s.worstAt)
		}
	})
	return s
}

// reseed seeds the random source from the base seed and a hash of t's name.
func (s *suite) reseed(t *testing.T) {
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	s.rng = rand.New(rand.NewPCG(s.seed, h.Sum64()))
}

// run runs one case as a subtest, with inputs that depend only on the base
// seed and the subtest's name (so go test -run can rerun it alone), and turns
// a panic of the backend into a test failure, so one failing op does not stop
// the suite.
func (s *suite) run(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		s.reseed(t)
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		f(t)
	})
}

// note records err/allowed of a passing cell for the summary line.
func (s *suite) note(t *testing.T, ratio float64, where string) {
	if ratio > s.worst {
		s.worst = ratio
		s.worstAt = t.Name() + ": " + where
	}
}

// normal returns n draws of N(0, std^2).
func (s *suite) normal(n int, std float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(std * s.rng.NormFloat64())
	}
	return x
}

// uniform returns n draws of U(lo, hi).
func (s *suite) uniform(n int, lo, hi float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(lo + (hi-lo)*s.rng.Float64())
	}
	return x
}

// filled returns n copies of v.
func filled(n int, v float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = v
	}
	return x
}

// f64 converts to float64.
func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// round32 converts to float32.
func round32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// checkScalar compares a scalar result with its reference value.
func (s *suite) checkScalar(t *testing.T, name string, got float32, want, mag, tol float64) {
	t.Helper()
	err := math.Abs(float64(got) - want)
	allowed := tol*mag + tiny
	if !(err <= allowed) {
		t.Errorf("%s = %v, want %v (error %.3g > %.3g = %g x scale %.3g)", name, got, want, err, allowed, tol, mag)
		return
	}
	s.note(t, err/allowed, name)
}

// mustPanic checks that f panics.
func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

func shape(format string, args ...any) string { return fmt.Sprintf(format, args...) }
