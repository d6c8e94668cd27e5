package config

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestDefaultTOML checks that the embedded default.toml and Default() cannot
// drift: the file decodes to exactly Default(), sets every key of the
// schema, in the schema's order, with a comment above each key.
func TestDefaultTOML(t *testing.T) {
	c, err := Parse("default.toml", DefaultTOML())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("default.toml decodes to\n%+v\nDefault() is\n%+v", c, Default())
	}

	// Decoding over the zero value, not over Default(), so that a key
	// missing from the file shows up (unless its default is zero, which the
	// IsDefined check below catches).
	var z Config
	md, err := toml.Decode(string(DefaultTOML()), &z)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(z, Default()) {
		t.Errorf("default.toml over the zero Config gives\n%+v\nDefault() is\n%+v", z, Default())
	}
	if und := md.Undecoded(); len(und) != 0 {
		t.Errorf("default.toml has keys outside the schema: %v", und)
	}
	var fileKeys []string
	for _, k := range md.Keys() {
		if key := strings.Join(k, "."); !tableKey[key] {
			fileKeys = append(fileKeys, key)
		}
	}
	var schemaKeys []string
	for _, l := range leaves {
		schemaKeys = append(schemaKeys, l.key)
		if !md.IsDefined(strings.Split(l.key, ".")...) {
			t.Errorf("default.toml lacks key %s", l.key)
		}
	}
	if !reflect.DeepEqual(fileKeys, schemaKeys) {
		t.Errorf("default.toml key order\n%v\ndiffers from the struct order\n%v", fileKeys, schemaKeys)
	}

	// Every key line is documented by the comment lines just above it.
	sc := bufio.NewScanner(bytes.NewReader(DefaultTOML()))
	prev := ""
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "[") &&
			!strings.HasPrefix(prev, "#") {
			t.Errorf("default.toml:%d: %q has no comment line above it", n, line)
		}
		prev = line
	}

	if d := Default(); d.Validate() != nil {
		err := d.Validate()
		t.Errorf("Default().Validate() = %v", err)
	}
}

// TestParse checks that a file needs only the keys it changes.
func TestParse(t *testing.T) {
	text := `
seed = 7
[model]
d = 64
heads = 2
[flow]
path = "vp"
[train]
lr = 1     # an integer is fine for a float key
plots = false
`
	got, err := Parse("run.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Seed = 7
	want.Model.D = 64
	want.Model.Heads = 2
	want.Flow.Path = "vp"
	want.Train.LR = 1
	want.Train.Plots = false
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", got, want)
	}
	if got, err := Parse("empty.toml", nil); err != nil || !reflect.DeepEqual(got, Default()) {
		t.Errorf("Parse(empty) = %+v, %v; want Default()", got, err)
	}
}

