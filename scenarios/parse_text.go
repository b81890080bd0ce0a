package scenarios

import (
	"fmt"
	"unicode/utf8"
)

// checkText finds the first byte YAML cannot read — invalid UTF-8, a NUL or another control
// character — and reports it at its line and column (in characters), where the YAML decoder
// would only say "invalid" at the top of the file. A UTF-8 byte order mark at the start is
// allowed, as YAML allows it.
func (w *walker) checkText(data []byte) bool {
	line, col := 1, 1
	i := 0
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		i = 3
	}
	for i < len(data) {
		r, size := utf8.DecodeRune(data[i:])
		var msg string
		switch {
		case r == utf8.RuneError && size <= 1:
			msg = fmt.Sprintf("invalid UTF-8 (byte 0x%02X); want the file in UTF-8", data[i])
		case r == 0:
			msg = "a NUL byte; want text (write \\0 in a double-quoted string if you mean it)"
		case r == '\n':
			line, col = line+1, 1
			i += size
			continue
		case r < 0x20 && r != '\t' && r != '\r', r == 0x7F, r >= 0x80 && r < 0xA0 && r != 0x85,
			r == 0xFFFE, r == 0xFFFF, r == 0xFEFF && i > 0:
			msg = fmt.Sprintf("the control character U+%04X; want printable text (write it as \\x%02X in a double-quoted string)", r, r)
		}
		if msg != "" {
			w.probs = append(w.probs, Problem{File: w.file, Line: line, Column: col, Field: "(syntax)", Msg: msg})
			return false
		}
		col++
		i += size
	}
	return true
}
