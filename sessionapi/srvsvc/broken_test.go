package srvsvc_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
	"github.com/sessionsim/sessionsim/smbserver"
)

// droppingListener remembers the connections it accepted, so that a test can break them
// under a client while the server goes on listening.
type droppingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *droppingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

// drop closes every connection accepted so far.
func (l *droppingListener) drop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		_ = c.Close()
	}
	l.conns = nil
}

// servedFake serves a fake with one session and an administrator "auditor" on 127.0.0.1:0.
func servedFake(t *testing.T) (*smbserver.Server, *droppingListener, srvsvc.Config) {
	t.Helper()
	f := fake.New(fake.WithName("FILESRV01"))
	_, err := f.Connect(fake.Session{ClientName: "10.0.0.7", UserName: "alice"})
	require.NoError(t, err)
	srv := smbserver.New(f, smbserver.Config{
		Accounts: []smbserver.Account{{Name: "auditor", Password: "fixture", Role: fake.Administrator}},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dl := &droppingListener{Listener: ln}
	go func() { _ = srv.Serve(dl) }()
	t.Cleanup(func() { _ = srv.Close() })
	return srv, dl, srvsvc.Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, User: "auditor", Password: "fixture"}
}

// TestServerClosedConnectionIsNotATimeout: a server that closes the connection under a
// client makes the next call fail at once with a *BrokenError (ErrConnectionLost) naming the
// stage, not a *StageError "no answer within the deadline", and with no context error in it
// (the reviewer saw context.Canceled and context.DeadlineExceeded both match, after 200 µs).
func TestServerClosedConnectionIsNotATimeout(t *testing.T) {
	for _, perCall := range []bool{false, true} {
		for _, bound := range []bool{false, true} {
			t.Run(fmt.Sprintf("PipePerCall=%v/PipeBound=%v", perCall, bound), func(t *testing.T) {
				srv, _, cfg := servedFake(t)
				cfg.PipePerCall = perCall
				ctx := context.Background()
				c, err := srvsvc.Dial(ctx, cfg)
				require.NoError(t, err)
				defer c.Close()
				req := sessionapi.EnumRequest{Level: sessionapi.Level10}
				if bound {
					_, err := sessionapi.Collect(ctx, c, req)
					require.NoError(t, err)
				}
				require.NoError(t, srv.Close())
				start := time.Now()
				_, err = sessionapi.Collect(ctx, c, req)
				took := time.Since(start)
				var be *srvsvc.BrokenError
				require.ErrorAs(t, err, &be, "Collect after the server closed = %v; want a *srvsvc.BrokenError", err)
				assert.ErrorIs(t, err, srvsvc.ErrConnectionLost)
				assert.NotErrorIs(t, err, context.Canceled, "the caller did not cancel")
				assert.NotErrorIs(t, err, context.DeadlineExceeded, "no deadline ran out")
				var se *srvsvc.StageError
				assert.NotErrorAs(t, err, &se)
				assert.NotContains(t, err.Error(), "within the deadline")
				assert.Contains(t, []string{`opening \PIPE\srvsvc`, "bind", "NetrSessionEnum"}, be.Stage)
				assert.Less(t, took, 2*time.Second)
				t.Logf("%v (after %v)", err, took.Round(time.Microsecond))
			})
		}
	}
}

// TestBrokenConnectionRedialsOnNextCall: after the connection broke, the Client's next call
// logs on again instead of failing the same way for ever.
func TestBrokenConnectionRedialsOnNextCall(t *testing.T) {
	for _, perCall := range []bool{false, true} {
		t.Run(fmt.Sprintf("PipePerCall=%v", perCall), func(t *testing.T) {
			_, dl, cfg := servedFake(t)
			cfg.PipePerCall = perCall
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := srvsvc.Dial(ctx, cfg)
			require.NoError(t, err)
			defer c.Close()
			req := sessionapi.EnumRequest{Level: sessionapi.Level10}
			_, err = sessionapi.Collect(ctx, c, req)
			require.NoError(t, err)
			dl.drop()
			_, err = sessionapi.Collect(ctx, c, req)
			require.ErrorIs(t, err, srvsvc.ErrConnectionLost)
			got, err := sessionapi.Collect(ctx, c, req)
			require.NoError(t, err, "the call after a broken connection should dial again")
			assert.NotEmpty(t, got)
		})
	}
}

// TestCallerCancelIsNotADeadline: a caller's cancel is context.Canceled only, not a
// *StageError.
func TestCallerCancelIsNotADeadline(t *testing.T) {
	_, _, cfg := servedFake(t)
	c, err := srvsvc.Dial(context.Background(), cfg)
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = sessionapi.Collect(ctx, c, sessionapi.EnumRequest{Level: sessionapi.Level10})
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
}
