package layout

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// specLayout is a SESSION_INFO structure as spec §3 gives it: size and member offsets, -1 for
// a member the level lacks. The numbers are copied from the spec's table by hand, not computed,
// so that a mistake in offsetsOf shows up here instead of cancelling out.
type specLayout struct {
	size                                                                int
	cname, username, numOpens, time, idleTime, flags, cltype, transport int
}

var specLayouts = map[sessionapi.Arch]map[sessionapi.Level]specLayout{
	sessionapi.X86: {
		sessionapi.Level0:   {4, 0, -1, -1, -1, -1, -1, -1, -1},
		sessionapi.Level1:   {24, 0, 4, 8, 12, 16, 20, -1, -1},
		sessionapi.Level2:   {28, 0, 4, 8, 12, 16, 20, 24, -1},
		sessionapi.Level10:  {16, 0, 4, -1, 8, 12, -1, -1, -1},
		sessionapi.Level502: {32, 0, 4, 8, 12, 16, 20, 24, 28},
	},
	sessionapi.X64: {
		sessionapi.Level0:   {8, 0, -1, -1, -1, -1, -1, -1, -1},
		sessionapi.Level1:   {32, 0, 8, 16, 20, 24, 28, -1, -1},
		sessionapi.Level2:   {40, 0, 8, 16, 20, 24, 28, 32, -1},
		sessionapi.Level10:  {24, 0, 8, -1, 16, 20, -1, -1, -1},
		sessionapi.Level502: {48, 0, 8, 16, 20, 24, 28, 32, 40},
	},
}

// rawEntry is one structure to lay out by hand. A nil string member is written as a NULL
// pointer.
type rawEntry struct {
	cname, username, cltype, transport *string
	numOpens, time, idleTime, flags    uint32
}

func str(s string) *string { return &s }

// handLayout writes entries into memory starting at base, the way spec §3 describes it: the
// array, then each entry's strings in member order. It shares no code with Encode or Decode.
func handLayout(t testing.TB, a sessionapi.Arch, l sessionapi.Level, base uint64, entries []rawEntry) []byte {
	t.Helper()
	sl := specLayouts[a][l]
	mem := make([]byte, sl.size*len(entries))
	putPtr := func(at int, v uint64) {
		if a == sessionapi.X86 {
			binary.LittleEndian.PutUint32(mem[at:], uint32(v))
		} else {
			binary.LittleEndian.PutUint64(mem[at:], v)
		}
	}
	for i, e := range entries {
		at := i * sl.size
		for _, n := range []struct {
			off int
			v   uint32
		}{{sl.numOpens, e.numOpens}, {sl.time, e.time}, {sl.idleTime, e.idleTime}, {sl.flags, e.flags}} {
			if n.off >= 0 {
				binary.LittleEndian.PutUint32(mem[at+n.off:], n.v)
			}
		}
		for _, s := range []struct {
			off int
			v   *string
		}{{sl.cname, e.cname}, {sl.username, e.username}, {sl.cltype, e.cltype}, {sl.transport, e.transport}} {
			if s.off < 0 {
				continue
			}
			if s.v == nil {
				putPtr(at+s.off, 0)
				continue
			}
			putPtr(at+s.off, base+uint64(len(mem)))
			for _, u := range utf16.Encode([]rune(*s.v)) {
				mem = binary.LittleEndian.AppendUint16(mem, u)
			}
			mem = append(mem, 0, 0)
		}
	}
	return mem
}

// want is what Decode must make of e at level l: NULL strings read as "".
func want(e rawEntry, l sessionapi.Level) sessionapi.Info {
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return sessionapi.Narrow(&sessionapi.SessionInfo502{
		ClientName: deref(e.cname), UserName: deref(e.username), NumOpens: e.numOpens, Time: e.time,
		IdleTime: e.idleTime, UserFlags: sessionapi.Flags(e.flags), ClientType: deref(e.cltype),
		Transport: deref(e.transport),
	}, l)
}

