package netapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/netapi/internal/layout"
)

// API calls netapi32 of the running process. The zero value is ready to use; it is safe for
// concurrent use, as the netapi32 functions are.
type API struct {
	// procs replaces netapi32 in tests; nil means the real one.
	procs procs
}

var _ sessionapi.SessionAPI = (*API)(nil)

// ErrNotWindows is returned, wrapping [errors.ErrUnsupported], by every call on a system
// other than Windows.
var ErrNotWindows = fmt.Errorf("netapi: netapi32.dll exists only on Windows: %w", errors.ErrUnsupported)

// procs is the netapi32 calling layer: the functions with their Win32 parameters, each
// returning the NET_API_STATUS, and an error only when the function could not be called at
// all (netapi32.dll or the export missing).
type procs interface {
	// arch is the layout of the structures the calls return.
	arch() sessionapi.Arch
	netSessionEnum(server, client, user *uint16, level uint32, buf *buffer, prefMaxLen uint32,
		entriesRead, totalEntries, resume *uint32) (uint32, error)
	netSessionGetInfo(server, client, user *uint16, level uint32, buf *buffer) (uint32, error)
	netSessionDel(server, client, user *uint16) (uint32, error)
	netAPIBufferFree(buf buffer) (uint32, error)
}

// buffer is a buffer netapi32 allocated (*bufptr after a call): its address and read access
// to it and to whatever its pointers point to. A nil buffer is a NULL *bufptr.
type buffer interface {
	layout.Memory
	address() uint64
}

func (a *API) system() (procs, error) {
	if a.procs != nil {
		return a.procs, nil
	}
	if system == nil {
		return nil, ErrNotWindows
	}
	return system, nil
}

// args are the three string parameters, converted.
type args struct{ server, client, user *uint16 }

// prepare checks ctx, finds the procs and converts the strings: everything before the call.
func (a *API) prepare(ctx context.Context, fn, serverName, uncClientName, userName string) (procs, args, error) {
	if err := ctx.Err(); err != nil {
		return nil, args{}, err
	}
	p, err := a.system()
	if err != nil {
		return nil, args{}, err
	}
	var s args
	for _, c := range []struct {
		dst   **uint16
		name  string
		value string
	}{{&s.server, "servername", serverName}, {&s.client, "UncClientName", uncClientName}, {&s.user, "username", userName}} {
		if *c.dst, err = utf16Ptr(c.value); err != nil {
			return nil, args{}, fmt.Errorf("netapi: %s %s: %w", fn, c.name, err)
		}
	}
	return p, s, nil
}

// errNUL is returned for a string parameter that contains NUL, which a C string cannot carry
// (it would silently cut the string short).
var errNUL = errors.New("contains a NUL character, which a C string cannot carry")

// utf16Ptr converts s to a NUL-terminated UTF-16 string; "" becomes NULL (spec rule 3: an
// empty qualifier means "not specified", exactly like NULL). Invalid UTF-8 becomes U+FFFD.
func utf16Ptr(s string) (*uint16, error) {
	if s == "" {
		return nil, nil
	}
	if strings.IndexByte(s, 0) >= 0 {
		return nil, fmt.Errorf("%q %w", s, errNUL)
	}
	u := append(utf16.Encode([]rune(s)), 0)
	return &u[0], nil
}

// NetSessionEnum calls netapi32's NetSessionEnum. See [sessionapi.SessionAPI]. The buffer is
// freed before it returns, whatever the status.
func (a *API) NetSessionEnum(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level, prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	res := sessionapi.EnumResult{Level: level}
	p, s, err := a.prepare(ctx, "NetSessionEnum", serverName, uncClientName, userName)
	if err != nil {
		return res, err
	}
	var (
		buf         buffer
		read, total uint32
	)
	st, err := p.netSessionEnum(s.server, s.client, s.user, uint32(level), &buf, prefMaxLen, &read, &total, resume)
	if err != nil {
		return res, join(fmt.Errorf("netapi: NetSessionEnum: %w", err), free(p, buf))
	}
	status := sessionapi.Status(st)
	var entries []sessionapi.Info
	var decodeErr error
	if status == sessionapi.NERR_Success || status == sessionapi.ERROR_MORE_DATA {
		// Copy out before the free below: the strings live in the buffer.
		entries, decodeErr = decode(p, buf, read, level)
	}
	freeErr := free(p, buf)
	if decodeErr != nil {
		// Not wrapped as the status: a caller looping on ERROR_MORE_DATA must stop here.
		return res, join(fmt.Errorf("netapi: NetSessionEnum(%s) returned %v with a buffer that cannot be read: %w",
			level, status, decodeErr), freeErr)
	}
	if status != sessionapi.NERR_Success && status != sessionapi.ERROR_MORE_DATA {
		return res, join(status, freeErr)
	}
	res.Entries, res.TotalEntries = entries, total
	if status == sessionapi.ERROR_MORE_DATA {
		return res, join(status, freeErr)
	}
	return res, freeErr
}

