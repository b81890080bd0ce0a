package ndr

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// ErrShort is wrapped by every decoding error caused by data that ends too early or claims more
// than it holds.
var ErrShort = errors.New("ndr: data too short")

// ErrMalformed is wrapped by every decoding error caused by data that is present but invalid.
var ErrMalformed = errors.New("ndr: malformed data")

// MaxStringChars bounds one decoded string, terminator included. MS-SRVS caps the names it
// accepts at 1,024 characters; the bound is generous (64 Ki) so a real server never trips it,
// but it stops a single string from claiming the whole message.
const MaxStringChars = 1 << 16

// Syntax is a transfer syntax: NDR20 (32-bit NDR, the default everywhere) or NDR64. The two
// differ only in sizes and alignment here: NDR64 writes pointers and the counts of strings and
// arrays as 8-byte values aligned to 8, and aligns structures and unions that hold a pointer
// to 8 (MS-RPCE 2.2.5). One codec serves both; the methods on Syntax pick the widths.
type Syntax uint8

// The two transfer syntaxes.
const (
	// NDR20 is NDR 2.0, 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.
	NDR20 Syntax = iota
	// NDR64 is 71710533-beba-4937-8319-b5dbef9ccc36 v1, which Windows servers choose when a
	// client offers it (as netapi32 does).
	NDR64
)

// String returns "NDR20" or "NDR64".
func (s Syntax) String() string {
	switch s {
	case NDR20:
		return "NDR20"
	case NDR64:
		return "NDR64"
	}
	return fmt.Sprintf("Syntax(%d)", uint8(s))
}

// firstRefID is the first referent id the Microsoft stubs write: NDR20 counts up from it by 4,
// NDR64 (as in the Windows Server 2019 capture) writes it for every non-NULL pointer. Any
// non-zero value would do.
const firstRefID = 0x00020000

// writer appends NDR primitives to a buffer. It writes into b at offset n rather than
// appending to a slice field: storing an int costs nothing, while storing a slice header into
// a heap object costs a GC write barrier at every primitive.
type writer struct {
	b     []byte // zeroed beyond n: padding is left as is
	n     int
	refID uint32
	ndr64 bool
}

// reserve returns the next k bytes of the buffer, growing it when needed.
func (w *writer) reserve(k int) []byte {
	if w.n+k > len(w.b) {
		nb := make([]byte, max(2*len(w.b), w.n+k+256))
		copy(nb, w.b[:w.n])
		w.b = nb
	}
	p := w.b[w.n : w.n+k : w.n+k]
	w.n += k
	return p
}

// bytes returns what was written.
func (w *writer) bytes() []byte { return w.b[:w.n:w.n] }

func (w *writer) align(n int) {
	if pad := (n - w.n%n) % n; pad > 0 {
		w.reserve(pad)
	}
}

// alignStruct aligns a structure or union that holds a pointer: 4 in NDR20, 8 in NDR64.
func (w *writer) alignStruct() {
	if w.ndr64 {
		w.align(8)
	}
	w.align(4)
}

func (w *writer) u32(v uint32) {
	w.align(4)
	binary.LittleEndian.PutUint32(w.reserve(4), v)
}

// count writes a conformance or variance value (a string's or array's count): a uint32 in NDR20,
// a uint64 in NDR64.
func (w *writer) count(v uint32) {
	if w.ndr64 {
		w.align(8)
		binary.LittleEndian.PutUint64(w.reserve(8), uint64(v))
		return
	}
	w.u32(v)
}

// ptr writes a unique pointer's referent id: 0 for NULL.
func (w *writer) ptr(present bool) {
	var id uint32
	if present {
		if w.refID == 0 {
			w.refID = firstRefID
		}
		id = w.refID
		if !w.ndr64 {
			w.refID += 4
		}
	}
	w.count(id)
}

// str writes the pointee of a [string] wchar_t*: maximum count, offset 0, actual count (both
// counts in UTF-16 code units, terminator included), then the units. Whatever follows aligns
// itself.
func (w *writer) str(s string) {
	n := 1
	for _, c := range s {
		n += utf16.RuneLen(c)
	}
	w.count(uint32(n))
	w.count(0)
	w.count(uint32(n))
	p := w.reserve(2 * n)
	i := 0
	for _, c := range s {
		if c < 0x10000 {
			binary.LittleEndian.PutUint16(p[i:], uint16(c))
			i += 2
			continue
		}
		hi, lo := utf16.EncodeRune(c)
		binary.LittleEndian.PutUint16(p[i:], uint16(hi))
		binary.LittleEndian.PutUint16(p[i+2:], uint16(lo))
		i += 4
	}
	// The terminator's two bytes are already zero.
}

// uniqueStr writes a unique pointer to a string followed at once by its pointee, as NDR does
// for top-level parameters.
func (w *writer) uniqueStr(s *string) {
	w.ptr(s != nil)
	if s != nil {
		w.str(*s)
	}
}

