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
func (c *Client) NetSessionEnum(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level, prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	s := c.srv
	call := Call{Op: OpEnum, Caller: c.caller, ServerName: serverName, UncClientName: uncClientName,
		UserName: userName, Level: level, PrefMaxLen: prefMaxLen}
	call.setResume(resume, true)
	res := sessionapi.EnumResult{Level: level}
	err := s.begin(ctx, &call)
	if err == nil {
		res, err = s.enum(c.caller.Role, s.profile.CanEnum, uncClientName, userName, level, prefMaxLen, resume)
	}
	call.setResume(resume, false)
	call.EntriesRead, call.TotalEntries = uint32(len(res.Entries)), res.TotalEntries
	s.record(&call, err)
	return res, err
}

// NetSessionGetInfo implements sessionapi.SessionAPI. Like netapi32 (spec rule 56), it is an
// enumeration with both names as filters, MAX_PREFERRED_LENGTH and no resume handle, whose
// first entry is the answer; the level and the two names are checked first, on the client side.
func (c *Client) NetSessionGetInfo(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level) (sessionapi.Info, error) {
	s := c.srv
	call := Call{Op: OpGetInfo, Caller: c.caller, ServerName: serverName, UncClientName: uncClientName,
		UserName: userName, Level: level}
	var info sessionapi.Info
	err := s.begin(ctx, &call)
	if err == nil {
		switch {
		case !level.ValidForGetInfo():
			err = sessionapi.ERROR_INVALID_LEVEL
		case uncClientName == "" || userName == "":
			err = sessionapi.ERROR_INVALID_PARAMETER // both are required (spec rule 52)
		default:
			var res sessionapi.EnumResult
			res, err = s.enum(c.caller.Role, s.profile.CanGetInfo, uncClientName, userName, level, sessionapi.MaxPreferredLength, nil)
			call.TotalEntries = res.TotalEntries
			if err == nil {
				if len(res.Entries) == 0 {
					err = sessionapi.ErrNoEntry
				} else {
					info = res.Entries[0]
					call.EntriesRead = 1
				}
			}
		}
	}
	s.record(&call, err)
	return info, err
}

