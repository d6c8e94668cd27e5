// Package config is the run configuration of latentflow: a typed TOML
// schema (Config and its tables Data, Model, Flow, Train, Sample), its
// defaults, and validation.
//
// # Layers
//
// A run's configuration is built by Resolve in three layers:
//
//	Default()  ->  a TOML file (-config FILE)  ->  -set key=value overrides  ->  Validate
//
// A file needs only the keys it changes. The embedded default.toml (see
// DefaultTOML) lists every key with its default, meaning and unit; a test
// checks that it decodes to exactly Default(). Keys are snake_case and
// dotted across tables: train.lr, model.d, flow.path. Encode writes the
// resolved configuration back as TOML (bin/train saves it as
// DIR/config.toml), and Parse of that text gives the same Config.
//
// The keys are found by reflection over the toml tags of Config, so a new
// field needs only its tag, its default in Default() and default.toml, and
// its check in Validate.
//
// # Error handling
//
// Everything here reads input, so failures are returned, never panicked:
// every error is an *Error that prints as one line naming the file (or
// "-set"), the line for TOML syntax errors, the dotted key, the offending
// value and what was expected:
//
//	config: run.toml: train.lrr: unknown key (did you mean "train.lr"?)
//	config: run.toml: train.batch = "256": expected an integer, got a string
//	config: -set: train.batch = -4: must be a positive integer
//	config: run.toml:7: invalid TOML: expected value but found '=' instead
//
// Unknown keys are errors (a typo must not silently train the default),
// and so are values of the wrong type: an integer key does not take a
// float, a string key does not take a number. A float key takes an
// integer. Validate checks every value, including enumerations and the
// relations between keys (model.heads divides model.d; model.tokens *
// model.chans equals the data's dimension).
//
// A malformed schema (a field without a toml tag, or of a type the package
// does not handle) is a programming error and panics at init with a
// "config: ..." message.
package config
