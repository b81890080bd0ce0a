package srvs_test

import (
	"context"
	"errors"
	"fmt"
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

// pipe is a message-mode pipe onto a ServerConn.
type pipe struct{ sc *dcerpc.ServerConn }

func (p pipe) Write(b []byte) (int, error) {
	if err := p.sc.Write(context.Background(), b); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (p pipe) Read(b []byte) (int, error) {
	n, more := p.sc.Read(b)
	if more || n == 0 {
		return 0, fmt.Errorf("pipe: read of %d bytes, more=%v", n, more)
	}
	return n, nil
}

// wire is a SessionAPI that calls api through srvs and DCE/RPC in syntax syn, and reads the
// answers as sessionapi/srvsvc does (the same ndr decoders, the same mapping of WERROR and
// faults to statuses).
type wire struct {
	conn *dcerpc.Conn
	syn  ndr.Syntax
}

func dialWire(t testing.TB, api sessionapi.SessionAPI, syn ndr.Syntax, frag int) *wire {
	t.Helper()
	sc := dcerpc.NewServerConn([]dcerpc.ServerInterface{srvs.Interface(api)}, dcerpc.ServerLimits{MaxXmitFrag: frag, MaxRecvFrag: frag})
	transfer := dcerpc.NDR20
	if syn == ndr.NDR64 {
		transfer = dcerpc.NDR64
	}
	c, err := dcerpc.BindSyntax(pipe{sc}, srvs.Syntax, transfer, frag)
	require.NoError(t, err)
	return &wire{conn: c, syn: syn}
}

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (w *wire) NetSessionEnum(_ context.Context, server, client, user string, level sessionapi.Level,
	prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	res := sessionapi.EnumResult{Level: level}
	q := &ndr.SessEnumRequest{ServerName: opt(server), ClientName: opt(client), UserName: opt(user), Level: level, MaxBuffer: prefMaxLen}
	if resume != nil {
		v := *resume
		q.Resume = &v
	}
	out, err := w.conn.Call(ndr.OpNetrSessionEnum, w.syn.EncodeSessEnumRequest(q))
	if err != nil {
		return res, err
	}
	p, err := w.syn.DecodeSessEnumResponse(out)
	if err != nil {
		return res, err
	}
	if p.Level != level {
		return res, fmt.Errorf("answered at level %d", p.Level)
	}
	status := sessionapi.Status(p.Result)
	if status != sessionapi.NERR_Success && status != sessionapi.ERROR_MORE_DATA {
		return res, status
	}
	for i := range p.Entries {
		res.Entries = append(res.Entries, sessionapi.Narrow(&p.Entries[i], level))
	}
	res.TotalEntries = p.TotalEntries
	if resume != nil && p.Resume != nil {
		*resume = *p.Resume
	}
	if status != 0 {
		return res, status
	}
	return res, nil
}

func (w *wire) NetSessionGetInfo(context.Context, string, string, string, sessionapi.Level) (sessionapi.Info, error) {
	return nil, errors.New("wire: GetInfo is the client's, not the server's")
}

func (w *wire) NetSessionDel(_ context.Context, server, client, user string) error {
	out, err := w.conn.Call(ndr.OpNetrSessionDel, w.syn.EncodeSessDelRequest(&ndr.SessDelRequest{ServerName: opt(server), ClientName: opt(client), UserName: opt(user)}))
	if err != nil {
		return err
	}
	v, err := w.syn.DecodeSessDelResponse(out)
	if err != nil {
		return err
	}
	if v != 0 {
		return sessionapi.Status(v)
	}
	return nil
}

var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// seeded makes a fake with profile p holding a mix of sessions: long and short names, a
// guest, open files, idle times.
func seeded(t testing.TB, p fake.Profile) *fake.Server {
	t.Helper()
	srv := fake.New(fake.WithProfile(p), fake.WithClock(fake.NewManualClock(start)), fake.WithName("FS01"))
	for i := range 12 {
		s := fake.Session{ClientName: fmt.Sprintf("10.0.0.%d", i+1), UserName: fmt.Sprintf("user%d", i%4),
			OpenFiles: uint32(i % 3), ClientType: "Windows 10", Transport: `\Device\NetbiosSmb`,
			Created: start.Add(-time.Duration(i) * time.Hour), LastActivity: start.Add(-time.Duration(i) * time.Minute)}
		if i == 5 {
			s.UserName, s.Flags = "guest", sessionapi.SessGuest
		}
		if i == 7 {
			s.ClientName = "WS-" + strings.Repeat("ü", 40)
		}
		_, err := srv.Connect(s)
		require.NoError(t, err)
	}
	return srv
}

type enumCall struct {
	server, client, user string
	level                sessionapi.Level
	prefMaxLen           uint32
	resume               bool
}

func enumCalls() []enumCall {
	var out []enumCall
	for _, l := range append(sessionapi.Levels(), 3, 501) {
		out = append(out,
			enumCall{level: l, prefMaxLen: sessionapi.MaxPreferredLength},
			enumCall{level: l, prefMaxLen: sessionapi.MaxPreferredLength, resume: true},
			enumCall{level: l, prefMaxLen: 300, resume: true},
			enumCall{level: l, prefMaxLen: 1, resume: true},
			enumCall{server: "FS01", user: "user1", level: l, prefMaxLen: sessionapi.MaxPreferredLength},
			enumCall{server: `\\FS01`, client: `\\10.0.0.3`, level: l, prefMaxLen: sessionapi.MaxPreferredLength},
			enumCall{client: `10.0.0.3`, level: l, prefMaxLen: sessionapi.MaxPreferredLength},
			enumCall{server: "OTHER", level: l, prefMaxLen: sessionapi.MaxPreferredLength},
			enumCall{user: "nobody-here", level: l, prefMaxLen: sessionapi.MaxPreferredLength},
		)
	}
	return out
}

func statusOf(err error) string {
	if s, ok := sessionapi.StatusOf(err); ok {
		return s.Error()
	}
	return "not a status: " + err.Error()
}

func widen(in []sessionapi.Info) []sessionapi.SessionInfo502 {
	var out []sessionapi.SessionInfo502
	for _, e := range in {
		w, _ := sessionapi.Widen(e)
		out = append(out, w)
	}
	return out
}

// TestServedAnswersAsInProcess makes every call twice, on two identical fakes: in process and
// through srvs over DCE/RPC (NDR 2.0 and NDR64, fragments at MinFrag), for every profile and
// role, and requires the same statuses, entries, totals and resume handles, paging included.
func TestServedAnswersAsInProcess(t *testing.T) {
	for _, pname := range fake.ProfileNames() {
		for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
			t.Run(pname+"/"+syn.String(), func(t *testing.T) {
				p, err := fake.ProfileByName(pname)
				require.NoError(t, err)
				ctx := context.Background()
				withEntries, moreData := 0, 0
				for _, role := range fake.Roles() {
					direct, served := seeded(t, p), seeded(t, p)
					w := dialWire(t, served.As(role), syn, dcerpc.MinFrag)
					for _, c := range enumCalls() {
						var r1, r2 *uint32
						if c.resume {
							r1, r2 = new(uint32), new(uint32)
						}
						for page := 0; page < 50; page++ {
							name := fmt.Sprintf("%s: %s", role, sessionapi.FormatCall("NetSessionEnum", c.server, c.client, c.user, c.level, c.prefMaxLen, r1))
							want, werr := direct.As(role).NetSessionEnum(ctx, c.server, c.client, c.user, c.level, c.prefMaxLen, r1)
							got, gerr := w.NetSessionEnum(ctx, c.server, c.client, c.user, c.level, c.prefMaxLen, r2)
							require.Equal(t, statusOf(werr), statusOf(gerr), "%s: status", name)
							assert.Equal(t, widen(want.Entries), widen(got.Entries), "%s: entries", name)
							assert.Equal(t, want.TotalEntries, got.TotalEntries, "%s: total", name)
							assert.Equal(t, r1, r2, "%s: resume handle", name)
							if len(got.Entries) > 0 {
								withEntries++
							}
							if errors.Is(gerr, sessionapi.ERROR_MORE_DATA) {
								moreData++
							}
							if !errors.Is(werr, sessionapi.ERROR_MORE_DATA) || r1 == nil {
								break
							}
						}
					}
					for _, d := range []struct{ client, user string }{{`\\10.0.0.3`, ""}, {"", "user2"}, {`\\nowhere`, "x"}, {"", ""}} {
						werr := direct.As(role).NetSessionDel(ctx, "", d.client, d.user)
						gerr := w.NetSessionDel(ctx, "", d.client, d.user)
						require.Equal(t, statusOf(werr), statusOf(gerr), "%s: NetSessionDel(%q, %q)", role, d.client, d.user)
						assert.Equal(t, direct.Len(), served.Len(), "%s: NetSessionDel(%q, %q): sessions left", role, d.client, d.user)
					}
				}
				// The comparison is worth something only if answers carried sessions, and pages.
				assert.Greater(t, withEntries, 20, "answers with entries")
				if p.HonorPrefMaxLen {
					assert.Greater(t, moreData, 10, "ERROR_MORE_DATA pages")
				}
				t.Logf("%d answers with entries, %d ERROR_MORE_DATA pages", withEntries, moreData)
			})
		}
	}
}

// statusAPI answers every call with one error.
type statusAPI struct{ err error }

func (s statusAPI) NetSessionEnum(context.Context, string, string, string, sessionapi.Level, uint32, *uint32) (sessionapi.EnumResult, error) {
	return sessionapi.EnumResult{}, s.err
}

func (s statusAPI) NetSessionGetInfo(context.Context, string, string, string, sessionapi.Level) (sessionapi.Info, error) {
	return nil, s.err
}
func (s statusAPI) NetSessionDel(context.Context, string, string, string) error { return s.err }

// TestEveryStatusRoundTrips: whatever Status the API answers, a client reading the served
// answer gets the same Status back, from the WERROR or from a fault PDU.
func TestEveryStatusRoundTrips(t *testing.T) {
	for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
		for _, s := range append(sessionapi.Statuses(), 0x12345678) {
			if s == sessionapi.NERR_Success || s == sessionapi.ERROR_MORE_DATA {
				continue
			}
			w := dialWire(t, statusAPI{err: fmt.Errorf("wrapped: %w", s)}, syn, 0)
			resume := uint32(42)
			_, err := w.NetSessionEnum(context.Background(), "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, &resume)
			assert.ErrorIs(t, err, s, "%s NetSessionEnum answering %v", syn, s)
			assert.Equal(t, uint32(42), resume, "the resume handle is left alone after an error")
			assert.ErrorIs(t, w.NetSessionDel(context.Background(), "", "", "x"), s, "%s NetSessionDel answering %v", syn, s)
		}
	}
}

func TestNonStatusErrorsAreFaults(t *testing.T) {
	for _, tc := range []struct {
		err   error
		fault uint32
	}{
		{context.Canceled, dcerpc.NCA_S_FAULT_CANCEL},
		{fmt.Errorf("call: %w", context.DeadlineExceeded), dcerpc.NCA_S_FAULT_CANCEL},
		{errors.New("fake: closed"), dcerpc.NCA_S_FAULT_UNSPEC},
	} {
		h := srvs.NewHandler(statusAPI{err: tc.err})
		stub := ndr.EncodeSessEnumRequest(&ndr.SessEnumRequest{Level: 1})
		resp, fault := h.Call(context.Background(), ndr.OpNetrSessionEnum, stub, false)
		assert.Nil(t, resp)
		assert.Equal(t, tc.fault, fault, "NetrSessionEnum answering %v: fault %s", tc.err, dcerpc.FaultName(fault))
		_, fault = h.Call(context.Background(), ndr.OpNetrSessionDel, ndr.NDR64.EncodeSessDelRequest(&ndr.SessDelRequest{}), true)
		assert.Equal(t, tc.fault, fault, "NetrSessionDel answering %v", tc.err)
	}
}

// recordAPI records the arguments of the last call.
type recordAPI struct {
	statusAPI
	server, client, user string
	level                sessionapi.Level
	prefMaxLen           uint32
	resume               *uint32
}

func (r *recordAPI) NetSessionEnum(_ context.Context, server, client, user string, level sessionapi.Level, prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	r.server, r.client, r.user, r.level, r.prefMaxLen, r.resume = server, client, user, level, prefMaxLen, resume
	return sessionapi.EnumResult{Level: level}, nil
}

func TestRequestArgumentsPassThrough(t *testing.T) {
	r := &recordAPI{}
	h := srvs.NewHandler(r)
	q := &ndr.SessEnumRequest{ServerName: opt(`\\FS01`), ClientName: new(string), UserName: opt("bob"), Level: 10, MaxBuffer: 77, Resume: new(uint32)}
	*q.Resume = 5
	resp, fault := h.Call(context.Background(), ndr.OpNetrSessionEnum, ndr.NDR64.EncodeSessEnumRequest(q), true)
	require.Zero(t, fault)
	assert.Equal(t, `\\FS01`, r.server, "ServerName as sent")
	assert.Equal(t, "", r.client, "a non-NULL empty string is passed as \"\"")
	assert.Equal(t, "bob", r.user)
	assert.Equal(t, sessionapi.Level10, r.level)
	assert.Equal(t, uint32(77), r.prefMaxLen)
	require.NotNil(t, r.resume)
	assert.Equal(t, uint32(5), *r.resume)
	p, err := ndr.NDR64.DecodeSessEnumResponse(resp)
	require.NoError(t, err)
	assert.Equal(t, &ndr.SessEnumResponse{Level: 10, HasContainer: true, Resume: r.resume}, p)

	q.Resume = nil
	_, fault = h.Call(context.Background(), ndr.OpNetrSessionEnum, ndr.NDR20.EncodeSessEnumRequest(q), false)
	require.Zero(t, fault)
	assert.Nil(t, r.resume, "a NULL resume handle is passed as nil")
}

func TestBadStubsAndOpnums(t *testing.T) {
	h := srvs.NewHandler(statusAPI{})
	good := ndr.EncodeSessEnumRequest(&ndr.SessEnumRequest{UserName: opt("alice"), Level: 1})
	// S12: the user name's NUL replaced by 'x'.
	noNUL := append([]byte(nil), good...)
	i := strings.Index(string(noNUL), "e\x00\x00\x00")
	require.Positive(t, i)
	noNUL[i+2] = 'x'
	for name, b := range map[string][]byte{"no-NUL": noNUL, "truncated": good[:len(good)-1], "empty": nil} {
		_, fault := h.Call(context.Background(), ndr.OpNetrSessionEnum, b, false)
		assert.Equal(t, dcerpc.RPC_X_BAD_STUB_DATA, fault, "NetrSessionEnum %s", name)
		_, fault = h.Call(context.Background(), ndr.OpNetrSessionDel, b[:min(len(b), 10)], false)
		assert.Equal(t, dcerpc.RPC_X_BAD_STUB_DATA, fault, "NetrSessionDel %s", name)
	}
	for _, op := range []uint16{0, 11, 14, 16, 0xFFFF} {
		_, fault := h.Call(context.Background(), op, good, false)
		assert.Equal(t, uint32(sessionapi.NCA_S_OP_RNG_ERROR), fault, "opnum %d", op)
	}
}

// FuzzHandler: any stub, either syntax, opnum 12 or 13: an answer or a fault, never a panic.
// go test ./internal/srvs -fuzz FuzzHandler -fuzztime 20s -fuzzminimizetime 5s
func FuzzHandler(f *testing.F) {
	for _, q := range []*ndr.SessEnumRequest{{Level: 10, ClientName: new(string)}, {Level: 502, Resume: new(uint32)}, {Level: 7}} {
		f.Add(ndr.NDR20.EncodeSessEnumRequest(q), false, true)
		f.Add(ndr.NDR64.EncodeSessEnumRequest(q), true, true)
	}
	f.Add(ndr.NDR64.EncodeSessDelRequest(&ndr.SessDelRequest{UserName: opt("x")}), true, false)
	srv := seeded(f, fake.Windows())
	h := srvs.NewHandler(srv.As(fake.Administrator))
	f.Fuzz(func(t *testing.T, stub []byte, ndr64, enum bool) {
		op := ndr.OpNetrSessionDel
		if enum {
			op = ndr.OpNetrSessionEnum
		}
		resp, fault := h.Call(context.Background(), op, stub, ndr64)
		if fault == 0 && enum {
			syn := ndr.NDR20
			if ndr64 {
				syn = ndr.NDR64
			}
			_, err := syn.DecodeSessEnumResponse(resp)
			require.NoError(t, err, "the server's own answer decodes")
		}
	})
}

// TestBindAckNamesThePipe: with or without ServerInterface.Endpoint, the bind_ack carries
// `\PIPE\srvsvc` as its secondary address, as Windows' does (capture A, frame 555).
func TestBindAckNamesThePipe(t *testing.T) {
	for _, iface := range []dcerpc.ServerInterface{srvs.Interface(statusAPI{}), {Syntax: srvs.Syntax, Handler: srvs.NewHandler(statusAPI{})}} {
		sc := dcerpc.NewServerConn([]dcerpc.ServerInterface{iface}, dcerpc.ServerLimits{})
		var rec recorder
		_, err := dcerpc.Bind(&rec, srvs.Syntax, 0)
		require.Error(t, err, "the recorder answers nothing")
		require.NoError(t, sc.Write(context.Background(), rec.written))
		buf := make([]byte, 1024)
		n, _ := sc.Read(buf)
		require.Greater(t, n, 40)
		assert.Equal(t, "\x0d\x00\\PIPE\\srvsvc\x00", string(buf[24:39]))
	}
}

// recorder keeps what the client writes and answers nothing.
type recorder struct{ written []byte }

func (r *recorder) Write(b []byte) (int, error) {
	r.written = append(r.written, b...)
	return len(b), nil
}
func (r *recorder) Read([]byte) (int, error) { return 0, errors.New("recorder: no reply") }
