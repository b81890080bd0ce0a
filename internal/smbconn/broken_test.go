package smbconn

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHostileServerBrokenConnectionNamesStage: a server that closes the connection, or sends
// what is not SMB2, before a session exists ends Dial at once with a *BrokenError naming the
// stage the client was at — not a timeout, not "session setup" for a NEGOTIATE that never got
// an answer — and without any context error in it.
func TestHostileServerBrokenConnectionNamesStage(t *testing.T) {
	cases := []struct {
		name   string
		script func(c *hconn)
		stage  string
		lost   bool // ErrConnectionLost; false: ErrNotSMB2
	}{
		{"ClosesAtOnce", func(c *hconn) {}, "SMB2 NEGOTIATE", true},
		{"ClosesAfterReadingNegotiate", func(c *hconn) { _, _, _ = c.request() }, "SMB2 NEGOTIATE", true},
		{"UnframedGarbageAfterNegotiate", func(c *hconn) {
			if _, _, err := c.request(); err == nil {
				_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			}
		}, "SMB2 NEGOTIATE", false},
		{"FramedGarbageThenClose", func(c *hconn) {
			if _, _, err := c.request(); err == nil {
				c.frame([]byte("this is not an SMB2 packet, not even close to one...................."))
			}
		}, "SMB2 NEGOTIATE", true},
		{"ClosesAtSessionSetup", func(c *hconn) {
			_, id, err := c.request()
			if err == nil {
				c.frame(reply(0, id, 64, negotiateBody(0x0210)))
			}
			_, _, _ = c.request()
		}, "SMB2 SESSION_SETUP", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostile(t, tc.script)
			err, took := dialHostile(t, h)
			var be *BrokenError
			require.ErrorAs(t, err, &be, "Dial against a server that %s = %v; want a *BrokenError", tc.name, err)
			assert.Equal(t, tc.stage, be.Stage, "%v", err)
			assert.Contains(t, err.Error(), tc.stage)
			if tc.lost {
				assert.ErrorIs(t, err, ErrConnectionLost)
			} else {
				assert.ErrorIs(t, err, ErrNotSMB2)
			}
			assert.NotErrorIs(t, err, context.DeadlineExceeded)
			assert.NotErrorIs(t, err, context.Canceled)
			var se *StageError
			assert.False(t, errors.As(err, &se), "a broken connection is not a *StageError: %v", err)
			assert.Less(t, took, time.Second, "Dial took %v against a server that closed at once", took)
		})
	}
}

// TestDialCancelNamesStageAndIsNotATimeout: the caller's cancel during NEGOTIATE is
// context.Canceled, naming the stage, and not a deadline.
func TestDialCancelNamesStageAndIsNotATimeout(t *testing.T) {
	h := newHostile(t, drain)
	p := h.params()
	p.StageTimeout = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := Dial(ctx, p)
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "SMB2 NEGOTIATE")
}

// TestBrokenIgnoresOtherErrors: only go-smb2's transport and response errors are broken.
func TestBrokenIgnoresOtherErrors(t *testing.T) {
	_, ok := Broken("h:445", "SMB2 NEGOTIATE", &net.OpError{Op: "read", Err: errors.New("x")})
	assert.False(t, ok, "a bare net error is not go-smb2's report")
	_, ok = Broken("h:445", "SMB2 NEGOTIATE", context.DeadlineExceeded)
	assert.False(t, ok)
}

// TestStageErrorNeverMatchesCanceled: a StageError is a deadline; even one built around a
// context.Canceled does not match it.
func TestStageErrorNeverMatchesCanceled(t *testing.T) {
	err := &StageError{Addr: "h:445", Stage: "bind", Limit: time.Second, Err: context.Canceled}
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, context.Canceled)
	other := &StageError{Addr: "h:445", Stage: "bind", Err: errors.New("read: i/o timeout")}
	assert.Contains(t, other.Error(), "i/o timeout")
	assert.ErrorIs(t, other, context.DeadlineExceeded)
}