// TestParseErrors checks each kind of bad file: the error is an *Error, its
// fields name the file, line, key and value, and its text reads well.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       Error  // File is always "run.toml"; Msg is a substring
		text2      string // a substring of Error()
	}{
		{"unknown key", "[train]\nlrr = 1e-3\n",
			Error{Key: "train.lrr", Msg: "unknown key"}, `train.lrr: unknown key (did you mean "train.lr"?)`},
		{"unknown top-level key", "sed = 1\n",
			Error{Key: "sed", Msg: "unknown key"}, `did you mean "seed"?`},
		{"key in the wrong table", "[train]\nsolver = \"euler\"\n",
			Error{Key: "train.solver", Msg: "unknown key"}, `did you mean "sample.solver"?`},
		{"key without its table", "warmup = 3\n",
			Error{Key: "warmup", Msg: "unknown key"}, `did you mean "autoencoder.warmup" or "train.warmup"?`},
		{"key in another case", "[train]\nLR = 3e-4\n",
			Error{Key: "train.LR", Msg: "unknown key"}, `did you mean "train.lr"?`},
		{"unknown table", "[modle]\nd = 3\nheads = 2\n[train]\nfoo = 1\n",
			Error{Key: "modle", Msg: "unknown key"}, `did you mean "model"?); and 1 more`},
		{"no suggestion", "[train]\nfrobnicate_the_widgets = 1\n",
			Error{Key: "train.frobnicate_the_widgets", Msg: "unknown key"}, "frobnicate_the_widgets: unknown key"},
		{"string for int", "[train]\nbatch = \"256\"\n",
			Error{Key: "train.batch", Value: `"256"`, Msg: "expected an integer, got a string"}, `train.batch = "256": expected an integer, got a string`},
		{"float for int", "[model]\nd = 1.5\n",
			Error{Key: "model.d", Value: "1.5", Msg: "expected an integer, got a float"}, ""},
		{"int for string", "[flow]\npath = 1\n",
			Error{Key: "flow.path", Value: "1", Msg: "expected a string, got an integer"}, ""},
		{"string for bool", "[train]\nplots = \"yes\"\n",
			Error{Key: "train.plots", Value: `"yes"`, Msg: "expected a boolean"}, ""},
		{"string for float", "[train]\nlr = \"fast\"\n",
			Error{Key: "train.lr", Value: `"fast"`, Msg: "expected a number, got a string"}, ""},
		{"array for float", "[train]\nlr = [1, 2]\n",
			Error{Key: "train.lr", Msg: "expected a number, got an array"}, ""},
		{"negative seed", "seed = -1\n",
			Error{Key: "seed", Value: "-1", Msg: "expected a non-negative integer"}, ""},
		{"value for a table", "model = 3\n",
			Error{Key: "model", Value: "3", Msg: "expected a table ([model]), got an integer"}, ""},
		{"array of tables", "[[train]]\nlr = 1.0\n",
			Error{Key: "train", Msg: "expected a table"}, ""},
		{"table for a value", "[seed]\nx = 1\n",
			Error{Key: "seed", Msg: "expected a non-negative integer, got a table"}, ""},
		{"syntax", "seed = 1\nseed2 = 12x\n",
			Error{Line: 2, Msg: "invalid TOML"}, "run.toml:2: invalid TOML"},
		{"syntax no value", "seed = = 3\n",
			Error{Line: 1, Msg: "invalid TOML"}, "run.toml:1: invalid TOML"},
		{"duplicate key", "[model]\nd = 1\nd = 2\n",
			Error{Line: 3, Msg: "invalid TOML"}, "already been defined"},
		{"int64 overflow", "[model]\nd = 99999999999999999999\n",
			Error{Line: 2, Msg: "invalid TOML"}, "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("run.toml", []byte(tc.text))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error = %v (%T), want *Error", tc.text, err, err)
			}
			if e.File != "run.toml" || e.Line != tc.want.Line || e.Key != tc.want.Key ||
				(tc.want.Value != "" && e.Value != tc.want.Value) || !strings.Contains(e.Msg, tc.want.Msg) {
				t.Errorf("Parse(%q) = %#v\nwant fields %#v", tc.text, *e, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text2) || !strings.HasPrefix(err.Error(), "config: run.toml") ||
				strings.Contains(err.Error(), "\n") {
				t.Errorf("Parse(%q) error text %q, want one line with %q", tc.text, err, tc.text2)
			}
			if !reflect.DeepEqual(c, Default()) {
				t.Errorf("Parse failed but returned a changed config")
			}
		})
	}
}

