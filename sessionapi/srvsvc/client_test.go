package srvsvc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/internal/ndr"
	"github.com/sessionsim/sessionsim/internal/rpctest"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// fakeServer is a srvsvc server over rpctest: it records the decoded requests and answers from
// a table of sessions, paging by a budget of one entry per 100 bytes of prefmaxlen.
type fakeServer struct {
	mu       sync.Mutex // the per-call mode opens pipes from many goroutines
	sessions []sessionapi.SessionInfo502
	enums    []*ndr.SessEnumRequest
	dels     []*ndr.SessDelRequest
	// override, if set, answers enumerations instead.
	override  func(q *ndr.SessEnumRequest) *ndr.SessEnumResponse
	delResult uint32
	pipes     []*rpctest.Server
	closes    int
	frag      int
}

func (f *fakeServer) handle(opnum uint16, stub []byte) ([]byte, uint32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch opnum {
	case ndr.OpNetrSessionEnum:
		q, err := ndr.DecodeSessEnumRequest(stub)
		if err != nil {
			return nil, uint32(sessionapi.NCA_S_FAULT_BAD_STUB_DATA)
		}
		f.enums = append(f.enums, q)
		if f.override != nil {
			return ndr.EncodeSessEnumResponse(f.override(q)), 0
		}
		start := 0
		if q.Resume != nil {
			start = int(*q.Resume)
		}
		per := len(f.sessions)
		if q.MaxBuffer != sessionapi.MaxPreferredLength {
			per = max(int(q.MaxBuffer)/100, 0)
		}
		end := min(start+per, len(f.sessions))
		p := &ndr.SessEnumResponse{Level: q.Level, HasContainer: true, TotalEntries: uint32(len(f.sessions) - start)}
		for _, s := range f.sessions[start:end] {
			w, _ := sessionapi.Widen(sessionapi.Narrow(&s, q.Level))
			p.Entries = append(p.Entries, w)
		}
		if end < len(f.sessions) {
			p.Result = uint32(sessionapi.ERROR_MORE_DATA)
		}
		if q.Resume != nil {
			r := uint32(end)
			p.Resume = &r
		}
		return ndr.EncodeSessEnumResponse(p), 0
	case ndr.OpNetrSessionDel:
		q, err := ndr.DecodeSessDelRequest(stub)
		if err != nil {
			return nil, uint32(sessionapi.NCA_S_FAULT_BAD_STUB_DATA)
		}
		f.dels = append(f.dels, q)
		return ndr.EncodeSessDelResponse(f.delResult), 0
	}
	return nil, uint32(sessionapi.NCA_S_OP_RNG_ERROR)
}

type closeCounter struct {
	*rpctest.Server
	f *fakeServer
}

func (c closeCounter) Close() error {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.closes++
	return nil
}

func (f *fakeServer) client(perCall bool) *Client {
	return newTestClient(func(context.Context) (pipe, error) {
		s := &rpctest.Server{Handler: f.handle, Frag: f.frag}
		f.mu.Lock()
		f.pipes = append(f.pipes, s)
		f.mu.Unlock()
		return closeCounter{s, f}, nil
	}, perCall, f.frag)
}

func threeSessions() []sessionapi.SessionInfo502 {
	return []sessionapi.SessionInfo502{
		{ClientName: "127.0.0.2", UserName: "alice", NumOpens: 1, Time: 10, ClientType: "t", Transport: "x"},
		{ClientName: "127.0.0.3", UserName: "bob", NumOpens: 0, Time: 20},
		{ClientName: "127.0.0.4", UserName: "nobody", UserFlags: sessionapi.SessGuest},
	}
}