// sample holds the entries of the table tests: plain ASCII, NULL members, empty strings and
// non-ASCII text including a surrogate pair.
var sample = map[string][]rawEntry{
	"typical": {{
		cname: str(`\\127.0.0.1`), username: str("alice"), cltype: str("DOS LM 2.0"), transport: str(`\Device\NetbiosSmb`),
		numOpens: 3, time: 120, idleTime: 7, flags: 0,
	}, {
		cname: str(`\\10.0.0.2`), username: str("guest"), cltype: str(""), transport: str("tcp"),
		numOpens: 0, time: 0xFFFFFFFF, idleTime: 0, flags: uint32(sessionapi.SessGuest | sessionapi.SessNoEncryption),
	}},
	"NULL members": {{
		cname: str(`\\ws01`), username: nil, cltype: nil, transport: nil, numOpens: 1, time: 2, idleTime: 3, flags: 1,
	}, {
		cname: nil, username: nil, cltype: nil, transport: nil,
	}},
	"empty strings": {{
		cname: str(""), username: str(""), cltype: str(""), transport: str(""), numOpens: 9,
	}},
	"non-ASCII": {{
		cname: str(`\\ПК-01`), username: str("Jürgen 𝔘ser"), cltype: str("日本語"), transport: str("🖧"),
		numOpens: 0x12345678, time: 0x9ABCDEF0, idleTime: 42, flags: 0x80000002,
	}},
	"none": {},
}

func TestDecodeHandLaidBuffers(t *testing.T) {
	for _, a := range []sessionapi.Arch{sessionapi.X64, sessionapi.X86} {
		for _, l := range sessionapi.Levels() {
			for name, entries := range sample {
				t.Run(fmt.Sprintf("%s/%s/%s", a, l, name), func(t *testing.T) {
					const base = 0x10_0000
					mem := handLayout(t, a, l, base, entries)
					got, err := DecodeBytes(mem, base, uint32(len(entries)), l, a)
					require.NoError(t, err, "DecodeBytes(%d bytes, entries=%d, %s, %s)", len(mem), len(entries), l, a)
					wantInfos := make([]sessionapi.Info, 0, len(entries))
					for _, e := range entries {
						wantInfos = append(wantInfos, want(e, l))
					}
					assert.Equal(t, wantInfos, got, "DecodeBytes(%s, %s)", l, a)
				})
			}
		}
	}
}

// TestDecodeStringsElsewhere puts the strings in memory before the array, with a gap: Decode
// must follow absolute pointers, not assume the strings follow the array.
func TestDecodeStringsElsewhere(t *testing.T) {
	for _, a := range []sessionapi.Arch{sessionapi.X64, sessionapi.X86} {
		const base = 0x4000
		entries := sample["typical"]
		// Lay out at base+0x100, then move the array to the end of a larger memory that starts at base.
		laid := handLayout(t, a, sessionapi.Level502, base+0x100, entries)
		arrayLen := 2 * specLayouts[a][sessionapi.Level502].size
		mem := make([]byte, 0x100+len(laid)+0x40+arrayLen)
		copy(mem[0x100:], laid) // strings (and a stale array copy) where the pointers say
		arrayAt := len(mem) - arrayLen
		copy(mem[arrayAt:], laid[:arrayLen])
		got, err := Decode(Bytes{Base: base, Data: mem}, base+uint64(arrayAt), 2, sessionapi.Level502, a)
		require.NoError(t, err, "%s", a)
		assert.Equal(t, []sessionapi.Info{want(entries[0], sessionapi.Level502), want(entries[1], sessionapi.Level502)}, got, "%s", a)
	}
}

