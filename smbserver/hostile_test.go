package smbserver_test

import (
	"encoding/binary"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/internal/smb2"
	"github.com/sessionsim/sessionsim/smbserver"
)

// stillServes checks that a well-behaved client still gets through.
func stillServes(t *testing.T, addr string) {
	t.Helper()
	c := dialRaw(t, addr)
	c.ready("admin", testPassword)
}

func TestHandshakeTimeout(t *testing.T) {
	_, _, addr := served(t, smbserver.Config{Limits: smbserver.Limits{HandshakeTimeout: 200 * time.Millisecond}})
	// Connects and never speaks.
	c := dialRaw(t, addr)
	start := time.Now()
	assert.True(t, c.closed(3*time.Second), "a silent connection is closed")
	assert.Less(t, time.Since(start), 2*time.Second, "closed after the handshake timeout")
	// Negotiates and then stalls before logging on: the same deadline.
	c = dialRaw(t, addr)
	c.negotiate()
	assert.True(t, c.closed(3*time.Second), "a connection that never logs on is closed")
}

func TestIdleTimeout(t *testing.T) {
	_, f, addr := served(t, smbserver.Config{Limits: smbserver.Limits{IdleTimeout: 200 * time.Millisecond}})
	c := dialRaw(t, addr)
	c.ready("admin", testPassword)
	require.Len(t, f.Sessions(), 1)
	assert.True(t, c.closed(3*time.Second), "an idle connection is closed")
	assert.Eventually(t, func() bool { return len(f.Sessions()) == 0 }, 2*time.Second, 10*time.Millisecond,
		"the idle connection's session is gone from the fake")
}

// TestOversizedFrames: a length over the limit closes the connection without reading (or
// allocating) the claimed bytes; the limit is lower before logon.
func TestOversizedFrames(t *testing.T) {
	_, _, addr := served(t, smbserver.Config{Limits: smbserver.Limits{MaxMessageBeforeAuth: 4096, MaxMessage: 70000}})
	for _, n := range []int{4097, 1 << 20, smb2.MaxFrameLength} {
		c := dialRaw(t, addr)
		_, err := c.nc.Write(smb2.AppendFrameHeader(nil, smb2.FrameMessage, n))
		require.NoError(t, err)
		assert.True(t, c.closed(2*time.Second), "a frame of %d bytes before logon", n)
	}
	c := dialRaw(t, addr)
	c.ready("admin", testPassword)
	_, err := c.nc.Write(smb2.AppendFrameHeader(nil, smb2.FrameMessage, 70001))
	require.NoError(t, err)
	assert.True(t, c.closed(2*time.Second), "a frame over MaxMessage after logon")
	// Session request frames have their own small bound.
	c = dialRaw(t, addr)
	_, err = c.nc.Write(smb2.AppendFrameHeader(nil, smb2.FrameSessionRequest, 4000))
	require.NoError(t, err)
	assert.True(t, c.closed(2*time.Second), "a NetBIOS session request of 4000 bytes")
	stillServes(t, addr)
}

