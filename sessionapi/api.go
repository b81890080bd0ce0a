package sessionapi

import (
	"context"
	"errors"
	"fmt"
	"iter"
)

// MaxPreferredLength asks NetSessionEnum for all the data, however large: ((DWORD)-1).
const MaxPreferredLength uint32 = 0xFFFFFFFF

// SessionAPI is the portable form of the three netapi32 session functions. Parameters follow
// the Win32 signatures in order; an empty string stands for NULL (see the package doc).
//
// Implementations return a [Status] (or an error wrapping one) for every NET_API_STATUS the
// server answers with, so callers can use errors.Is(err, sessionapi.ERROR_ACCESS_DENIED) alike
// against the fake and a real server. Transport problems and a done context come back as other
// errors.
type SessionAPI interface {
	// NetSessionEnum lists sessions at the given level. prefMaxLen is the preferred maximum
	// size of the returned data in bytes, or MaxPreferredLength for all of it.
	//
	// prefMaxLen 0 is a real budget of zero bytes here, as in Win32: no entry fits, and a
	// Windows server answers ERROR_MORE_DATA with no entries. (In [EnumRequest], for [All],
	// PrefMaxLen 0 means MaxPreferredLength instead.) Pass MaxPreferredLength to get everything.
	//
	// resume is the resume handle: nil for none, else *resume must be 0 on the first call and
	// is updated by the server. On an error other than ERROR_MORE_DATA the handle is not
	// changed, so the same page can be asked for again. Its value after NERR_Success is the
	// server's own (0 on Samba, non-zero on Windows): stop on the status, never on the handle.
	//
	// On ERROR_MORE_DATA the result holds the entries that fit and err is ERROR_MORE_DATA:
	// process them, then call again with the same resume handle (or use [All]).
	NetSessionEnum(ctx context.Context, serverName, uncClientName, userName string,
		level Level, prefMaxLen uint32, resume *uint32) (EnumResult, error)

	// NetSessionGetInfo returns the one session of a client and user, at levels 0, 1, 2, 10.
	NetSessionGetInfo(ctx context.Context, serverName, uncClientName, userName string,
		level Level) (Info, error)

	// NetSessionDel ends every session that matches the client name and/or user name.
	NetSessionDel(ctx context.Context, serverName, uncClientName, userName string) error
}

// EnumResult is what one NetSessionEnum call returns beside its status.
type EnumResult struct {
	Level Level
	// Entries is the buffer's array (len = *entriesread). Each is of Level's type.
	Entries []Info
	// TotalEntries is *totalentries: on Windows, the entries that could have been enumerated
	// from the current resume position (only a hint, spec rule 11).
	TotalEntries uint32
}

// EnumRequest holds NetSessionEnum's arguments apart from the resume handle, for [All].
type EnumRequest struct {
	ServerName    string
	UncClientName string
	UserName      string
	Level         Level
	// PrefMaxLen is the budget of each page. 0 means MaxPreferredLength (everything in one
	// call, unlike NetSessionEnum itself, where 0 is a real budget of zero bytes). Set it to
	// MaxPreferredLength to say so explicitly.
	PrefMaxLen uint32
	// MaxEntries bounds the entries [All] yields and [Collect] keeps, so that a server that
	// keeps answering ERROR_MORE_DATA with new entries cannot grow a caller without end: 0
	// means DefaultMaxEntries, a negative number no bound. One entry more than MaxEntries
	// ends the enumeration with [ErrTooManyEntries].
	MaxEntries int
}

// DefaultMaxEntries is the bound on one enumeration's entries when EnumRequest.MaxEntries is
// 0: a million sessions, far beyond any real server (the largest file servers hold tens of
// thousands), and about 100-200 MB of entries at level 502.
const DefaultMaxEntries = 1_000_000