// NetSessionGetInfo calls netapi32's NetSessionGetInfo. See [sessionapi.SessionAPI]. The
// level is passed through unchecked, so Windows' own answer to a bad level comes back.
func (a *API) NetSessionGetInfo(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level) (sessionapi.Info, error) {
	p, s, err := a.prepare(ctx, "NetSessionGetInfo", serverName, uncClientName, userName)
	if err != nil {
		return nil, err
	}
	var buf buffer
	st, err := p.netSessionGetInfo(s.server, s.client, s.user, uint32(level), &buf)
	if err != nil {
		return nil, join(fmt.Errorf("netapi: NetSessionGetInfo: %w", err), free(p, buf))
	}
	status := sessionapi.Status(st)
	if status != sessionapi.NERR_Success {
		return nil, join(status, free(p, buf))
	}
	if buf == nil {
		// decode would accept a NULL buffer for 0 entries; GetInfo must return one.
		return nil, fmt.Errorf("netapi: NetSessionGetInfo(%s) returned NERR_Success with a NULL buffer", level)
	}
	entries, decodeErr := decode(p, buf, 1, level)
	freeErr := free(p, buf)
	if decodeErr != nil {
		return nil, join(fmt.Errorf("netapi: NetSessionGetInfo(%s) returned NERR_Success with a buffer that cannot be read: %w",
			level, decodeErr), freeErr)
	}
	return entries[0], freeErr
}

// NetSessionDel calls netapi32's NetSessionDel. See [sessionapi.SessionAPI].
func (a *API) NetSessionDel(ctx context.Context, serverName, uncClientName, userName string) error {
	p, s, err := a.prepare(ctx, "NetSessionDel", serverName, uncClientName, userName)
	if err != nil {
		return err
	}
	st, err := p.netSessionDel(s.server, s.client, s.user)
	if err != nil {
		return fmt.Errorf("netapi: NetSessionDel: %w", err)
	}
	if st != 0 {
		return sessionapi.Status(st)
	}
	return nil
}

// join is errors.Join that returns primary itself when there is nothing to add, so that a
// bare status stays a bare Status (comparable with ==, not only with errors.Is).
func join(primary, extra error) error {
	switch {
	case extra == nil:
		return primary
	case primary == nil:
		return extra
	}
	return errors.Join(primary, extra)
}

// decode reads n entries of the level from buf, in the procs' layout.
func decode(p procs, buf buffer, n uint32, level sessionapi.Level) ([]sessionapi.Info, error) {
	if buf == nil {
		if n == 0 {
			return []sessionapi.Info{}, nil
		}
		return nil, fmt.Errorf("NULL buffer with entriesread=%d", n)
	}
	return layout.Decode(buf, buf.address(), n, level, p.arch())
}

// free releases buf with NetApiBufferFree; nothing for a NULL buffer. A failure is reported
// as text, not as a wrapped Status, so that it cannot be mistaken for the call's own status.
func free(p procs, buf buffer) error {
	if buf == nil {
		return nil
	}
	st, err := p.netAPIBufferFree(buf)
	if err != nil {
		return fmt.Errorf("netapi: NetApiBufferFree(0x%X): %w", buf.address(), err)
	}
	if st != 0 {
		return fmt.Errorf("netapi: NetApiBufferFree(0x%X) = %v", buf.address(), sessionapi.Status(st))
	}
	return nil
}
