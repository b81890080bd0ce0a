package smbserver_test

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/smb2"
	"github.com/sessionsim/sessionsim/smbserver"
)

// panicCounter is a slog handler that counts the server's "panic" records: the connection
// recovers from a panic, so a fuzz target must look for the log line.
type panicCounter struct{ n *atomic.Int64 }

func (h panicCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h panicCounter) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "panic" {
			h.n.Add(1)
		}
		return true
	})
	return nil
}
func (h panicCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h panicCounter) WithGroup(string) slog.Handler      { return h }

// FuzzServeMessage sends one arbitrary message on a logged-on connection with an open pipe
// (its session and tree ids patched in, so the fuzzer reaches the handlers), then reads
// whatever comes back. No input may panic the connection or hang it.
func FuzzServeMessage(f *testing.F) {
	var panics atomic.Int64
	s := smbserver.New(fake.New(), smbserver.Config{Accounts: testAccounts, Logger: slog.New(panicCounter{&panics}),
		Limits: smbserver.Limits{IdleTimeout: time.Second, HandshakeTimeout: time.Second}})
	defer s.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	go s.Serve(l)
	seed := &rawClient{}
	for _, m := range [][]byte{
		seed.message(smb2.Echo, simpleBody()),
		seed.message(smb2.Read, readBody(smb2.FileID{Persistent: 1, Volatile: 1}, 100)),
		seed.message(smb2.Write, writeBody(smb2.FileID{Persistent: 1, Volatile: 1}, []byte{5, 0, 11, 3, 16, 0, 0, 0})),
		seed.message(smb2.Ioctl, ioctlBody(smb2.FsctlPipeTransceive, smb2.FileID{Persistent: 1, Volatile: 1}, []byte{5, 0}, 100)),
		seed.message(smb2.Create, createBody("srvsvc")),
		seed.message(smb2.QueryInfo, queryInfoBody(smb2.FileID{Persistent: 1, Volatile: 1}, 5, 24)),
	} {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		// TCP, not net.Pipe: a pipe's writes block until read, and client and server both
		// write before they read here.
		a, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		c := &rawClient{t: t, nc: a}
		_ = a.SetDeadline(time.Now().Add(5 * time.Second))
		c.ready("admin", testPassword)
		if len(msg) >= smb2.HeaderSize {
			binary.LittleEndian.PutUint64(msg[24:], c.mid)
			binary.LittleEndian.PutUint32(msg[36:], c.tid)
			binary.LittleEndian.PutUint64(msg[40:], c.sid)
		}
		if err := c.frame(msg); err != nil {
			return
		}
		// An ECHO behind it: its answer means the server is done with the message.
		c.mid++
		sentinel := c.mid
		_ = c.frame(c.message(smb2.Echo, simpleBody()))
		_ = a.SetDeadline(time.Now().Add(2 * time.Second))
		for {
			r, err := c.recv()
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatalf("no answer and no close after the message % x", msg)
				}
				break
			}
			if r.h.Command == smb2.Echo && r.h.MessageID == sentinel {
				break
			}
		}
		if n := panics.Load(); n > 0 {
			t.Fatalf("%d connection panics; message % x", n, msg)
		}
	})
}