// NetSessionDel implements sessionapi.SessionAPI.
func (c *Client) NetSessionDel(ctx context.Context, serverName, uncClientName, userName string) error {
	s := c.srv
	call := Call{Op: OpDel, Caller: c.caller, ServerName: serverName, UncClientName: uncClientName, UserName: userName}
	err := s.begin(ctx, &call)
	if err == nil {
		call.Deleted, err = s.del(c.caller.Role, uncClientName, userName)
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

	now := s.clock.Now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := len(s.list)

	// Position by the resume handle first (spec rule 16).
	start := 0
	if resume != nil {
		start = int(*resume)
	}
	pastEnd := start >= n && (start > 0 || p.Resume == ResumeSamba && resume != nil)
	if pastEnd {
		// Spec rule 27 (a non-zero handle at or past the end), Samba S11 (any handle at or past
		// the end): success with nothing.
		if resume != nil {
			*resume = 0
		}
		if !p.TotalFromResume {
			res.TotalEntries = uint32(n)
		}
		return res, nil
	}

	// A given name is a qualifier even when nothing follows the `\\`: `\\` alone matches no
	// session rather than all of them.
	byClient, byUser := p.HonorFilters && client != "", p.HonorFilters && user != ""
	filterClient := strings.TrimPrefix(client, `\\`)
	matches := func(e *entry) bool {
		return (!byClient || p.nameEqual(e.ClientName, filterClient)) && (!byUser || p.nameEqual(e.UserName, user))
	}
	filtered := byClient || byUser

	// Select what fits, and count what matches from the position (spec rules 18-20, 23).
	li := levelIndex[level]
	budget := -1 // unlimited
	if p.HonorPrefMaxLen && prefMaxLen != sessionapi.MaxPreferredLength {
		budget = int(prefMaxLen)
	}
	// Unfiltered, the selection is the window s.list[start:lastPos+1] and costs nothing;
	// filtered, it is collected, with room for what the budget can hold at the level's fixed
	// size (strings only make entries bigger).
	var sel []*entry
	if filtered {
		room := n - start
		if budget >= 0 {
			room = min(room, budget/sessionapi.StructSize(level, p.Arch)+1)
		}
		sel = make([]*entry, 0, room)
	}
	lastPos := start - 1 // the list position of the last selected entry
	full := false        // an entry that matched did not fit
	total := 0
	used := 0
	for i := start; i < n; i++ {
		e := s.list[i]
		if filtered && !matches(e) {
			continue
		}
		total++
		if full {
			continue
		}
		if budget >= 0 && used+e.sizes[li] > budget {
			full = true
			if !filtered {
				total += n - i - 1 // every later entry matches too: no need to look
				break
			}
			continue
		}
		used += e.sizes[li]
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
			case !full:
				*resume = 0
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
	idleZero := s.profile.IdleAlwaysZero
	at := instantOf(now)
	times := func(e *entry) (t, idle uint32) {
		t = e.created.secondsUntil(at)
		if !idleZero {
			idle = e.last.secondsUntil(at)
		}
		return t, idle
	}
	out := make([]sessionapi.Info, len(sel))
	switch level {
	case sessionapi.Level0:
		slab := make([]sessionapi.SessionInfo0, len(sel))
		for i, e := range sel {
			x := &slab[i]
			x.ClientName = e.cnameOut
			out[i] = x
		}
	case sessionapi.Level1:
		slab := make([]sessionapi.SessionInfo1, len(sel))
		for i, e := range sel {
			x := &slab[i]
			x.ClientName, x.UserName, x.NumOpens, x.UserFlags = e.cnameOut, e.userOut, e.OpenFiles, e.flagsOut
			x.Time, x.IdleTime = times(e)
			out[i] = x
		}
	case sessionapi.Level2:
		slab := make([]sessionapi.SessionInfo2, len(sel))
		for i, e := range sel {
			x := &slab[i]
			x.ClientName, x.UserName, x.NumOpens, x.UserFlags = e.cnameOut, e.userOut, e.OpenFiles, e.flagsOut
			x.ClientType = e.ClientType
			x.Time, x.IdleTime = times(e)
			out[i] = x
		}
	case sessionapi.Level10:
		slab := make([]sessionapi.SessionInfo10, len(sel))
		for i, e := range sel {
			x := &slab[i]
			x.ClientName, x.UserName = e.cnameOut, e.userOut
			x.Time, x.IdleTime = times(e)
			out[i] = x
		}
	case sessionapi.Level502:
		slab := make([]sessionapi.SessionInfo502, len(sel))
		for i, e := range sel {
			x := &slab[i]
			x.ClientName, x.UserName, x.NumOpens, x.UserFlags = e.cnameOut, e.userOut, e.OpenFiles, e.flagsOut
			x.ClientType, x.Transport = e.ClientType, e.Transport
			x.Time, x.IdleTime = times(e)
			out[i] = x
		}
	}
	return out
}

// del is NetrSessionDel on the server side (spec §8, Samba S13-S17).
func (s *Server) del(role Role, client, user string) (int, error) {
	p := &s.profile
	checkAccess := func() error {
		if !p.CanDel(role) {
			return sessionapi.ERROR_ACCESS_DENIED
		}
		return nil
	}
	if p.AccessFirst {
		if err := checkAccess(); err != nil {
			return 0, err
		}
	}
	if p.CheckNames && p.MaxNameLength > 0 && (utf16Len(client)+1 > p.MaxNameLength || utf16Len(user)+1 > p.MaxNameLength) {
		return 0, sessionapi.ERROR_INVALID_PARAMETER
	}
	if client == "" && user == "" && p.DelBothEmpty != sessionapi.NERR_Success {
		return 0, p.DelBothEmpty
	}
	// Samba strips one `\\` and then treats an empty name as "any" (S15, S16); Windows requires
	// the `\\` (spec rule 59) and a given name, even an empty one after it, must match.
	bare, byClient := client, client != ""
	if p.DelStripsPrefix {
		bare = strings.TrimPrefix(client, `\\`)
		byClient = bare != ""
	} else if byClient {
		if !strings.HasPrefix(client, `\\`) {
			return 0, sessionapi.NERR_ClientNameNotFound
		}
		bare = client[2:]
	}
	if !p.AccessFirst {
		if err := checkAccess(); err != nil {
			return 0, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.list[:0]
	deleted := 0
	for _, e := range s.list {
		if (!byClient || p.nameEqual(e.ClientName, bare)) && (user == "" || p.nameEqual(e.UserName, user)) {
			delete(s.byID, e.ID)
			deleted++
			continue
		}
		kept = append(kept, e)
	}
	clear(s.list[len(kept):])
	s.list = kept
	if deleted == 0 {
		return 0, asError(p.DelNoMatch)
	}
	return deleted, nil
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
