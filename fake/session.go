package fake

import (
	"errors"
	"fmt"
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
	case s.Flags&^(sessionapi.SessGuest|sessionapi.SessNoEncryption) != 0:
		return bad("flags", "%v has unknown bits", s.Flags)
	case s.Created.Before(earliest) || s.Created.After(latest):
		return bad("created", "%s is out of range; want a time between 1678 and 2262", s.Created.Format(time.RFC3339))
	case s.Created.After(now):
		return bad("created", "%s is after the server's clock %s", s.Created.Format(time.RFC3339), now.Format(time.RFC3339))
	case s.LastActivity.Before(s.Created):
		return bad("last activity", "%s is before the session was created at %s", s.LastActivity.Format(time.RFC3339), s.Created.Format(time.RFC3339))
	case s.LastActivity.After(now):
		return bad("last activity", "%s is after the server's clock %s", s.LastActivity.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return nil
}

// instant is a time as Unix seconds and the nanoseconds past them.
type instant struct {
	sec  int64
	nsec int64
}

func instantOf(t time.Time) instant { return instant{sec: t.Unix(), nsec: int64(t.Nanosecond())} }

// secondsUntil returns the whole seconds from i to b as a DWORD, 0 if b is before i.
func (i instant) secondsUntil(b instant) uint32 {
	s := b.sec - i.sec
	if b.nsec < i.nsec {
		s-- // a second has not passed in full
	}
	switch {
	case s <= 0:
		return 0
	case s > 0xFFFFFFFF:
		return 0xFFFFFFFF
	}
	return uint32(s)
}

// The times a session may carry. Nothing in the arithmetic needs the bound any more, but a
// session from before 1678 or after 2262 is a mistake in a test, not a server's state.
var (
	earliest = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	latest   = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)
