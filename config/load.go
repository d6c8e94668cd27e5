package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
)

// MaxFileBytes bounds the size of a config file (default.toml, every key
// documented, is about 8 KB).
const MaxFileBytes = 1 << 20

// Load returns the default configuration overlaid with the TOML file at
// path. It does not call Validate (Resolve does). Errors are *Error naming
// the file: it cannot be read, a TOML syntax error (with its line), a key
// that is not in the schema (with the closest known key), or a value of the
// wrong type.
func Load(path string) (Config, error) {
	c, _, err := load(path)
	return c, err
}

func load(path string) (Config, []string, error) { return loadOver(Default(), path) }

// loadOver is load over the configuration base instead of Default().
func loadOver(base Config, path string) (Config, []string, error) {
	// A regular file of sane size: not a device or a pipe that never ends.
	if st, err := os.Stat(path); err == nil && (!st.Mode().IsRegular() || st.Size() > MaxFileBytes) {
		msg := "not a regular file"
		if st.Mode().IsRegular() {
			msg = fmt.Sprintf("%d bytes, more than the %d a config file may have", st.Size(), MaxFileBytes)
		}
		return Default(), nil, &Error{File: path, Msg: msg}
	}
	text, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in Error.File
		}
		return Default(), nil, &Error{File: path, Msg: "cannot read the config file", Err: err}
	}
	return parseOver(base, path, text)
}

// Parse is Load for a file's contents; name is used in errors.
func Parse(name string, text []byte) (Config, error) {
	c, _, err := parse(name, text)
	return c, err
}

// parse decodes text over Default() and also returns the leaf keys the text
// sets.
func parse(name string, text []byte) (Config, []string, error) {
	return parseOver(Default(), name, text)
}

// parseOver is parse over the configuration base instead of Default().
func parseOver(base Config, name string, text []byte) (Config, []string, error) {
	c := base

	// Pass 1: syntax, and the type of every known key, into a generic map,
	// so that errors can name the key and value exactly.
	var raw map[string]any
	md, err := toml.Decode(string(text), &raw)
	if err != nil {
		return c, nil, syntaxError(name, err)
	}
	var set []string
	for _, k := range md.Keys() {
		key := strings.Join(k, ".")
		v, ok := lookupRaw(raw, k)
		if !ok {
			continue // inside an array of tables: the table itself is reported
		}
		if tableKey[key] {
			if _, ok := v.(map[string]any); !ok {
				return c, nil, &Error{File: name, Key: key, Value: formatValue(v),
					Msg: "expected a table ([" + key + "]), got " + tomlTypeName(v)}
			}
			continue
		}
		l, ok := byKey[key]
		if !ok {
			// TOML keys are case sensitive, but the decoder below would
			// match a key that differs from a field's only in case.
			if s := suggest(key); len(s) == 1 && strings.EqualFold(s[0], key) {
				return c, nil, unknownKey(name, key)
			}
			continue // Undecoded reports it below
		}
		if _, msg := convert(v, l.typ); msg != "" {
			return c, nil, &Error{File: name, Key: key, Value: formatValue(v), Msg: msg}
		}
		set = append(set, key)
	}

	// Pass 2: decode into the struct; MetaData.Undecoded lists the keys
	// that have no field.
	md, err = toml.Decode(string(text), &c)
	if err != nil {
		// Pass 1 checked every type, so this is not expected.
		return Default(), nil, &Error{File: name, Msg: "cannot decode", Err: err}
	}
	if und := md.Undecoded(); len(und) > 0 {
		e := unknownKey(name, strings.Join(und[0], "."))
		// Count the other unknown keys, leaving out those inside an unknown
		// table (they are unknown because the table is).
		more := 0
		for _, k := range und[1:] {
			if !strings.HasPrefix(strings.Join(k, ".")+".", e.Key+".") {
				more++
			}
		}
		if more > 0 {
			e.Msg += fmt.Sprintf("; and %d more unknown key(s)", more)
		}
		return Default(), nil, e
	}
	return c, set, nil
}

