package transcript

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// The writers spend nearly all their time on entries (a transcript of a million sessions is a
// million entry lines), so entries whose strings are plainly safe are written directly, and
// only the rest go through yaml.v3 (YAML) or encoding/json (JSON strings). The tests hold the
// direct path to the library's output byte for byte.

// plainYAML reports whether yaml.v3 writes s as a plain scalar inside a flow mapping, by a
// conservative rule: letters, digits and `._\$|-` only, starting with a letter, `\` or `_`,
// and none of the words YAML reads as booleans or null; or an IPv4-like dotted number (digits
// with at least two dots, which no YAML number or timestamp is). Anything else is left to
// yaml.v3.
func plainYAML(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	c := s[0]
	if c >= '0' && c <= '9' {
		dots := 0
		for i := 0; i < len(s); i++ {
			switch {
			case s[i] == '.':
				dots++
			case s[i] < '0' || s[i] > '9':
				return false
			}
		}
		return dots >= 2 && s[len(s)-1] != '.'
	}
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '\\' || c == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '\\' || c == '$' || c == '|' || c == '-') {
			return false
		}
	}
	if len(s) <= 5 {
		switch s {
		case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
			"true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL":
			return false
		}
	}
	return true
}

// scalarCache remembers how yaml.v3 writes, inside an entry, the strings plainYAML cannot judge
// ("DOS LM 2.0", a transport with spaces), so that a value repeated across a million entries
// costs yaml.v3 once instead of once an entry (an entry through yaml.v3 costs about 100 µs).
// It holds at most maxCachedScalars values of at most 256 bytes; past that, values are
// rendered each time, as before.
type scalarCache map[string]string

const maxCachedScalars = 4096

// render returns yaml.v3's writing of v as the value of an entry's key, or false when it is
// not one line (then the entry goes through yaml.v3 whole).
func (c scalarCache) render(v string) (string, bool) {
	if r, ok := c[v]; ok {
		return r, r != ""
	}
	r, ok := yamlEntryValue(v)
	if c != nil && len(c) < maxCachedScalars && len(v) <= 256 {
		c[v] = r // "" for a value that is not one line
	}
	return r, ok
}

// yamlEntryValue asks yaml.v3 how it writes v as the value of an entry's key, in the very
// structure the writer puts entries in (a flow mapping in a block sequence of a block
// mapping, indent 2). A scalar's style depends only on its text and on being in flow
// context, so the answer holds for every key of every entry.
func yamlEntryValue(v string) (string, bool) {
	e := Entry{Info: sessionapi.SessionInfo502{ClientName: v}, Fields: sessionapi.FieldsOf(sessionapi.Level0)}
	m := block()
	add(m, "entries", entries([]Entry{e}))
	root := block()
	add(root, "calls", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{m}})
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}) != nil || enc.Close() != nil {
		return "", false
	}
	lines := strings.Split(buf.String(), "\n")
	const prefix, suffix = "      - {cname: ", "}"
	if len(lines) != 4 || lines[3] != "" || !strings.HasPrefix(lines[2], prefix) || !strings.HasSuffix(lines[2], suffix) {
		return "", false
	}
	return lines[2][len(prefix) : len(lines[2])-len(suffix)], true
}

// appendYAMLEntry appends e as the flow mapping yaml.v3 writes for it ("{cname: x, time: 1}",
// no newline), or reports false when one of its strings needs yaml.v3's judgement.
func appendYAMLEntry(b []byte, e *Entry) ([]byte, bool) { return appendYAMLEntryCached(b, e, nil) }

// appendYAMLEntryCached is appendYAMLEntry with the strings plainYAML cannot judge written as
// yaml.v3 writes them (c remembers them; nil: those entries report false).
func appendYAMLEntryCached(b []byte, e *Entry, c scalarCache) ([]byte, bool) {
	if e.Fields == 0 {
		return b, false
	}
	start := len(b)
	b = append(b, '{')
	first := true
	for _, f := range fieldNames {
		if !e.Fields.Has(f.f) {
			continue
		}
		if !first {
			b = append(b, ", "...)
		}
		first = false
		b = append(b, f.name...)
		b = append(b, ": "...)
		if nb, ok := appendNumber(b, e, f.f); ok {
			b = nb
			continue
		}
		v := e.Value(f.f)
		if v == "" {
			b = append(b, `""`...)
			continue
		}
		if !plainYAML(v) {
			r, ok := "", false
			if c != nil {
				r, ok = c.render(v)
			}
			if !ok {
				return b[:start], false
			}
			b = append(b, r...)
			continue
		}
		b = append(b, v...)
	}
	return append(b, '}'), true
}

// appendNumber appends the fields both formats write as bare numbers (the counts, the times,
// and user flags of 0; other flags are their names, a string), or reports false.
func appendNumber(b []byte, e *Entry, f sessionapi.Field) ([]byte, bool) {
	switch f {
	case sessionapi.FieldNumOpens:
		return strconv.AppendUint(b, uint64(e.Info.NumOpens), 10), true
	case sessionapi.FieldTime:
		return strconv.AppendUint(b, uint64(e.Info.Time), 10), true
	case sessionapi.FieldIdleTime:
		return strconv.AppendUint(b, uint64(e.Info.IdleTime), 10), true
	case sessionapi.FieldUserFlags:
		if e.Info.UserFlags == 0 {
			return append(b, '0'), true
		}
	}
	return b, false
}

// appendJSONString appends s as encoding/json writes it (HTML characters escaped too).
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			b = append(b, '\\', '\\')
		} else {
			b = append(b, s[i])
		}
	}
	return append(b, '"')
}

// appendJSONEntry appends e as writeJSON writes its node at indent: one member a line.
func appendJSONEntry(buf *bytes.Buffer, e *Entry, indent string) {
	n := 0
	for _, f := range fieldNames {
		if e.Fields.Has(f.f) {
			n++
		}
	}
	if n == 0 {
		buf.WriteString("{}")
		return
	}
	b := buf.AvailableBuffer()
	b = append(b, "{\n"...)
	i := 0
	for _, f := range fieldNames {
		if !e.Fields.Has(f.f) {
			continue
		}
		i++
		b = append(b, indent...)
		b = append(b, "  \""...)
		b = append(b, f.name...)
		b = append(b, "\": "...)
		if nb, ok := appendNumber(b, e, f.f); ok {
			b = nb
		} else {
			b = appendJSONString(b, e.Value(f.f))
		}
		if i < n {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = append(b, indent...)
	b = append(b, '}')
	buf.Write(b)
}
