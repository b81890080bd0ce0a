package ndr_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/sessionsim/sessionsim/internal/ndr"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// Capture A's response (Windows Server 2019-family DC, NDR64; testdata/windows/README.md) read
// back, and the same answer in NDR 2.0.
func ExampleSyntax_DecodeSessEnumResponse() {
	h, err := os.ReadFile("testdata/windows/mordor_f557_NetrSessionEnum_rsp_stub_ndr64.hex")
	if err != nil {
		panic(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(h)))
	if err != nil {
		panic(err)
	}
	p, err := ndr.NDR64.DecodeSessEnumResponse(b)
	if err != nil {
		panic(err)
	}
	e := p.Entries[0]
	fmt.Println(e.ClientName, e.UserName, e.Time, e.IdleTime)
	fmt.Println("total", p.TotalEntries, "resume", *p.Resume, sessionapi.Status(p.Result).String())
	fmt.Println(len(b), "bytes in NDR64,", len(ndr.NDR20.EncodeSessEnumResponse(p)), "in NDR 2.0")
	// Output:
	// \\172.18.39.5 pgustavo 0 0
	// total 1 resume 18 NERR_Success
	// 192 bytes in NDR64, 128 in NDR 2.0
}

// A server decoding a request keeps a NULL name apart from an empty one; both mean "no
// filter" to the fake.
func ExampleSyntax_DecodeSessEnumRequest() {
	empty := ""
	stub := ndr.NDR64.EncodeSessEnumRequest(&ndr.SessEnumRequest{ClientName: &empty, Level: 10,
		MaxBuffer: sessionapi.MaxPreferredLength})
	q, err := ndr.NDR64.DecodeSessEnumRequest(stub)
	if err != nil {
		panic(err)
	}
	fmt.Println(q.ServerName == nil, q.ClientName != nil && *q.ClientName == "", q.Level)
	// A stub cut short is refused, not read as far as it goes.
	_, err = ndr.NDR64.DecodeSessEnumRequest(stub[:len(stub)-1])
	fmt.Println(err != nil)
	// Output:
	// true true level 10
	// true
}
