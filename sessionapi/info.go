package sessionapi

import (
	"fmt"
	"strconv"
	"strings"
)

// Level is an information level: which SESSION_INFO_n structure a call returns.
type Level uint32

// The information levels of NetSessionEnum (all five) and NetSessionGetInfo (all but 502).
const (
	Level0   Level = 0
	Level1   Level = 1
	Level2   Level = 2
	Level10  Level = 10
	Level502 Level = 502
)

// Levels lists the levels NetSessionEnum accepts, in ascending order.
func Levels() []Level { return []Level{Level0, Level1, Level2, Level10, Level502} }

// ValidForEnum reports whether NetSessionEnum accepts the level (spec rule 10).
func (l Level) ValidForEnum() bool {
	switch l {
	case Level0, Level1, Level2, Level10, Level502:
		return true
	}
	return false
}

// ValidForGetInfo reports whether NetSessionGetInfo accepts the level: no 502 (spec rule 51).
func (l Level) ValidForGetInfo() bool { return l.ValidForEnum() && l != Level502 }

// String returns "level N".
func (l Level) String() string { return "level " + strconv.FormatUint(uint64(l), 10) }

// Flags is the sesi*_user_flags bit set.
type Flags uint32

// The user flags (lmshare.h).
const (
	SessGuest        Flags = 0x1 // the session uses the guest account
	SessNoEncryption Flags = 0x2 // the session was established without password encryption
)

// String returns the flags by name joined with "|" ("SESS_GUEST|SESS_NOENCRYPTION"), "0" for
// none, and any unknown bits in hex.
func (f Flags) String() string {
	if f == 0 {
		return "0"
	}
	var parts []string
	if f&SessGuest != 0 {
		parts = append(parts, "SESS_GUEST")
	}
	if f&SessNoEncryption != 0 {
		parts = append(parts, "SESS_NOENCRYPTION")
	}
	if rest := f &^ (SessGuest | SessNoEncryption); rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%X", uint32(rest)))
	}
	return strings.Join(parts, "|")
}

// ParseFlag reads one flag by name: SESS_GUEST or SESS_NOENCRYPTION (case-insensitive; the old
// spelling SESS_NONENCRYPTION is accepted too).
func ParseFlag(name string) (Flags, error) {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "SESS_GUEST":
		return SessGuest, nil
	case "SESS_NOENCRYPTION", "SESS_NONENCRYPTION":
		return SessNoEncryption, nil
	}
	return 0, fmt.Errorf("unknown flag %q: want SESS_GUEST or SESS_NOENCRYPTION", name)
}

// Info is one SESSION_INFO_n entry. Its dynamic type is one of *SessionInfo0, *SessionInfo1,
// *SessionInfo2, *SessionInfo10 or *SessionInfo502, matching Level(). The interface is sealed:
// only this package's types implement it.
type Info interface {
	// Level is the information level of the entry.
	Level() Level
	// Client returns sesi*_cname, the key every level carries.
	Client() string
	isInfo()
}

// SessionInfo0 is SESSION_INFO_0: the client name only.
type SessionInfo0 struct {
	ClientName string // sesi0_cname
}

// SessionInfo1 is SESSION_INFO_1.
type SessionInfo1 struct {
	ClientName string // sesi1_cname
	UserName   string // sesi1_username
	NumOpens   uint32 // sesi1_num_opens: files, devices and pipes open
	Time       uint32 // sesi1_time: seconds since the session was established
	IdleTime   uint32 // sesi1_idle_time: seconds since the last activity
	UserFlags  Flags  // sesi1_user_flags
}

// SessionInfo2 is SESSION_INFO_2: level 1 plus the client type.
type SessionInfo2 struct {
	ClientName string // sesi2_cname
	UserName   string // sesi2_username
	NumOpens   uint32 // sesi2_num_opens
	Time       uint32 // sesi2_time
	IdleTime   uint32 // sesi2_idle_time
	UserFlags  Flags  // sesi2_user_flags
	ClientType string // sesi2_cltype_name, e.g. "DOS LM 2.0"
}

// SessionInfo10 is SESSION_INFO_10: no open count, no flags.
type SessionInfo10 struct {
	ClientName string // sesi10_cname
	UserName   string // sesi10_username
	Time       uint32 // sesi10_time
	IdleTime   uint32 // sesi10_idle_time
}

