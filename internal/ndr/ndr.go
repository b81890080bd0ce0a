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

// writer appends NDR primitives to a buffer. Referent ids count up from 0x00020000 as the
// Microsoft stubs do; any non-zero value would do.
type writer struct {
	b     []byte
	refID uint32
}

func (w *writer) align4() {
	for len(w.b)%4 != 0 {
		w.b = append(w.b, 0)
	}
}

func (w *writer) u32(v uint32) {
	w.align4()
	w.b = binary.LittleEndian.AppendUint32(w.b, v)
}

// ptr writes a unique pointer's referent id: 0 for NULL.
func (w *writer) ptr(present bool) {
	if !present {
		w.u32(0)
		return
	}
	if w.refID == 0 {
		w.refID = 0x00020000
	}
	w.u32(w.refID)
	w.refID += 4
}

// str writes the pointee of a [string] wchar_t*: maximum count, offset 0, actual count (both
// counts in UTF-16 code units, terminator included), the units, then padding to 4.
func (w *writer) str(s string) {
	u := utf16.Encode([]rune(s))
	n := uint32(len(u) + 1)
	w.u32(n)
	w.u32(0)
	w.u32(n)
	for _, c := range u {
		w.b = binary.LittleEndian.AppendUint16(w.b, c)
	}
	w.b = append(w.b, 0, 0)
	w.align4()
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
	b   []byte
	off int
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) remaining() int { return len(r.b) - r.off }

func (r *reader) align4() {
	if r.err != nil {
		return
	}
	pad := (4 - r.off%4) % 4
	if pad > r.remaining() {
		r.fail(fmt.Errorf("%w: alignment padding at offset %d", ErrShort, r.off))
		return
	}
	r.off += pad
}

func (r *reader) u32(what string) uint32 {
	r.align4()
	if r.err != nil {
		return 0
	}
	if r.remaining() < 4 {
		r.fail(fmt.Errorf("%w: %s at offset %d needs 4 bytes, %d left", ErrShort, what, r.off, r.remaining()))
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

// ptr reads a unique pointer's referent id and reports whether it is non-NULL.
func (r *reader) ptr(what string) bool { return r.u32(what+" pointer") != 0 }

// str reads the pointee of a [string] wchar_t*. It insists on offset 0, actual ≤ maximum, a
// NUL as the last unit and no more units than bytes left, so the allocation is bounded by the
// message itself.
func (r *reader) str(what string) string {
	maxCount := r.u32(what + " maximum count")
	offset := r.u32(what + " offset")
	actual := r.u32(what + " actual count")
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
	units := make([]uint16, actual)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(r.b[r.off:])
		r.off += 2
	}
	if units[actual-1] != 0 {
		r.fail(fmt.Errorf("%w: %s is not NUL-terminated", ErrMalformed, what))
		return ""
	}
	return string(utf16.Decode(units[:actual-1]))
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
