package smbserver_test

import (
	"context"
	"encoding/binary"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/dcerpc"
	"github.com/sessionsim/sessionsim/internal/smb2"
	"github.com/sessionsim/sessionsim/internal/srvs"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
	"github.com/sessionsim/sessionsim/smbserver"
)

const testPassword = "fixture"

var testAccounts = []smbserver.Account{
	{Name: "admin", Password: testPassword, Role: fake.Administrator},
	{Name: "plain", Password: testPassword, Role: fake.User},
}

// served starts a server for a fresh fake and returns its address. At cleanup it shuts the
// server down and checks that its goroutines are gone.
func served(t *testing.T, cfg smbserver.Config) (*smbserver.Server, *fake.Server, string) {
	t.Helper()
	return servedFake(t, fake.New(), cfg)
}

// servedFake serves f on a loopback port until the test ends.
func servedFake(t *testing.T, f *fake.Server, cfg smbserver.Config) (*smbserver.Server, *fake.Server, string) {
	t.Helper()
	before := runtime.NumGoroutine()
	if cfg.Accounts == nil {
		cfg.Accounts = testAccounts
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	s := smbserver.New(f, cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		assert.NoError(t, s.Shutdown(ctx), "Shutdown")
		assert.ErrorIs(t, <-done, smbserver.ErrServerClosed, "Serve after Shutdown")
		assert.True(t, goroutinesBackTo(before, 5*time.Second), "goroutines after Shutdown: %d, before the server: %d", runtime.NumGoroutine(), before)
	})
	return s, f, l.Addr().String()
}

func portOf(t *testing.T, addr string) int {
	_, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	n, err := net.LookupPort("tcp", p)
	require.NoError(t, err)
	return n
}

func TestLogons(t *testing.T) {
	_, f, addr := served(t, smbserver.Config{})
	for _, tc := range []struct {
		name, user, password string
		status               smb2.Status
		flags                uint16
		role                 string
	}{
		{"account", "admin", testPassword, smb2.StatusSuccess, 0, "admin"},
		{"account in another case", "ADMIN", testPassword, smb2.StatusSuccess, 0, "admin"},
		{"wrong password", "admin", "wrong", smb2.StatusLogonFailure, 0, ""},
		{"unknown user maps to guest", "nobody-here", "x", smb2.StatusSuccess, smb2.SessionFlagIsGuest, "nobody-here"},
		{"guest with any password", "guest", "whatever", smb2.StatusSuccess, smb2.SessionFlagIsGuest, "guest"},
		{"anonymous", "", "", smb2.StatusSuccess, smb2.SessionFlagIsNull, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, addr)
			c.negotiate()
			r, err := c.logon(tc.user, tc.password)
			require.NoError(t, err)
			require.Equal(t, tc.status, r.h.Status, "SESSION_SETUP as %q", tc.user)
			if tc.status != smb2.StatusSuccess {
				return
			}
			assert.Equal(t, tc.flags, binary.LittleEndian.Uint16(r.body[2:]), "session flags")
			var found bool
			for _, s := range f.Sessions() {
				if s.ClientName == "127.0.0.1" && s.UserName == tc.role {
					found = true
					assert.Equal(t, tc.flags == smb2.SessionFlagIsGuest, s.Flags&sessionapi.SessGuest != 0, "SESS_GUEST")
				}
			}
			assert.True(t, found, "no session of %q from 127.0.0.1 in the fake: %+v", tc.role, f.Sessions())
		})
	}
}

func TestMapNever(t *testing.T) {
	_, _, addr := served(t, smbserver.Config{MapToGuest: smbserver.MapNever})
	c := dialRaw(t, addr)
	c.negotiate()
	r, err := c.logon("nobody-here", "x")
	require.NoError(t, err)
	assert.Equal(t, smb2.StatusLogonFailure, r.h.Status, "unknown user under MapNever")
	r, err = c.logon("guest", "x")
	require.NoError(t, err)
	assert.Equal(t, smb2.StatusSuccess, r.h.Status, "user guest under MapNever")
}

