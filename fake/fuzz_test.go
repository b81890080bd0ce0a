package fake_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// FuzzEnum throws arbitrary arguments at NetSessionEnum under every profile and checks what
// must hold whatever the input: no panic, a known status, no entry past prefmaxlen, no partial
// answer on a failure, and the sessions untouched.
func FuzzEnum(f *testing.F) {
	f.Add("", "", uint32(10), uint32(0xFFFFFFFF), uint32(0), true, uint8(0))
	f.Add(`\\WS1`, "alice", uint32(502), uint32(100), uint32(1), true, uint8(1))
	f.Add("WS1", "", uint32(3), uint32(0), uint32(7), false, uint8(2))
	f.Add(strings.Repeat("x", 1100), "\x00", uint32(1), uint32(64), uint32(0xFFFFFFFF), true, uint8(3))
	profiles := []fake.Profile{fake.Windows(), fake.WindowsLegacy(), fake.Samba()}
	known := map[sessionapi.Status]bool{}
	for _, s := range sessionapi.Statuses() {
		known[s] = true
	}
	f.Fuzz(func(t *testing.T, client, user string, level, prefMaxLen, resume uint32, useResume bool, who uint8) {
		p := profiles[int(who)%len(profiles)]
		srv := fake.New(fake.WithProfile(p))
		for _, s := range []fake.Session{{ClientName: "WS1", UserName: "alice"}, {ClientName: "WS2", UserName: "bob", Flags: sessionapi.SessGuest}, {ClientName: "WS1", UserName: "carol"}} {
			_, err := srv.Connect(s)
			require.NoError(t, err)
		}
		before := srv.Sessions()
		role := fake.Roles()[int(who)%len(fake.Roles())]
		var rh *uint32
		if useResume {
			rh = &resume
		}
		in := resume
		res, err := srv.As(role).NetSessionEnum(t.Context(), "", client, user, sessionapi.Level(level), prefMaxLen, rh)
		st, ok := sessionapi.StatusOf(err)
		require.True(t, ok, "not a status: %v", err)
		require.True(t, known[st], "unknown status %v", st)
		if err != nil && !errors.Is(err, sessionapi.ERROR_MORE_DATA) {
			assert.Empty(t, res.Entries, "entries with %v", err)
			if rh != nil {
				assert.Equal(t, in, *rh, "the handle moved on %v", err)
			}
		}
		if p.HonorPrefMaxLen && prefMaxLen != sessionapi.MaxPreferredLength && p.TooSmall != fake.TooSmallOneEntry {
			assert.LessOrEqual(t, int64(sessionapi.ResultSize(res.Entries, p.Arch)), int64(prefMaxLen))
		}
		for _, e := range res.Entries {
			assert.Equal(t, sessionapi.Level(level), e.Level())
		}
		assert.LessOrEqual(t, len(res.Entries), 3)
		assert.Equal(t, before, srv.Sessions(), "an enumeration changed the sessions")
	})
}

// Eight goroutines enumerate while one connects, disconnects and opens files; run with -race.
// Every answer must be a consistent one: the entries it returns are all there at one moment.
func TestConcurrentEnumerationWhileMutating(t *testing.T) {
	srv := fake.New()
	for i := range 200 {
		_, err := srv.Connect(fake.Session{ClientName: "WS" + strings.Repeat("0", i%3), UserName: "u"})
		require.NoError(t, err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id, err := srv.Connect(fake.Session{ClientName: "NEW", UserName: "v"})
			if !assert.NoError(t, err) {
				return
			}
			assert.NoError(t, srv.OpenFile(id))
			assert.NoError(t, srv.Disconnect(id))
		}
	}()
	var readers sync.WaitGroup
	for range 8 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			api := srv.As(fake.Administrator)
			for range 200 {
				res, err := api.NetSessionEnum(t.Context(), "", "", "", sessionapi.Level502, sessionapi.MaxPreferredLength, nil)
				if !assert.NoError(t, err) {
					return
				}
				n := len(res.Entries)
				assert.True(t, n == 200 || n == 201, "read %d entries; want 200 or 201", n)
				assert.EqualValues(t, n, res.TotalEntries)
				// Paging concurrently with changes may skip or repeat (spec rule 29) but must end.
				_, err = sessionapi.Collect(t.Context(), api, sessionapi.EnumRequest{Level: sessionapi.Level0, PrefMaxLen: 512})
				assert.NoError(t, err)
			}
		}()
	}
	readers.Wait()
	close(stop)
	wg.Wait()
	assert.Equal(t, 200, srv.Len())
}
