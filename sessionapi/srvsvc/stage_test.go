package srvsvc

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/internal/rpctest"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// quietPipe answers like rpctest until its reads run out, then waits for its context, as a
// server that stops answering in the middle of a conversation does.
type quietPipe struct {
	*rpctest.Server
	ctx   context.Context
	reads *atomic.Int32 // replies left before it goes quiet
}

func (p quietPipe) Read(b []byte) (int, error) {
	if p.reads.Add(-1) < 0 {
		<-p.ctx.Done()
		return 0, p.ctx.Err()
	}
	return p.Server.Read(b)
}

func (p quietPipe) Close() error { return nil }

// TestHostileServerQuietAfterSession: a server that goes quiet at the bind or at a call,
// under a caller's context without a deadline, ends with a *StageError naming the stage
// within the stage limit. (Before a session exists: internal/smbconn's TestHostileServer.)
func TestHostileServerQuietAfterSession(t *testing.T) {
	for _, tc := range []struct {
		stage   string
		replies int32
	}{{"bind", 0}, {"NetrSessionEnum", 1}} {
		for _, perCall := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/PipePerCall=%v", tc.stage, perCall), func(t *testing.T) {
				f := &fakeServer{sessions: threeSessions()}
				c := newTestClient(func(ctx context.Context) (pipe, error) {
					n := &atomic.Int32{}
					n.Store(tc.replies)
					return quietPipe{&rpctest.Server{Handler: f.handle}, ctx, n}, nil
				}, perCall, 0)
				c.cfg.StageTimeout = 200 * time.Millisecond
				start := time.Now()
				_, err := c.NetSessionEnum(context.Background(), "", "", "", sessionapi.Level10, sessionapi.MaxPreferredLength, nil)
				var se *StageError
				require.ErrorAs(t, err, &se, "NetSessionEnum against a server quiet at %s = %v; want a *StageError", tc.stage, err)
				assert.Equal(t, tc.stage, se.Stage)
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Less(t, time.Since(start), 2*time.Second)
			})
		}
	}
}

// TestStageCancelIsNotATimeout: a caller's cancel is reported as context.Canceled.
func TestStageCancelIsNotATimeout(t *testing.T) {
	f := &fakeServer{sessions: threeSessions()}
	c := newTestClient(func(ctx context.Context) (pipe, error) {
		n := &atomic.Int32{}
		return quietPipe{&rpctest.Server{Handler: f.handle}, ctx, n}, nil
	}, false, 0)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level10, sessionapi.MaxPreferredLength, nil)
	require.ErrorIs(t, err, context.Canceled)
}
