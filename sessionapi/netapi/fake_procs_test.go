package netapi

import (
	"fmt"
	"sort"
	"unicode/utf16"
	"unsafe"

	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/netapi/internal/layout"
)

// fakeProcs is a netapi32 stand-in with its own address space: the buffers it returns exist
// at made-up addresses, are laid out like Windows' (layout.Encode, itself checked against the
// spec's offsets), and it keeps track of which are freed, and how often.
type fakeProcs struct {
	layoutArch sessionapi.Arch
	next       uint64
	live       map[uint64][]byte // allocation base → bytes
	freed      map[uint64]int    // allocation base → NetApiBufferFree calls
	misuse     []string          // frees of unknown or freed buffers, reads of freed memory
	freeStatus uint32            // what NetApiBufferFree answers
	loadErr    error             // returned instead of calling, as for a missing export

	enum    func(c *call) reply
	getInfo func(c *call) reply
	del     func(c *call) uint32
	calls   []*call
}

// call is one call as netapi32 would see it: NULL strings as nil.
type call struct {
	fn                   string
	server, client, user *string
	level, prefMaxLen    uint32
	resume               *uint32
}

// reply is what the fake answers: the status, and a buffer holding entries when alloc is set
// (alloc with no entries still allocates, as a server might on an error).
type reply struct {
	status     sessionapi.Status
	alloc      bool
	entries    []sessionapi.Info
	read       *uint32 // entriesread; len(entries) when nil
	total      uint32
	nullBuffer bool // NERR_Success/ERROR_MORE_DATA with *bufptr left NULL
}

func newFake(a sessionapi.Arch) *fakeProcs {
	return &fakeProcs{layoutArch: a, next: 0x7FF6_0000, live: map[uint64][]byte{}, freed: map[uint64]int{}}
}

func (f *fakeProcs) arch() sessionapi.Arch { return f.layoutArch }

// goString reads a NUL-terminated UTF-16 string the code under test built; nil stays nil.
func goString(p *uint16) *string {
	if p == nil {
		return nil
	}
	var units []uint16
	for ; *p != 0; p = (*uint16)(unsafe.Add(unsafe.Pointer(p), 2)) {
		units = append(units, *p)
	}
	s := string(utf16.Decode(units))
	return &s
}

func (f *fakeProcs) record(fn string, server, client, user *uint16, level, prefMaxLen uint32, resume *uint32) *call {
	c := &call{fn: fn, server: goString(server), client: goString(client), user: goString(user),
		level: level, prefMaxLen: prefMaxLen, resume: resume}
	f.calls = append(f.calls, c)
	return c
}

// allocate places entries at a fresh address, past a gap so that buffers never touch.
func (f *fakeProcs) allocate(entries []sessionapi.Info) buffer {
	base := f.next
	mem, err := layout.Encode(entries, base, f.layoutArch)
	if err != nil {
		panic(fmt.Sprintf("fakeProcs: bad test entries: %v", err))
	}
	if len(mem) == 0 {
		mem = make([]byte, 8) // a real allocation is never empty
	}
	f.live[base] = mem
	f.next += (uint64(len(mem)) + 0x1FFF) &^ 0xFFF
	return fakeBuffer{f: f, base: base}
}

func (f *fakeProcs) answer(r reply, buf *buffer, read, total *uint32) uint32 {
	if r.alloc && !r.nullBuffer {
		*buf = f.allocate(r.entries)
	}
	if read != nil {
		*read = uint32(len(r.entries))
		if r.read != nil {
			*read = *r.read
		}
	}
	if total != nil {
		*total = r.total
	}
	return uint32(r.status)
}

func (f *fakeProcs) netSessionEnum(server, client, user *uint16, level uint32, buf *buffer, prefMaxLen uint32,
	entriesRead, totalEntries, resume *uint32) (uint32, error) {
	if f.loadErr != nil {
		return 0, f.loadErr
	}
	c := f.record("NetSessionEnum", server, client, user, level, prefMaxLen, resume)
	return f.answer(f.enum(c), buf, entriesRead, totalEntries), nil
}

func (f *fakeProcs) netSessionGetInfo(server, client, user *uint16, level uint32, buf *buffer) (uint32, error) {
	if f.loadErr != nil {
		return 0, f.loadErr
	}
	c := f.record("NetSessionGetInfo", server, client, user, level, 0, nil)
	return f.answer(f.getInfo(c), buf, nil, nil), nil
}

func (f *fakeProcs) netSessionDel(server, client, user *uint16) (uint32, error) {
	if f.loadErr != nil {
		return 0, f.loadErr
	}
	return f.del(f.record("NetSessionDel", server, client, user, 0, 0, nil)), nil
}

func (f *fakeProcs) netAPIBufferFree(buf buffer) (uint32, error) {
	b, ok := buf.(fakeBuffer)
	switch {
	case !ok:
		f.misuse = append(f.misuse, fmt.Sprintf("NetApiBufferFree(%T) of a buffer this fake did not allocate", buf))
	case f.live[b.base] == nil:
		f.misuse = append(f.misuse, fmt.Sprintf("NetApiBufferFree(0x%X) of a freed or unknown buffer", b.base))
	default:
		delete(f.live, b.base)
	}
	if ok {
		f.freed[b.base]++
	}
	return f.freeStatus, nil
}

// leaked lists the buffers never freed, by address.
func (f *fakeProcs) leaked() []string {
	var out []string
	for base := range f.live {
		out = append(out, fmt.Sprintf("0x%X", base))
	}
	sort.Strings(out)
	return out
}

// allocations is how many buffers the fake handed out.
func (f *fakeProcs) allocations() int { return len(f.live) + len(f.freed) }

type fakeBuffer struct {
	f    *fakeProcs
	base uint64
}

func (b fakeBuffer) address() uint64 { return b.base }

// View reads from whichever live allocation holds the range: like real memory, a pointer may
// lead out of this buffer, but never into freed memory or between allocations.
func (b fakeBuffer) View(addr uint64, n int) ([]byte, error) {
	for base, mem := range b.f.live {
		if v, err := (layout.Bytes{Base: base, Data: mem}).View(addr, n); err == nil {
			return v, nil
		}
	}
	if b.f.live[b.base] == nil {
		b.f.misuse = append(b.f.misuse, fmt.Sprintf("read at 0x%X after buffer 0x%X was freed", addr, b.base))
	}
	return nil, fmt.Errorf("reading %d bytes at 0x%X: %w", n, addr, layout.ErrOutOfRange)
}
