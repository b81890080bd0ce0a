package conformance

import (
	"math"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// model is the spec in executable form: what a server that claims profile p must answer,
// computed from the profile's fields and the sessions the harness observed, never from the
// fake's code. Where the answer depends on the server's session order (which S7 says may be
// anything), the model says only what every order shares, and the subtests check bounds.
type model struct {
	p   fake.Profile
	all []Observed // every session the server holds, seeded or not
}

// key identifies an entry as the differential check compares them: sesi*_cname and
// sesi*_username (empty at level 0, which has no user name).
type key struct{ cname, user string }

func (k key) String() string {
	if k.user == "" {
		return quote(k.cname)
	}
	return quote(k.cname) + "/" + quote(k.user)
}

// cname is sesi*_cname for a session: `\\` and the name on Windows, the bare name on Samba
// (spec §12 Q6, S4).
func (m *model) cname(o Observed) string {
	if m.p.ClientNamePrefix {
		return `\\` + o.ClientName
	}
	return o.ClientName
}

// keyOf is the key an entry at level l for session o carries.
func (m *model) keyOf(o Observed, l sessionapi.Level) key {
	k := key{cname: m.cname(o)}
	if sessionapi.FieldsOf(l).Has(sessionapi.FieldUserName) {
		k.user = o.UserName
	}
	return k
}

// keyOfInfo is the key an entry carries.
func keyOfInfo(info sessionapi.Info) key {
	w, f := sessionapi.Widen(info)
	k := key{cname: w.ClientName}
	if f.Has(sessionapi.FieldUserName) {
		k.user = w.UserName
	}
	return k
}

func (m *model) implements(l sessionapi.Level) bool { return slices.Contains(m.p.EnumLevels, l) }

// mayEnum is the enumeration access check. For a level the server implements it is the
// profile's per-level rule (spec rules 33-36). For any other level it is the check a server
// makes before it looks at the level (S1, spec rule 65: one check for the call): a caller who
// may enumerate at some level passes it and then gets ERROR_INVALID_LEVEL (S2).
func (m *model) mayEnum(r fake.Role, l sessionapi.Level) bool {
	if m.implements(l) {
		return m.p.Access.For(l).Has(r)
	}
	for _, il := range m.p.EnumLevels {
		if m.p.Access.For(il).Has(r) {
			return true
		}
	}
	return false
}

// mayGetInfo is NetSessionGetInfo's access check: the enumeration's (spec rule 56), except
// that a profile may open levels 1 and 2 to authenticated users (W-GET on member servers,
// rule 55, §12 Q1).
func (m *model) mayGetInfo(r fake.Role, l sessionapi.Level) bool {
	if m.p.GetInfoLevels1And2ForUsers && (l == sessionapi.Level1 || l == sessionapi.Level2) {
		switch r {
		case fake.Administrator, fake.DomainAdmin, fake.ServerOperator, fake.User:
			return true
		}
	}
	return m.mayEnum(r, l)
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// tooLong applies spec rule 5: a name longer than MaxNameLength UTF-16 units with its NUL.
func (m *model) tooLong(names ...string) bool {
	if m.p.MaxNameLength <= 0 {
		return false
	}
	for _, n := range names {
		if utf16Len(n)+1 > m.p.MaxNameLength {
			return true
		}
	}
	return false
}

// enumPrecheck is the status of the checks NetrSessionEnum makes before it looks at any
// session, in the profile's order (AccessFirst: access, level, names as on Samba S1;
// otherwise level, names, access), or NERR_Success when they all pass.
func (m *model) enumPrecheck(r fake.Role, may func(fake.Role, sessionapi.Level) bool, l sessionapi.Level, client, user string) sessionapi.Status {
	level := func() sessionapi.Status {
		if !m.implements(l) {
			return sessionapi.ERROR_INVALID_LEVEL // spec rule 10, S2
		}
		return sessionapi.NERR_Success
	}
	names := func() sessionapi.Status {
		if !m.p.CheckNames {
			return sessionapi.NERR_Success
		}
		if m.tooLong(client, user) {
			return sessionapi.ERROR_INVALID_PARAMETER // spec rule 5
		}
		if client != "" && !strings.HasPrefix(client, `\\`) {
			return sessionapi.NERR_InvalidComputer // spec rule 4
		}
		return sessionapi.NERR_Success
	}
	access := func() sessionapi.Status {
		if !may(r, l) {
			return sessionapi.ERROR_ACCESS_DENIED
		}
		return sessionapi.NERR_Success
	}
	order := []func() sessionapi.Status{level, names, access}
	if m.p.AccessFirst {
		order = []func() sessionapi.Status{access, level, names}
	}
	for _, check := range order {
		if st := check(); st != sessionapi.NERR_Success {
			return st
		}
	}
	return sessionapi.NERR_Success
}

func (m *model) nameEqual(a, b string) bool {
	if m.p.CaseSensitiveNames {
		return a == b
	}
	return strings.EqualFold(a, b)
}

// enumMatch returns the sessions an enumeration with these qualifiers lists, or the status
// of a miss (spec rules 12-14; S8: a server that ignores them lists everything).
func (m *model) enumMatch(client, user string) ([]Observed, sessionapi.Status) {
	byClient := m.p.HonorFilters && client != ""
	byUser := m.p.HonorFilters && user != ""
	want := strings.TrimPrefix(client, `\\`)
	var out []Observed
	for _, o := range m.all {
		if byClient && !m.nameEqual(o.ClientName, want) {
			continue
		}
		if byUser && !m.nameEqual(o.UserName, user) {
			continue
		}
		out = append(out, o)
	}
	if len(out) == 0 && (byClient || byUser) {
		switch {
		case byClient && byUser:
			return nil, m.p.BothFiltersMiss // spec §12 Q3
		case byClient:
			return nil, sessionapi.NERR_ClientNameNotFound
		default:
			return nil, sessionapi.NERR_UserNotFound
		}
	}
	return out, sessionapi.NERR_Success
}

// handleWant is what the resume handle must be after a call.
type handleWant uint8

const (
	handleAny       handleWant = iota // not checked
	handleNil                         // a NULL handle stays NULL
	handleZero                        // reset to 0
	handleUnchanged                   // left as it was
	handleAdvanced                    // non-zero and greater than before (ResumePositions on ERROR_MORE_DATA)
	handleValue                       // exactly enumWant.handle
	handleNonZero                     // any value but 0 (a Windows server after NERR_Success: W6)
)

// successHandle is what the handle must be after NERR_Success from a position below the end,
// n the sessions the server holds: S11's total on Samba; on Windows not 0 (capture A: 18, B:
// 7; spec W6), or 0 where the profile keeps the old rule (ZeroResumeAfterSuccess).
func (m *model) successHandle(n int) (handleWant, uint32) {
	switch {
	case m.p.Resume == fake.ResumeSamba:
		return handleValue, uint32(n)
	case m.p.ZeroResumeAfterSuccess:
		return handleZero, 0
	default:
		return handleNonZero, 0
	}
}

// pastEndHandle is what the handle must be after a call from a non-zero handle at or past the
// end (spec rule 27): 0 on Samba (S11) and under the old rule; a Windows server's value is not
// known (no capture shows such a call), so it is not checked.
func (m *model) pastEndHandle() handleWant {
	if m.p.Resume == fake.ResumeSamba || m.p.ZeroResumeAfterSuccess {
		return handleZero
	}
	return handleAny
}

// afterComplete is the answer to a call made with the handle h that a complete answer (one
// that returned everything, NERR_Success) left behind. A handle of 0 starts again (spec rule
// 25); any other is at or past the end: NERR_Success and nothing (spec rule 27, S11). On
// Windows that holds whatever the value (W6: it is the server's own, not a list position).
//
// Qualifiers do not change that: the position comes first (spec rule 16), and past the end
// there is nothing left to miss.
func (m *model) afterComplete(r fake.Role, l sessionapi.Level, client, user string, h uint32) enumWant {
	if h == 0 {
		return m.enumMax(r, l, client, user, &h)
	}
	w := enumWant{handle: m.pastEndHandle()}
	if !m.p.TotalFromResume {
		w.total = len(m.all)
	}
	return w
}

// enumWant is the model's answer for one NetSessionEnum call.
type enumWant struct {
	status sessionapi.Status
	// read is the number of entries; entries, when not nil, the sessions they are (as a set:
	// S7 lets the order be anything). entries is nil when which sessions depends on the order.
	read    int
	entries []Observed
	// among, when entries is nil, are the sessions the entries must be drawn from (each at
	// most once); nil means any session the server holds.
	among []Observed
	// total is *totalentries (checked on NERR_Success and ERROR_MORE_DATA only).
	total  int
	handle handleWant
	value  uint32 // for handleValue
}

// enumMax is the answer to an enumeration at MAX_PREFERRED_LENGTH (or from a server that
// ignores prefmaxlen), starting where resume says. A non-zero starting position is only
// modelled without qualifiers: with them, where the position falls among the matches depends
// on the server's order.
func (m *model) enumMax(r fake.Role, l sessionapi.Level, client, user string, resume *uint32) enumWant {
	if st := m.enumPrecheck(r, m.mayEnum, l, client, user); st != sessionapi.NERR_Success {
		return enumWant{status: st, handle: handleAny}
	}
	n := len(m.all)
	// Positions are int64: a handle is a uint32 and may be 2^31 or more, which int cannot
	// hold under GOARCH=386 (issue 9 class 8).
	start := int64(0)
	if resume != nil {
		start = int64(*resume)
	}
	// totalFrom is *totalentries when k entries remain from the position (spec rule 23; S10).
	totalFrom := func(k int) int {
		if m.p.TotalFromResume {
			return k
		}
		return n
	}
	if resume == nil {
		// No handle: from the start, and a NULL handle stays NULL (spec rules 24-25, S11).
		matches, st := m.enumMatch(client, user)
		if st != sessionapi.NERR_Success {
			return enumWant{status: st, handle: handleNil}
		}
		return enumWant{read: len(matches), entries: matches, total: totalFrom(len(matches)), handle: handleNil}
	}
	switch m.p.Resume {
	case fake.ResumeSamba:
		if start >= int64(n) {
			// S11: k ≥ total gives success, nothing, and the handle back to 0.
			return enumWant{total: totalFrom(0), handle: m.pastEndHandle()}
		}
		matches, st := m.enumMatch(client, user)
		if st != sessionapi.NERR_Success {
			return enumWant{status: st, handle: handleAny}
		}
		w := enumWant{read: len(matches) - int(start), total: totalFrom(len(matches) - int(start)), handle: handleValue, value: uint32(n)}
		if start == 0 {
			w.entries = matches
		}
		return w
	default:
		if start > 0 && start >= int64(n) {
			// Spec rule 27: a non-zero handle at or past the end gives success and nothing.
			return enumWant{total: totalFrom(0), handle: m.pastEndHandle()}
		}
		matches, st := m.enumMatch(client, user)
		if st != sessionapi.NERR_Success {
			return enumWant{status: st, handle: handleAny}
		}
		// Spec rule 26: the handle counts the positions consumed; the rest comes back, and
		// after the complete answer the handle is what successHandle says (W6).
		w := enumWant{read: len(matches) - int(start), total: totalFrom(len(matches) - int(start))}
		w.handle, w.value = m.successHandle(n)
		if start == 0 {
			w.entries = matches
		}
		return w
	}
}

// getInfoWant is the model's answer for one NetSessionGetInfo call: the status, and on
// success the sessions the one entry may be.
type getInfoWant struct {
	status     sessionapi.Status
	noEntry    bool // sessionapi.ErrNoEntry: success with nothing (possible only where filters are ignored)
	candidates []Observed
}

// getInfo follows spec §7: the level and both names are checked on the client first (rules
// 51, 52, 75), then it is an enumeration with both names as qualifiers whose first entry is
// the answer (rule 56).
func (m *model) getInfo(r fake.Role, l sessionapi.Level, client, user string) getInfoWant {
	if !l.ValidForGetInfo() {
		return getInfoWant{status: sessionapi.ERROR_INVALID_LEVEL}
	}
	if client == "" || user == "" {
		return getInfoWant{status: sessionapi.ERROR_INVALID_PARAMETER}
	}
	if st := m.enumPrecheck(r, m.mayGetInfo, l, client, user); st != sessionapi.NERR_Success {
		return getInfoWant{status: st}
	}
	matches, st := m.enumMatch(client, user)
	if st != sessionapi.NERR_Success {
		return getInfoWant{status: st}
	}
	if len(matches) == 0 {
		return getInfoWant{noEntry: true}
	}
	return getInfoWant{candidates: matches}
}

// del follows spec §8 and S13-S16: the status, and for each session in m.all whether the call
// ends it.
func (m *model) del(r fake.Role, client, user string) (sessionapi.Status, []bool) {
	gone := make([]bool, len(m.all))
	mayDel := m.p.DelAccess.Has(r)
	if m.p.AccessFirst && !mayDel {
		return sessionapi.ERROR_ACCESS_DENIED, gone // S13
	}
	if m.p.CheckNames && m.tooLong(client, user) {
		return sessionapi.ERROR_INVALID_PARAMETER, gone // spec rule 59
	}
	if client == "" && user == "" && m.p.DelBothEmpty != sessionapi.NERR_Success {
		return m.p.DelBothEmpty, gone // spec rule 58, §12 Q8
	}
	bare, byClient := client, client != ""
	if m.p.DelStripsPrefix {
		// S15: one leading `\\` is stripped and an empty name matches any client.
		bare = strings.TrimPrefix(client, `\\`)
		byClient = bare != ""
	} else if byClient {
		if !strings.HasPrefix(client, `\\`) {
			return sessionapi.NERR_ClientNameNotFound, gone // spec rule 59
		}
		bare = client[2:]
	}
	if !m.p.AccessFirst && !mayDel {
		return sessionapi.ERROR_ACCESS_DENIED, gone // spec rule 63
	}
	any := false
	for i, o := range m.all {
		if (!byClient || m.nameEqual(o.ClientName, bare)) && (user == "" || m.nameEqual(o.UserName, user)) {
			gone[i] = true // spec rule 60: every match, not the first
			any = true
		}
	}
	if !any {
		return m.p.DelNoMatch, gone // spec rule 61, S14
	}
	return sessionapi.NERR_Success, gone
}

// enumPage is the answer to one page of a paged enumeration whose prechecks passed: rest are
// the sizes (at the profile's Arch) of the matching entries not returned yet, in no order,
// and prefMaxLen the budget. The handle the page starts from is 0 or one the server gave.
//
// When the sizes differ the number of entries depends on the server's order, so read is -1
// and the subtest checks bounds; the suite then always passes a budget that holds the
// largest entry, so that ERROR_MORE_DATA comes with at least one.
func (m *model) enumPage(rest []int, prefMaxLen uint32) enumWant {
	n := len(m.all)
	w := enumWant{read: len(rest), total: len(rest)}
	if !m.p.TotalFromResume {
		w.total = n
	}
	// A complete answer: S11 moves the handle to the total, Windows leaves one of its own (W6).
	w.handle, w.value = m.successHandle(n)
	if m.p.Resume == fake.ResumeSamba && n == 0 {
		w.handle = handleZero
	}
	if !m.p.HonorPrefMaxLen || prefMaxLen == sessionapi.MaxPreferredLength {
		return w // S9: everything, whatever prefmaxlen says
	}
	// Byte counts are int64: prefmaxlen may be 2^31 or more, which int cannot hold under
	// GOARCH=386 (issue 9 class 8).
	var sum, lo, hi int64 = 0, math.MaxInt64, 0
	for _, s := range rest {
		sum += int64(s)
		lo, hi = min(lo, int64(s)), max(hi, int64(s))
	}
	b := int64(prefMaxLen)
	if sum <= b {
		return w // spec rule 17: it all fits
	}
	// Spec rule 18: the entries that fit, and ERROR_MORE_DATA; rule 28: a handle to go on.
	w.status, w.handle = sessionapi.ERROR_MORE_DATA, handleAdvanced
	if b >= lo {
		if lo != hi {
			w.read = -1
			return w
		}
		w.read = int(b / lo) // at most len(rest): sum > b
		return w
	}
	// Not even one entry fits (spec §12 Q5).
	switch m.p.TooSmall {
	case fake.TooSmallOneEntry:
		w.read = 1
		if len(rest) == 1 {
			w.status = sessionapi.NERR_Success
			w.handle, w.value = m.successHandle(n)
		}
	case fake.TooSmallBufTooSmall:
		return enumWant{status: sessionapi.NERR_BufTooSmall, total: -1}
	default:
		// Nothing, ERROR_MORE_DATA, and the handle where it was.
		w.read, w.handle = 0, handleUnchanged
	}
	return w
}
