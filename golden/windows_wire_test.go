package golden_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/dcerpc"
	"github.com/sessionsim/sessionsim/internal/ndr"
	"github.com/sessionsim/sessionsim/internal/srvs"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// The recordings in windows-wire/ (provenance in its README.md): capture A, a Windows 10 1903
// netapi32 NetSessionEnum at level 10 against a Windows Server 2019-family DC, in NDR64
// (OTRF/Security-Datasets, MIT), and vector B, a level-10 response in NDR 2.0 from
// jfjallid/go-smb's tests (MIT).

func windowsWire(t *testing.T, name string) []byte {
	t.Helper()
	h, err := os.ReadFile(filepath.Join("windows-wire", name))
	require.NoError(t, err)
	b, err := hex.DecodeString(strings.TrimSpace(string(h)))
	require.NoError(t, err)
	return b
}

var captureStart = time.Date(2020, 9, 22, 7, 45, 35, 0, time.UTC) // frame 556's time

// servedPDU feeds one client PDU to sc and returns the one PDU it answers with.
func servedPDU(t *testing.T, sc *dcerpc.ServerConn, in []byte) []byte {
	t.Helper()
	require.NoError(t, sc.Write(context.Background(), in))
	buf := make([]byte, 0xFFFF)
	n, more := sc.Read(buf)
	require.False(t, more)
	require.Positive(t, n, "no answer")
	require.Zero(t, sc.Pending(), "one PDU answers")
	return buf[:n]
}

// compareEnum checks our answer against Windows', field by field, except the resume
// handle's value.
func compareEnum(t *testing.T, call string, want, got *ndr.SessEnumResponse) {
	t.Helper()
	assert.Equal(t, sessionapi.Status(want.Result), sessionapi.Status(got.Result), "%s: status", call)
	assert.Equal(t, want.Level, got.Level, "%s: level", call)
	assert.Equal(t, want.HasContainer, got.HasContainer, "%s: container pointer", call)
	assert.Equal(t, len(want.Entries), len(got.Entries), "%s: EntriesRead", call)
	assert.Equal(t, want.TotalEntries, got.TotalEntries, "%s: TotalEntries", call)
	for i := range min(len(want.Entries), len(got.Entries)) {
		w, g := want.Entries[i], got.Entries[i]
		assert.Equal(t, w.ClientName, g.ClientName, "%s: entry %d sesi10_cname", call, i)
		assert.Equal(t, w.UserName, g.UserName, "%s: entry %d sesi10_username", call, i)
		assert.Equal(t, w.Time, g.Time, "%s: entry %d sesi10_time", call, i)
		assert.Equal(t, w.IdleTime, g.IdleTime, "%s: entry %d sesi10_idle_time", call, i)
	}
	require.NotNil(t, want.Resume)
	require.NotNil(t, got.Resume, "%s: ResumeHandle pointer: Windows' is non-NULL", call)
	// Windows leaves a non-zero handle after NERR_Success, every entry returned (A: 18, B: 7).
	// Its value is Windows' own; a client must stop on the status, never on the handle.
	assert.NotZero(t, *got.Resume, "%s: ResumeHandle after NERR_Success = 0; Windows answered %d", call, *want.Resume)
	t.Logf("%s = %s, read=%d, total=%d, resume=%d (Windows: %d)", call, sessionapi.Status(got.Result), len(got.Entries), got.TotalEntries, *got.Resume, *want.Resume)
}

