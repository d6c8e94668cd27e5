package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// leaf is one key of the schema that holds a value (not a table).
type leaf struct {
	key   string       // dotted TOML key, e.g. "train.lr"
	index []int        // field index path from Config, for reflect.Value.FieldByIndex
	typ   reflect.Type // the Go type of the field
}

// The schema, built once by reflection over the toml tags of Config, so
// that a new field is a new key everywhere (Parse, Set, Encode, the tests)
// without more code.
var (
	leaves   []leaf            // in declaration order
	byKey    map[string]leaf   // dotted key -> leaf
	tableKey map[string]bool   // dotted keys of tables ("data", "model", ...)
	tableOf  map[string]string // table key -> an example leaf key inside it
)

func init() {
	byKey = map[string]leaf{}
	tableKey = map[string]bool{}
	tableOf = map[string]string{}
	walkSchema(reflect.TypeOf(Config{}), "", nil)
}

func walkSchema(t reflect.Type, prefix string, index []int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("toml")
		if tag == "" || tag == "-" || strings.Contains(tag, ",") {
			panic(fmt.Sprintf("config: field %s.%s needs a plain toml tag", t.Name(), f.Name))
		}
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		idx := append(append([]int(nil), index...), i)
		if f.Type.Kind() == reflect.Struct {
			tableKey[key] = true
			walkSchema(f.Type, key, idx)
			continue
		}
		switch f.Type.Kind() {
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Uint64, reflect.Float64:
		default:
			panic(fmt.Sprintf("config: field %s.%s has unsupported type %s", t.Name(), f.Name, f.Type))
		}
		l := leaf{key: key, index: idx, typ: f.Type}
		leaves = append(leaves, l)
		byKey[key] = l
		if prefix != "" && tableOf[prefix] == "" {
			tableOf[prefix] = key
		}
	}
}

// typeName describes what a field of type t accepts, for error messages.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float64:
		return "a number"
	}
	panic("config: unsupported type " + t.String())
}

// tomlTypeName names the TOML type of a decoded value.
func tomlTypeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	case time.Time:
		return "a date-time"
	}
	return fmt.Sprintf("a %T", v)
}

// formatValue writes a decoded TOML value roughly as TOML would, for error
// messages.
func formatValue(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return formatFloat(v)
	case []any, []map[string]any:
		return "[...]"
	case map[string]any:
		return "{...}"
	}
	return fmt.Sprint(v)
}

func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// convert turns a decoded TOML value into a value of type t. On failure it
// returns the reason as a message for Error.Msg.
func convert(v any, t reflect.Type) (reflect.Value, string) {
	bad := func() (reflect.Value, string) {
		return reflect.Value{}, "expected " + typeName(t) + ", got " + tomlTypeName(v)
	}
	out := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		out.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return bad()
		}
		out.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, ok := v.(int64)
		if !ok {
			return bad()
		}
		if out.OverflowInt(n) {
			return reflect.Value{}, "out of range for " + t.String()
		}
		out.SetInt(n)
	case reflect.Uint64:
		n, ok := v.(int64)
		if !ok {
			return bad()
		}
		if n < 0 {
			return reflect.Value{}, "expected " + typeName(t)
		}
		out.SetUint(uint64(n))
	case reflect.Float64:
		switch n := v.(type) {
		case float64:
			out.SetFloat(n)
		case int64:
			out.SetFloat(float64(n))
		default:
			return bad()
		}
	default:
		panic("config: unsupported type " + t.String())
	}
	return out, ""
}

// suggest returns the known keys close to the unknown key k: none, one,
// or a few with the same last part.
func suggest(k string) []string {
	var all []string // leaves in schema order, then tables
	for _, l := range leaves {
		all = append(all, l.key)
	}
	for t := range tableKey {
		all = append(all, t)
	}
	sort.Strings(all[len(leaves):])
	// The same key in another case, which TOML treats as a different key.
	for _, c := range all {
		if strings.EqualFold(c, k) {
			return []string{c}
		}
	}
	// The same last part in another table (train.solver -> sample.solver,
	// lr -> train.lr).
	last := k[strings.LastIndexByte(k, '.')+1:]
	var same []string
	for _, c := range all {
		if c[strings.LastIndexByte(c, '.')+1:] == last {
			same = append(same, c)
		}
	}
	if len(same) > 0 {
		return same
	}
	// The closest key by edit distance, if close enough.
	best, bestD := "", math.MaxInt
	for _, c := range all {
		if d := editDistance(k, c); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= 2 || bestD <= len(k)/4 {
		return []string{best}
	}
	return nil
}

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours cost 1.
func editDistance(a, b string) int {
	n, m := len(a), len(b)
	d := make([][]int, n+1)
	for i := range d {
		d[i] = make([]int, m+1)
		d[i][0] = i
	}
	for j := 0; j <= m; j++ {
		d[0][j] = j
	}
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[n][m]
}

// unknownKey is the error for a key that is not in the schema.
func unknownKey(file, k string) *Error {
	msg := "unknown key"
	if s := suggest(k); len(s) > 0 {
		q := make([]string, len(s))
		for i, x := range s {
			q[i] = strconv.Quote(x)
		}
		msg += " (did you mean " + strings.Join(q, " or ") + "?)"
	}
	return &Error{File: file, Key: k, Msg: msg}
}
