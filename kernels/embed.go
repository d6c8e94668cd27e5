package kernels

import (
	"embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

//go:embed *.ptx
var ptx embed.FS

// Modules returns the names of the embedded PTX modules (the .cu files
// without their extension), sorted.
func Modules() []string {
	entries, err := ptx.ReadDir(".")
	if err != nil {
		panic("kernels: reading the embedded PTX: " + err.Error())
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".ptx"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// PTX returns the PTX text of module name (e.g. "attention").
func PTX(name string) (string, error) {
	b, err := ptx.ReadFile(name + ".ptx")
	if err != nil {
		return "", fmt.Errorf("kernels: no embedded PTX module %q: %w", name, err)
	}
	return string(b), nil
}

var entryRE = regexp.MustCompile(`\.visible \.entry (\w+)\(`)

// Entries returns the names of the kernels of PTX module name, in the order
// of the module.
func Entries(name string) ([]string, error) {
	text, err := PTX(name)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range entryRE.FindAllStringSubmatch(text, -1) {
		names = append(names, m[1])
	}
	return names, nil
}
