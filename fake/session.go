package fake

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// SessionID names a session within one server. IDs are never reused.
type SessionID uint64

// Session is one SMB session on the fake server: who connected from where, and what it did.
type Session struct {
	// ID is given by the server on Connect; leave it zero when connecting.
	ID SessionID
	// ClientName is the client computer as the server knows it: an IP address or a NetBIOS or
	// DNS name, without `\\` (the profile adds it to sesi*_cname where the server does).
	ClientName string
	// UserName is the account; empty for an anonymous (null) session.
	UserName string
	// OpenFiles is the number of files, devices and pipes open (sesi*_num_opens).
	OpenFiles uint32
	// Flags are the sesi*_user_flags.
	Flags sessionapi.Flags
	// ClientType is sesi*_cltype_name, e.g. "DOS LM 2.0" (spec rule 49).
	ClientType string
	// Transport is sesi502_transport.
	Transport string
	// Created is when the session was established; zero means now.
	Created time.Time
	// LastActivity is the last time the session did something; zero means Created.
	LastActivity time.Time
}

// Guest reports whether the session is a guest or anonymous one.
func (s *Session) Guest() bool { return s.Flags&sessionapi.SessGuest != 0 || s.UserName == "" }

// MaxStringLength bounds every string of a Session in UTF-16 units, terminator included:
// 1,024, the bound the protocol sets on client and user names (spec rule 5), applied to the
// client type and transport too, which no source bounds. It keeps an entry's size small enough
// to count in 16 bits (a level-502 entry is at most 48 + 4 × 2,048 bytes).
const MaxStringLength = 1024

// ErrInvalidSession is wrapped by every error about a session that cannot exist.
var ErrInvalidSession = errors.New("invalid session")

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// validate checks what a real server could never report. now is the server's time.
func (s *Session) validate(now time.Time) error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidSession, field, fmt.Sprintf(format, args...))
	}
	switch {
	case s.ClientName == "":
		return bad("client", "is empty; want an IP address or a computer name")
	case strings.ContainsRune(s.ClientName, '\\'):
		return bad("client", "%q contains a backslash; want the bare name (the server adds `\\\\`)", s.ClientName)
	case utf16Len(s.ClientName) >= 1024:
		return bad("client", "is %d characters; want fewer than 1,024", utf16Len(s.ClientName))
	case utf16Len(s.UserName) >= 1024:
		return bad("user", "is %d characters; want fewer than 1,024", utf16Len(s.UserName))
	case utf16Len(s.ClientType) >= MaxStringLength:
		return bad("client type", "is %d characters; want fewer than %d", utf16Len(s.ClientType), MaxStringLength)
	case utf16Len(s.Transport) >= MaxStringLength:
		return bad("transport", "is %d characters; want fewer than %d", utf16Len(s.Transport), MaxStringLength)
	case s.Flags&^(sessionapi.SessGuest|sessionapi.SessNoEncryption) != 0:
		return bad("flags", "%v has unknown bits", s.Flags)
	case s.Created.Before(earliest) || s.Created.After(latest):
		return bad("created", "%s is out of range; want a time between 1678 and 2262", s.Created.Format(time.RFC3339))
	case s.Created.After(now):
		return bad("created", "%s is after the server's clock %s", s.Created.Format(time.RFC3339), now.Format(time.RFC3339))
	case s.LastActivity.Before(s.Created):
		return bad("last activity", "%s is before the session was created at %s", s.LastActivity.Format(time.RFC3339), s.Created.Format(time.RFC3339))
	case s.LastActivity.After(latest):
		return bad("last activity", "%s is out of range; want a time before 2262", s.LastActivity.Format(time.RFC3339))
	case s.LastActivity.After(now):
		return bad("last activity", "%s is after the server's clock %s", s.LastActivity.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return nil
}

// secondsBetween returns the whole seconds from a to b (Unix nanoseconds) as a DWORD, 0 if b
// is before a. The division is by a constant, which the compiler turns into a multiplication:
// it runs for every entry of every enumeration.
func secondsBetween(a, b int64) uint32 {
	if b <= a {
		return 0
	}
	s := uint64(b-a) / uint64(time.Second)
	if s > 0xFFFFFFFF {
		return 0xFFFFFFFF
	}
	return uint32(s)
}

// The times a session may carry: those of an int64 of Unix nanoseconds, which is how the server
// holds them (a session from before 1678 or after 2262 is a mistake in a test anyway).
var (
	earliest = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	latest   = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// nanosOf is t as Unix nanoseconds, saturated at int64's range (a clock may run past 2262).
func nanosOf(t time.Time) int64 {
	switch {
	case t.Before(minNanos):
		return math.MinInt64
	case t.After(maxNanos):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minNanos = time.Unix(0, math.MinInt64)
	maxNanos = time.Unix(0, math.MaxInt64)
)
