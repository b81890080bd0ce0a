package srvsvc_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/internal/sambaenv"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
)

// quietProxy forwards SMB2 between the client and a real server until the client sends
// request number n of command cmd; from then on it forwards nothing either way, as a server
// that stops answering at that stage. It is the live half of the hostile-server harness: the
// stages after a session exists (tree connect, create, the pipe's write and read) need a real
// server to reach.
func quietProxy(t *testing.T, target string, cmd uint16, n int) (host string, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		s, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		defer s.Close()
		var mu sync.Mutex
		quiet := false
		wg.Add(1)
		go func() { // server to client, until quiet
			defer wg.Done()
			buf := make([]byte, 64<<10)
			for {
				k, err := s.Read(buf)
				if err != nil {
					return
				}
				mu.Lock()
				q := quiet
				mu.Unlock()
				if !q {
					_, _ = c.Write(buf[:k])
				}
			}
		}()
		seen := 0
		for {
			var hdr [4]byte
			if _, err := io.ReadFull(c, hdr[:]); err != nil {
				return
			}
			size := binary.BigEndian.Uint32(hdr[:]) & 0xFFFFFF
			pkt := make([]byte, size)
			if _, err := io.ReadFull(c, pkt); err != nil {
				return
			}
			if os.Getenv("PROXY_DEBUG") != "" && len(pkt) >= 14 {
				t.Logf("request %d", binary.LittleEndian.Uint16(pkt[12:]))
			}
			if len(pkt) >= 14 && binary.LittleEndian.Uint16(pkt[12:]) == cmd {
				if seen++; seen == n {
					mu.Lock()
					quiet = true
					mu.Unlock()
				}
			}
			mu.Lock()
			q := quiet
			mu.Unlock()
			if !q {
				_, _ = s.Write(append(hdr[:], pkt...))
			}
		}
	}()
	a := ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

// TestLiveHostileServerQuietAtStage (Control: the proxy itself works): a server that goes quiet at the tree connect, the pipe
// open (CREATE), the bind (its WRITE, then its READ) or the call ends each with a
// *StageError within the stage limit, under a context without a deadline.
// stageLimit is generous: opening \PIPE\srvsvc on a busy Samba takes over 500 ms.
var stageLimit = 2 * time.Second

func TestLiveHostileServerQuietAtStage(t *testing.T) {
	env := sambaenv.ForTest(t)
	for _, tc := range []struct {
		name string
		cmd  uint16
		n    int
	}{
		{"Control", 99, 1}, {"TreeConnect", 3, 1}, {"Create", 5, 1}, {"BindWrite", 9, 1}, {"BindRead", 8, 1}, {"CallWrite", 9, 2}, {"CallRead", 8, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, port := quietProxy(t, net.JoinHostPort(env.Host, strconv.Itoa(env.Port)), tc.cmd, tc.n)
			cfg := env.Config(env.Admin, "")
			cfg.Host, cfg.Port, cfg.StageTimeout = host, port, stageLimit
			start := time.Now()
			err := func() error {
				c, err := srvsvc.Dial(context.Background(), cfg)
				if err != nil {
					return err
				}
				defer c.Close()
				_, err = c.NetSessionEnum(context.Background(), "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
				return err
			}()
			took := time.Since(start)
			if tc.cmd == 99 {
				require.NoError(t, err, "through the proxy, never quiet")
				return
			}
			var se *srvsvc.StageError
			require.ErrorAs(t, err, &se, "a server quiet at %s: %v", tc.name, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, took, 3*stageLimit, fmt.Sprintf("%v", err))
			t.Logf("%s: %v (after %v)", tc.name, err, took.Round(time.Millisecond))
		})
	}
}