func TestEnumSendsNullForEmptyStrings(t *testing.T) {
	f := &fakeServer{sessions: threeSessions()}
	c := f.client(false)
	_, err := c.NetSessionEnum(context.Background(), "", "", "", sessionapi.Level10, sessionapi.MaxPreferredLength, nil)
	require.NoError(t, err)
	_, err = c.NetSessionEnum(context.Background(), `\\srv`, `\\ws01`, "alice", sessionapi.Level0, 4096, nil)
	require.NoError(t, err)
	require.Len(t, f.enums, 2)
	assert.Nil(t, f.enums[0].ServerName)
	assert.Nil(t, f.enums[0].ClientName)
	assert.Nil(t, f.enums[0].UserName)
	assert.Nil(t, f.enums[0].Resume)
	assert.Equal(t, `\\srv`, *f.enums[1].ServerName)
	assert.Equal(t, `\\ws01`, *f.enums[1].ClientName)
	assert.Equal(t, "alice", *f.enums[1].UserName)
	assert.Equal(t, uint32(4096), f.enums[1].MaxBuffer)
}

func TestEnumEveryLevel(t *testing.T) {
	f := &fakeServer{sessions: threeSessions()}
	c := f.client(false)
	for _, l := range sessionapi.Levels() {
		res, err := c.NetSessionEnum(context.Background(), "", "", "", l, sessionapi.MaxPreferredLength, nil)
		require.NoError(t, err)
		require.Len(t, res.Entries, 3, "NetSessionEnum(level=%d)", l)
		for i, e := range res.Entries {
			assert.Equal(t, sessionapi.Narrow(&f.sessions[i], l), e, "NetSessionEnum(level=%d) entry %d", l, i)
		}
		assert.Equal(t, uint32(3), res.TotalEntries)
	}
	// One pipe, bound once, reused for all five calls.
	assert.Len(t, f.pipes, 1)
}

func TestEnumMoreDataAndResume(t *testing.T) {
	f := &fakeServer{sessions: threeSessions()}
	c := f.client(false)
	var resume uint32
	res, err := c.NetSessionEnum(context.Background(), "", "", "", sessionapi.Level1, 200, &resume)
	require.ErrorIs(t, err, sessionapi.ERROR_MORE_DATA)
	assert.Len(t, res.Entries, 2, "NetSessionEnum(level=1, prefmaxlen=200) = ERROR_MORE_DATA, read=%d; want read=2", len(res.Entries))
	assert.Equal(t, uint32(2), resume)
	res, err = c.NetSessionEnum(context.Background(), "", "", "", sessionapi.Level1, 200, &resume)
	require.NoError(t, err)
	require.Len(t, res.Entries, 1)
	assert.Equal(t, "127.0.0.4", res.Entries[0].Client())

	// sessionapi.Collect drives the same loop.
	all, err := sessionapi.Collect(context.Background(), c, sessionapi.EnumRequest{Level: sessionapi.Level0, PrefMaxLen: 100})
	require.NoError(t, err)
	assert.Len(t, all, 3)
}

func TestEnumErrorKeepsResume(t *testing.T) {
	f := &fakeServer{override: func(q *ndr.SessEnumRequest) *ndr.SessEnumResponse {
		return &ndr.SessEnumResponse{Level: q.Level, HasContainer: true, Resume: ptr(uint32(9)), Result: uint32(sessionapi.ERROR_ACCESS_DENIED)}
	}}
	resume := uint32(4)
	res, err := f.client(false).NetSessionEnum(context.Background(), "", "", "", sessionapi.Level1, 0, &resume)
	require.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED)
	assert.Equal(t, "ERROR_ACCESS_DENIED (5)", err.Error())
	assert.Empty(t, res.Entries)
	assert.Equal(t, uint32(4), resume)
	require.Len(t, f.enums, 1)
	assert.Equal(t, uint32(4), *f.enums[0].Resume)
}

func TestEnumLevelMismatchIsProtocolError(t *testing.T) {
	f := &fakeServer{override: func(q *ndr.SessEnumRequest) *ndr.SessEnumResponse {
		return &ndr.SessEnumResponse{Level: 0, HasContainer: true}
	}}
	_, err := f.client(false).NetSessionEnum(context.Background(), "", "", "", sessionapi.Level1, 0, nil)
	require.ErrorIs(t, err, ErrProtocol)
}

