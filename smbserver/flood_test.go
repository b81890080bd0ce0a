package smbserver_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/sessionsim/sessionsim/internal/syncbuf"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/dcerpc"
	"github.com/sessionsim/sessionsim/internal/ndr"
	"github.com/sessionsim/sessionsim/internal/smb2"
	"github.com/sessionsim/sessionsim/internal/srvs"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/smbserver"
)

// rpcRequest is one whole DCE/RPC request PDU (NDR 2.0 context 0).
func rpcRequest(callID uint32, opnum uint16, stub []byte) []byte {
	b := []byte{5, 0, 0, 3, 0x10, 0, 0, 0}
	b = binary.LittleEndian.AppendUint16(b, uint16(24+len(stub)))
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, callID)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(stub)))
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, opnum)
	return append(b, stub...)
}

// busyFake is a fake with n sessions, so that a level-502 enumeration answer is large.
func busyFake(t *testing.T, n int) *fake.Server {
	f := fake.New()
	for i := range n {
		_, err := f.Connect(fake.Session{ClientName: fmt.Sprintf("10.1.%d.%d", i/250, i%250+1), UserName: fmt.Sprintf("user%04d", i)})
		require.NoError(t, err)
	}
	return f
}

// enum502 is a NetrSessionEnum request stub at level 502 asking for everything.
var enum502 = ndr.EncodeSessEnumRequest(&ndr.SessEnumRequest{Level: sessionapi.Level502, MaxBuffer: 0xFFFFFFFF})

// flood sends level-502 enumerations on every pipe of c without reading an answer, rounds
// times, and returns how many WRITEs were taken and refused.
func flood(t *testing.T, c *rawClient, pipes []smb2.FileID, rounds int) (taken, refused int) {
	t.Helper()
	call := uint32(100)
	for range rounds {
		for _, id := range pipes {
			call++
			r := c.mustCall(smb2.Write, writeBody(id, rpcRequest(call, ndr.OpNetrSessionEnum, enum502)))
			switch r.h.Status {
			case smb2.StatusSuccess:
				taken++
			case smb2.StatusInsufficientResources:
				refused++
			default:
				t.Fatalf("WRITE of a NetrSessionEnum request to a flooded pipe = %v; want STATUS_SUCCESS or STATUS_INSUFFICIENT_RESOURCES", r.h.Status)
			}
		}
	}
	return taken, refused
}

// openPipes opens and binds n srvsvc pipes on c.
func openPipes(t *testing.T, c *rawClient, n int) []smb2.FileID {
	t.Helper()
	ids := make([]smb2.FileID, n)
	for i := range ids {
		id, st := c.create("srvsvc")
		require.Equal(t, smb2.StatusSuccess, st, "CREATE srvsvc %d", i+1)
		_, err := dcerpc.Bind(pipe{c, id}, srvs.Syntax, 4280)
		require.NoError(t, err, "bind on pipe %d", i+1)
		ids[i] = id
	}
	return ids
}