// SessionInfo502 is SESSION_INFO_502: level 2 plus the transport.
type SessionInfo502 struct {
	ClientName string // sesi502_cname
	UserName   string // sesi502_username
	NumOpens   uint32 // sesi502_num_opens
	Time       uint32 // sesi502_time
	IdleTime   uint32 // sesi502_idle_time
	UserFlags  Flags  // sesi502_user_flags
	ClientType string // sesi502_cltype_name
	Transport  string // sesi502_transport
}

func (*SessionInfo0) Level() Level   { return Level0 }
func (*SessionInfo1) Level() Level   { return Level1 }
func (*SessionInfo2) Level() Level   { return Level2 }
func (*SessionInfo10) Level() Level  { return Level10 }
func (*SessionInfo502) Level() Level { return Level502 }

func (i *SessionInfo0) Client() string   { return i.ClientName }
func (i *SessionInfo1) Client() string   { return i.ClientName }
func (i *SessionInfo2) Client() string   { return i.ClientName }
func (i *SessionInfo10) Client() string  { return i.ClientName }
func (i *SessionInfo502) Client() string { return i.ClientName }

func (*SessionInfo0) isInfo()   {}
func (*SessionInfo1) isInfo()   {}
func (*SessionInfo2) isInfo()   {}
func (*SessionInfo10) isInfo()  {}
func (*SessionInfo502) isInfo() {}

// Field names one member of the SESSION_INFO structures, for [Widen]'s report of which members
// a level carries.
type Field uint16

// The members, as bits.
const (
	FieldClientName Field = 1 << iota
	FieldUserName
	FieldNumOpens
	FieldTime
	FieldIdleTime
	FieldUserFlags
	FieldClientType
	FieldTransport
)

// FieldsOf returns the members a level carries (spec §3); 0 for an invalid level.
func FieldsOf(l Level) Field {
	switch l {
	case Level0:
		return FieldClientName
	case Level1:
		return FieldClientName | FieldUserName | FieldNumOpens | FieldTime | FieldIdleTime | FieldUserFlags
	case Level2:
		return FieldsOf(Level1) | FieldClientType
	case Level10:
		return FieldClientName | FieldUserName | FieldTime | FieldIdleTime
	case Level502:
		return FieldsOf(Level2) | FieldTransport
	}
	return 0
}

// Has reports whether every member in g is in f.
func (f Field) Has(g Field) bool { return f&g == g }

// Widen copies any level's entry into a SessionInfo502 and returns, beside it, the members the
// entry really carried: the others are zero because the level has no such member, not because
// the server said zero. It is for code (transcripts, comparisons) that handles every level
// alike.
func Widen(info Info) (SessionInfo502, Field) {
	switch i := info.(type) {
	case *SessionInfo0:
		return SessionInfo502{ClientName: i.ClientName}, FieldsOf(Level0)
	case *SessionInfo1:
		return SessionInfo502{ClientName: i.ClientName, UserName: i.UserName, NumOpens: i.NumOpens,
			Time: i.Time, IdleTime: i.IdleTime, UserFlags: i.UserFlags}, FieldsOf(Level1)
	case *SessionInfo2:
		return SessionInfo502{ClientName: i.ClientName, UserName: i.UserName, NumOpens: i.NumOpens,
			Time: i.Time, IdleTime: i.IdleTime, UserFlags: i.UserFlags, ClientType: i.ClientType}, FieldsOf(Level2)
	case *SessionInfo10:
		return SessionInfo502{ClientName: i.ClientName, UserName: i.UserName, Time: i.Time,
			IdleTime: i.IdleTime}, FieldsOf(Level10)
	case *SessionInfo502:
		return *i, FieldsOf(Level502)
	}
	return SessionInfo502{}, 0
}

// Narrow cuts a full SessionInfo502 down to the entry a level returns. It returns nil for a
// level NetSessionEnum does not know.
func Narrow(s *SessionInfo502, l Level) Info {
	switch l {
	case Level0:
		return &SessionInfo0{ClientName: s.ClientName}
	case Level1:
		return &SessionInfo1{ClientName: s.ClientName, UserName: s.UserName, NumOpens: s.NumOpens,
			Time: s.Time, IdleTime: s.IdleTime, UserFlags: s.UserFlags}
	case Level2:
		return &SessionInfo2{ClientName: s.ClientName, UserName: s.UserName, NumOpens: s.NumOpens,
			Time: s.Time, IdleTime: s.IdleTime, UserFlags: s.UserFlags, ClientType: s.ClientType}
	case Level10:
		return &SessionInfo10{ClientName: s.ClientName, UserName: s.UserName, Time: s.Time, IdleTime: s.IdleTime}
	case Level502:
		c := *s
		return &c
	}
	return nil
}
