package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong in a scenario file, where it is and what was expected.
type Problem struct {
	File         string
	Line, Column int
	// Field is the path to the value, e.g. "sessions[2].idle".
	Field string
	Msg   string
}

// String renders the problem as "file:line:column: field: what was expected".
func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", p.File, p.Line, p.Column, p.Field, p.Msg)
}

// Error is every problem found in one scenario file. A file with problems loads nothing.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// maxProblems stops a hopeless file from producing megabytes of messages.
const maxProblems = 100

// walker walks a yaml.Node tree, collecting problems instead of stopping at the first.
type walker struct {
	file  string
	probs []Problem
}

func (w *walker) bad(n *yaml.Node, field, format string, args ...any) {
	if len(w.probs) >= maxProblems {
		return
	}
	line, col := 1, 1
	if n != nil {
		line, col = n.Line, n.Column
	}
	if field == "" {
		field = "(document)"
	}
	w.probs = append(w.probs, Problem{File: w.file, Line: line, Column: col, Field: field, Msg: fmt.Sprintf(format, args...)})
	if len(w.probs) == maxProblems {
		w.probs = append(w.probs, Problem{File: w.file, Line: line, Column: col, Field: field, Msg: "too many problems; stopping here"})
	}
}

var syntaxLine = regexp.MustCompile(`line (\d+)`)

// syntax turns a yaml.v3 syntax error into a problem.
func (w *walker) syntax(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if m := syntaxLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = strings.TrimSpace(strings.Replace(msg, m[0]+":", "", 1))
	}
	w.probs = append(w.probs, Problem{File: w.file, Line: line, Column: 1, Field: "(syntax)", Msg: msg + "; want valid YAML"})
}

type keyFunc func(n *yaml.Node, path string)

// join makes a field path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// deref refuses aliases: following them could blow a small file up exponentially, and a
// scenario has generators for repetition.
func (w *walker) deref(n *yaml.Node, path string) bool {
	if n.Kind == yaml.AliasNode {
		w.bad(n, path, "aliases (*name) are not supported; write the value, or use count: for repeated sessions")
		return false
	}
	return true
}

// mapping checks that n is a mapping with only known keys, each at most once, and calls the
// handlers in file order. It returns the key nodes found, by name.
func (w *walker) mapping(n *yaml.Node, path string, keys map[string]keyFunc) map[string]*yaml.Node {
	found := map[string]*yaml.Node{}
	if !w.deref(n, path) {
		return found
	}
	if n.Kind != yaml.MappingNode {
		w.bad(n, path, "%s; want a mapping (key: value lines)", describe(n))
		return found
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := join(path, k.Value)
		if k.Kind != yaml.ScalarNode {
			w.bad(k, path, "a key must be a plain word")
			continue
		}
		f, ok := keys[k.Value]
		switch {
		case !ok:
			w.bad(k, p, "unknown key; want one of %s", keyList(keys))
		case found[k.Value] != nil:
			w.bad(k, p, "repeated key (first at line %d)", found[k.Value].Line)
		default:
			found[k.Value] = k
			if w.deref(v, p) {
				f(v, p)
			}
		}
	}
	return found
}

func keyList(keys map[string]keyFunc) string {
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "got a mapping"
	case yaml.SequenceNode:
		return "got a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "got nothing (null)"
		}
		return fmt.Sprintf("got %q", clip(n.Value))
	}
	return "got something else"
}

func (w *walker) list(n *yaml.Node, path string, each func(i int, n *yaml.Node, path string)) {
	if n.Kind != yaml.SequenceNode {
		w.bad(n, path, "%s; want a list (lines starting with -)", describe(n))
		return
	}
	for i, c := range n.Content {
		p := index(path, i)
		if w.deref(c, p) {
			each(i, c, p)
		}
	}
}

func (w *walker) scalar(n *yaml.Node, path, want string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		w.bad(n, path, "%s; want %s", describe(n), want)
		return false
	}
	return true
}

// MaxStringLength is the longest string a scenario may hold anywhere, in bytes; most keys
// have shorter limits of their own (names, client_type, passwords).
const MaxStringLength = 8192

