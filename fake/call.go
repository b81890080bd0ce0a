package fake

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Call is one recorded call: what the code under test asked and what the fake answered.
// Calls are copies; changing one changes nothing in the server.
type Call struct {
	Seq    int // 1 for the first call since New or ResetCalls
	Op     Op
	Caller Caller
	At     time.Time // the server's clock when the call arrived

	ServerName    string
	UncClientName string
	UserName      string
	Level         sessionapi.Level // Enum and GetInfo
	PrefMaxLen    uint32           // Enum
	// ResumeIn and ResumeOut are the resume handle before and after (nil for a NULL pointer).
	ResumeIn, ResumeOut *uint32

	Status       sessionapi.Status
	EntriesRead  uint32
	TotalEntries uint32
	// Deleted is the number of sessions NetSessionDel closed.
	Deleted int
	// Fault is set when an injected fault decided the answer.
	Fault bool
}

// String renders the call like a Go test failure would: "NetSessionEnum(level=10,
// prefmaxlen=64) = ERROR_MORE_DATA, read=1, total=3".
func (c Call) String() string {
	var args []string
	if c.ServerName != "" {
		args = append(args, "server="+quote(c.ServerName))
	}
	if c.UncClientName != "" {
		args = append(args, "client="+quote(c.UncClientName))
	}
	if c.UserName != "" {
		args = append(args, "user="+quote(c.UserName))
	}
	if c.Op != OpDel {
		args = append(args, fmt.Sprintf("level=%d", uint32(c.Level)))
	}
	if c.Op == OpEnum {
		if c.PrefMaxLen == sessionapi.MaxPreferredLength {
			args = append(args, "prefmaxlen=MAX_PREFERRED_LENGTH")
		} else {
			args = append(args, fmt.Sprintf("prefmaxlen=%d", c.PrefMaxLen))
		}
		if c.ResumeIn != nil {
			args = append(args, fmt.Sprintf("resume=%d", *c.ResumeIn))
		}
	}
	out := fmt.Sprintf("%s(%s) = %s", c.Op, strings.Join(args, ", "), c.Status.String())
	switch c.Op {
	case OpEnum:
		out += fmt.Sprintf(", read=%d, total=%d", c.EntriesRead, c.TotalEntries)
	case OpDel:
		out += fmt.Sprintf(", deleted=%d", c.Deleted)
	}
	if c.Fault {
		out += " (injected)"
	}
	return out
}

func copyHandle(p *uint32) *uint32 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// quote puts a name in double quotes like %q, but leaves backslashes alone: `"\\\\WS1"` is
// unreadable where `"\\WS1"` is what the caller passed.
func quote(s string) string {
	q := strconv.Quote(s)
	if strings.ContainsAny(s, "\"\x00") || strings.Contains(strings.ReplaceAll(q, `\\`, ""), `\`) {
		return q // something else needed escaping: keep Go's form
	}
	return `"` + s + `"`
}