// ErrTooManyEntries is yielded by [All] (and returned by [Collect], with the first MaxEntries
// entries) when a server returns more entries than EnumRequest.MaxEntries allows.
var ErrTooManyEntries = errors.New("sessionapi: the server returned more entries than EnumRequest.MaxEntries allows")

// ErrNoProgress is returned by [All] when a server answers ERROR_MORE_DATA without moving on:
// no entries and an unchanged resume handle (prefmaxlen smaller than one entry, or a server bug
// like the one reported for NetWkstaUserEnum, spec rule 81). Looping would never end.
var ErrNoProgress = errors.New("sessionapi: ERROR_MORE_DATA without progress: no entries and the resume handle did not move")

// MaxPages bounds the calls [All] makes for one enumeration, so a server that keeps answering
// ERROR_MORE_DATA with new handles cannot keep a caller forever.
const MaxPages = 1 << 20

// All enumerates every session that matches req, calling NetSessionEnum until it answers
// NERR_Success, and yields each entry once per page that returned it (a server whose session
// list changes between pages may return a session twice or skip one, spec rule 29).
//
// It stops on the status alone, never on the resume handle: Windows leaves a non-zero handle
// after NERR_Success (18 in a real capture), Samba leaves 0.
//
// It yields (nil, err) once and stops on any status other than NERR_Success and
// ERROR_MORE_DATA, on a done context, with [ErrNoProgress] when the server stops making
// progress, after [MaxPages] pages, and with [ErrTooManyEntries] when one more entry than
// req.MaxEntries arrives. Breaking out of the loop early is fine: nothing is left to free.
//
// A page that fails is not retried: the resume handle is still the one that page was asked
// with, so a caller that wants to retry can start a new All (from the beginning: All does not
// expose its handle) or page by hand with NetSessionEnum.
func All(ctx context.Context, api SessionAPI, req EnumRequest) iter.Seq2[Info, error] {
	return func(yield func(Info, error) bool) {
		prefMaxLen := req.PrefMaxLen
		if prefMaxLen == 0 {
			prefMaxLen = MaxPreferredLength
		}
		limit := req.MaxEntries
		if limit == 0 {
			limit = DefaultMaxEntries
		}
		yielded := 0
		var resume uint32
		for page := 0; ; page++ {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			if page == MaxPages {
				yield(nil, fmt.Errorf("sessionapi: gave up after %d pages of ERROR_MORE_DATA", MaxPages))
				return
			}
			before := resume
			res, err := api.NetSessionEnum(ctx, req.ServerName, req.UncClientName, req.UserName,
				req.Level, prefMaxLen, &resume)
			more := errors.Is(err, ERROR_MORE_DATA)
			if err != nil && !more {
				yield(nil, err)
				return
			}
			for _, e := range res.Entries {
				if limit > 0 && yielded == limit {
					yield(nil, fmt.Errorf("%w: more than %d entries, at page %d", ErrTooManyEntries, limit, page+1))
					return
				}
				yielded++
				if !yield(e, nil) {
					return
				}
			}
			if !more {
				return
			}
			if len(res.Entries) == 0 && resume == before {
				yield(nil, fmt.Errorf("%w (prefmaxlen=%d, resume handle=%d)", ErrNoProgress, prefMaxLen, resume))
				return
			}
		}
	}
}

// Collect runs [All] and returns the entries in order, stopping at the first error (and
// returning the entries read before it: with [ErrTooManyEntries], the first req.MaxEntries).
func Collect(ctx context.Context, api SessionAPI, req EnumRequest) ([]Info, error) {
	var out []Info
	for e, err := range All(ctx, api, req) {
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

// ErrNoEntry is returned by NetSessionGetInfo when the server answers the underlying
// enumeration with NERR_Success and no entry at all. Windows does not document this case;
// Samba, which ignores the filters (spec §13 S8), can produce it on a server with no sessions.
// It is a Go error, not a Win32 status, because no server said any status.
var ErrNoEntry = errors.New("sessionapi: NetSessionGetInfo: the server returned success with no entry")