// TestEncodeMatchesHandLayout holds Encode to the spec's offsets and sessionapi's buffer
// accounting to the real layout: a buffer with every string present is exactly ResultSize bytes.
func TestEncodeMatchesHandLayout(t *testing.T) {
	for _, a := range []sessionapi.Arch{sessionapi.X64, sessionapi.X86} {
		for _, l := range sessionapi.Levels() {
			for _, name := range []string{"typical", "empty strings", "non-ASCII"} {
				entries := sample[name]
				const base = 0x7FF0_0000
				infos := make([]sessionapi.Info, 0, len(entries))
				for _, e := range entries {
					infos = append(infos, want(e, l))
				}
				got, err := Encode(infos, base, a)
				require.NoError(t, err, "Encode(%s, %s, %s)", name, l, a)
				assert.Equal(t, handLayout(t, a, l, base, entries), got, "Encode(%s, %s, %s)", name, l, a)
				assert.Len(t, got, sessionapi.ResultSize(infos, a), "len(Encode(%s, %s, %s)) vs sessionapi.ResultSize", name, l, a)
			}
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		entries []sessionapi.Info
		base    uint64
		arch    sessionapi.Arch
		wantErr string
	}{
		{"mixed levels", []sessionapi.Info{&sessionapi.SessionInfo0{}, &sessionapi.SessionInfo10{}}, 0x1000, sessionapi.X64, "one level"},
		{"NUL in string", []sessionapi.Info{&sessionapi.SessionInfo0{ClientName: "a\x00b"}}, 0x1000, sessionapi.X64, "contains NUL"},
		{"x86 address overflow", []sessionapi.Info{&sessionapi.SessionInfo0{ClientName: "a"}}, 0xFFFF_FFFE, sessionapi.X86, "x86 pointer"},
		{"nil entry", []sessionapi.Info{nil}, 0x1000, sessionapi.X64, "nil"},
		{"base 0", []sessionapi.Info{&sessionapi.SessionInfo0{}}, 0, sessionapi.X64, "NULL"},
		{"base 0", []sessionapi.Info{&sessionapi.SessionInfo0{}}, 0, sessionapi.X64, "NULL"},
		{"unknown arch", []sessionapi.Info{&sessionapi.SessionInfo0{}}, 0x1000, sessionapi.Arch(9), "unknown layout"},
	}
	for _, tt := range tests {
		_, err := Encode(tt.entries, tt.base, tt.arch)
		require.Error(t, err, "Encode(%s)", tt.name)
		assert.Contains(t, err.Error(), tt.wantErr, "Encode(%s)", tt.name)
	}
}

func TestDecodeErrors(t *testing.T) {
	const base = 0x2000
	x64 := handLayout(t, sessionapi.X64, sessionapi.Level10, base, sample["typical"])
	x86 := handLayout(t, sessionapi.X86, sessionapi.Level10, base, sample["typical"])
	// withPtr returns a copy of mem whose first entry's cname pointer is v.
	withPtr := func(mem []byte, a sessionapi.Arch, v uint64) []byte {
		c := append([]byte(nil), mem...)
		if a == sessionapi.X86 {
			binary.LittleEndian.PutUint32(c, uint32(v))
		} else {
			binary.LittleEndian.PutUint64(c, v)
		}
		return c
	}
	// unterminated: the last string's terminator cut off, so it runs to the end of the memory.
	unterminated := x64[:len(x64)-2]
	// oddEnd: the terminator's second byte cut off.
	oddEnd := x64[:len(x64)-1]
	tests := []struct {
		name    string
		mem     []byte
		addr    uint64
		entries uint32
		level   sessionapi.Level
		arch    sessionapi.Arch
		wantErr string
	}{
		// 5 × 24 bytes is more than the whole memory (array and strings).
		{"entries past the end", x64, base, 5, sessionapi.Level10, sessionapi.X64, "array of 5 entries"},
		{"huge entry count", x64, base, 0xFFFFFFFF, sessionapi.Level502, sessionapi.X64, "entries"},
		{"array before the memory", x64, base - 8, 1, sessionapi.Level10, sessionapi.X64, "out of range"},
		{"NULL array", x64, 0, 1, sessionapi.Level10, sessionapi.X64, "NULL buffer"},
		{"pointer before the memory", withPtr(x64, sessionapi.X64, base-2), base, 2, sessionapi.Level10, sessionapi.X64, "out of range"},
		{"pointer after the memory", withPtr(x64, sessionapi.X64, base+uint64(len(x64))), base, 2, sessionapi.Level10, sessionapi.X64, "out of range"},
		{"pointer far away", withPtr(x64, sessionapi.X64, 0xFFFF_FFFF_FFFF_FFFF), base, 2, sessionapi.Level10, sessionapi.X64, "string at 0xFFFFFFFFFFFFFFFF"},
		{"x86 pointer after the memory", withPtr(x86, sessionapi.X86, base+uint64(len(x86))), base, 2, sessionapi.Level10, sessionapi.X86, "out of range"},
		{"no terminator", unterminated, base, 2, sessionapi.Level10, sessionapi.X64, "no NUL terminator"},
		{"half a code unit at the end", oddEnd, base, 2, sessionapi.Level10, sessionapi.X64, "no NUL terminator"},
		{"unknown level", x64, base, 1, sessionapi.Level(3), sessionapi.X64, "unknown level 3"},
		{"unknown arch", x64, base, 1, sessionapi.Level10, sessionapi.Arch(2), "unknown layout"},
	}
	for _, tt := range tests {
		got, err := Decode(Bytes{Base: base, Data: tt.mem}, tt.addr, tt.entries, tt.level, tt.arch)
		require.Error(t, err, "Decode(%s) = %v, want an error", tt.name, got)
		assert.Nil(t, got, "Decode(%s)", tt.name)
		assert.Contains(t, err.Error(), tt.wantErr, "Decode(%s)", tt.name)
	}
}

func TestDecodeZeroEntries(t *testing.T) {
	got, err := DecodeBytes(nil, 0, 0, sessionapi.Level502, sessionapi.X64)
	require.NoError(t, err)
	assert.NotNil(t, got, "DecodeBytes(no entries) must be an empty slice, not nil")
	assert.Empty(t, got)
}

// TestDecodeHugeCountAllocatesLittle: a lying entriesread must not make Decode allocate for it.
func TestDecodeHugeCountAllocatesLittle(t *testing.T) {
	mem := handLayout(t, sessionapi.X64, sessionapi.Level502, 0x1000, sample["typical"])
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := DecodeBytes(mem, 0x1000, 0x7FFF_FFFF/48, sessionapi.Level502, sessionapi.X64)
	runtime.ReadMemStats(&after)
	require.Error(t, err)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(1<<20), "DecodeBytes(entries=%d) allocated %d bytes; want < 1 MiB", 0x7FFF_FFFF/48, allocated)
}