// TestFloodOfUnreadAnswersIsBoundedPerConnection is the reviewer's flood (32 pipes of one
// session sent level-502 enumerations whose answers are never read) with the raw client: the
// bytes held stop at MaxRPCPendingPerConn plus one answer, further WRITEs are refused with
// STATUS_INSUFFICIENT_RESOURCES and take nothing, and reading makes room again.
func TestFloodOfUnreadAnswersIsBoundedPerConnection(t *testing.T) {
	const perConn, perPipe = 1 << 20, 256 << 10
	s, _, addr := servedFake(t, busyFake(t, 200), smbserver.Config{Limits: smbserver.Limits{
		MaxRPCPendingPerConn: perConn, MaxRPCPending: perPipe}})
	c := dialRaw(t, addr)
	first := c.ready("admin", testPassword)
	pipes := append([]smb2.FileID{first}, openPipes(t, c, 31)...)
	_, err := dcerpc.Bind(pipe{c, first}, srvs.Syntax, 4280)
	require.NoError(t, err)

	// One answer's size, measured: the bound allows one answer past the limit.
	r := c.mustCall(smb2.Ioctl, ioctlBody(smb2.FsctlPipeTransceive, first, rpcRequest(2, ndr.OpNetrSessionEnum, enum502), 1<<16))
	require.Equal(t, smb2.StatusSuccess, r.h.Status, "TRANSCEIVE of a 200-session level-502 enumeration")
	answer := int(s.BufferedRPCBytes()) + 4280
	require.Greater(t, answer, 8000, "a 200-session answer spans fragments")
	for c.drain(first) > 0 {
	}
	require.Zero(t, s.BufferedRPCBytes(), "after the answer was read")
	t.Logf("one level-502 answer of 200 sessions: about %d bytes", answer)

	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	taken, refused := flood(t, c, pipes, 40)
	runtime.ReadMemStats(&m1)
	held := s.BufferedRPCBytes()
	t.Logf("flood of %d pipes x 40 requests: %d taken, %d refused; %d bytes held; heap grew %d bytes",
		len(pipes), taken, refused, held, int64(m1.HeapAlloc)-int64(m0.HeapAlloc))
	assert.Positive(t, refused, "WRITEs refused with STATUS_INSUFFICIENT_RESOURCES")
	assert.LessOrEqual(t, held, int64(perConn+answer), "bytes held after the flood (MaxRPCPendingPerConn %d, one answer %d)", perConn, answer)
	assert.GreaterOrEqual(t, held, int64(perConn), "the limit is reached before refusing")
	assert.Less(t, int64(m1.HeapAlloc)-int64(m0.HeapAlloc), int64(4*perConn), "heap growth during the flood")

	// More of the same takes nothing and grows nothing.
	taken2, _ := flood(t, c, pipes, 5)
	assert.Zero(t, taken2, "WRITEs taken while the connection is full")
	assert.Equal(t, held, s.BufferedRPCBytes(), "bytes held after more refused WRITEs")

	// A client that reads its answers gets room again.
	for _, id := range pipes {
		for c.drain(id) > 0 {
		}
	}
	assert.Zero(t, s.BufferedRPCBytes(), "after every answer was read")
	taken3, refused3 := flood(t, c, pipes[:1], 1)
	assert.Equal(t, 1, taken3, "a WRITE after reading (refused %d)", refused3)

	// Closing the connection releases what it held.
	flood(t, c, pipes, 10)
	require.Positive(t, s.BufferedRPCBytes())
	c.nc.Close()
	assert.Eventually(t, func() bool { return s.BufferedRPCBytes() == 0 }, 5*time.Second, 10*time.Millisecond,
		"bytes held after the connection closed")
}

// TestFloodIsBoundedPerServer: connections flooding together stop at MaxRPCPendingPerServer
// (plus one answer per connection), whatever MaxConnections × MaxRPCPendingPerConn is.
func TestFloodIsBoundedPerServer(t *testing.T) {
	const perConn, perServer = 1 << 20, 2 << 20
	s, _, addr := servedFake(t, busyFake(t, 200), smbserver.Config{Limits: smbserver.Limits{
		MaxRPCPendingPerConn: perConn, MaxRPCPendingPerServer: perServer}})
	const conns = 5
	var wg sync.WaitGroup
	refusedAll := make([]int, conns)
	cs := make([]*rawClient, conns)
	firsts := make([]smb2.FileID, conns)
	for i := range cs {
		cs[i] = dialRaw(t, addr)
		firsts[i] = cs[i].ready("admin", testPassword)
		_, err := dcerpc.Bind(pipe{cs[i], firsts[i]}, srvs.Syntax, 4280)
		require.NoError(t, err)
	}
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			refusedAll[i] = floodQuiet(c, firsts[i], 8, 60)
		}()
	}
	wg.Wait()
	for i, n := range refusedAll {
		require.GreaterOrEqual(t, n, 0, "connection %d: a transport error while flooding", i+1)
	}
	held := s.BufferedRPCBytes()
	t.Logf("%d connections flooding: %d bytes held; refused per connection %v", conns, held, refusedAll)
	assert.LessOrEqual(t, held, int64(perServer+conns*200_000), "bytes held by %d flooding connections (MaxRPCPendingPerServer %d)", conns, perServer)
	assert.Less(t, held, int64(conns*perConn), "the server bound is below connections x MaxRPCPendingPerConn")
}

