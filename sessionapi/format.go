package sessionapi

import (
	"fmt"
	"strconv"
	"strings"
)

// FormatCall renders a call the way this module's failure messages and transcripts read it,
// naming only the arguments that were given:
//
//	NetSessionEnum(client="\\WS1", level=10, prefmaxlen=64, resume=0)
//
// fn is the Win32 function name: NetSessionEnum shows level, prefmaxlen and resume (when not
// NULL), NetSessionGetInfo the level, NetSessionDel neither.
func FormatCall(fn, serverName, uncClientName, userName string, level Level, prefMaxLen uint32, resume *uint32) string {
	var args []string
	for _, a := range []struct{ name, value string }{{"server", serverName}, {"client", uncClientName}, {"user", userName}} {
		if a.value != "" {
			args = append(args, a.name+"="+quoteName(a.value))
		}
	}
	if fn != "NetSessionDel" {
		args = append(args, fmt.Sprintf("level=%d", uint32(level)))
	}
	if fn == "NetSessionEnum" {
		args = append(args, "prefmaxlen="+PrefMaxLenString(prefMaxLen))
		if resume != nil {
			args = append(args, fmt.Sprintf("resume=%d", *resume))
		}
	}
	return fn + "(" + strings.Join(args, ", ") + ")"
}

// PrefMaxLenString writes MAX_PREFERRED_LENGTH by name, other values as numbers.
func PrefMaxLenString(n uint32) string {
	if n == MaxPreferredLength {
		return "MAX_PREFERRED_LENGTH"
	}
	return strconv.FormatUint(uint64(n), 10)
}

// quoteName puts a name in double quotes like %q but leaves backslashes alone: "\\WS1" is what
// the caller passed, where %q would show "\\\\WS1". A name that needs another escape (a quote,
// a control character) gets Go's quoting whole.
func quoteName(s string) string {
	q := strconv.Quote(s)
	if strings.Contains(strings.ReplaceAll(q[1:len(q)-1], `\\`, ""), `\`) {
		return q
	}
	return `"` + s + `"`
}
