package smbserver_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/sessionsim/sessionsim/internal/ntlmssp/ntlmtest"
	"github.com/sessionsim/sessionsim/internal/smb2"
)

// rawClient speaks SMB2 byte by byte, built on internal/smb2: the hostile and protocol tests'
// client, which sends what real clients never would.
type rawClient struct {
	t   testing.TB
	nc  net.Conn
	mid uint64
	sid uint64
	tid uint32
	key []byte
	// sign signs every request (needs key).
	sign bool
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawClient{t: t, nc: nc}
}

// frame sends raw bytes as one NetBIOS message.
func (c *rawClient) frame(msg []byte) error {
	b := smb2.AppendFrameHeader(nil, smb2.FrameMessage, len(msg))
	_, err := c.nc.Write(append(b, msg...))
	return err
}

// message builds one request: header (with the client's ids) and body.
func (c *rawClient) message(cmd smb2.Command, body []byte) []byte {
	h := smb2.Header{Command: cmd, Credits: 1, MessageID: c.mid, SessionID: c.sid, TreeID: c.tid}
	c.mid++
	m := append(smb2.AppendHeader(nil, &h), body...)
	if c.sign && c.key != nil {
		smb2.Sign(c.key, m)
	}
	return m
}

type response struct {
	h    smb2.Header
	msg  []byte // header included
	body []byte
}

// recv reads one response message (the first command of a compound in msg).
func (c *rawClient) recv() (*response, error) {
	typ, msg, err := smb2.ReadFrame(c.nc, smb2.MaxFrameLength, nil)
	if err != nil {
		return nil, err
	}
	if typ != smb2.FrameMessage {
		return &response{msg: []byte{typ}}, nil
	}
	h, err := smb2.ParseHeader(msg)
	if err != nil {
		return nil, err
	}
	return &response{h: h, msg: msg, body: msg[smb2.HeaderSize:]}, nil
}

func (c *rawClient) call(cmd smb2.Command, body []byte) (*response, error) {
	if err := c.frame(c.message(cmd, body)); err != nil {
		return nil, err
	}
	return c.recv()
}

// mustCall is call that fails the test on a transport error.
func (c *rawClient) mustCall(cmd smb2.Command, body []byte) *response {
	c.t.Helper()
	r, err := c.call(cmd, body)
	if err != nil {
		c.t.Fatalf("%v: %v", cmd, err)
	}
	return r
}

// closed reports whether the server closed the connection (reading gets EOF or a reset
// before the timeout).
func (c *rawClient) closed(within time.Duration) bool {
	_ = c.nc.SetReadDeadline(time.Now().Add(within))
	var b [1]byte
	for {
		_, err := c.nc.Read(b[:])
		if err == nil {
			continue
		}
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}
}

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }

func negotiateBody(secMode uint16, dialects ...uint16) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 36)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dialects)))
	b = binary.LittleEndian.AppendUint16(b, secMode)
	b = append(b, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, 0) // capabilities
	b = append(b, []byte("0123456789abcdef")...)
	b = append(b, make([]byte, 8)...)
	for _, d := range dialects {
		b = binary.LittleEndian.AppendUint16(b, d)
	}
	return b
}

func sessionSetupBody(secMode uint8, token []byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 25)
	b = append(b, 0, secMode)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint16(b, smb2.HeaderSize+24)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(token)))
	b = binary.LittleEndian.AppendUint64(b, 0)
	return append(b, token...)
}

func treeConnectBody(path string) []byte {
	p := smb2.AppendUTF16(nil, path)
	b := binary.LittleEndian.AppendUint16(nil, 9)
	b = append(b, 0, 0)
	b = binary.LittleEndian.AppendUint16(b, smb2.HeaderSize+8)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(p)))
	return append(b, p...)
}

func createBody(name string) []byte {
	n := smb2.AppendUTF16(nil, name)
	b := binary.LittleEndian.AppendUint16(nil, 57)
	b = append(b, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, 2) // impersonation
	b = append(b, make([]byte, 16)...)
	b = binary.LittleEndian.AppendUint32(b, 0x0012019f) // desired access
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 7) // share access
	b = binary.LittleEndian.AppendUint32(b, 1) // FILE_OPEN
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint16(b, smb2.HeaderSize+56)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(n)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0)
	if len(n) == 0 {
		n = []byte{0}
	}
	return append(b, n...)
}

func fileIDBytes(id smb2.FileID) []byte {
	b := binary.LittleEndian.AppendUint64(nil, id.Persistent)
	return binary.LittleEndian.AppendUint64(b, id.Volatile)
}

func closeBody(id smb2.FileID) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 24)
	b = append(b, 0, 0, 0, 0, 0, 0)
	return append(b, fileIDBytes(id)...)
}

func writeBody(id smb2.FileID, data []byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 49)
	b = binary.LittleEndian.AppendUint16(b, smb2.HeaderSize+48)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = binary.LittleEndian.AppendUint64(b, 0)
	b = append(b, fileIDBytes(id)...)
	b = append(b, make([]byte, 16)...)
	return append(b, data...)
}

func readBody(id smb2.FileID, length uint32) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 49)
	b = append(b, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, length)
	b = binary.LittleEndian.AppendUint64(b, 0)
	b = append(b, fileIDBytes(id)...)
	b = append(b, make([]byte, 16)...)
	return append(b, 0)
}