// reader pulls NDR primitives from a buffer. The first error sticks: later reads return zero
// values, so a decoder can read a whole structure and check err once.
type reader struct {
	b     []byte
	off   int
	err   error
	ndr64 bool
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) remaining() int { return len(r.b) - r.off }

func (r *reader) align(n int) {
	if r.err != nil {
		return
	}
	pad := (n - r.off%n) % n
	if pad > r.remaining() {
		r.fail(fmt.Errorf("%w: alignment padding at offset %d", ErrShort, r.off))
		return
	}
	r.off += pad
}

func (r *reader) alignStruct() {
	if r.ndr64 {
		r.align(8)
	}
	r.align(4)
}

func (r *reader) u32(what string) uint32 { return r.u32p(what, "") }

// u32p reads a uint32 named what+part. The name is put together only for an error: decoding a
// big answer would otherwise spend most of its time concatenating labels.
func (r *reader) u32p(what, part string) uint32 {
	r.align(4)
	if r.err != nil {
		return 0
	}
	if r.remaining() < 4 {
		r.fail(fmt.Errorf("%w: %s%s at offset %d needs 4 bytes, %d left", ErrShort, what, part, r.off, r.remaining()))
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

// count reads a conformance or variance value. An NDR64 count above 2^32-1 is refused: nothing
// here can hold that many of anything.
func (r *reader) count(what, part string) uint32 {
	if !r.ndr64 {
		return r.u32p(what, part)
	}
	r.align(8)
	if r.err != nil {
		return 0
	}
	if r.remaining() < 8 {
		r.fail(fmt.Errorf("%w: %s%s at offset %d needs 8 bytes, %d left", ErrShort, what, part, r.off, r.remaining()))
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.off:])
	if v > 0xFFFFFFFF {
		r.fail(fmt.Errorf("%w: %s%s is %d, more than 32 bits", ErrMalformed, what, part, v))
		return 0
	}
	r.off += 8
	return uint32(v)
}

// ptr reads a unique pointer's referent id and reports whether it is non-NULL.
func (r *reader) ptr(what string) bool {
	if !r.ndr64 {
		return r.u32p(what, " pointer") != 0
	}
	r.align(8)
	if r.err != nil {
		return false
	}
	if r.remaining() < 8 {
		r.fail(fmt.Errorf("%w: %s pointer at offset %d needs 8 bytes, %d left", ErrShort, what, r.off, r.remaining()))
		return false
	}
	v := binary.LittleEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v != 0
}

// str reads the pointee of a [string] wchar_t*. It insists on offset 0, actual ≤ maximum, a
// NUL as the last unit and no more units than bytes left, so the allocation is bounded by the
// message itself.
func (r *reader) str(what string) string {
	maxCount := r.count(what, " maximum count")
	offset := r.count(what, " offset")
	actual := r.count(what, " actual count")
	if r.err != nil {
		return ""
	}
	switch {
	case offset != 0:
		r.fail(fmt.Errorf("%w: %s has offset %d, want 0", ErrMalformed, what, offset))
	case actual > maxCount:
		r.fail(fmt.Errorf("%w: %s has actual count %d > maximum count %d", ErrMalformed, what, actual, maxCount))
	case actual == 0:
		r.fail(fmt.Errorf("%w: %s has no terminating NUL (actual count 0)", ErrMalformed, what))
	case actual > MaxStringChars:
		r.fail(fmt.Errorf("%w: %s claims %d characters, limit %d", ErrMalformed, what, actual, MaxStringChars))
	case uint64(actual)*2 > uint64(r.remaining()):
		r.fail(fmt.Errorf("%w: %s claims %d characters (%d bytes), %d bytes left", ErrShort, what, actual, 2*uint64(actual), r.remaining()))
	}
	if r.err != nil {
		return ""
	}
	raw := r.b[r.off : r.off+2*int(actual)]
	r.off += len(raw)
	if binary.LittleEndian.Uint16(raw[len(raw)-2:]) != 0 {
		r.fail(fmt.Errorf("%w: %s is not NUL-terminated", ErrMalformed, what))
		return ""
	}
	return decodeUTF16(raw[:len(raw)-2])
}

// decodeUTF16 turns little-endian UTF-16 into a string, unpaired surrogates becoming U+FFFD.
// Names are mostly ASCII, which takes one allocation.
func decodeUTF16(raw []byte) string {
	ascii := true
	for i := 0; i < len(raw); i += 2 {
		if raw[i+1] != 0 || raw[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		b := make([]byte, len(raw)/2)
		for i := range b {
			b[i] = raw[2*i]
		}
		return string(b)
	}
	units := make([]uint16, len(raw)/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	return string(utf16.Decode(units))
}

func (r *reader) uniqueStr(what string) *string {
	if !r.ptr(what) {
		return nil
	}
	s := r.str(what)
	if r.err != nil {
		return nil
	}
	return &s
}