func TestSharesAndPipes(t *testing.T) {
	_, f, addr := served(t, smbserver.Config{})
	c := dialRaw(t, addr)
	c.negotiate()
	_, err := c.logon("admin", testPassword)
	require.NoError(t, err)
	assert.Equal(t, smb2.StatusBadNetworkName, c.treeConnect(`\\127.0.0.1\C$`))
	require.Equal(t, smb2.StatusSuccess, c.treeConnect(`\\127.0.0.1\ipc$`))
	for _, name := range []string{"srvsvc", `\srvsvc`, "SRVSVC", `\PIPE\srvsvc`} {
		id, st := c.create(name)
		assert.Equal(t, smb2.StatusSuccess, st, "CREATE %q", name)
		if st == smb2.StatusSuccess {
			r := c.mustCall(smb2.Close, closeBody(id))
			assert.Equal(t, smb2.StatusSuccess, r.h.Status, "CLOSE")
		}
	}
	for _, name := range []string{"lsarpc", "samr", "srvsvc2", ""} {
		_, st := c.create(name)
		assert.Equal(t, smb2.StatusObjectNameNotFound, st, "CREATE %q", name)
	}
	id, _ := c.create("srvsvc")
	assert.Equal(t, uint32(1), f.Sessions()[0].OpenFiles, "num_opens with one pipe open")
	r := c.mustCall(smb2.Close, closeBody(id))
	assert.Equal(t, smb2.StatusSuccess, r.h.Status)
	r = c.mustCall(smb2.Close, closeBody(id))
	assert.Equal(t, smb2.StatusFileClosed, r.h.Status, "second CLOSE")
	assert.Equal(t, uint32(0), f.Sessions()[0].OpenFiles, "num_opens after CLOSE")
	r = c.mustCall(smb2.Echo, simpleBody())
	assert.Equal(t, smb2.StatusSuccess, r.h.Status, "ECHO")
	r = c.mustCall(smb2.TreeDisconnect, simpleBody())
	assert.Equal(t, smb2.StatusSuccess, r.h.Status, "TREE_DISCONNECT")
	r = c.mustCall(smb2.Logoff, simpleBody())
	assert.Equal(t, smb2.StatusSuccess, r.h.Status, "LOGOFF")
	assert.Empty(t, f.Sessions(), "sessions after LOGOFF")
}

// TestPipeMessageMode reads a bind_ack through a READ with too little room: the first READ
// is STATUS_BUFFER_OVERFLOW with what fits, the next the rest of the fragment.
// TestPipesCountAsOpensPerProfile: the open \PIPE\srvsvc is in num_opens on Windows profiles
// and not on Samba's, which counts files only (seen live: smbserver/interop's differential).
func TestPipesCountAsOpensPerProfile(t *testing.T) {
	for _, p := range []fake.Profile{fake.Windows(), fake.Samba()} {
		t.Run(p.Name, func(t *testing.T) {
			_, f, addr := servedFake(t, fake.New(fake.WithProfile(p)), smbserver.Config{})
			c := dialRaw(t, addr)
			c.negotiate()
			_, err := c.logon("admin", testPassword)
			require.NoError(t, err)
			require.Equal(t, smb2.StatusSuccess, c.treeConnect(`\\127.0.0.1\IPC$`))
			id, st := c.create("srvsvc")
			require.Equal(t, smb2.StatusSuccess, st)
			want := uint32(0)
			if p.PipesCountAsOpens {
				want = 1
			}
			require.Len(t, f.Sessions(), 1)
			assert.Equal(t, want, f.Sessions()[0].OpenFiles, "num_opens with the pipe open (PipesCountAsOpens=%v)", p.PipesCountAsOpens)
			r := c.mustCall(smb2.Close, closeBody(id))
			require.Equal(t, smb2.StatusSuccess, r.h.Status)
			assert.Equal(t, uint32(0), f.Sessions()[0].OpenFiles, "num_opens after CLOSE")
		})
	}
}

