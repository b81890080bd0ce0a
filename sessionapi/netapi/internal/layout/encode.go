package layout

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode/utf16"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Encode lays entries out as netapi32 returns them, for a buffer whose first byte will be at
// address base: the SESSION_INFO array first, then the strings, each NUL-terminated UTF-16LE,
// every string member a non-NULL pointer (an empty string points at a lone terminator). So
// len(result) == [sessionapi.ResultSize](entries, a). It is for fakes and tests; Windows' own
// order of the strings after the array is not specified anywhere and does not matter to
// [Decode].
//
// All entries must be of one level; base 0 (NULL) and a string containing NUL cannot be represented and is an
// error, as is a buffer that would not fit the layout's address space.
func Encode(entries []sessionapi.Info, base uint64, a sessionapi.Arch) ([]byte, error) {
	p, err := ptrSize(a)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return []byte{}, nil
	}
	if base == 0 {
		return nil, fmt.Errorf("a buffer cannot start at address 0: that is NULL")
	}
	for i, info := range entries {
		if info == nil {
			return nil, fmt.Errorf("entry %d is nil", i)
		}
	}
	l := entries[0].Level()
	o, ok := offsetsOf(l, p)
	if !ok {
		return nil, fmt.Errorf("unknown %s", l)
	}
	size := sessionapi.StructSize(l, a)
	buf := make([]byte, size*len(entries), sessionapi.ResultSize(entries, a))
	for i, info := range entries {
		if info.Level() != l {
			return nil, fmt.Errorf("entry %d is at %s, entry 0 at %s: one buffer holds one level", i, info.Level(), l)
		}
		s, _ := sessionapi.Widen(info)
		// Index buf afresh on every write: the appends below may move it.
		at := i * size
		put32 := func(off int, v uint32) {
			if off >= 0 {
				binary.LittleEndian.PutUint32(buf[at+off:], v)
			}
		}
		put32(o.numOpens, s.NumOpens)
		put32(o.time, s.Time)
		put32(o.idleTime, s.IdleTime)
		put32(o.userFlags, uint32(s.UserFlags))
		for _, m := range []struct {
			off int
			s   string
		}{{o.cname, s.ClientName}, {o.username, s.UserName}, {o.cltype, s.ClientType}, {o.transport, s.Transport}} {
			if m.off < 0 {
				continue
			}
			if strings.IndexByte(m.s, 0) >= 0 {
				return nil, fmt.Errorf("entry %d: string %q contains NUL", i, m.s)
			}
			addr := base + uint64(len(buf))
			if p == 4 {
				if addr > math.MaxUint32 {
					return nil, fmt.Errorf("entry %d: address 0x%X does not fit an x86 pointer", i, addr)
				}
				binary.LittleEndian.PutUint32(buf[at+m.off:], uint32(addr))
			} else {
				binary.LittleEndian.PutUint64(buf[at+m.off:], addr)
			}
			for _, u := range utf16.Encode([]rune(m.s)) {
				buf = binary.LittleEndian.AppendUint16(buf, u)
			}
			buf = append(buf, 0, 0)
		}
	}
	return buf, nil
}
