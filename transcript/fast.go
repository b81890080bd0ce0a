package transcript

import (
	"bytes"
	"encoding/json"
	"strconv"

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

// appendYAMLEntry appends e as the flow mapping yaml.v3 writes for it ("{cname: x, time: 1}",
// no newline), or reports false when one of its strings needs yaml.v3's judgement.
func appendYAMLEntry(b []byte, e *Entry) ([]byte, bool) {
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
		switch f.f {
		case sessionapi.FieldNumOpens:
			b = strconv.AppendUint(b, uint64(e.Info.NumOpens), 10)
		case sessionapi.FieldTime:
			b = strconv.AppendUint(b, uint64(e.Info.Time), 10)
		case sessionapi.FieldIdleTime:
			b = strconv.AppendUint(b, uint64(e.Info.IdleTime), 10)
		case sessionapi.FieldUserFlags:
			if e.Info.UserFlags == 0 {
				b = append(b, '0')
				continue
			}
			fallthrough
		default:
			v := e.Value(f.f)
			if v == "" {
				b = append(b, `""`...)
				continue
			}
			if !plainYAML(v) {
				return b[:start], false
			}
			b = append(b, v...)
		}
	}
	return append(b, '}'), true
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
		switch f.f {
		case sessionapi.FieldNumOpens:
			b = strconv.AppendUint(b, uint64(e.Info.NumOpens), 10)
		case sessionapi.FieldTime:
			b = strconv.AppendUint(b, uint64(e.Info.Time), 10)
		case sessionapi.FieldIdleTime:
			b = strconv.AppendUint(b, uint64(e.Info.IdleTime), 10)
		case sessionapi.FieldUserFlags:
			if e.Info.UserFlags == 0 {
				b = append(b, '0')
				break
			}
			b = appendJSONString(b, e.Value(f.f))
		default:
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