// TestWindowsCaptureA replays capture A on the served fake's layers: the client's bind PDU,
// then its NetrSessionEnum request PDU, against a `windows` fake named MORDORDC holding A's one
// session (the caller's own: 172.18.39.5, pgustavo, time 0, idle 0).
func TestWindowsCaptureA(t *testing.T) {
	srv := fake.New(fake.WithProfile(fake.Windows()), fake.WithName("MORDORDC"), fake.WithClock(fake.NewManualClock(captureStart)))
	id, err := srv.Connect(fake.Session{ClientName: "172.18.39.5", UserName: "pgustavo"})
	require.NoError(t, err)
	// pgustavo's own connection is the session: as the SMB server mode does, the caller says so.
	api := srv.AsCaller(fake.Caller{Role: fake.Administrator, Name: "pgustavo", ClientName: "172.18.39.5", Session: id})
	sc := dcerpc.NewServerConn([]dcerpc.ServerInterface{srvs.Interface(api)}, dcerpc.ServerLimits{})

	// The bind: every byte as Windows answered but the association group's number.
	wantAck, gotAck := windowsWire(t, "mordor_f555_bind_ack_dcerpc_pdu.hex"), servedPDU(t, sc, windowsWire(t, "mordor_f552_bind_dcerpc_pdu.hex"))
	require.Len(t, gotAck, len(wantAck))
	assert.NotZero(t, binary.LittleEndian.Uint32(gotAck[20:]), "assoc_group_id")
	copy(gotAck[20:24], wantAck[20:24])
	assert.Equal(t, hex.EncodeToString(wantAck), hex.EncodeToString(gotAck),
		"bind_ack: max sizes 4280, `\\PIPE\\srvsvc`, NDR 2.0 refused (reason 2), NDR64 accepted, features 0x0003 acknowledged")

	// The request as netapi32 sent it: non-NULL empty filters, ServerName without `\\`.
	reqPDU := windowsWire(t, "mordor_f556_NetrSessionEnum_req_dcerpc_pdu.hex")
	reqStub := windowsWire(t, "mordor_f556_NetrSessionEnum_req_stub_ndr64.hex")
	require.Equal(t, reqStub, reqPDU[24:], "the stub file is the PDU's stub")
	q, err := ndr.NDR64.DecodeSessEnumRequest(reqStub)
	require.NoError(t, err)
	require.NotNil(t, q.ClientName)
	require.NotNil(t, q.UserName)
	call := sessionapi.FormatCall("NetSessionEnum", *q.ServerName, *q.ClientName, *q.UserName, q.Level, q.MaxBuffer, q.Resume)

	wantPDU, gotPDU := windowsWire(t, "mordor_f557_NetrSessionEnum_rsp_dcerpc_pdu.hex"), servedPDU(t, sc, reqPDU)
	require.GreaterOrEqual(t, len(gotPDU), 24)
	assert.Equal(t, hex.EncodeToString(wantPDU[:24]), hex.EncodeToString(gotPDU[:24]),
		"%s: response header (type, flags, frag_length, call_id, alloc_hint, context 1)", call)
	want, err := ndr.NDR64.DecodeSessEnumResponse(windowsWire(t, "mordor_f557_NetrSessionEnum_rsp_stub_ndr64.hex"))
	require.NoError(t, err)
	got, err := ndr.NDR64.DecodeSessEnumResponse(gotPDU[24:])
	require.NoError(t, err, "%s: our NDR64 answer", call)
	compareEnum(t, call, want, got)

	// And byte for byte, once Windows' handle value stands in for ours.
	if got.Resume != nil {
		*got.Resume = *want.Resume
	}
	assert.Equal(t, hex.EncodeToString(wantPDU[24:]), hex.EncodeToString(ndr.NDR64.EncodeSessEnumResponse(got)), "%s: the stub", call)
}

// TestWindowsVectorB replays vector B in NDR 2.0: a `windows` fake holding its one session
// (100.100.100.51, administrator, time 2, idle 0), asked at level 10 with a resume handle of 0
// as netapi32 asks.
func TestWindowsVectorB(t *testing.T) {
	clock := fake.NewManualClock(captureStart)
	srv := fake.New(fake.WithProfile(fake.Windows()), fake.WithName("WIN2K19"), fake.WithClock(clock))
	id, err := srv.Connect(fake.Session{ClientName: "100.100.100.51", UserName: "administrator"})
	require.NoError(t, err)
	require.NoError(t, srv.Advance(2*time.Second))
	// The SMB server marks activity on each request (the pipe's WRITE here), so idle is 0.
	require.NoError(t, srv.Activity(id))
	api := srv.AsCaller(fake.Caller{Role: fake.Administrator, Name: "administrator", ClientName: "100.100.100.51", Session: id})
	zero, empty := uint32(0), ""
	q := &ndr.SessEnumRequest{ServerName: ptrTo("WIN2K19"), ClientName: &empty, UserName: &empty, Level: 10,
		MaxBuffer: sessionapi.MaxPreferredLength, Resume: &zero}
	call := sessionapi.FormatCall("NetSessionEnum", *q.ServerName, "", "", q.Level, q.MaxBuffer, q.Resume)

	resp, fault := srvs.NewHandler(api).Call(context.Background(), ndr.OpNetrSessionEnum, ndr.NDR20.EncodeSessEnumRequest(q), false)
	require.Zero(t, fault, "%s: fault %s", call, dcerpc.FaultName(fault))
	wantB := windowsWire(t, "gosmb_srvs_test_TestNetSessionEnumRes_level10_rsp_stub_ndr20.hex")
	want, err := ndr.NDR20.DecodeSessEnumResponse(wantB)
	require.NoError(t, err)
	got, err := ndr.NDR20.DecodeSessEnumResponse(resp)
	require.NoError(t, err, "%s: our NDR 2.0 answer", call)
	compareEnum(t, call, want, got)
	if got.Resume != nil {
		*got.Resume = *want.Resume
	}
	assert.Equal(t, hex.EncodeToString(wantB), hex.EncodeToString(ndr.NDR20.EncodeSessEnumResponse(got)),
		"%s: the stub, referent ids included", call)
}

func ptrTo[T any](v T) *T { return &v }
