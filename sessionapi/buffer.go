package sessionapi

import "unicode/utf16"

// Arch is the pointer size that fixes the SESSION_INFO layouts (spec §3).
type Arch uint8

// The layouts. X64 is the default: it is what a current Windows server runs.
const (
	X64 Arch = iota // 8-byte pointers
	X86             // 4-byte pointers
)

// String returns "x64" or "x86".
func (a Arch) String() string {
	if a == X86 {
		return "x86"
	}
	return "x64"
}

// StructSize returns sizeof(SESSION_INFO_<level>) for the layout, 0 for an unknown level. The
// numbers are those measured with mingw-w64's lmshare.h (spec §3).
func StructSize(l Level, a Arch) int {
	x86 := a == X86
	pick := func(s86, s64 int) int {
		if x86 {
			return s86
		}
		return s64
	}
	switch l {
	case Level0:
		return pick(4, 8)
	case Level1:
		return pick(24, 32)
	case Level2:
		return pick(28, 40)
	case Level10:
		return pick(16, 24)
	case Level502:
		return pick(32, 48)
	}
	return 0
}

// StringSize returns the bytes a string takes in a Windows buffer: UTF-16 code units plus the
// NUL terminator, two bytes each.
func StringSize(s string) int {
	n := 0
	for _, r := range s {
		if utf16.RuneLen(r) == 2 {
			n += 2
		} else {
			n++
		}
	}
	return 2 * (n + 1)
}

// EntrySize returns the bytes one entry takes of a prefmaxlen budget: its fixed structure plus
// every string member it carries, each with its terminator (an empty string still costs its
// terminator: we count every member as a non-NULL pointer, spec §12 Q5).
func EntrySize(info Info, a Arch) int {
	w, _ := Widen(info)
	return LevelSize(&w, info.Level(), a)
}

// LevelSize returns the bytes s takes when returned at level l: [EntrySize] for an entry held
// in its widest form, without narrowing it first.
func LevelSize(s *SessionInfo502, l Level, a Arch) int {
	n := StructSize(l, a)
	if n == 0 {
		return 0
	}
	f := FieldsOf(l)
	n += StringSize(s.ClientName)
	if f.Has(FieldUserName) {
		n += StringSize(s.UserName)
	}
	if f.Has(FieldClientType) {
		n += StringSize(s.ClientType)
	}
	if f.Has(FieldTransport) {
		n += StringSize(s.Transport)
	}
	return n
}

// ResultSize returns the bytes of a whole enumeration result: the sum of its entries.
func ResultSize(entries []Info, a Arch) int {
	n := 0
	for _, e := range entries {
		n += EntrySize(e, a)
	}
	return n
}
