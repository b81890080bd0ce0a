package fake

import (
	"context"
	"strings"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Client calls a [Server] as one caller. It implements sessionapi.SessionAPI.
type Client struct {
	srv    *Server
	caller Caller
}

var _ sessionapi.SessionAPI = (*Client)(nil)

// Caller returns who the client calls as.
func (c *Client) Caller() Caller { return c.caller }

// Server returns the server the client calls.
func (c *Client) Server() *Server { return c.srv }

// NetSessionEnum implements sessionapi.SessionAPI.
//
// prefMaxLen 0 is a real budget of zero bytes, as in Win32 (no entry fits: ERROR_MORE_DATA
// with no entries on Windows); pass sessionapi.MaxPreferredLength for everything. (In
// sessionapi.EnumRequest, 0 means MaxPreferredLength.)
//
// On any error but ERROR_MORE_DATA the resume handle is left as it was, so the same page can be
// asked for again: a Windows server only writes it in an answer that returns entries, and a
// failed call (a fault, a refused check) returns none.
func (c *Client) NetSessionEnum(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level, prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	s := c.srv
	call := Call{Op: OpEnum, Caller: c.caller, ServerName: serverName, UncClientName: uncClientName,
		UserName: userName, Level: level, PrefMaxLen: prefMaxLen}
	call.setResume(resume, true)
	res := sessionapi.EnumResult{Level: level}
	err := s.begin(ctx, &call, func() error {
		// netapi32 checks the level before any RPC (spec rule 75). The Samba profile models what
		// a client that sends the level unchecked sees (rpcclient, sessionapi/srvsvc): access
		// first (S1), so there the level stays the server's check.
		if !s.profile.AccessFirst && !level.ValidForEnum() {
			return sessionapi.ERROR_INVALID_LEVEL
		}
		return nil
	})
	if err == nil {
		res, err = s.enum(c.caller.Role, s.profile.CanEnum, uncClientName, userName, level, prefMaxLen, resume)
	}
	call.setResume(resume, false)
	call.EntriesRead, call.TotalEntries = uint32(len(res.Entries)), res.TotalEntries
	if s.recordEntries && len(res.Entries) > 0 {
		call.Entries = cloneInfos(res.Entries)
	}
	s.record(&call, err)
	return res, err
}

// NetSessionGetInfo implements sessionapi.SessionAPI. Like netapi32 (spec rule 56), it is an
// enumeration with both names as filters, MAX_PREFERRED_LENGTH and no resume handle, whose
// first entry is the answer; the level (0, 1, 2, 10) and the two names (both required) are
// checked first, on the client side, before any fault can fire.
func (c *Client) NetSessionGetInfo(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level) (sessionapi.Info, error) {
	s := c.srv
	call := Call{Op: OpGetInfo, Caller: c.caller, ServerName: serverName, UncClientName: uncClientName,
		UserName: userName, Level: level}
	var info sessionapi.Info
	err := s.begin(ctx, &call, func() error {
		switch {
		case !level.ValidForGetInfo():
			return sessionapi.ERROR_INVALID_LEVEL // spec rule 51
		case uncClientName == "" || userName == "":
			return sessionapi.ERROR_INVALID_PARAMETER // both are required (spec rule 52)
		}
		return nil
	})
	if err == nil {
		var res sessionapi.EnumResult
		res, err = s.enum(c.caller.Role, s.profile.CanGetInfo, uncClientName, userName, level, sessionapi.MaxPreferredLength, nil)
		call.TotalEntries = res.TotalEntries
		if err == nil {
			if len(res.Entries) == 0 {
				err = sessionapi.ErrNoEntry
			} else {
				info = res.Entries[0]
				call.EntriesRead = 1
				if s.recordEntries {
					call.Entries = cloneInfos(res.Entries[:1])
				}
			}
		}
	}
	s.record(&call, err)
	return info, err
}

// NetSessionDel implements sessionapi.SessionAPI. netapi32 checks nothing of it client-side:
// every check is the server's, so an armed fault wins over all of them.
//
// A client name without its leading `\\` matches no session on Windows (spec rule 59):
// NERR_ClientNameNotFound, which a kicker would read as "already gone". The fake answers the
// same, and the recorded Call says why in its Note ([NoteDelNoPrefix]).
func (c *Client) NetSessionDel(ctx context.Context, serverName, uncClientName, userName string) error {
	s := c.srv
	call := Call{Op: OpDel, Caller: c.caller, ServerName: serverName, UncClientName: uncClientName, UserName: userName}
	err := s.begin(ctx, &call, nil)
	if err == nil {
		call.Deleted, call.Note, err = s.del(c.caller.Role, uncClientName, userName)
	}
	s.record(&call, err)
	return err
}

// checkNames applies spec rules 4 and 5 for NetrSessionEnum: lengths first, then the `\\`.
func (p *Profile) checkNames(client, user string, noPrefix sessionapi.Status) error {
	if !p.CheckNames {
		return nil
	}
	if p.MaxNameLength > 0 && (utf16Len(client)+1 > p.MaxNameLength || utf16Len(user)+1 > p.MaxNameLength) {
		return sessionapi.ERROR_INVALID_PARAMETER
	}
	if client != "" && !strings.HasPrefix(client, `\\`) {
		return noPrefix
	}
	return nil
}

func (p *Profile) nameEqual(a, b string) bool {
	if p.CaseSensitiveNames {
		return a == b
	}
	return strings.EqualFold(a, b)
}

// enum is NetrSessionEnum on the server side (spec §5, Samba §13). may is the access rule of
// the call the client made: CanEnum, or CanGetInfo for NetSessionGetInfo.
func (s *Server) enum(role Role, may func(Role, sessionapi.Level) bool, client, user string, level sessionapi.Level, prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	p := &s.profile
	res := sessionapi.EnumResult{Level: level}
	// The checks made before any session is looked at, in the profile's order (Samba: access
	// first, S1; otherwise level, names, access). Written out, not as a list of closures: this
	// runs on every call.
	if p.AccessFirst && !may(role, level) {
		return res, sessionapi.ERROR_ACCESS_DENIED
	}
	if !p.ImplementsEnumLevel(level) {
		return res, sessionapi.ERROR_INVALID_LEVEL
	}
	if err := p.checkNames(client, user, sessionapi.NERR_InvalidComputer); err != nil {
		return res, err
	}
	if !p.AccessFirst && !may(role, level) {
		return res, sessionapi.ERROR_ACCESS_DENIED
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	now := s.clock.Now() // under the lock, as Restore sets it
	n := len(s.list)

	// Position by the resume handle first (spec rule 16). The handle is compared as the DWORD
	// it is: converted to int first, a handle of 2^31 or more would be negative on 32-bit.
	start := 0
	if resume != nil {
		if uint64(*resume) >= uint64(n) {
			if *resume > 0 || p.Resume == ResumeSamba {
				// Spec rule 27 (a non-zero handle at or past the end), Samba S11 (any handle at
				// or past the end): success with nothing. Windows leaves the handle as it was
				// (non-zero), unless the profile resets it to 0 after success.
				if p.Resume == ResumeSamba || p.ZeroResumeAfterSuccess {
					*resume = 0
				}
				if !p.TotalFromResume {
					res.TotalEntries = uint32(n)
				}
				return res, nil
			}
		} else {
			start = int(*resume)
		}
	}

	// A given name is a qualifier even when nothing follows the `\\`: `\\` alone matches no
	// session rather than all of them.
	byClient, byUser := p.HonorFilters && client != "", p.HonorFilters && user != ""
	filterClient := strings.TrimPrefix(client, `\\`)
	matches := func(e *entry) bool {
		return (!byClient || p.nameEqual(s.bare(e), filterClient)) && (!byUser || p.nameEqual(e.user, user))
	}
	filtered := byClient || byUser

	// Select what fits, and count what matches from the position (spec rules 18-20, 23).
	li := levelIndex[level]
	// The budget is an int64: prefmaxlen is a DWORD, and as an int it would be negative from
	// 2^31 on 32-bit.
	budget := int64(-1) // unlimited
	if p.HonorPrefMaxLen && prefMaxLen != sessionapi.MaxPreferredLength {
		budget = int64(prefMaxLen)
	}
	// Unfiltered, the selection is the window s.list[start:lastPos+1] and costs nothing;
	// filtered, it is collected, with room for what the budget can hold at the level's fixed
	// size (strings only make entries bigger).
	var sel []*entry
	if filtered {
		room := n - start
		if budget >= 0 {
			room = int(min(int64(room), budget/int64(sessionapi.StructSize(level, p.Arch))+1))
		}
		sel = make([]*entry, 0, room)
	}
	lastPos := start - 1 // the list position of the last selected entry
	full := false        // an entry that matched did not fit
	total := 0
	used := int64(0)
	for i := start; i < n; i++ {
		e := s.list[i]
		if filtered && !matches(e) {
			continue
		}
		total++
		if full {
			continue
		}
		size := int64(e.sizes[li])
		if budget >= 0 && used+size > budget {
			full = true
			if !filtered {
				total += n - i - 1 // every later entry matches too: no need to look
				break
			}
			continue
		}
		used += size
		if filtered {
			sel = append(sel, e)
		}
		lastPos = i
	}
	if !filtered {
		sel = s.list[start : lastPos+1]
	}
	if filtered && total == 0 {
		// Spec rule 14.
		switch {
		case byClient && byUser:
			return res, asError(p.BothFiltersMiss)
		case byClient:
			return res, sessionapi.NERR_ClientNameNotFound
		default:
			return res, sessionapi.NERR_UserNotFound
		}
	}
	if full && len(sel) == 0 {
		switch p.TooSmall {
		case TooSmallBufTooSmall:
			return res, sessionapi.NERR_BufTooSmall
		case TooSmallOneEntry:
			for i := start; i < n; i++ {
				if !filtered || matches(s.list[i]) {
					sel, lastPos = s.list[i:i+1], i
					break
				}
			}
			full = total > 1
		}
	}

	if p.TotalFromResume {
		res.TotalEntries = uint32(total)
	} else {
		res.TotalEntries = uint32(n)
	}
	res.Entries = s.build(sel, level, now)

	// Move the resume handle (spec rules 24-28, Samba S11).
	if resume != nil {
		switch p.Resume {
		case ResumeSamba:
			*resume = uint32(n)
		default:
			switch {
			case full && len(sel) > 0:
				*resume = uint32(lastPos + 1)
			case !full && p.ZeroResumeAfterSuccess:
				*resume = 0
			case !full:
				// Windows leaves a non-zero handle after success (capture A: 18, B: 7); the
				// fake's is the positions consumed, n, and at least 1 (see ResumePositions).
				*resume = uint32(max(n, 1))
			}
		}
	}
	if full {
		return res, sessionapi.ERROR_MORE_DATA
	}
	return res, nil
}

// build makes the returned entries: one array of the level's structs per call (zeroed by
// make, so each entry is filled field by field rather than copied in whole).
func (s *Server) build(sel []*entry, level sessionapi.Level, now time.Time) []sessionapi.Info {
	if len(sel) == 0 {
		return nil
	}
	p := &s.profile
	idleZero := p.IdleAlwaysZero
	at := nanosOf(now)
	times := func(e *entry) (t, idle uint32) {
		t = secondsBetween(e.created, at)
		if !idleZero {
			idle = secondsBetween(e.last, at)
		}
		return t, idle
	}
	// who is sesi*_username and sesi*_user_flags as the profile reports them (Server.userOut
	// for the name; guests are flagged SESS_GUEST alone where the profile renames them), with
	// the profile's fields read once per call rather than per entry.
	guestName := p.GuestUserName
	mask := ^sessionapi.Flags(0)
	if !p.ReportNoEncryption {
		mask &^= sessionapi.SessNoEncryption
	}
	who := func(e *entry) (string, sessionapi.Flags) {
		if guestName == "" {
			return e.user, e.flags & mask
		}
		if e.flags&sessionapi.SessGuest != 0 || e.user == "" {
			return guestName, sessionapi.SessGuest
		}
		return e.user, 0
	}
	out := make([]sessionapi.Info, len(sel))
	switch level {
	case sessionapi.Level0:
		slab := make([]sessionapi.SessionInfo0, len(sel))
		for i, e := range sel {
			x := &slab[i]
			x.ClientName = e.cname
			out[i] = x
		}
	case sessionapi.Level1:
		slab := make([]sessionapi.SessionInfo1, len(sel))
		for i, e := range sel {
			x := &slab[i]
			x.ClientName, x.NumOpens = e.cname, e.openFiles
			x.UserName, x.UserFlags = who(e)
			x.Time, x.IdleTime = times(e)
			out[i] = x
		}
	case sessionapi.Level2:
		slab := make([]sessionapi.SessionInfo2, len(sel))
		for i, e := range sel {
			x := &slab[i]
			x.ClientName, x.NumOpens = e.cname, e.openFiles
			x.UserName, x.UserFlags = who(e)
			x.ClientType = e.clientType
			x.Time, x.IdleTime = times(e)
			out[i] = x
		}
	case sessionapi.Level10:
		slab := make([]sessionapi.SessionInfo10, len(sel))
		for i, e := range sel {
			x := &slab[i]
			x.ClientName = e.cname
			x.UserName, _ = who(e)
			x.Time, x.IdleTime = times(e)
			out[i] = x
		}
	case sessionapi.Level502:
		slab := make([]sessionapi.SessionInfo502, len(sel))
		for i, e := range sel {
			x := &slab[i]
			x.ClientName, x.NumOpens = e.cname, e.openFiles
			x.UserName, x.UserFlags = who(e)
			x.ClientType, x.Transport = e.clientType, e.transport
			x.Time, x.IdleTime = times(e)
			out[i] = x
		}
	}
	return out
}

// del is NetrSessionDel on the server side (spec §8, Samba S13-S17). note explains a surprising
// answer for the recorded call.
func (s *Server) del(role Role, client, user string) (deleted int, note string, err error) {
	p := &s.profile
	checkAccess := func() error {
		if !p.CanDel(role) {
			return sessionapi.ERROR_ACCESS_DENIED
		}
		return nil
	}
	if p.AccessFirst {
		if err := checkAccess(); err != nil {
			return 0, "", err
		}
	}
	if p.CheckNames && p.MaxNameLength > 0 && (utf16Len(client)+1 > p.MaxNameLength || utf16Len(user)+1 > p.MaxNameLength) {
		return 0, "", sessionapi.ERROR_INVALID_PARAMETER
	}
	if client == "" && user == "" && p.DelBothEmpty != sessionapi.NERR_Success {
		return 0, "", p.DelBothEmpty
	}
	// Samba strips one `\\` and then treats an empty name as "any" (S15, S16); Windows requires
	// the `\\` (spec rule 59) and a given name, even an empty one after it, must match.
	bare, byClient := client, client != ""
	if p.DelStripsPrefix {
		bare = strings.TrimPrefix(client, `\\`)
		byClient = bare != ""
	} else if byClient {
		if !strings.HasPrefix(client, `\\`) {
			return 0, NoteDelNoPrefix, sessionapi.NERR_ClientNameNotFound
		}
		bare = client[2:]
	}
	if !p.AccessFirst {
		if err := checkAccess(); err != nil {
			return 0, "", err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.list[:0]
	for _, e := range s.list {
		if (!byClient || p.nameEqual(s.bare(e), bare)) && (user == "" || p.nameEqual(e.user, user)) {
			delete(s.byID, e.id)
			deleted++
			continue
		}
		kept = append(kept, e)
	}
	clear(s.list[len(kept):])
	s.list = kept
	if deleted == 0 {
		return 0, "", asError(p.DelNoMatch)
	}
	return deleted, "", nil
}

// asError turns a status from a profile field into the call's error: NERR_Success is no error
// (a profile may set BothFiltersMiss or DelNoMatch to NERR_Success to answer "nothing, and
// fine"), never an error that reads "NERR_Success (0)".
func asError(s sessionapi.Status) error {
	if s == sessionapi.NERR_Success {
		return nil
	}
	return s
}