// TestValidate checks every check of Validate: each case breaks one value
// of Default() and wants the error on its key.
func TestValidate(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		key    string
		mutate func(c *Config)
		msg    string // substring of the error text
	}{
		{"seed", func(c *Config) { c.Seed = 1 << 63 }, "seed = 9223372036854775808: must be at most 2^63-1"},
		{"device", func(c *Config) { c.Device = "gpu" }, `device = "gpu": must be one of "auto", "cpu", "cuda"`},
		{"data.kind", func(c *Config) { c.Data.Kind = "cifar" }, `data.kind = "cifar": must be one of "digits", "fashion-mnist", "mnist", "checkerboard"`},
		{"data.path", func(c *Config) { c.Data.Kind = "mnist" }, `must name the directory of the MNIST IDX files`},
		{"data.size", func(c *Config) { c.Data.Size = 0 }, `data.size = 0: must be a positive integer for data.kind "digits"`},
		{"data.test_size", func(c *Config) { c.Data.TestSize = -1 }, "must be an integer >= 0"},
		{"data.labels", func(c *Config) { c.Data.Labels = "y.npy" }, "needs data.npy"},
		{"autoencoder.width", func(c *Config) { c.Autoencoder.Width = 0 }, "must be a positive integer"},
		{"autoencoder.depth", func(c *Config) { c.Autoencoder.Depth = -1 }, "must be a positive integer"},
		{"autoencoder.kl_weight", func(c *Config) { c.Autoencoder.KLWeight = -1 }, "must be a finite number >= 0"},
		{"autoencoder.steps", func(c *Config) { c.Autoencoder.Steps = 0 }, "must be a positive integer"},
		{"autoencoder.batch", func(c *Config) { c.Autoencoder.Batch = 0 }, "must be a positive integer"},
		{"autoencoder.lr", func(c *Config) { c.Autoencoder.LR = nan }, "must be a finite number > 0"},
		{"autoencoder.warmup", func(c *Config) { c.Autoencoder.Warmup = -1 }, "must be an integer >= 0"},
		{"data.size", func(c *Config) { c.Data.Size = -1 }, "data.size = -1: must be an integer >= 0"},
		{"model.d", func(c *Config) { c.Model.D = 0 }, "model.d = 0: must be a positive integer"},
		{"model.layers", func(c *Config) { c.Model.Layers = -2 }, "must be a positive integer"},
		{"model.heads", func(c *Config) { c.Model.Heads = 0 }, "must be a positive integer"},
		{"model.heads", func(c *Config) { c.Model.Heads = 5 }, "model.heads = 5: must divide model.d = 96"},
		{"model.mlp_ratio", func(c *Config) { c.Model.MLPRatio = 0 }, "must be a positive integer"},
		{"model.tokens", func(c *Config) { c.Model.Tokens = 0 }, "must be a positive integer"},
		{"model.chans", func(c *Config) { c.Model.Chans = -1 }, "must be a positive integer"},
		{"model.tokens", func(c *Config) { c.Data.Kind = "checkerboard"; c.Model.Tokens = 4; c.Model.Chans = 1 }, `model.tokens * model.chans = 4 * 1 must equal 2, the dimension of data.kind "checkerboard"`},
		{"model.time_scale", func(c *Config) { c.Model.TimeScale = 0 }, "must be a finite number > 0"},
		{"model.time_scale", func(c *Config) { c.Model.TimeScale = math.Inf(1) }, "model.time_scale = inf: must be a finite number > 0"},
		{"model.temb_dim", func(c *Config) { c.Model.TembDim = 0 }, "must be a positive integer"},
		{"model.temb_dim", func(c *Config) { c.Model.TembDim = 255 }, "model.temb_dim = 255: must be even"},
		{"model.num_classes", func(c *Config) { c.Model.NumClasses = -1 }, "must be an integer >= 0"},
		{"model.class_dropout", func(c *Config) { c.Model.ClassDropout = 1 }, "model.class_dropout = 1: must be in [0, 1)"},
		{"model.class_dropout", func(c *Config) { c.Model.ClassDropout = nan }, "model.class_dropout = nan: must be in [0, 1)"},
		{"flow.path", func(c *Config) { c.Flow.Path = "OT" }, `flow.path = "OT": must be one of "ot", "vp"`},
		{"flow.sigma_min", func(c *Config) { c.Flow.SigmaMin = -1e-4 }, "must be in [0, 1)"},
		{"flow.beta_min", func(c *Config) { c.Flow.BetaMin = -0.1 }, "must be a finite number >= 0"},
		{"flow.beta_max", func(c *Config) { c.Flow.BetaMax = 0.05 }, "flow.beta_max = 0.05: must be a finite number > flow.beta_min = 0.1"},
		{"flow.time_sampling", func(c *Config) { c.Flow.TimeSampling = "lognormal" }, `must be one of "uniform", "logit-normal"`},
		{"flow.coupling", func(c *Config) { c.Flow.Coupling = "exact" }, `must be one of "independent", "ot"`},
		{"flow.logit_mean", func(c *Config) { c.Flow.LogitMean = nan }, "must be a finite number"},
		{"flow.logit_std", func(c *Config) { c.Flow.LogitStd = 0 }, "must be a finite number > 0"},
		{"train.steps", func(c *Config) { c.Train.Steps = 0 }, "must be a positive integer"},
		{"train.batch", func(c *Config) { c.Train.Batch = -4 }, "train.batch = -4: must be a positive integer"},
		{"train.lr", func(c *Config) { c.Train.LR = 0 }, "train.lr = 0: must be a finite number > 0"},
		{"train.lr", func(c *Config) { c.Train.LR = nan }, "must be a finite number > 0"},
		{"train.warmup", func(c *Config) { c.Train.Warmup = -1 }, "must be an integer >= 0"},
		{"train.schedule", func(c *Config) { c.Train.Schedule = "linear" }, `must be one of "constant", "cosine"`},
		{"train.min_lr_ratio", func(c *Config) { c.Train.MinLRRatio = 1.5 }, "must be in [0, 1]"},
		{"train.beta1", func(c *Config) { c.Train.Beta1 = 1 }, "must be in [0, 1)"},
		{"train.beta2", func(c *Config) { c.Train.Beta2 = -0.5 }, "must be in [0, 1)"},
		{"train.eps", func(c *Config) { c.Train.Eps = 0 }, "must be a finite number > 0"},
		{"train.weight_decay", func(c *Config) { c.Train.WeightDecay = -0.1 }, "must be a finite number >= 0"},
		{"train.grad_clip", func(c *Config) { c.Train.GradClip = math.Inf(1) }, "must be a finite number >= 0"},
		{"train.ema_decay", func(c *Config) { c.Train.EMADecay = 1 }, "must be in [0, 1)"},
		{"train.log_every", func(c *Config) { c.Train.LogEvery = 0 }, "must be a positive integer"},
		{"train.ckpt_every", func(c *Config) { c.Train.CkptEvery = -1 }, "must be an integer >= 0"},
		{"sample.solver", func(c *Config) { c.Sample.Solver = "rk45" }, `sample.solver = "rk45": must be one of "euler", "midpoint", "heun", "rk4", "dopri5"`},
		{"sample.steps", func(c *Config) { c.Sample.Steps = 0 }, "must be a positive integer"},
		{"sample.rtol", func(c *Config) { c.Sample.RTol = 0 }, "must be a finite number > 0"},
		{"sample.atol", func(c *Config) { c.Sample.ATol = -1 }, "must be a finite number > 0"},
		{"sample.max_steps", func(c *Config) { c.Sample.MaxSteps = 0 }, "must be a positive integer"},
		{"sample.n", func(c *Config) { c.Sample.N = 0 }, "must be a positive integer"},
		{"sample.batch", func(c *Config) { c.Sample.Batch = 0 }, "must be a positive integer"},
	} {
		c := Default()
		tc.mutate(&c)
		err := c.Validate()
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: Validate() = %v, want an *Error", tc.key, err)
			continue
		}
		if e.Key != tc.key || e.File != "" || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: Validate() = %q (key %q), want key %q and %q", tc.key, err, e.Key, tc.key, tc.msg)
		}
	}

	// Values at the edges of their ranges are fine.
	c := Default()
	c.Seed = math.MaxInt64
	c.Device = "auto"
	c.Data.Kind = "spirals"
	c.Model.Tokens, c.Model.Chans = 2, 1
	c.Model.ClassDropout, c.Flow.SigmaMin, c.Train.EMADecay, c.Train.Beta1 = 0, 0, 0, 0
	c.Train.MinLRRatio = 1
	c.Train.Warmup, c.Train.CkptEvery, c.Train.GradClip = 0, 0, 0
	c.Flow.Path, c.Flow.BetaMin = "vp", 0
	c.Sample.Solver = "dopri5"
	if err := c.Validate(); err != nil {
		t.Errorf("edge values: Validate() = %v", err)
	}
}