func TestPipeMessageMode(t *testing.T) {
	_, _, addr := served(t, smbserver.Config{})
	c := dialRaw(t, addr)
	id := c.ready("admin", testPassword)
	p := pipe{c, id}
	rpc, err := dcerpc.Bind(p, srvs.Syntax, 4280)
	require.NoError(t, err, "bind over WRITE/READ")
	_ = rpc
	// A second association on another open: write the bind by hand, read it in pieces.
	id2, st := c.create("srvsvc")
	require.Equal(t, smb2.StatusSuccess, st)
	var rec recorder
	_, err = dcerpc.Bind(&rec, srvs.Syntax, 4280)
	require.Error(t, err, "the recorder answers nothing")
	require.NotEmpty(t, rec.w)
	r := c.mustCall(smb2.Write, writeBody(id2, rec.w))
	require.Equal(t, smb2.StatusSuccess, r.h.Status)
	r = c.mustCall(smb2.Read, readBody(id2, 10))
	assert.Equal(t, smb2.StatusBufferOverflow, r.h.Status, "READ of 10 bytes of a bind_ack")
	first := readData(r)
	assert.Len(t, first, 10)
	r = c.mustCall(smb2.Read, readBody(id2, 4280))
	assert.Equal(t, smb2.StatusSuccess, r.h.Status, "READ of the rest")
	rest := readData(r)
	frag := append(first, rest...)
	require.GreaterOrEqual(t, len(frag), 10)
	assert.Equal(t, int(binary.LittleEndian.Uint16(frag[8:])), len(frag), "fragment length of the bind_ack read in two pieces")
	r = c.mustCall(smb2.Read, readBody(id2, 4280))
	assert.True(t, r.h.Status.IsError(), "READ with nothing queued = %v; want an error", r.h.Status)

	// TRANSCEIVE with a small MaxOutputResponse: STATUS_BUFFER_OVERFLOW, the rest by READ.
	id3, _ := c.create("srvsvc")
	r = c.mustCall(smb2.Ioctl, ioctlBody(smb2.FsctlPipeTransceive, id3, rec.w, 16))
	assert.Equal(t, smb2.StatusBufferOverflow, r.h.Status, "TRANSCEIVE with 16 bytes of room")
	r = c.mustCall(smb2.Read, readBody(id3, 4280))
	assert.Equal(t, smb2.StatusSuccess, r.h.Status, "READ after an overflowing TRANSCEIVE")
}

// recorder keeps what is written and reads nothing.
type recorder struct{ w []byte }

func (r *recorder) Write(b []byte) (int, error) { r.w = append(r.w, b...); return len(b), nil }
func (r *recorder) Read([]byte) (int, error)    { return 0, net.ErrClosed }

func TestQueryInfoAndIoctls(t *testing.T) {
	_, _, addr := served(t, smbserver.Config{})
	c := dialRaw(t, addr)
	id := c.ready("admin", testPassword)
	r := c.mustCall(smb2.QueryInfo, queryInfoBody(id, smb2.FileStandardInformation, 24))
	require.Equal(t, smb2.StatusSuccess, r.h.Status, "FILE_STANDARD_INFO")
	// As Windows Server answers (shared/evidence/windows, capture A, frame 551).
	assert.Equal(t, "0900480018000000001000000000000000000000000000000100000001000000", hexOf(r.body))
	r = c.mustCall(smb2.QueryInfo, queryInfoBody(id, smb2.FileStandardInformation, 8))
	assert.True(t, r.h.Status.IsError(), "FILE_STANDARD_INFO in 8 bytes = %v", r.h.Status)
	r = c.mustCall(smb2.QueryInfo, queryInfoBody(id, smb2.FilePipeLocalInformation, 1024))
	assert.Equal(t, smb2.StatusSuccess, r.h.Status, "FILE_PIPE_LOCAL_INFO")
	r = c.mustCall(smb2.Ioctl, ioctlBody(smb2.FsctlQueryNetworkInterfaceInfo, smb2.AnyFileID, nil, 65536))
	assert.Equal(t, smb2.StatusNotSupported, r.h.Status, "FSCTL_QUERY_NETWORK_INTERFACE_INFO")
	r = c.mustCall(smb2.Ioctl, ioctlBody(0x00090000, id, nil, 1024))
	assert.Equal(t, smb2.StatusNotSupported, r.h.Status, "an unknown FSCTL")
}

func hexOf(b []byte) string {
	const d = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, d[c>>4], d[c&15])
	}
	return string(out)
}

