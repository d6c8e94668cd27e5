package config

import (
	"reflect"
	"strings"
)

// resumable are the keys a resumed run may change: how long it trains, how
// often it logs and checkpoints, where it computes (the numbers are the same
// on every backend and with or without graphs, up to the backend's
// rounding) and what it draws at the end. Every other key describes the
// model, the data or the optimisation the checkpoint was trained with.
var resumable = map[string]bool{
	"device":             true,
	"train.steps":        true,
	"train.log_every":    true,
	"train.ckpt_every":   true,
	"train.ckpt_minutes": true,
	"train.plots":        true,
	"train.graph":        true,
}

// Resumable reports whether a resumed run may change key (a dotted key):
// the keys of resumable and every key of [sample].
func Resumable(key string) bool {
	return resumable[key] || strings.HasPrefix(key, "sample.")
}

// Changed returns the dotted keys whose values differ between a and b, in
// the order of default.toml.
func Changed(a, b Config) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var keys []string
	for _, l := range leaves {
		if !reflect.DeepEqual(va.FieldByIndex(l.index).Interface(), vb.FieldByIndex(l.index).Interface()) {
			keys = append(keys, l.key)
		}
	}
	return keys
}

// ResolveResume builds the configuration of a resumed run: the run's own
// resolved configuration (runConfig, its DIR/config.toml), then the file at
// path (skipped if ""), then each of sets, then Validate. A file or -set
// that changes a key a resume cannot change (see Resumable: the model, the
// data, the optimiser) is an *Error naming the key, both values and the
// run's file.
func ResolveResume(runConfig, path string, sets []string) (Config, error) {
	base, _, err := load(runConfig)
	if err != nil {
		return Default(), err
	}
	if err := base.Validate(); err != nil {
		if e, ok := err.(*Error); ok {
			e.File = runConfig
		}
		return Default(), err
	}
	c, err := resolveOver(base, path, sets)
	if err != nil {
		return Default(), err
	}
	for _, k := range Changed(base, c) {
		if !Resumable(k) {
			old := reflect.ValueOf(base).FieldByIndex(byKey[k].index).Interface()
			now := reflect.ValueOf(c).FieldByIndex(byKey[k].index).Interface()
			return Default(), &Error{File: origin(path, sets, k), Key: k, Value: formatAny(now),
				Msg: "a resumed run cannot change it (" + runConfig + " has " + formatAny(old) +
					"; only train.steps, train.log_every, train.ckpt_every, train.ckpt_minutes, train.plots, train.graph, device and sample.* may change)"}
		}
	}
	return c, nil
}

// origin names where a changed key came from: "-set" if one of sets names
// it, else the file.
func origin(path string, sets []string, key string) string {
	for _, s := range sets {
		if k, _, ok := strings.Cut(s, "="); ok && strings.TrimSpace(k) == key {
			return "-set"
		}
	}
	return path
}

// formatAny writes a field's value as in the messages of Validate.
func formatAny(x any) string {
	v := &validator{}
	v.check(false, "", x, "")
	return v.err.Value
}