func TestGetInfo(t *testing.T) {
	ctx := context.Background()
	f := &fakeServer{sessions: threeSessions()}
	c := f.client(false)

	_, err := c.NetSessionGetInfo(ctx, "", `\\a`, "b", sessionapi.Level502)
	require.ErrorIs(t, err, sessionapi.ERROR_INVALID_LEVEL)
	_, err = c.NetSessionGetInfo(ctx, "", "", "b", sessionapi.Level1)
	require.ErrorIs(t, err, sessionapi.ERROR_INVALID_PARAMETER)
	_, err = c.NetSessionGetInfo(ctx, "", `\\a`, "", sessionapi.Level1)
	require.ErrorIs(t, err, sessionapi.ERROR_INVALID_PARAMETER)
	assert.Empty(t, f.enums, "the checks must come before any RPC")

	info, err := c.NetSessionGetInfo(ctx, "srv", `\\127.0.0.3`, "bob", sessionapi.Level2)
	require.NoError(t, err)
	// The fake ignores filters, like Samba (S8): the first entry comes back.
	assert.Equal(t, sessionapi.Narrow(&f.sessions[0], sessionapi.Level2), info)
	require.Len(t, f.enums, 1)
	q := f.enums[0]
	assert.Equal(t, `\\127.0.0.3`, *q.ClientName)
	assert.Equal(t, "bob", *q.UserName)
	assert.Equal(t, sessionapi.MaxPreferredLength, q.MaxBuffer)
	assert.Nil(t, q.Resume)

	empty := &fakeServer{}
	_, err = empty.client(false).NetSessionGetInfo(ctx, "", `\\a`, "b", sessionapi.Level0)
	require.ErrorIs(t, err, ErrNoSession)
}

func TestDel(t *testing.T) {
	f := &fakeServer{}
	c := f.client(false)
	require.NoError(t, c.NetSessionDel(context.Background(), "", `\\ws01`, ""))
	f.delResult = uint32(sessionapi.NERR_ClientNameNotFound)
	err := c.NetSessionDel(context.Background(), "", "", "alice")
	require.ErrorIs(t, err, sessionapi.NERR_ClientNameNotFound)
	require.Len(t, f.dels, 2)
	assert.Equal(t, `\\ws01`, *f.dels[0].ClientName)
	assert.Nil(t, f.dels[0].UserName)
	assert.Nil(t, f.dels[1].ClientName)
	assert.Equal(t, "alice", *f.dels[1].UserName)
}

func TestFaultKeepsPipeAndProtocolErrorReplacesIt(t *testing.T) {
	f := &fakeServer{}
	c := f.client(false)
	// Opnum 99 is unknown: the fake faults with nca_s_op_rng_error.
	_, err := c.call(context.Background(), 99, nil)
	require.ErrorIs(t, err, sessionapi.NCA_S_OP_RNG_ERROR)
	var fe *FaultError
	require.ErrorAs(t, err, &fe)
	require.NoError(t, c.NetSessionDel(context.Background(), "", "x", ""))
	assert.Len(t, f.pipes, 1, "a fault leaves the association usable")

	// A garbage reply: the pipe is dropped and the next call opens a new one.
	f.pipes[0].Inject([]byte("garbage that is not a PDU at all"))
	err = c.NetSessionDel(context.Background(), "", "x", "")
	require.ErrorIs(t, err, ErrProtocol)
	assert.Equal(t, 1, f.closes)
	require.NoError(t, c.NetSessionDel(context.Background(), "", "x", ""))
	assert.Len(t, f.pipes, 2)
}

func TestPipePerCall(t *testing.T) {
	f := &fakeServer{sessions: threeSessions()}
	c := f.client(true)
	for range 3 {
		_, err := c.NetSessionEnum(context.Background(), "", "", "", sessionapi.Level0, sessionapi.MaxPreferredLength, nil)
		require.NoError(t, err)
	}
	assert.Len(t, f.pipes, 3)
	assert.Equal(t, 3, f.closes)
}