// TestSet checks -set overrides: the value is read according to the key's
// type, and errors name the key and value.
func TestSet(t *testing.T) {
	for _, tc := range []struct {
		assign string
		want   func(c *Config) // nil if an error is wanted
		err    string          // substring of the error text
	}{
		{"train.lr=1e-3", func(c *Config) { c.Train.LR = 1e-3 }, ""},
		{"train.lr = 2", func(c *Config) { c.Train.LR = 2 }, ""},
		{"model.d=64", func(c *Config) { c.Model.D = 64 }, ""},
		{"model.d=1_024", func(c *Config) { c.Model.D = 1024 }, ""},
		{"flow.path=vp", func(c *Config) { c.Flow.Path = "vp" }, ""},
		{`flow.path="vp"`, func(c *Config) { c.Flow.Path = "vp" }, ""},
		{"flow.time_sampling=logit-normal", func(c *Config) { c.Flow.TimeSampling = "logit-normal" }, ""},
		{"flow.coupling=ot", func(c *Config) { c.Flow.Coupling = "ot" }, ""},
		{"device=1", func(c *Config) { c.Device = "1" }, ""},
		{"train.plots=false", func(c *Config) { c.Train.Plots = false }, ""},
		{"train.graph=false", func(c *Config) { c.Train.Graph = false }, ""},
		{"train.graph=1", nil, "train.graph = 1: expected a boolean"},
		{"seed=9223372036854775807", func(c *Config) { c.Seed = math.MaxInt64 }, ""},
		{"data.kind=a=b", func(c *Config) { c.Data.Kind = "a=b" }, ""},
		{"model.d=abc", nil, "config: -set: model.d = abc: expected an integer"},
		{"model.d=64.0", nil, "model.d = 64.0: expected an integer, got a float"},
		{"model.d=", nil, "model.d: expected an integer"},
		{"train.lr=fast", nil, "train.lr = fast: expected a number"},
		{"train.plots=yes", nil, "train.plots = yes: expected a boolean"},
		{"seed=-1", nil, "seed = -1: expected a non-negative integer"},
		{"seed=18446744073709551615", nil, "seed = 18446744073709551615: expected a non-negative integer"},
		{"train.lr=1\nseed=3", nil, "on one line"},
		{"modle.d=3", nil, `config: -set: modle.d: unknown key (did you mean "model.d"?)`},
		{"train.lrr=3", nil, `did you mean "train.lr"?`},
		{"model=3", nil, "model: is a table: set one of its keys, e.g. model.d"},
		{"train.lr", nil, `"train.lr": expected key=value`},
		{"=3", nil, "empty key"},
	} {
		c := Default()
		err := c.Set(tc.assign)
		if tc.want == nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "-set" || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Set(%q) = %v, want an *Error from -set with %q", tc.assign, err, tc.err)
			}
			if !reflect.DeepEqual(c, Default()) {
				t.Errorf("Set(%q) failed but changed the config", tc.assign)
			}
			continue
		}
		want := Default()
		tc.want(&want)
		if err != nil || !reflect.DeepEqual(c, want) {
			t.Errorf("Set(%q) = %v, config\n%+v\nwant\n%+v", tc.assign, err, c, want)
		}
	}
}

