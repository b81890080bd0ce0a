package smbconn

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostile is a scripted SMB2 server on 127.0.0.1:0: each accepted connection runs script,
// which reads the client's requests and answers (or not) as the test wants. It is the test
// harness for the ways a server can misbehave before a session exists.
type hostile struct {
	ln         net.Listener
	negotiates atomic.Int32
}

// hconn is one connection of a hostile server.
type hconn struct {
	net.Conn
	h *hostile
}

// request reads one framed request and returns its command and MessageId.
func (c *hconn) request() (cmd uint16, msgID uint64, err error) {
	var n [4]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return 0, 0, err
	}
	size := binary.BigEndian.Uint32(n[:]) & 0xFFFFFF
	if size < 64 || size > 1<<20 {
		return 0, 0, errors.New("bad frame")
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(c, b); err != nil {
		return 0, 0, err
	}
	cmd = binary.LittleEndian.Uint16(b[12:])
	if cmd == 0 {
		c.h.negotiates.Add(1)
	}
	return cmd, binary.LittleEndian.Uint64(b[24:]), nil
}

// frame writes b with its 4-byte length.
func (c *hconn) frame(b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	_, _ = c.Write(append(n[:], b...))
}

// reply is an SMB2 response header for cmd with msgID and credits granted, then body.
func reply(cmd uint16, msgID uint64, credits uint16, body []byte) []byte {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64)
	binary.LittleEndian.PutUint16(h[12:], cmd)
	binary.LittleEndian.PutUint16(h[14:], credits)
	binary.LittleEndian.PutUint32(h[16:], 1) // SMB2_FLAGS_SERVER_TO_REDIR
	binary.LittleEndian.PutUint64(h[24:], msgID)
	return append(h, body...)
}

// negotiateBody is an SMB2 NEGOTIATE response body choosing dialect, without a security
// buffer (the client then starts NTLM on its own).
func negotiateBody(dialect uint16) []byte {
	b := make([]byte, 64+1)
	binary.LittleEndian.PutUint16(b[0:], 65)
	binary.LittleEndian.PutUint16(b[2:], 1) // signing enabled
	binary.LittleEndian.PutUint16(b[4:], dialect)
	copy(b[8:24], "0123456789abcdef")
	binary.LittleEndian.PutUint32(b[28:], 1<<16) // max transact
	binary.LittleEndian.PutUint32(b[32:], 1<<16) // max read
	binary.LittleEndian.PutUint32(b[36:], 1<<16) // max write
	binary.LittleEndian.PutUint16(b[56:], 128)   // security buffer offset
	return b
}

func newHostile(t *testing.T, script func(c *hconn)) *hostile {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h := &hostile{ln: ln}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				script(&hconn{Conn: c, h: h})
			}()
		}
	}()
	return h
}

func (h *hostile) params() Params {
	return Params{Host: "127.0.0.1", Port: h.ln.Addr().(*net.TCPAddr).Port, User: "u", Password: "p",
		StageTimeout: 300 * time.Millisecond}
}

// dialHostile dials h with a context that has no deadline: the stage limit alone must end it.
func dialHostile(t *testing.T, h *hostile) (error, time.Duration) {
	t.Helper()
	start := time.Now()
	c, err := Dial(context.Background(), h.params())
	if c != nil {
		c.TCP.Close()
	}
	return err, time.Since(start)
}

// drain reads and ignores requests until the client goes away.
func drain(c *hconn) {
	for {
		if _, _, err := c.request(); err != nil {
			return
		}
	}
}

// TestHostileServer covers the ways a server can hold a client before a session exists: each
// must end, without a context deadline, with an error naming the stage, within the stage
// limits (300 ms here; a few stages at most).
func TestHostileServer(t *testing.T) {
	cases := []struct {
		name     string
		script   func(c *hconn)
		stage    string
		answered bool
	}{
		{"SilentBeforeNegotiate", drain, "SMB2 NEGOTIATE", false},
		{"SilentAfterNegotiate", func(c *hconn) {
			_, id, err := c.request()
			if err == nil {
				c.frame(reply(0, id, 64, negotiateBody(0x0210)))
			}
			drain(c)
		}, "SMB2 SESSION_SETUP", false},
		{"ZeroCredits", func(c *hconn) {
			_, id, err := c.request()
			if err == nil {
				c.frame(reply(0, id, 0, negotiateBody(0x0210)))
			}
			drain(c)
			// go-smb2 counts the request's own charge as granted and still sends the session
			// setup; the wait that follows is bounded like any other.
		}, "SMB2 SESSION_SETUP", false},
		{"WrongMessageId", func(c *hconn) {
			_, id, err := c.request()
			if err == nil {
				c.frame(reply(0, id+77, 64, negotiateBody(0x0210)))
			}
			drain(c)
		}, "SMB2 NEGOTIATE", true},
		{"FramedGarbage", func(c *hconn) {
			if _, _, err := c.request(); err == nil {
				for range 50 {
					c.frame([]byte("this is not an SMB2 packet, not even close to one...................."))
					time.Sleep(10 * time.Millisecond)
				}
			}
			drain(c)
		}, "SMB2 NEGOTIATE", true},
		{"HugeFrameThenSilence", func(c *hconn) {
			if _, _, err := c.request(); err == nil {
				_, _ = c.Write([]byte{0, 0xFF, 0xFF, 0xFF, 0xFE, 'S', 'M', 'B'})
			}
			drain(c)
		}, "SMB2 NEGOTIATE", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostile(t, tc.script)
			err, took := dialHostile(t, h)
			require.Error(t, err)
			var se *StageError
			require.ErrorAs(t, err, &se, "Dial against a server that is %s = %v; want a *StageError", tc.name, err)
			if tc.stage != "" {
				assert.Equal(t, tc.stage, se.Stage, "%v", err)
			}
			assert.Equal(t, tc.answered, se.Answered, "%v", err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, took, 2*time.Second, "Dial took %v with a 300 ms stage limit: %v", took, err)
			t.Logf("%s: %v (after %v)", tc.name, err, took.Round(time.Millisecond))
		})
	}
}

// TestHostileServerRenegotiationBounded: a server answering every NEGOTIATE with the wildcard
// dialect 0x02FF made go-smb2 renegotiate without end (3.16 M negotiates in 120 s).
func TestHostileServerRenegotiationBounded(t *testing.T) {
	h := newHostile(t, func(c *hconn) {
		for {
			_, id, err := c.request()
			if err != nil {
				return
			}
			c.frame(reply(0, id, 64, negotiateBody(0x02FF)))
		}
	})
	err, took := dialHostile(t, h)
	require.ErrorIs(t, err, ErrRenegotiation)
	assert.Contains(t, err.Error(), "0x02FF")
	assert.LessOrEqual(t, int(h.negotiates.Load()), MaxNegotiates, "NEGOTIATE requests the server saw")
	assert.Less(t, took, time.Second)
}

// TestHostileServerContextDeadlineWins: the caller's deadline, shorter than the stage limit,
// ends the dial first.
func TestHostileServerContextDeadlineWins(t *testing.T) {
	h := newHostile(t, drain)
	p := h.params()
	p.StageTimeout = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Dial(ctx, p)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestStageLimitDefault(t *testing.T) {
	assert.Equal(t, DefaultStageTimeout, StageLimit(0))
	assert.Equal(t, time.Second, StageLimit(time.Second))
}