// lookupRaw finds the value of key k in a decoded TOML document.
func lookupRaw(m map[string]any, k toml.Key) (any, bool) {
	var v any = m
	for _, part := range k {
		t, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = t[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

// syntaxError turns an error of the TOML parser into an *Error with the
// line.
func syntaxError(name string, err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return &Error{File: name, Msg: "invalid TOML", Err: err}
	}
	msg := pe.Message
	if msg == "" {
		// The message is kept unexported; cut it out of the error text
		// "toml: line N (last key "k"): msg".
		msg = strings.TrimPrefix(pe.Error(), "toml: ")
		if i := strings.Index(msg, "): "); i >= 0 && strings.HasPrefix(msg, "line ") {
			msg = msg[i+3:]
		} else if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "line ") {
			msg = msg[i+2:]
		}
	}
	return &Error{File: name, Line: pe.Position.Line, Msg: "invalid TOML: " + msg}
}

// Set applies one override "key=value", as given to -set, where key is a
// dotted key such as train.lr or model.d. The value is read as a TOML value
// of the key's type (1e-3, 64, true, "vp"); a string may also be given bare
// (flow.path=vp). Set does not call Validate (Resolve does). Errors are
// *Error with File "-set" naming the key and the value.
func (c *Config) Set(assign string) error {
	_, err := c.set(assign)
	return err
}

func (c *Config) set(assign string) (string, error) {
	const file = "-set"
	k, val, ok := strings.Cut(assign, "=")
	if !ok {
		return "", &Error{File: file, Msg: fmt.Sprintf("%q: expected key=value, e.g. train.lr=1e-3", assign)}
	}
	key := strings.TrimSpace(k)
	val = strings.TrimSpace(val)
	l, ok := byKey[key]
	if !ok {
		if tableKey[key] {
			return "", &Error{File: file, Key: key, Msg: "is a table: set one of its keys, e.g. " + tableOf[key]}
		}
		if key == "" {
			return "", &Error{File: file, Msg: fmt.Sprintf("%q: empty key, expected key=value", assign)}
		}
		return "", unknownKey(file, key)
	}
	bad := &Error{File: file, Key: key, Value: val, Msg: "expected " + typeName(l.typ)}
	if strings.ContainsAny(val, "\r\n") {
		bad.Value = fmt.Sprintf("%q", val)
		bad.Msg += " on one line"
		return "", bad
	}
	var doc map[string]any
	_, perr := toml.Decode("v = "+val, &doc)
	v, ok := doc["v"]
	if perr != nil || !ok || len(doc) != 1 {
		if l.typ.Kind() != reflect.String {
			return "", bad
		}
		v = val // a bare string
	} else if _, isString := v.(string); !isString && l.typ.Kind() == reflect.String {
		v = val // e.g. device=1 is the string "1"; Validate judges it
	}
	rv, msg := convert(v, l.typ)
	if msg != "" {
		bad.Msg = msg
		return "", bad
	}
	reflect.ValueOf(c).Elem().FieldByIndex(l.index).Set(rv)
	return key, nil
}

// Resolve builds a run's configuration: Default(), then the file at path
// (skipped if path is ""), then each override of sets in order (see Set),
// then Validate. A validation error names the source of the bad value: the
// file, "-set", or none for a default.
func Resolve(path string, sets []string) (Config, error) {
	return resolveOver(Default(), path, sets)
}

// resolveOver is Resolve starting from base instead of Default().
func resolveOver(base Config, path string, sets []string) (Config, error) {
	c := base
	origin := map[string]string{}
	if path != "" {
		var keys []string
		var err error
		if c, keys, err = loadOver(base, path); err != nil {
			return Default(), err
		}
		for _, k := range keys {
			origin[k] = path
		}
	}
	for _, s := range sets {
		k, err := c.set(s)
		if err != nil {
			return Default(), err
		}
		origin[k] = "-set"
	}
	if err := c.Validate(); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = origin[e.Key]
		}
		return Default(), err
	}
	return c, nil
}

// Encode writes c as TOML, every key, in the order of default.toml. Parse
// of the result gives c back. It fails only for a seed above 2^63-1, which
// TOML cannot write.
func (c Config) Encode() ([]byte, error) {
	if c.Seed > 1<<63-1 {
		return nil, &Error{Key: "seed", Value: fmt.Sprint(c.Seed), Msg: "TOML integers are at most 2^63-1"}
	}
	var b bytes.Buffer
	b.WriteString("# latentflow run configuration, resolved (defaults, then -config, then -set).\n")
	b.WriteString("# The meaning and unit of every key is in config/default.toml.\n\n")
	enc := toml.NewEncoder(&b)
	enc.Indent = ""
	if err := enc.Encode(c); err != nil {
		return nil, &Error{Msg: "cannot encode", Err: err}
	}
	return b.Bytes(), nil
}