// TestSetEveryKey sets each key of the schema to a value that is not its
// default, through its TOML text, and checks that the field changed: Set
// reaches every field by reflection.
func TestSetEveryKey(t *testing.T) {
	if len(leaves) != 66 {
		t.Errorf("the schema has %d keys; update this test and default.toml", len(leaves))
	}
	for _, l := range leaves {
		var val string
		switch l.typ.Kind() {
		case reflect.String:
			val = "other"
		case reflect.Bool:
			val = "false"
			if !reflect.ValueOf(Default()).FieldByIndex(l.index).Bool() {
				val = "true"
			}
		case reflect.Int, reflect.Int64, reflect.Uint64:
			val = "12345"
		case reflect.Float64:
			val = "0.125"
		}
		c := Default()
		if err := c.Set(l.key + "=" + val); err != nil {
			t.Errorf("Set(%s=%s): %v", l.key, val, err)
			continue
		}
		if reflect.DeepEqual(c, Default()) {
			t.Errorf("Set(%s=%s) changed nothing", l.key, val)
		}
		text, err := c.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(text, []byte(l.key[strings.LastIndexByte(l.key, '.')+1:]+" = ")) {
			t.Errorf("Encode does not write %s", l.key)
		}
	}
}

// TestEncodeRoundTrip checks that Parse(Encode(c)) == c.
func TestEncodeRoundTrip(t *testing.T) {
	cs := []Config{Default()}
	c := Default()
	c.Seed = math.MaxInt64
	c.Device = "cuda"
	c.Data = Data{Kind: "moons", Size: 100000}
	c.Model.D, c.Model.Heads, c.Model.NumClasses = 96, 3, 10
	c.Model.TimeScale = 1
	c.Flow.Path, c.Flow.BetaMax = "vp", 19.9
	c.Flow.TimeSampling, c.Flow.LogitMean, c.Flow.LogitStd = "logit-normal", -0.5, 0.1+0.2
	c.Train.LR, c.Train.Eps, c.Train.WeightDecay = 1.0/3, 1e-300, 5e-324
	c.Train.Plots, c.Sample.EMA = false, false
	c.Sample.Solver, c.Sample.RTol = "dopri5", 123456789.123456789
	cs = append(cs, c)
	for i, c := range cs {
		text, err := c.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := Parse("config.toml", text)
		if err != nil {
			t.Fatalf("%d: Parse(Encode()): %v\n%s", i, err, text)
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("%d: round trip gives\n%+v\nwant\n%+v\ntext:\n%s", i, got, c, text)
		}
	}

	c = Default()
	c.Seed = math.MaxUint64
	if _, err := c.Encode(); err == nil {
		t.Errorf("Encode with seed 2^64-1 = nil error, want one (TOML cannot write it)")
	}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestResolve checks the layers defaults -> file -> -set -> Validate, and
// that a validation error names where the bad value came from.
func TestResolve(t *testing.T) {
	p := writeFile(t, "run.toml", "[model]\nd = 64\nheads = 8\n[train]\nlr = 1e-3\nbatch = 64\n")

	got, err := Resolve(p, []string{"train.lr=5e-4", "flow.path=vp"})
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Model.D, want.Model.Heads = 64, 8
	want.Train.LR, want.Train.Batch = 5e-4, 64
	want.Flow.Path = "vp"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve =\n%+v\nwant\n%+v", got, want)
	}

	if got, err := Resolve("", nil); err != nil || !reflect.DeepEqual(got, Default()) {
		t.Errorf("Resolve(\"\", nil) = %v; want Default()", err)
	}

	for _, tc := range []struct {
		path string
		sets []string
		err  string
	}{
		{p, []string{"train.batch=-4"}, "config: -set: train.batch = -4: must be a positive integer"},
		{writeFile(t, "bad.toml", "[train]\nbatch = -4\n"), nil, "bad.toml: train.batch = -4: must be a positive integer"},
		{p, []string{"model.heads=3"}, "config: -set: model.heads = 3: must divide model.d = 64"},
		{"", []string{"model.d=65"}, "config: model.heads = 4: must divide model.d = 65"},
		{"", []string{"flow.coupling=ot", "train.batch=5000"}, `config: -set: train.batch = 5000: must be at most 4096 with flow.coupling = "ot" (an exact assignment per batch: O(batch^3) a step)`},
		{p, []string{"train.lr=x"}, "config: -set: train.lr = x: expected a number"},
		{writeFile(t, "typo.toml", "[train]\nbach = 3\n"), nil, `typo.toml: train.bach: unknown key (did you mean "train.batch"?)`},
	} {
		c, err := Resolve(tc.path, tc.sets)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Resolve(%s, %q) = %v, want %q", filepath.Base(tc.path), tc.sets, err, tc.err)
		}
		if !reflect.DeepEqual(c, Default()) {
			t.Errorf("Resolve failed but returned a changed config")
		}
	}

	missing := filepath.Join(t.TempDir(), "nope.toml")
	_, err = Resolve(missing, nil)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Resolve(missing file) = %v, want a not-exist error naming the file", err)
	}
	if _, err := Load(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing file) = %v, want a not-exist error", err)
	}
}

