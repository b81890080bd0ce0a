package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// library holds the built-in scenarios, one file each, named after the scenario.
//
//go:embed library/*.yaml
var library embed.FS

// BuiltinNames lists the built-in scenarios, sorted.
func BuiltinNames() []string {
	entries, _ := fs.ReadDir(library, "library") // embedded: cannot fail
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// BuiltinSource returns the text of a built-in scenario, e.g. to start a file of one's own.
func BuiltinSource(name string) ([]byte, error) {
	if !slices.Contains(BuiltinNames(), name) {
		return nil, fmt.Errorf("scenarios: no built-in scenario %q; want one of %s", name, strings.Join(BuiltinNames(), ", "))
	}
	return library.ReadFile(path.Join("library", name+".yaml"))
}

// Builtin parses a built-in scenario.
func Builtin(name string) (*Spec, error) {
	data, err := BuiltinSource(name)
	if err != nil {
		return nil, err
	}
	return Parse("scenarios/library/"+name+".yaml", data)
}