// TestMalformedMessages: truncated headers and bodies, absurd counts, offsets and lengths get
// an error reply or a closed connection; the server goes on serving.
func TestMalformedMessages(t *testing.T) {
	_, _, addr := served(t, smbserver.Config{})
	hdr := func(cmd smb2.Command, mid uint64) []byte {
		return smb2.AppendHeader(nil, &smb2.Header{Command: cmd, Credits: 1, MessageID: mid})
	}
	before := map[string][]byte{
		"empty":                {},
		"not SMB":              []byte("GET / HTTP/1.1\r\n\r\n"),
		"short header":         hdr(smb2.Negotiate, 0)[:40],
		"header only":          hdr(smb2.Negotiate, 0),
		"wrong structure size": append(hdr(smb2.Negotiate, 0), 0x30, 0, 1, 0),
		"zero dialects":        append(hdr(smb2.Negotiate, 0), negotiateBody(1)...),
		"dialect count 65535": append(hdr(smb2.Negotiate, 0), func() []byte {
			b := negotiateBody(1, smb2.Dialect210)
			binary.LittleEndian.PutUint16(b[2:], 0xFFFF)
			return b
		}()...),
		"SMB3 only":           append(hdr(smb2.Negotiate, 0), negotiateBody(1, smb2.Dialect311)...),
		"SESSION_SETUP first": append(hdr(smb2.SessionSetup, 0), sessionSetupBody(1, []byte("x"))...),
		"response flag": func() []byte {
			b := hdr(smb2.Negotiate, 0)
			b[16] |= 1
			return append(b, negotiateBody(1, smb2.Dialect210)...)
		}(),
		"NextCommand too far": func() []byte {
			b := hdr(smb2.Echo, 0)
			binary.LittleEndian.PutUint32(b[20:], 4096)
			return append(b, simpleBody()...)
		}(),
		"NextCommand unaligned": func() []byte {
			b := hdr(smb2.Echo, 0)
			binary.LittleEndian.PutUint32(b[20:], 65)
			return append(b, make([]byte, 80)...)
		}(),
		"SMB1 truncated": []byte("\xffSMBr"),
		"credit charge 200": func() []byte {
			b := hdr(smb2.Negotiate, 0)
			b[6] = 200
			return append(b, negotiateBody(1, smb2.Dialect210)...)
		}(),
	}
	for name, msg := range before {
		t.Run("before logon/"+name, func(t *testing.T) {
			c := dialRaw(t, addr)
			require.NoError(t, c.frame(msg))
			r, err := c.recv()
			if err == nil {
				assert.True(t, r.h.Status.IsError(), "answer %v to a malformed message", r.h.Status)
			}
		})
	}
	// After logon: bodies whose offsets and lengths point outside the message.
	after := map[string]func(*rawClient, smb2.FileID) []byte{
		"TREE_CONNECT path past the end": func(c *rawClient, _ smb2.FileID) []byte {
			b := treeConnectBody(`\\x\IPC$`)
			binary.LittleEndian.PutUint16(b[6:], 0xFFFF)
			return c.message(smb2.TreeConnect, b)
		},
		"TREE_CONNECT odd path length": func(c *rawClient, _ smb2.FileID) []byte {
			b := treeConnectBody(`\\x\IPC$`)
			binary.LittleEndian.PutUint16(b[6:], 3)
			return c.message(smb2.TreeConnect, b)
		},
		"CREATE name offset into the header": func(c *rawClient, _ smb2.FileID) []byte {
			b := createBody("srvsvc")
			binary.LittleEndian.PutUint16(b[44:], 8)
			return c.message(smb2.Create, b)
		},
		"WRITE of 4 GiB": func(c *rawClient, id smb2.FileID) []byte {
			b := writeBody(id, []byte("x"))
			binary.LittleEndian.PutUint32(b[4:], 0xFFFFFFFF)
			return c.message(smb2.Write, b)
		},
		"WRITE garbage to the pipe": func(c *rawClient, id smb2.FileID) []byte {
			return c.message(smb2.Write, writeBody(id, []byte("\x05\x00\x0b\x03\x10\x00\x00\x00\xff\xff\x00\x00garbage")))
		},
		"READ of 4 GiB": func(c *rawClient, id smb2.FileID) []byte {
			return c.message(smb2.Read, readBody(id, 0xFFFFFFFF))
		},
		"IOCTL input past the end": func(c *rawClient, id smb2.FileID) []byte {
			b := ioctlBody(smb2.FsctlPipeTransceive, id, []byte("x"), 1024)
			binary.LittleEndian.PutUint32(b[28:], 0x7FFFFFFF)
			return c.message(smb2.Ioctl, b)
		},
		"VALIDATE_NEGOTIATE_INFO with 60000 dialects": func(c *rawClient, _ smb2.FileID) []byte {
			in := make([]byte, 24)
			binary.LittleEndian.PutUint16(in[22:], 60000)
			return c.message(smb2.Ioctl, ioctlBody(smb2.FsctlValidateNegotiateInfo, smb2.AnyFileID, in, 24))
		},
		"QUERY_INFO truncated": func(c *rawClient, id smb2.FileID) []byte {
			return c.message(smb2.QueryInfo, queryInfoBody(id, smb2.FileStandardInformation, 24)[:20])
		},
		"unknown command": func(c *rawClient, _ smb2.FileID) []byte {
			return c.message(smb2.Command(0x99), simpleBody())
		},
		"file id of nothing": func(c *rawClient, _ smb2.FileID) []byte {
			return c.message(smb2.Read, readBody(smb2.FileID{Persistent: 77, Volatile: 77}, 100))
		},
		"tree id of nothing": func(c *rawClient, id smb2.FileID) []byte {
			c.tid = 999
			return c.message(smb2.Read, readBody(id, 100))
		},
		"session id of nothing": func(c *rawClient, id smb2.FileID) []byte {
			c.sid = 12345
			return c.message(smb2.Read, readBody(id, 100))
		},
	}
	for name, build := range after {
		t.Run("after logon/"+name, func(t *testing.T) {
			c := dialRaw(t, addr)
			id := c.ready("admin", testPassword)
			require.NoError(t, c.frame(build(c, id)))
			r, err := c.recv()
			if err == nil {
				assert.True(t, r.h.Status.IsError(), "answer %v to a malformed request", r.h.Status)
			}
		})
	}
	stillServes(t, addr)
}

