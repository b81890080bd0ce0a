package layout

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf16"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// MaxStringUnits bounds the UTF-16 code units read for one string before its terminator: the
// longest string a UNICODE_STRING can hold (65,534 bytes). Session strings are far shorter
// (client and user names are at most 1,024 characters, spec rule 5); the bound only stops a
// runaway read through a bad pointer in memory that has no end we can check.
const MaxStringUnits = 32767

// Memory gives read access to the memory a buffer lives in, by absolute address.
type Memory interface {
	// View returns the n bytes that start at addr. It returns an error, and never panics,
	// when any of them lies outside the memory. The caller only reads the slice, and only
	// until its next call.
	View(addr uint64, n int) ([]byte, error)
}

// ErrOutOfRange is wrapped by the errors of [Bytes.View] for bytes outside the slice.
var ErrOutOfRange = errors.New("address out of range")

// Bytes is a [Memory] held in a byte slice whose first byte is at address Base.
type Bytes struct {
	Base uint64
	Data []byte
}

// View returns Data[addr-Base : addr-Base+n], or an error wrapping [ErrOutOfRange] when that
// range is not inside Data.
func (b Bytes) View(addr uint64, n int) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("reading %d bytes at 0x%X: negative length", n, addr)
	}
	off := addr - b.Base // wraps to a huge number when addr < Base
	if addr < b.Base || off > uint64(len(b.Data)) || uint64(n) > uint64(len(b.Data))-off {
		return nil, fmt.Errorf("reading %d bytes at 0x%X: %w (memory is 0x%X..0x%X)",
			n, addr, ErrOutOfRange, b.Base, b.Base+uint64(len(b.Data)))
	}
	return b.Data[off : off+uint64(n)], nil
}

// ptrSize is the size of a pointer in the layout: 4 for x86, 8 for x64.
func ptrSize(a sessionapi.Arch) (int, error) {
	switch a {
	case sessionapi.X64:
		return 8, nil
	case sessionapi.X86:
		return 4, nil
	}
	return 0, fmt.Errorf("unknown layout %d: want x64 or x86", a)
}

// offsets are the byte offsets of a SESSION_INFO structure's members; -1 where the level has
// no such member. They follow from the C rules for the member lists of spec §3 (pointers, then
// DWORDs, natural alignment): p is the pointer size.
type offsets struct {
	cname, username, numOpens, time, idleTime, userFlags, cltype, transport int
}

func offsetsOf(l sessionapi.Level, p int) (offsets, bool) {
	o := offsets{-1, -1, -1, -1, -1, -1, -1, -1}
	switch l {
	case sessionapi.Level0:
		o.cname = 0
	case sessionapi.Level1, sessionapi.Level2, sessionapi.Level502:
		o.cname, o.username = 0, p
		o.numOpens, o.time, o.idleTime, o.userFlags = 2*p, 2*p+4, 2*p+8, 2*p+12
		if l != sessionapi.Level1 {
			o.cltype = 2*p + 16
		}
		if l == sessionapi.Level502 {
			o.transport = 3*p + 16
		}
	case sessionapi.Level10:
		o.cname, o.username = 0, p
		o.time, o.idleTime = 2*p, 2*p+4
	default:
		return o, false
	}
	return o, true
}

