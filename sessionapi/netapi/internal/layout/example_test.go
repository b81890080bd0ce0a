package layout_test

import (
	"fmt"

	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/netapi/internal/layout"
)

// Decoding a level-10 buffer laid out for 32-bit Windows at address 0x00A0_0000.
func ExampleDecodeBytes() {
	const base = 0x00A0_0000
	mem, err := layout.Encode([]sessionapi.Info{
		&sessionapi.SessionInfo10{ClientName: `\\127.0.0.1`, UserName: "alice", Time: 61, IdleTime: 5},
	}, base, sessionapi.X86)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d bytes, cname pointer 0x%02X%02X%02X%02X\n", len(mem), mem[3], mem[2], mem[1], mem[0])

	entries, err := layout.DecodeBytes(mem, base, 1, sessionapi.Level10, sessionapi.X86)
	if err != nil {
		panic(err)
	}
	e := entries[0].(*sessionapi.SessionInfo10)
	fmt.Printf("%s %s time=%d idle=%d\n", e.ClientName, e.UserName, e.Time, e.IdleTime)

	_, err = layout.DecodeBytes(mem, base, 9, sessionapi.Level10, sessionapi.X86)
	fmt.Println(err != nil)
	// Output:
	// 52 bytes, cname pointer 0x00A00010
	// \\127.0.0.1 alice time=61 idle=5
	// true
}

// A NULL pointer reads as the empty string; a pointer outside the memory is an error.
func ExampleReadString() {
	m := layout.Bytes{Base: 0x1000, Data: []byte{'h', 0, 'i', 0, 0, 0}}
	s, err := layout.ReadString(m, 0x1000)
	fmt.Printf("%q %v\n", s, err)
	s, err = layout.ReadString(m, 0)
	fmt.Printf("%q %v\n", s, err)
	_, err = layout.ReadString(m, 0x2000)
	fmt.Println(err)
	// Output:
	// "hi" <nil>
	// "" <nil>
	// string at 0x2000 has no NUL terminator inside the memory: reading 2 bytes at 0x2000: address out of range (memory is 0x1000..0x1006)
}
