package transcript

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxShown is the most bytes of one value that [Escape] shows: longer values are cut, with
// the size of what was left out. Tables and error messages of the command show values this
// way; -o yaml and -o json keep them whole and exact.
const MaxShown = 256

// Escape makes a value from a server or a file safe to show on a terminal, one line long: every
// rune that unicode.IsPrint refuses is written as a Go escape — C0 and C1 controls (ESC, the
// CSI and OSC introducers, CR, LF, TAB, DEL: `\x1b`, `\r`, `\n`, `\u009b`), format characters
// (the bidi overrides and isolates U+202A–U+202E, U+2066–U+2069, zero-width characters:
// `\u202e`), line and paragraph separators, private-use and unassigned code points — and bytes
// that are not UTF-8 as `\xff`. Backslashes stay as they are (client names start `\\`). A value
// of more than [MaxShown] bytes is cut at a rune boundary and ends "…(+N bytes)".
func Escape(s string) string { return EscapeN(s, MaxShown) }

// EscapeN is [Escape] with a limit of max bytes of the value (max ≤ 0: no limit).
func EscapeN(s string, max int) string {
	cut := 0
	if max > 0 && len(s) > max {
		end := max
		for end > 0 && !utf8.RuneStart(s[end]) {
			end--
		}
		cut = len(s) - end
		s = s[:end]
	}
	if cut == 0 && isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r):
			b.WriteString(s[i : i+n])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xFFFF:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += n
	}
	if cut > 0 {
		fmt.Fprintf(&b, "…(+%d bytes)", cut)
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII, the common case, which needs no copy.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7F {
			return false
		}
	}
	return true
}
