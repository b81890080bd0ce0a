package layout

import (
	"strings"
	"testing"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// FuzzDecode feeds Decode arbitrary memory, addresses, counts, levels and layouts. It must
// not panic, must not allocate for entries the memory cannot hold, and what it accepts must be
// consistent: as many entries as asked, of the level asked, whose array lies in the memory.
func FuzzDecode(f *testing.F) {
	for _, a := range []sessionapi.Arch{sessionapi.X64, sessionapi.X86} {
		for _, l := range sessionapi.Levels() {
			for _, name := range []string{"typical", "NULL members", "non-ASCII"} {
				entries := sample[name]
				const base = 0x10000
				f.Add(handLayout(f, a, l, base, entries), uint64(base), uint64(base), uint32(len(entries)), uint32(l), uint8(a))
			}
		}
	}
	f.Add([]byte{}, uint64(0), uint64(0), uint32(0xFFFFFFFF), uint32(502), uint8(0))
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0xFF}, uint64(0xFFFFFFFC), uint64(0xFFFFFFFC), uint32(1), uint32(0), uint8(1))
	f.Fuzz(func(t *testing.T, mem []byte, base, addr uint64, entries, level uint32, arch uint8) {
		l, a := sessionapi.Level(level), sessionapi.Arch(arch)
		got, err := Decode(Bytes{Base: base, Data: mem}, addr, entries, l, a)
		if err != nil {
			if got != nil {
				t.Fatalf("Decode(level=%d, arch=%d, entries=%d) = %d entries and error %v; want no entries with an error", level, arch, entries, len(got), err)
			}
			return
		}
		if uint64(len(got)) != uint64(entries) {
			t.Fatalf("Decode(level=%d, arch=%d, entries=%d) = %d entries", level, arch, entries, len(got))
		}
		if entries == 0 {
			return
		}
		if need := uint64(entries) * uint64(sessionapi.StructSize(l, a)); addr < base || addr-base > uint64(len(mem)) || need > uint64(len(mem))-(addr-base) {
			t.Fatalf("Decode(base=0x%X, addr=0x%X, entries=%d, level=%d, arch=%d) accepted an array of %d bytes outside the %d-byte memory", base, addr, entries, level, arch, need, len(mem))
		}
		for i, e := range got {
			if e == nil || e.Level() != l {
				t.Fatalf("Decode(level=%d): entry %d is %#v", level, i, e)
			}
		}
	})
}

// FuzzEncodeDecode: whatever Encode lays out, Decode reads back, at every level and layout,
// with invalid UTF-8 turned into U+FFFD the way a UTF-16 string must hold it.
func FuzzEncodeDecode(f *testing.F) {
	f.Add(`\\127.0.0.1`, "alice", "DOS LM 2.0", "tcp", uint32(1), uint32(2), uint32(3), uint32(1), uint64(0x1000), uint32(502), uint8(0))
	f.Add("", "", "", "", uint32(0), uint32(0), uint32(0), uint32(0), uint64(0xFFFF0000), uint32(10), uint8(1))
	f.Add("\xff\xfe", "𝔘", "日本", "a\x00b", uint32(0), uint32(0), uint32(0), uint32(0), uint64(8), uint32(2), uint8(1))
	f.Fuzz(func(t *testing.T, cname, user, cltype, transport string, opens, tm, idle, flags uint32, base uint64, level uint32, arch uint8) {
		l, a := sessionapi.Level(level), sessionapi.Arch(arch)
		full := sessionapi.SessionInfo502{ClientName: cname, UserName: user, NumOpens: opens, Time: tm, IdleTime: idle,
			UserFlags: sessionapi.Flags(flags), ClientType: cltype, Transport: transport}
		info := sessionapi.Narrow(&full, l)
		if info == nil {
			return // not a level
		}
		in := []sessionapi.Info{info, info}
		mem, err := Encode(in, base, a)
		if err != nil {
			return // NUL in a string, an address that does not fit, an unknown layout
		}
		got, err := DecodeBytes(mem, base, uint32(len(in)), l, a)
		if err != nil {
			t.Fatalf("DecodeBytes(Encode(%#v)) failed: %v", info, err)
		}
		valid := func(s string) string { return string([]rune(s)) }
		wantFull := sessionapi.SessionInfo502{ClientName: valid(cname), UserName: valid(user), NumOpens: opens, Time: tm,
			IdleTime: idle, UserFlags: sessionapi.Flags(flags), ClientType: valid(cltype), Transport: valid(transport)}
		wantInfo := sessionapi.Narrow(&wantFull, l)
		for i, g := range got {
			gw, _ := sessionapi.Widen(g)
			ww, _ := sessionapi.Widen(wantInfo)
			if gw != ww {
				t.Fatalf("DecodeBytes(Encode(...))[%d] = %#v; want %#v", i, gw, ww)
			}
		}
		if strings.ContainsRune(cname, 0) {
			t.Fatalf("Encode accepted a NUL in %q", cname)
		}
	})
}