func (w *walker) str(n *yaml.Node, path string) (string, bool) {
	if !w.scalar(n, path, "a string") {
		return "", false
	}
	if len(n.Value) > MaxStringLength {
		w.bad(n, path, "%d bytes; want a string of at most %d", len(n.Value), MaxStringLength)
		return "", false
	}
	if n.Tag != "!!str" {
		w.bad(n, path, "got %s %s; want a string (put it in quotes)", tagName(n.Tag), clip(n.Value))
		return "", false
	}
	return n.Value, true
}

func tagName(tag string) string {
	switch tag {
	case "!!int":
		return "the number"
	case "!!float":
		return "the number"
	case "!!bool":
		return "the boolean"
	case "!!timestamp":
		return "the time"
	}
	return "the value"
}

// integer reads a whole number from lo to hi.
func (w *walker) integer(n *yaml.Node, path string, lo, hi int64) (int64, bool) {
	if !w.scalar(n, path, fmt.Sprintf("a whole number from %d to %d", lo, hi)) {
		return 0, false
	}
	v, err := strconv.ParseInt(n.Value, 0, 64)
	if n.Tag != "!!int" || err != nil || v < lo || v > hi {
		w.bad(n, path, "got %q; want a whole number from %d to %d", n.Value, lo, hi)
		return 0, false
	}
	return v, true
}

func (w *walker) boolean(n *yaml.Node, path string) (bool, bool) {
	if !w.scalar(n, path, "true or false") {
		return false, false
	}
	if n.Tag != "!!bool" {
		w.bad(n, path, "got %q; want true or false", clip(n.Value))
		return false, false
	}
	return n.Value == "true" || n.Value == "True" || n.Value == "TRUE", true
}

// parseDuration reads a Go duration ("90s", "1h30m") or a number of days ("2d").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(d, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("bad day count")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// duration reads a duration of zero or more, at most ~136 years (a DWORD of seconds).
func (w *walker) duration(n *yaml.Node, path string) (time.Duration, bool) {
	const want = "a duration like 90s, 1h30m or 2d"
	if !w.scalar(n, path, want) {
		return 0, false
	}
	d, err := parseDuration(n.Value)
	switch {
	case err != nil:
		w.bad(n, path, "got %q; want %s", n.Value, want)
		return 0, false
	case d < 0:
		w.bad(n, path, "got %q; want a duration of 0 or more (time does not run back)", clip(n.Value))
		return 0, false
	case d > math.MaxUint32*time.Second:
		w.bad(n, path, "got %q; want at most 4294967295s (a DWORD of seconds)", clip(n.Value))
		return 0, false
	}
	return d.Truncate(time.Second), true
}

// drange is a duration or a range of durations ("1h..8h") drawn per generated session.
type drange struct{ lo, hi time.Duration }

func (w *walker) durationRange(n *yaml.Node, path string) (drange, bool) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "..") {
		a, b, _ := strings.Cut(n.Value, "..")
		lo, err1 := parseDuration(a)
		hi, err2 := parseDuration(b)
		switch {
		case err1 != nil || err2 != nil:
			w.bad(n, path, "got %q; want a duration or a range like 1h..8h", clip(n.Value))
			return drange{}, false
		case lo < 0 || hi < lo:
			w.bad(n, path, "got %q; want a range from low to high, both 0 or more", clip(n.Value))
			return drange{}, false
		case hi > math.MaxUint32*time.Second:
			w.bad(n, path, "got %q; want at most 4294967295s (a DWORD of seconds)", clip(n.Value))
			return drange{}, false
		}
		return drange{lo.Truncate(time.Second), hi.Truncate(time.Second)}, true
	}
	d, ok := w.duration(n, path)
	return drange{d, d}, ok
}

// urange is a count or a range of counts ("0..5").
type urange struct{ lo, hi uint32 }

func (w *walker) countRange(n *yaml.Node, path string) (urange, bool) {
	const want = "a whole number from 0 to 4294967295 or a range like 0..5"
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && strings.Contains(n.Value, "..") {
		a, b, _ := strings.Cut(n.Value, "..")
		lo, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 32)
		hi, err2 := strconv.ParseUint(strings.TrimSpace(b), 10, 32)
		if err1 != nil || err2 != nil || hi < lo {
			w.bad(n, path, "got %q; want %s", n.Value, want)
			return urange{}, false
		}
		return urange{uint32(lo), uint32(hi)}, true
	}
	v, ok := w.integer(n, path, 0, math.MaxUint32)
	return urange{uint32(v), uint32(v)}, ok
}