func TestTooManyConnections(t *testing.T) {
	s, _, addr := served(t, smbserver.Config{Limits: smbserver.Limits{MaxConnections: 2}})
	a, b := dialRaw(t, addr), dialRaw(t, addr)
	a.negotiate()
	b.negotiate()
	c := dialRaw(t, addr)
	assert.True(t, c.closed(2*time.Second), "a third connection over MaxConnections 2")
	assert.Equal(t, 2, s.Connections())
	a.nc.Close()
	assert.Eventually(t, func() bool { return s.Connections() == 1 }, 2*time.Second, 5*time.Millisecond)
	d := dialRaw(t, addr)
	d.negotiate()
}

func TestTooManySessionsAndPipes(t *testing.T) {
	_, f, addr := served(t, smbserver.Config{Limits: smbserver.Limits{MaxSessionsPerConn: 2, MaxOpensPerSession: 2,
		MaxTreesPerSession: 1, MaxSetupAttempts: 6}})
	c := dialRaw(t, addr)
	c.negotiate()
	for i := range 2 {
		r, err := c.logon("admin", testPassword)
		require.NoError(t, err)
		require.Equal(t, smb2.StatusSuccess, r.h.Status, "logon %d", i+1)
	}
	r, err := c.logon("admin", testPassword)
	require.NoError(t, err)
	assert.Equal(t, smb2.StatusRequestNotAccepted, r.h.Status, "a third session over MaxSessionsPerConn 2")
	assert.Len(t, f.Sessions(), 2)

	require.Equal(t, smb2.StatusSuccess, c.treeConnect(`\\x\IPC$`))
	assert.Equal(t, smb2.StatusInsufficientResources, c.treeConnect(`\\x\IPC$`), "a second tree over MaxTreesPerSession 1")
	for i := range 2 {
		_, st := c.create("srvsvc")
		require.Equal(t, smb2.StatusSuccess, st, "open %d", i+1)
	}
	_, st := c.create("srvsvc")
	assert.Equal(t, smb2.StatusInsufficientResources, st, "a third pipe over MaxOpensPerSession 2")

	// The seventh SESSION_SETUP (three so far took two requests each... count them all)
	// ends the connection: MaxSetupAttempts 6.
	for range 4 {
		if _, err := c.logon("admin", "wrong"); err != nil {
			break
		}
	}
	assert.True(t, c.closed(2*time.Second), "connection after more than MaxSetupAttempts SESSION_SETUP requests")
}

// TestSetupsInProgress: NTLM exchanges started and never finished are bounded.
func TestSetupsInProgress(t *testing.T) {
	_, _, addr := served(t, smbserver.Config{Limits: smbserver.Limits{MaxSetupsInProgress: 2, MaxSessionsPerConn: 10}})
	c := dialRaw(t, addr)
	c.negotiate()
	for i := range 3 {
		c.sid = 0
		r, err := c.call(smb2.SessionSetup, sessionSetupBody(1, ntlmNegotiate()))
		require.NoError(t, err)
		if i < 2 {
			assert.Equal(t, smb2.StatusMoreProcessingRequired, r.h.Status, "setup %d", i+1)
		} else {
			assert.Equal(t, smb2.StatusRequestNotAccepted, r.h.Status, "a third setup in progress over MaxSetupsInProgress 2")
		}
	}
}