func ioctlBody(ctl uint32, id smb2.FileID, input []byte, maxOut uint32) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 57)
	b = append(b, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, ctl)
	b = append(b, fileIDBytes(id)...)
	b = binary.LittleEndian.AppendUint32(b, smb2.HeaderSize+56)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(input)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, maxOut)
	b = binary.LittleEndian.AppendUint32(b, smb2.IoctlFlagIsFsctl)
	b = binary.LittleEndian.AppendUint32(b, 0)
	return append(b, input...)
}

func queryInfoBody(id smb2.FileID, class uint8, outLen uint32) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 41)
	b = append(b, smb2.InfoFile, class)
	b = binary.LittleEndian.AppendUint32(b, outLen)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = append(b, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0)
	return append(b, fileIDBytes(id)...)
}

func simpleBody() []byte { return []byte{4, 0, 0, 0} }

// negotiate sends an SMB2 NEGOTIATE for 2.0.2 and 2.1.
func (c *rawClient) negotiate() *response {
	c.t.Helper()
	r := c.mustCall(smb2.Negotiate, negotiateBody(smb2.SigningEnabled, smb2.Dialect202, smb2.Dialect210))
	if r.h.Status != smb2.StatusSuccess {
		c.t.Fatalf("NEGOTIATE = %v", r.h.Status)
	}
	return r
}

// logon runs NEGOTIATE (unless done) and an NTLMSSP logon with raw tokens; user "" is a null
// session. It returns the final response.
func (c *rawClient) logon(user, password string) (*response, error) {
	nt := &ntlmtest.Client{User: user, Password: password, Anonymous: user == "" && password == ""}
	saved := c.sid
	c.sid = 0
	r, err := c.call(smb2.SessionSetup, sessionSetupBody(1, nt.Negotiate()))
	if err != nil {
		return nil, err
	}
	if r.h.Status != smb2.StatusMoreProcessingRequired {
		c.sid = saved
		return r, nil
	}
	c.sid = r.h.SessionID
	chal, err := securityBuffer(r)
	if err != nil {
		return nil, err
	}
	auth, err := nt.Authenticate(chal)
	if err != nil {
		return nil, err
	}
	r, err = c.call(smb2.SessionSetup, sessionSetupBody(1, auth))
	if err != nil {
		return nil, err
	}
	if r.h.Status == smb2.StatusSuccess {
		c.key = nt.SessionKey()
	} else {
		c.sid = saved
	}
	return r, nil
}

func securityBuffer(r *response) ([]byte, error) {
	if len(r.body) < 8 {
		return nil, fmt.Errorf("SESSION_SETUP response body of %d bytes", len(r.body))
	}
	off, n := int(binary.LittleEndian.Uint16(r.body[4:])), int(binary.LittleEndian.Uint16(r.body[6:]))
	if off+n > len(r.msg) {
		return nil, fmt.Errorf("security buffer outside the response")
	}
	return r.msg[off : off+n], nil
}

// ready negotiates, logs on as user, connects IPC$ and opens srvsvc.
func (c *rawClient) ready(user, password string) smb2.FileID {
	c.t.Helper()
	c.negotiate()
	r, err := c.logon(user, password)
	if err != nil || r.h.Status != smb2.StatusSuccess {
		c.t.Fatalf("logon as %q: %v %v", user, statusOf(r), err)
	}
	c.treeConnect(`\\127.0.0.1\IPC$`)
	id, st := c.create("srvsvc")
	if st != smb2.StatusSuccess {
		c.t.Fatalf("CREATE srvsvc = %v", st)
	}
	return id
}

func statusOf(r *response) smb2.Status {
	if r == nil {
		return 0xFFFFFFFF
	}
	return r.h.Status
}

func (c *rawClient) treeConnect(path string) smb2.Status {
	c.t.Helper()
	r := c.mustCall(smb2.TreeConnect, treeConnectBody(path))
	if r.h.Status == smb2.StatusSuccess {
		c.tid = r.h.TreeID
	}
	return r.h.Status
}

func (c *rawClient) create(name string) (smb2.FileID, smb2.Status) {
	c.t.Helper()
	r := c.mustCall(smb2.Create, createBody(name))
	if r.h.Status != smb2.StatusSuccess {
		return smb2.FileID{}, r.h.Status
	}
	if len(r.body) < 80 {
		c.t.Fatalf("CREATE response body of %d bytes", len(r.body))
	}
	return smb2.FileID{Persistent: binary.LittleEndian.Uint64(r.body[64:]), Volatile: binary.LittleEndian.Uint64(r.body[72:])}, smb2.StatusSuccess
}

// pipe is an io.ReadWriter over WRITE and READ of one open, for dcerpc.Bind.
type pipe struct {
	c  *rawClient
	id smb2.FileID
}

func (p pipe) Write(b []byte) (int, error) {
	r, err := p.c.call(smb2.Write, writeBody(p.id, b))
	if err != nil {
		return 0, err
	}
	if r.h.Status != smb2.StatusSuccess {
		return 0, r.h.Status
	}
	return len(b), nil
}

func (p pipe) Read(b []byte) (int, error) {
	r, err := p.c.call(smb2.Read, readBody(p.id, uint32(len(b))))
	if err != nil {
		return 0, err
	}
	if r.h.Status != smb2.StatusSuccess && r.h.Status != smb2.StatusBufferOverflow {
		return 0, r.h.Status
	}
	return copy(b, readData(r)), nil
}

func readData(r *response) []byte {
	if len(r.body) < 16 {
		return nil
	}
	off, n := int(r.body[2]), int(binary.LittleEndian.Uint32(r.body[4:]))
	if off+n > len(r.msg) {
		return nil
	}
	return r.msg[off : off+n]
}