// TestSigning: a signed request gets a signed answer; a wrong signature is refused;
// VALIDATE_NEGOTIATE_INFO is answered with what NEGOTIATE said, signed.
func TestSigning(t *testing.T) {
	_, _, addr := served(t, smbserver.Config{})
	c := dialRaw(t, addr)
	neg := c.negotiate()
	assert.Equal(t, smb2.SigningEnabled, binary.LittleEndian.Uint16(neg.body[2:]), "NEGOTIATE security mode")
	assert.Equal(t, smb2.Dialect210, binary.LittleEndian.Uint16(neg.body[4:]), "NEGOTIATE dialect")
	assert.Zero(t, binary.LittleEndian.Uint32(neg.body[24:])&smb2.CapEncryption, "CAP_ENCRYPTION offered")
	r, err := c.logon("admin", testPassword)
	require.NoError(t, err)
	require.Equal(t, smb2.StatusSuccess, r.h.Status)
	require.Len(t, c.key, 16, "session key")
	c.sign = true
	r = c.mustCall(smb2.TreeConnect, treeConnectBody(`\\127.0.0.1\IPC$`))
	require.Equal(t, smb2.StatusSuccess, r.h.Status)
	c.tid = r.h.TreeID
	assert.NotZero(t, r.h.Flags&smb2.FlagSigned, "answer to a signed request is signed")
	assert.True(t, smb2.Verify(c.key, r.msg), "signature of the TREE_CONNECT response")

	vni := binary.LittleEndian.AppendUint32(nil, 0)
	vni = append(vni, []byte("0123456789abcdef")...)
	vni = binary.LittleEndian.AppendUint16(vni, smb2.SigningEnabled)
	vni = binary.LittleEndian.AppendUint16(vni, 2)
	vni = binary.LittleEndian.AppendUint16(vni, smb2.Dialect202)
	vni = binary.LittleEndian.AppendUint16(vni, smb2.Dialect210)
	r = c.mustCall(smb2.Ioctl, ioctlBody(smb2.FsctlValidateNegotiateInfo, smb2.AnyFileID, vni, 24))
	require.Equal(t, smb2.StatusSuccess, r.h.Status, "VALIDATE_NEGOTIATE_INFO")
	assert.True(t, smb2.Verify(c.key, r.msg), "signature of the VALIDATE_NEGOTIATE_INFO answer")
	out := r.msg[binary.LittleEndian.Uint32(r.body[32:]):]
	assert.Equal(t, neg.body[8:24], out[4:20], "server GUID")
	assert.Equal(t, smb2.Dialect210, binary.LittleEndian.Uint16(out[22:]), "dialect")

	// A corrupted signature.
	m := c.message(smb2.Echo, simpleBody())
	smb2.Sign(c.key, m)
	m[smb2.SignatureOffset] ^= 1
	require.NoError(t, c.frame(m))
	r, err = c.recv()
	require.NoError(t, err)
	// ECHO needs no session, but a TREE_CONNECT does: send one with a bad signature.
	m = c.message(smb2.TreeConnect, treeConnectBody(`\\127.0.0.1\IPC$`))
	m[smb2.SignatureOffset] ^= 1
	require.NoError(t, c.frame(m))
	r, err = c.recv()
	require.NoError(t, err)
	assert.Equal(t, smb2.StatusAccessDenied, r.h.Status, "request with a bad signature")

	// A mismatching VALIDATE_NEGOTIATE_INFO (another GUID) ends the connection.
	copy(vni[4:], "fedcba9876543210")
	_, err = c.call(smb2.Ioctl, ioctlBody(smb2.FsctlValidateNegotiateInfo, smb2.AnyFileID, vni, 24))
	if err == nil {
		assert.True(t, c.closed(2*time.Second), "connection after a mismatching VALIDATE_NEGOTIATE_INFO")
	}
}

// TestSMB1Negotiate: impacket's SMB1 NEGOTIATE that offers "SMB 2.???" gets the SMB2 answer
// with the wildcard dialect 0x02FF; an SMB1-only one is refused by closing.
func TestSMB1Negotiate(t *testing.T) {
	_, _, addr := served(t, smbserver.Config{})
	smb1 := func(dialects ...string) []byte {
		m := append([]byte("\xffSMB"), 0x72)
		m = append(m, make([]byte, 27)...)
		m = append(m, 0) // word count
		var data []byte
		for _, d := range dialects {
			data = append(append(append(data, 2), d...), 0)
		}
		m = binary.LittleEndian.AppendUint16(m, uint16(len(data)))
		return append(m, data...)
	}
	c := dialRaw(t, addr)
	require.NoError(t, c.frame(smb1("NT LM 0.12", "SMB 2.002", "SMB 2.???")))
	r, err := c.recv()
	require.NoError(t, err)
	assert.Equal(t, smb2.Negotiate, r.h.Command)
	assert.Equal(t, smb2.DialectWildcard, binary.LittleEndian.Uint16(r.body[4:]), "dialect")
	c.mid = 1
	c.negotiate()

	c = dialRaw(t, addr)
	require.NoError(t, c.frame(smb1("NT LM 0.12")))
	assert.True(t, c.closed(2*time.Second), "connection after an SMB1-only NEGOTIATE")
}