func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "a.toml", Line: 3, Msg: "invalid TOML: x"}, "config: a.toml:3: invalid TOML: x"},
		{Error{File: "a.toml", Key: "train.batch", Value: "-4", Msg: "must be a positive integer"},
			"config: a.toml: train.batch = -4: must be a positive integer"},
		{Error{Key: "model.dd", Msg: "unknown key"}, "config: model.dd: unknown key"},
		{Error{File: "a.toml", Msg: "cannot read the config file", Err: fs.ErrNotExist},
			"config: a.toml: cannot read the config file: file does not exist"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"train.lrr", []string{"train.lr"}},
		{"trian", []string{"train"}},
		{"modle", []string{"model"}},
		{"model.head", []string{"model.heads"}},
		{"Seed", []string{"seed"}},
		{"ema", []string{"sample.ema"}},
		{"steps", []string{"autoencoder.steps", "train.steps", "sample.steps", "classifier.steps"}},
		{"data.steps", []string{"autoencoder.steps", "train.steps", "sample.steps", "classifier.steps"}},
		{"sample.solvr", []string{"sample.solver"}},
		{"zzzzzz", nil},
	} {
		if got := suggest(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("suggest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	e := unknownKey("a.toml", "sample.step")
	if want := `config: a.toml: sample.step: unknown key (did you mean "sample.steps"?)`; e.Error() != want {
		t.Errorf("unknownKey = %q, want %q", e, want)
	}
}
