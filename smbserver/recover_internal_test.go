package smbserver

import (
	"encoding/binary"
	"github.com/sessionsim/sessionsim/internal/syncbuf"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/ntlmssp"
	"github.com/sessionsim/sessionsim/internal/smb2"
)

type panicking struct{}

func (panicking) Step([]byte) ([]byte, bool, *ntlmssp.Result, error) { panic("acceptor bug") }

// TestPanicClosesOneConnection: a panic while serving a connection (here in the
// authenticator) closes that connection, is logged with its stack, and the server goes on.
func TestPanicClosesOneConnection(t *testing.T) {
	var logs syncbuf.Buffer
	s := New(fake.New(), Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s.newAcceptor = func() acceptor { return panicking{} }
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go s.Serve(l)
	defer s.Close()

	send := func(nc net.Conn, cmd smb2.Command, body []byte, mid uint64) {
		m := smb2.AppendHeader(nil, &smb2.Header{Command: cmd, Credits: 1, MessageID: mid})
		m = append(m, body...)
		_, err := nc.Write(append(smb2.AppendFrameHeader(nil, smb2.FrameMessage, len(m)), m...))
		require.NoError(t, err)
	}
	neg := binary.LittleEndian.AppendUint16(nil, 36)
	neg = binary.LittleEndian.AppendUint16(neg, 1)
	neg = append(neg, make([]byte, 32)...)
	neg = binary.LittleEndian.AppendUint16(neg, smb2.Dialect210)
	setup := []byte{25, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, smb2.HeaderSize + 24, 0, 1, 0}
	setup = append(append(setup, make([]byte, 8)...), 'x')

	nc, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	send(nc, smb2.Negotiate, neg, 0)
	_, _, err = smb2.ReadFrame(nc, smb2.MaxFrameLength, nil)
	require.NoError(t, err)
	send(nc, smb2.SessionSetup, setup, 1)
	_, err = io.ReadAll(nc)
	assert.NoError(t, err, "the panicking connection ends with EOF")
	assert.Eventually(t, func() bool { return strings.Contains(logs.String(), "acceptor bug") }, 2*time.Second, 10*time.Millisecond)
	assert.Contains(t, logs.String(), "stack=", "the panic is logged with its stack")

	// Another connection is served.
	nc2, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer nc2.Close()
	_ = nc2.SetDeadline(time.Now().Add(5 * time.Second))
	send(nc2, smb2.Negotiate, neg, 0)
	_, msg, err := smb2.ReadFrame(nc2, smb2.MaxFrameLength, nil)
	require.NoError(t, err, "NEGOTIATE on a second connection after a panic")
	h, err := smb2.ParseHeader(msg)
	require.NoError(t, err)
	assert.Equal(t, smb2.StatusSuccess, h.Status)
}