func ntlmNegotiate() []byte {
	m := make([]byte, 32)
	copy(m, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(m[8:], 1)
	binary.LittleEndian.PutUint32(m[12:], 0x62088215)
	return m
}

// TestCredits: a client that sends past the credits it was granted is disconnected; the
// grant is what it asks, up to MaxCredits.
func TestCredits(t *testing.T) {
	_, _, addr := served(t, smbserver.Config{Limits: smbserver.Limits{MaxCredits: 8}})
	c := dialRaw(t, addr)
	m := c.message(smb2.Negotiate, negotiateBody(1, smb2.Dialect210))
	binary.LittleEndian.PutUint16(m[14:], 1000) // ask for 1000 credits
	require.NoError(t, c.frame(m))
	r, err := c.recv()
	require.NoError(t, err)
	assert.Equal(t, uint16(8), r.h.Credits, "credits granted when asking for 1000 with MaxCredits 8")
	// Eight requests in one go, without waiting: all answered.
	for range 8 {
		require.NoError(t, c.frame(c.message(smb2.Echo, simpleBody())))
	}
	for i := range 8 {
		r, err := c.recv()
		require.NoError(t, err, "echo %d", i+1)
		assert.Equal(t, smb2.StatusSuccess, r.h.Status)
	}
	// A request that charges more than one credit (multi-credit is not negotiated) ends the
	// connection.
	m = c.message(smb2.Echo, simpleBody())
	binary.LittleEndian.PutUint16(m[6:], 2)
	require.NoError(t, c.frame(m))
	assert.True(t, c.closed(2*time.Second), "connection after a request charging 2 credits")
}

// TestManyConnectionsMemory opens many connections that log on and hold a pipe, and bounds
// the heap they cost.
func TestManyConnectionsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	_, f, addr := served(t, smbserver.Config{})
	const n = 100
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cs := make([]*rawClient, n)
	for i := range cs {
		cs[i] = dialRaw(t, addr)
		cs[i].ready("admin", testPassword)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	require.Len(t, f.Sessions(), n)
	perConn := (int64(m1.HeapAlloc) - int64(m0.HeapAlloc)) / n
	t.Logf("heap per logged-on connection with an open pipe (server and raw client): %d bytes", perConn)
	assert.Less(t, perConn, int64(64<<10), "heap per connection")
	for _, c := range cs {
		c.nc.Close()
	}
	assert.Eventually(t, func() bool { return len(f.Sessions()) == 0 }, 5*time.Second, 10*time.Millisecond)
}

// TestShutdownWithBusyClients: Shutdown closes idle connections at once and waits for none.
func TestShutdownWithIdleClients(t *testing.T) {
	s, _, addr := served(t, smbserver.Config{})
	var cs []*rawClient
	for range 5 {
		c := dialRaw(t, addr)
		c.ready("admin", testPassword)
		cs = append(cs, c)
	}
	start := time.Now()
	require.NoError(t, s.Close())
	assert.Less(t, time.Since(start), time.Second)
	for _, c := range cs {
		assert.True(t, c.closed(time.Second))
	}
	_, err := net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err, "dialing after Close")
}

func TestLimitsDefaults(t *testing.T) {
	l := smbserver.Limits{MaxCredits: 7}.WithDefaults()
	assert.Equal(t, 7, l.MaxCredits, "a set field stays")
	assert.Equal(t, smbserver.DefaultMaxConnections, l.MaxConnections)
	assert.Equal(t, smbserver.DefaultHandshakeTimeout, l.HandshakeTimeout)
	assert.Equal(t, smbserver.DefaultMaxRPCFragment, l.MaxRPCFragment)
	assert.Equal(t, 4<<20, l.MaxRPCRequest, "MaxRPCRequest: Samba's 4 MiB")
	assert.Equal(t, smbserver.DefaultMaxRPCPendingPerConn, l.MaxRPCPendingPerConn)
	assert.Equal(t, smbserver.DefaultMaxRPCPendingPerServer, l.MaxRPCPendingPerServer)
	assert.Greater(t, l.MaxRPCPendingPerConn, l.MaxRPCRequest, "a request of MaxRPCRequest fits in a connection's budget")
	assert.GreaterOrEqual(t, smbserver.DefaultMaxMessage, smbserver.MaxIOSize+smb2.HeaderSize+48,
		"a WRITE of MaxIOSize fits in DefaultMaxMessage")
}

// TestCompoundLimit: a compound of more commands than MaxCompound closes the connection.
func TestCompoundLimit(t *testing.T) {
	_, _, addr := served(t, smbserver.Config{Limits: smbserver.Limits{MaxCompound: 3}})
	c := dialRaw(t, addr)
	m := c.message(smb2.Negotiate, negotiateBody(1, smb2.Dialect210))
	binary.LittleEndian.PutUint16(m[14:], 16) // credits enough for the compounds
	require.NoError(t, c.frame(m))
	_, err := c.recv()
	require.NoError(t, err)
	compound := func(n int) []byte {
		var msg []byte
		for i := range n {
			p := c.message(smb2.Echo, simpleBody())
			for len(p)%8 != 0 {
				p = append(p, 0)
			}
			if i < n-1 {
				binary.LittleEndian.PutUint32(p[20:], uint32(len(p)))
			}
			msg = append(msg, p...)
		}
		return msg
	}
	require.NoError(t, c.frame(compound(3)))
	_, body, err := smb2.ReadFrame(c.nc, smb2.MaxFrameLength, nil)
	require.NoError(t, err, "a compound of 3 with MaxCompound 3")
	parts, err := smb2.SplitCompound(body, 8)
	require.NoError(t, err)
	assert.Len(t, parts, 3, "answers to a compound of 3")
	require.NoError(t, c.frame(compound(4)))
	assert.True(t, c.closed(2*time.Second), "a compound of 4 commands over MaxCompound 3")
}