func TestReadStringLimit(t *testing.T) {
	// A string of exactly MaxStringUnits units is read; one unit more is refused.
	long := make([]byte, 2*(MaxStringUnits+2))
	for i := range MaxStringUnits + 1 {
		binary.LittleEndian.PutUint16(long[2*i:], 'x')
	}
	m := Bytes{Base: 0x100, Data: long}
	_, err := ReadString(m, 0x100)
	require.Error(t, err, "ReadString(%d units, no terminator within the limit)", MaxStringUnits+1)
	assert.Contains(t, err.Error(), "within 32767 code units")

	got, err := ReadString(m, 0x102)
	require.NoError(t, err, "ReadString(%d units)", MaxStringUnits)
	assert.Equal(t, strings.Repeat("x", MaxStringUnits), got)
}

func TestReadStringUnpairedSurrogate(t *testing.T) {
	mem := []byte{'a', 0, 0x00, 0xD8, 'b', 0, 0, 0} // "a", lone high surrogate, "b"
	got, err := ReadString(Bytes{Base: 8, Data: mem}, 8)
	require.NoError(t, err)
	assert.Equal(t, "a\uFFFDb", got)
}

func TestBytesView(t *testing.T) {
	m := Bytes{Base: 10, Data: []byte{1, 2, 3, 4}}
	tests := []struct {
		addr uint64
		n    int
		want []byte
		ok   bool
	}{
		{10, 4, []byte{1, 2, 3, 4}, true},
		{12, 2, []byte{3, 4}, true},
		{14, 0, []byte{}, true},
		{13, 2, nil, false},
		{9, 1, nil, false},
		{15, 0, nil, false},
		{10, -1, nil, false},
		{0xFFFF_FFFF_FFFF_FFFF, 2, nil, false},
	}
	for _, tt := range tests {
		got, err := m.View(tt.addr, tt.n)
		if tt.ok {
			require.NoError(t, err, "View(0x%X, %d)", tt.addr, tt.n)
			assert.Equal(t, tt.want, got, "View(0x%X, %d)", tt.addr, tt.n)
		} else {
			require.Error(t, err, "View(0x%X, %d) = %v, want an error", tt.addr, tt.n, got)
		}
	}
}
