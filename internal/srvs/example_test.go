package srvs_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/ndr"
	"github.com/sessionsim/sessionsim/internal/srvs"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// A NetrSessionEnum request stub in NDR64, as netapi32 sends it ("" filters as non-NULL empty
// strings), answered by a `windows` fake.
func ExampleNewHandler() {
	srv := fake.New(fake.WithName("FS01"), fake.WithClock(fake.NewManualClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))))
	if _, err := srv.Connect(fake.Session{ClientName: "10.0.0.7", UserName: "alice"}); err != nil {
		panic(err)
	}
	if err := srv.Advance(90 * time.Second); err != nil {
		panic(err)
	}
	h := srvs.NewHandler(srv.As(fake.Administrator))

	server, empty, resume := "FS01", "", uint32(0)
	stub := ndr.NDR64.EncodeSessEnumRequest(&ndr.SessEnumRequest{ServerName: &server, ClientName: &empty,
		UserName: &empty, Level: sessionapi.Level10, MaxBuffer: sessionapi.MaxPreferredLength, Resume: &resume})
	resp, fault := h.Call(context.Background(), ndr.OpNetrSessionEnum, stub, true)
	if fault != 0 {
		panic(fault)
	}
	p, err := ndr.NDR64.DecodeSessEnumResponse(resp)
	if err != nil {
		panic(err)
	}
	e := p.Entries[0]
	fmt.Println(sessionapi.Status(p.Result).String(), len(p.Entries), p.TotalEntries)
	fmt.Println(e.ClientName, e.UserName, e.Time, e.IdleTime)

	// Opnum 14 is not one srvs serves.
	_, fault = h.Call(context.Background(), 14, nil, true)
	fmt.Printf("0x%08X\n", fault)
	// Output:
	// NERR_Success 1 1
	// \\10.0.0.7 alice 90 90
	// 0x1C010002
}
