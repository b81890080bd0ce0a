package sweep_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
	"github.com/sessionsim/sessionsim/smbserver"
	"github.com/sessionsim/sessionsim/sweep"
)

// serve serves a fake with an administrator "auditor" on 127.0.0.1:0 and returns its
// address.
func serve(t *testing.T) (*smbserver.Server, string) {
	t.Helper()
	srv := smbserver.New(fake.New(fake.WithName("FS01")), smbserver.Config{
		Accounts: []smbserver.Account{{Name: "auditor", Password: "fixture", Role: fake.Administrator}},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return srv, ln.Addr().String()
}

// closingServer accepts connections and closes each at once (or after reading a little and
// writing garbage, when garbage is set).
func closingServer(t *testing.T, garbage bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if garbage {
				_ = c.SetDeadline(time.Now().Add(time.Second))
				_, _ = c.Read(make([]byte, 512))
				_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// TestClassifyBrokenConnection: a connection the server closed is unreachable, at any stage —
// never timed_out, which is only for a deadline that ran out — and a server that answers
// with what is not SMB2 is an error (it was reached).
func TestClassifyBrokenConnection(t *testing.T) {
	base := srvsvc.Config{User: "auditor", Password: "fixture"}
	req := sessionapi.EnumRequest{Level: sessionapi.Level10}

	t.Run("ClosedAfterLogon", func(t *testing.T) {
		srv, addr := serve(t)
		host, port, err := srvsvc.SplitServer(addr)
		require.NoError(t, err)
		cfg := base
		cfg.Host, cfg.Port = host, port
		c, err := srvsvc.Dial(context.Background(), cfg)
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, srv.Close())
		_, err = sessionapi.Collect(context.Background(), c, req)
		require.Error(t, err)
		assert.Equal(t, sweep.Unreachable, sweep.Classify(err, false), "Classify(%v)", err)
		var r sweep.Result
		for r = range sweep.Run(context.Background(), []sweep.Target{{Name: addr, API: c}}, sweep.Config{Request: req}) {
		}
		assert.Equal(t, sweep.Unreachable, r.Outcome, "sweep of a server that closed the connection: %v", r.Err)
	})
	for _, tc := range []struct {
		name    string
		garbage bool
		want    sweep.Outcome
	}{{"ClosesAtOnce", false, sweep.Unreachable}, {"GarbageAfterNegotiate", true, sweep.Failed}} {
		t.Run(tc.name, func(t *testing.T) {
			addr := closingServer(t, tc.garbage)
			start := time.Now()
			var r sweep.Result
			for r = range sweep.Run(context.Background(), sweep.HostTargets([]string{addr}, base), sweep.Config{Request: req, Timeout: 5 * time.Second}) {
			}
			assert.Equal(t, tc.want, r.Outcome, "sweep of a server that %s: %v", tc.name, r.Err)
			assert.Contains(t, r.Err.Error(), "SMB2 NEGOTIATE")
			assert.NotErrorIs(t, r.Err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), 2*time.Second)
		})
	}
}

// TestClassifyCancelIsNotTimedOut: the sweep's own cancel is not a server's timeout.
func TestClassifyCancelIsNotTimedOut(t *testing.T) {
	assert.Equal(t, sweep.Failed, sweep.Classify(context.Canceled, false))
	assert.Equal(t, sweep.TimedOut, sweep.Classify(&srvsvc.StageError{Stage: "bind", Err: context.DeadlineExceeded}, false))
}