func TestLargeRequestAndResponseAreFragmented(t *testing.T) {
	var many []sessionapi.SessionInfo502
	for i := range 200 {
		many = append(many, sessionapi.SessionInfo502{ClientName: fmt.Sprintf("127.0.%d.%d", i/250, i%250+1),
			UserName: strings.Repeat("u", i%40), NumOpens: uint32(i)})
	}
	f := &fakeServer{sessions: many, frag: 1432}
	c := f.client(false)
	long := `\\` + strings.Repeat("c", 1021)
	res, err := c.NetSessionEnum(context.Background(), "", long, strings.Repeat("ü", 1023), sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
	require.NoError(t, err)
	require.Len(t, res.Entries, 200)
	for i, e := range res.Entries {
		require.Equal(t, sessionapi.Narrow(&many[i], sessionapi.Level1), e)
	}
	assert.Equal(t, long, *f.enums[0].ClientName)
	assert.Greater(t, f.pipes[0].Fragments, 2, "request fragments")
	assert.Greater(t, f.pipes[0].RespFragments, 5, "response fragments")
}

func TestCancelledContext(t *testing.T) {
	f := &fakeServer{}
	c := f.client(false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level0, 0, nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, f.pipes)
}

func TestClosedClient(t *testing.T) {
	f := &fakeServer{}
	c := f.client(false)
	require.NoError(t, c.NetSessionDel(context.Background(), "", "x", ""))
	require.NoError(t, c.Close())
	assert.Equal(t, 1, f.closes)
	err := c.NetSessionDel(context.Background(), "", "x", "")
	require.True(t, errors.Is(err, ErrClosed), "NetSessionDel after Close = %v; want ErrClosed", err)
}

func TestConfigHidesSecrets(t *testing.T) {
	cfg := Config{Host: "h", User: "u", Password: "s3cret-value", Hash: []byte{0xde, 0xad}}
	for _, s := range []string{cfg.String(), fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), cfg.LogValue().String()} {
		assert.NotContains(t, s, "s3cret")
		assert.NotContains(t, s, "dead")
		assert.NotContains(t, s, "222")
	}
	t.Setenv(PasswordEnv, "from-env")
	assert.Equal(t, "from-env", Config{User: "u"}.WithEnvPassword().Password)
	assert.Equal(t, "given", Config{User: "u", Password: "given"}.WithEnvPassword().Password)
	assert.Equal(t, "", Config{User: "u", Hash: []byte{1}}.WithEnvPassword().Password)
}

func ptr[T any](v T) *T { return &v }

func TestDialHonoursContextAgainstSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// Accept and say nothing; the connection is closed with the listener's test.
			t.Cleanup(func() { c.Close() })
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Dial(ctx, Config{Host: "127.0.0.1", Port: port, User: "u", Password: "p"})
	require.Error(t, err)
	assert.Less(t, time.Since(start), 3*time.Second, "Dial with a 300 ms context against a silent server took %v", time.Since(start))
}

func TestDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_, err = Dial(context.Background(), Config{Host: "127.0.0.1", Port: port})
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("127.0.0.1:%d", port))
	_, err = Dial(context.Background(), Config{})
	require.Error(t, err)
	_, err = Dial(context.Background(), Config{Host: "127.0.0.1", Port: port, LocalAddr: "not-an-ip"})
	require.ErrorContains(t, err, "not an IP address")
}

func TestConcurrentCalls(t *testing.T) {
	for _, perCall := range []bool{false, true} {
		t.Run(fmt.Sprintf("PipePerCall=%v", perCall), func(t *testing.T) {
			f := &fakeServer{sessions: threeSessions()}
			c := f.client(perCall)
			var wg sync.WaitGroup
			errs := make(chan error, 8*20)
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 20 {
						l := sessionapi.Levels()[(g+i)%5]
						res, err := c.NetSessionEnum(context.Background(), "", "", "", l, sessionapi.MaxPreferredLength, nil)
						if err == nil && len(res.Entries) != 3 {
							err = fmt.Errorf("NetSessionEnum(level=%d) read=%d; want read=3", l, len(res.Entries))
						}
						if err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			assert.Len(t, f.enums, 160)
			if !perCall {
				assert.Len(t, f.pipes, 1)
			}
		})
	}
}