// floodQuiet is flood on first and more pipes it opens, for a goroutine (no t.Fatal): it
// returns the refused count, or -1 on a transport error.
func floodQuiet(c *rawClient, first smb2.FileID, pipes, rounds int) int {
	ids := []smb2.FileID{first}
	for range pipes - 1 {
		r, err := c.call(smb2.Create, createBody("srvsvc"))
		if err != nil || r.h.Status != smb2.StatusSuccess || len(r.body) < 80 {
			return -1
		}
		id := smb2.FileID{Persistent: binary.LittleEndian.Uint64(r.body[64:]), Volatile: binary.LittleEndian.Uint64(r.body[72:])}
		if _, err := dcerpc.Bind(pipe{c, id}, srvs.Syntax, 4280); err != nil {
			return -1
		}
		ids = append(ids, id)
	}
	refused := 0
	call := uint32(100)
	for range rounds {
		for _, id := range ids {
			call++
			r, err := c.call(smb2.Write, writeBody(id, rpcRequest(call, ndr.OpNetrSessionEnum, enum502)))
			if err != nil {
				return -1
			}
			if r.h.Status == smb2.StatusInsufficientResources {
				refused++
			}
		}
	}
	return refused
}

// drain reads one fragment from the pipe and returns its length (0: nothing queued).
func (c *rawClient) drain(id smb2.FileID) int {
	r, err := c.call(smb2.Read, readBody(id, 1<<16))
	if err != nil || (r.h.Status != smb2.StatusSuccess && r.h.Status != smb2.StatusBufferOverflow) {
		return 0
	}
	return len(readData(r))
}

// TestRequestOverMaxRPCRequest: a request over MaxRPCRequest gets what a Samba client sees,
// the pipe closed (STATUS_PIPE_DISCONNECTED), logged at warn level; not ERROR_ACCESS_DENIED,
// which a sweep would count as refused. Under the default a NetrSessionEnum with a UserName
// of 32,760 characters (about 64 KiB) is served.
func TestRequestOverMaxRPCRequest(t *testing.T) {
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	_, _, addr := served(t, smbserver.Config{Logger: log, Limits: smbserver.Limits{MaxRPCRequest: 16 << 10}})
	c := dialRaw(t, addr)
	id := c.ready("admin", testPassword)
	rpc, err := dcerpc.Bind(pipe{c, id}, srvs.Syntax, 4280)
	require.NoError(t, err)
	long := strings.Repeat("u", 8200) // 16,400 bytes of UTF-16 and more: over 16 KiB
	_, err = rpc.Call(ndr.OpNetrSessionEnum, ndr.EncodeSessEnumRequest(&ndr.SessEnumRequest{UserName: &long, Level: 10, MaxBuffer: 0xFFFFFFFF}))
	var st smb2.Status
	require.ErrorAs(t, err, &st, "NetrSessionEnum with a UserName of 8,200 characters, MaxRPCRequest 16 KiB")
	assert.Equal(t, smb2.StatusPipeDisconnected, st)
	assert.NotErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED)
	assert.Contains(t, logs.String(), "over the size limit", "the warning logged")
	assert.Contains(t, logs.String(), "limit=16384")
	r := c.mustCall(smb2.Write, writeBody(id, rpcRequest(50, ndr.OpNetrSessionEnum, enum502)))
	assert.Equal(t, smb2.StatusFileClosed, r.h.Status, "a WRITE to the closed pipe")

	// The default, 4 MiB: the reviewer's 32,760 characters are served.
	_, _, addr = served(t, smbserver.Config{})
	c = dialRaw(t, addr)
	id = c.ready("admin", testPassword)
	rpc, err = dcerpc.Bind(pipe{c, id}, srvs.Syntax, 4280)
	require.NoError(t, err)
	long = strings.Repeat("u", 32760)
	out, err := rpc.Call(ndr.OpNetrSessionEnum, ndr.EncodeSessEnumRequest(&ndr.SessEnumRequest{UserName: &long, Level: 10, MaxBuffer: 0xFFFFFFFF}))
	var fe *dcerpc.FaultError
	require.False(t, errors.As(err, &fe), "NetrSessionEnum with a UserName of 32,760 characters under the default MaxRPCRequest: fault %v", err)
	require.NoError(t, err)
	assert.NotEmpty(t, out)
}