// TestNetBIOSSessionRequest: the session request clients send on port 139 gets a positive
// response, and SMB2 follows.
func TestNetBIOSSessionRequest(t *testing.T) {
	_, _, addr := served(t, smbserver.Config{})
	c := dialRaw(t, addr)
	req := smb2.AppendFrameHeader(nil, smb2.FrameSessionRequest, 68)
	req = append(req, make([]byte, 68)...)
	_, err := c.nc.Write(req)
	require.NoError(t, err)
	r, err := c.recv()
	require.NoError(t, err)
	assert.Equal(t, []byte{smb2.FramePositiveResponse}, r.msg, "answer to a NetBIOS session request")
	c.negotiate()
}

// TestCompound sends CREATE, WRITE (bind), READ related: the FileID of the CREATE carries on.
func TestCompound(t *testing.T) {
	_, _, addr := served(t, smbserver.Config{})
	c := dialRaw(t, addr)
	c.ready("admin", testPassword)
	var rec recorder
	_, _ = dcerpc.Bind(&rec, srvs.Syntax, 4280)
	var msg []byte
	parts := [][]byte{c.message(smb2.Create, createBody("srvsvc")), c.message(smb2.Write, writeBody(smb2.AnyFileID, rec.w)),
		c.message(smb2.Read, readBody(smb2.AnyFileID, 4280))}
	for i, p := range parts {
		if i > 0 {
			f := binary.LittleEndian.Uint32(p[16:]) | smb2.FlagRelated
			binary.LittleEndian.PutUint32(p[16:], f)
		}
		if i+1 < len(parts) {
			for len(p)%8 != 0 {
				p = append(p, 0)
			}
			binary.LittleEndian.PutUint32(p[20:], uint32(len(p)))
		}
		msg = append(msg, p...)
	}
	require.NoError(t, c.frame(msg))
	_, body, err := smb2.ReadFrame(c.nc, smb2.MaxFrameLength, nil)
	require.NoError(t, err)
	resps, err := smb2.SplitCompound(body, 8)
	require.NoError(t, err)
	require.Len(t, resps, 3)
	for i, want := range []smb2.Command{smb2.Create, smb2.Write, smb2.Read} {
		h, err := smb2.ParseHeader(resps[i])
		require.NoError(t, err)
		assert.Equal(t, want, h.Command)
		assert.Equal(t, smb2.StatusSuccess, h.Status, "%v in a related compound", want)
	}
}

// TestNetSessionDelOwnSession: a client that deletes its own session still reads the answer;
// its connection ends after.
func TestNetSessionDelOwnSession(t *testing.T) {
	_, f, addr := served(t, smbserver.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := srvsvc.Dial(ctx, srvsvc.Config{Host: "127.0.0.1", Port: portOf(t, addr), User: "admin", Password: testPassword})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.NetSessionDel(ctx, "", `\\127.0.0.1`, ""), `NetSessionDel(\\127.0.0.1) of the caller's own session`)
	assert.Empty(t, f.Sessions())
	_, err = c.NetSessionEnum(ctx, "", "", "", sessionapi.Level0, sessionapi.MaxPreferredLength, nil)
	assert.Error(t, err, "a call on the deleted session's connection")
}

// TestServerNames: the fake answers to its name, the address the client connected to,
// localhost and an empty name; another name is the profile's unknown-server answer.
func TestServerNames(t *testing.T) {
	_, _, addr := served(t, smbserver.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := srvsvc.Dial(ctx, srvsvc.Config{Host: "127.0.0.1", Port: portOf(t, addr), User: "admin", Password: testPassword})
	require.NoError(t, err)
	defer c.Close()
	for _, name := range []string{"", `\\127.0.0.1`, "127.0.0.1", "localhost", `\\LOCALHOST`, fake.DefaultName, `\\` + fake.DefaultName} {
		_, err := c.NetSessionEnum(ctx, name, "", "", sessionapi.Level10, sessionapi.MaxPreferredLength, nil)
		assert.NoError(t, err, "NetSessionEnum(servername=%q)", name)
	}
	_, err = c.NetSessionEnum(ctx, `\\OTHERHOST`, "", "", sessionapi.Level10, sessionapi.MaxPreferredLength, nil)
	assert.Error(t, err, `NetSessionEnum(servername=\\OTHERHOST)`)
}

// goroutinesBackTo waits for the goroutine count to fall to n (polling in this goroutine, so
// the wait adds none).
func goroutinesBackTo(n int, within time.Duration) bool {
	end := time.Now().Add(within)
	for runtime.NumGoroutine() > n {
		if time.Now().After(end) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}
