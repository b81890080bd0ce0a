package conformance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// quote renders a name for a failure message: in backquotes when it can be (so `\\WS01`
// reads as it is sent), shortened when it is one of the suite's over-long names.
func quote(s string) string {
	if n := utf16Len(s); n > 40 {
		return fmt.Sprintf("%s…(%d chars)", quote(string([]rune(s)[:12])), n)
	}
	if strconv.CanBackquote(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

// statusText names the status an error carries ("ERROR_MORE_DATA"), or the error itself
// when it carries none (a transport error, sessionapi.ErrNoEntry).
func statusText(err error) string {
	if st, ok := sessionapi.StatusOf(err); ok {
		return st.String()
	}
	return err.Error()
}

func handleText(h *uint32) string {
	if h == nil {
		return "NULL"
	}
	return strconv.FormatUint(uint64(*h), 10)
}

// enumArgs is one NetSessionEnum call's arguments, for failure messages.
type enumArgs struct {
	client, user string
	level        sessionapi.Level
	prefMaxLen   uint32
	resume       *uint32 // the handle passed in; nil for a NULL pointer
}

// String renders the call as the failure messages show it:
// "NetSessionEnum(user=`alice`, level=10, prefmaxlen=64, resume=0)".
func (a enumArgs) String() string {
	var args []string
	if a.client != "" {
		args = append(args, "client="+quote(a.client))
	}
	if a.user != "" {
		args = append(args, "user="+quote(a.user))
	}
	args = append(args, fmt.Sprintf("level=%d", uint32(a.level)))
	if a.prefMaxLen == sessionapi.MaxPreferredLength {
		args = append(args, "prefmaxlen=MAX_PREFERRED_LENGTH")
	} else {
		args = append(args, fmt.Sprintf("prefmaxlen=%d", a.prefMaxLen))
	}
	if a.resume != nil {
		args = append(args, "resume="+handleText(a.resume))
	}
	return "NetSessionEnum(" + strings.Join(args, ", ") + ")"
}

// enumOutcome renders what a NetSessionEnum call answered: "ERROR_MORE_DATA, read=1, total=3".
func enumOutcome(res sessionapi.EnumResult, err error) string {
	return fmt.Sprintf("%s, read=%d, total=%d", statusText(err), len(res.Entries), res.TotalEntries)
}

func getInfoText(client, user string, l sessionapi.Level) string {
	var args []string
	if client != "" {
		args = append(args, "client="+quote(client))
	}
	if user != "" {
		args = append(args, "user="+quote(user))
	}
	args = append(args, fmt.Sprintf("level=%d", uint32(l)))
	return "NetSessionGetInfo(" + strings.Join(args, ", ") + ")"
}

func delText(client, user string) string {
	var args []string
	if client != "" {
		args = append(args, "client="+quote(client))
	}
	if user != "" {
		args = append(args, "user="+quote(user))
	}
	return "NetSessionDel(" + strings.Join(args, ", ") + ")"
}

// keyCounts is a multiset of keys: sessions come in any order (S7) and a client may hold
// several sessions of one user, so results are compared as multisets.
type keyCounts map[key]int

func countKeys(keys []key) keyCounts {
	c := keyCounts{}
	for _, k := range keys {
		c[k]++
	}
	return c
}

// diff describes how got differs from want ("missing `\\WS01`/`alice`; extra ..."), ""
// when they are equal.
func (want keyCounts) diff(got keyCounts) string {
	var missing, extra []string
	for k, n := range want {
		for i := got[k]; i < n; i++ {
			missing = append(missing, k.String())
		}
	}
	for k, n := range got {
		for i := want[k]; i < n; i++ {
			extra = append(extra, k.String())
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		parts = append(parts, "unexpected "+strings.Join(extra, ", "))
	}
	return strings.Join(parts, "; ")
}

func entryKeys(entries []sessionapi.Info) []key {
	out := make([]key, len(entries))
	for i, e := range entries {
		out[i] = keyOfInfo(e)
	}
	return out
}