// Decode reads the entries entries of level l that start at addr in m, in layout a. A NULL
// string member reads as "". It fails, without panicking and without allocating more than
// the memory can back, when the array or a string is not in m, when a string has no
// terminator within [MaxStringUnits], or when the level or layout is unknown.
//
// entries == 0 gives an empty, non-nil slice and reads nothing: addr may then be 0.
func Decode(m Memory, addr uint64, entries uint32, l sessionapi.Level, a sessionapi.Arch) ([]sessionapi.Info, error) {
	p, err := ptrSize(a)
	if err != nil {
		return nil, err
	}
	o, ok := offsetsOf(l, p)
	if !ok {
		return nil, fmt.Errorf("unknown %s: want 0, 1, 2, 10 or 502", l)
	}
	if entries == 0 {
		return []sessionapi.Info{}, nil
	}
	if addr == 0 {
		return nil, fmt.Errorf("NULL buffer with %d entries", entries)
	}
	size := sessionapi.StructSize(l, a)
	// entries < 2^32 and size <= 48: the product fits an int64, but an int on 386 it may not.
	total := uint64(entries) * uint64(size)
	if total > math.MaxInt32 {
		return nil, fmt.Errorf("%d entries of %d bytes: larger than any buffer", entries, size)
	}
	// Check the whole array first, so a lying entry count fails before any allocation.
	array, err := m.View(addr, int(total))
	if err != nil {
		return nil, fmt.Errorf("SESSION_INFO_%d array of %d entries (%s): %w", uint32(l), entries, a, err)
	}
	// The slice is copied: a Memory may reuse it on the next View.
	array = append([]byte(nil), array...)
	out := make([]sessionapi.Info, 0, entries)
	for i := range int(entries) {
		e := entry{mem: m, raw: array[i*size : (i+1)*size], p: p}
		s := sessionapi.SessionInfo502{
			ClientName: e.str(o.cname),
			UserName:   e.str(o.username),
			NumOpens:   e.u32(o.numOpens),
			Time:       e.u32(o.time),
			IdleTime:   e.u32(o.idleTime),
			UserFlags:  sessionapi.Flags(e.u32(o.userFlags)),
			ClientType: e.str(o.cltype),
			Transport:  e.str(o.transport),
		}
		if e.err != nil {
			return nil, fmt.Errorf("entry %d of %d: %w", i, entries, e.err)
		}
		out = append(out, sessionapi.Narrow(&s, l))
	}
	return out, nil
}

// DecodeBytes is [Decode] over a byte slice holding the buffer and its strings, the slice's
// first byte being at address base, the array starting there.
func DecodeBytes(mem []byte, base uint64, entries uint32, l sessionapi.Level, a sessionapi.Arch) ([]sessionapi.Info, error) {
	return Decode(Bytes{Base: base, Data: mem}, base, entries, l, a)
}

// entry reads the members of one structure, keeping the first error.
type entry struct {
	mem Memory
	raw []byte
	p   int
	err error
}

func (e *entry) u32(off int) uint32 {
	if off < 0 {
		return 0
	}
	return binary.LittleEndian.Uint32(e.raw[off:])
}

func (e *entry) str(off int) string {
	if off < 0 || e.err != nil {
		return ""
	}
	var ptr uint64
	if e.p == 4 {
		ptr = uint64(binary.LittleEndian.Uint32(e.raw[off:]))
	} else {
		ptr = binary.LittleEndian.Uint64(e.raw[off:])
	}
	s, err := ReadString(e.mem, ptr)
	if err != nil {
		e.err = fmt.Errorf("string member at offset %d: %w", off, err)
	}
	return s
}

// ReadString reads the NUL-terminated UTF-16LE string at addr; 0 (NULL) reads as "". Unpaired
// surrogates become U+FFFD. It fails when the string leaves m or has no terminator within
// [MaxStringUnits] code units.
func ReadString(m Memory, addr uint64) (string, error) {
	if addr == 0 {
		return "", nil
	}
	var units []uint16
	for i := range uint64(MaxStringUnits + 1) {
		at := addr + 2*i
		if at < addr {
			return "", fmt.Errorf("string at 0x%X runs past the end of the address space", addr)
		}
		b, err := m.View(at, 2)
		if err != nil {
			return "", fmt.Errorf("string at 0x%X has no NUL terminator inside the memory: %w", addr, err)
		}
		u := binary.LittleEndian.Uint16(b)
		if u == 0 {
			return string(utf16.Decode(units)), nil
		}
		units = append(units, u)
	}
	return "", fmt.Errorf("string at 0x%X: no NUL terminator within %d code units", addr, MaxStringUnits)
}
