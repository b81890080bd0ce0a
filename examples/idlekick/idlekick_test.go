package idlekick_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/examples/idlekick"
	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

func TestKickClosesOnlyIdleSessions(t *testing.T) {
	srv := fake.New(fake.WithName("FS01"))
	busy, err := srv.Connect(fake.Session{ClientName: "10.0.0.5", UserName: "alice"})
	require.NoError(t, err)
	_, err = srv.Connect(fake.Session{ClientName: "10.0.0.6", UserName: "bob"})
	require.NoError(t, err)
	require.NoError(t, srv.Advance(45*time.Minute))
	require.NoError(t, srv.Activity(busy))
	require.NoError(t, srv.Advance(15*time.Minute))

	kicked, err := idlekick.Kick(t.Context(), srv.As(fake.Administrator), "FS01", 30*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, []idlekick.Kicked{{Client: `\\10.0.0.6`, User: "bob", Idle: time.Hour}}, kicked)
	require.Len(t, srv.Sessions(), 1)
	assert.Equal(t, "alice", srv.Sessions()[0].UserName)

	// What the tool asked, in order: one listing, one delete.
	var asked []string
	for _, c := range srv.Calls() {
		asked = append(asked, c.String())
	}
	assert.Equal(t, []string{
		`NetSessionEnum(server="FS01", level=10, prefmaxlen=MAX_PREFERRED_LENGTH, resume=0) = NERR_Success, read=2, total=2`,
		`NetSessionDel(server="FS01", client="\\10.0.0.6", user="bob") = NERR_Success, deleted=1`,
	}, asked)
}

func TestKickAsPlainUserFailsClearly(t *testing.T) {
	srv := fake.New()
	_, err := idlekick.Kick(t.Context(), srv.As(fake.User), "", time.Minute)
	assert.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED)
	assert.EqualError(t, err, `list sessions on "": ERROR_ACCESS_DENIED (5)`)
}

func TestKickSurvivesServerOutage(t *testing.T) {
	srv := fake.New()
	_, err := srv.Connect(fake.Session{ClientName: "10.0.0.6", UserName: "bob"})
	require.NoError(t, err)
	require.NoError(t, srv.Advance(time.Hour))
	_, err = srv.InjectFault(fake.Fault{Op: fake.OpDel, Nth: 1, Status: sessionapi.RPC_S_SERVER_UNAVAILABLE})
	require.NoError(t, err)
	kicked, err := idlekick.Kick(t.Context(), srv.As(fake.Administrator), "", time.Minute)
	assert.ErrorIs(t, err, sessionapi.RPC_S_SERVER_UNAVAILABLE)
	assert.Empty(t, kicked)
	assert.Equal(t, 1, srv.Len(), "nothing was closed")
}

func TestKickClosesEveryIdleSessionOfABusyServer(t *testing.T) {
	srv := fake.New()
	for i := range 300 {
		_, err := srv.Connect(fake.Session{ClientName: "10.1.0." + string(rune('a'+i%26)), UserName: "u" + string(rune('a'+i/26))})
		require.NoError(t, err)
	}
	require.NoError(t, srv.Advance(time.Hour))
	kicked, err := idlekick.Kick(t.Context(), srv.As(fake.Administrator), "", time.Minute)
	require.NoError(t, err)
	assert.Len(t, kicked, 300)
	assert.Zero(t, srv.Len())
}

// TestKickNeverEndsABusySession: sessions have no identity in the API, so a delete ends every
// session of its client and user, and every session of the client when the user is empty (an
// anonymous session). Kick must send a delete only when all it matches is idle, and report
// exactly what the deletes ended.
func TestKickNeverEndsABusySession(t *testing.T) {
	srv := fake.New(fake.WithName("FS01"))
	type seed struct {
		client, user string
		busy         bool
	}
	seeds := []seed{
		{"10.0.0.5", "alice", false}, {"10.0.0.5", "alice", true}, // one pair, one of them busy
		{"10.0.0.5", "bob", false},                          // another user of that client
		{"10.0.0.7", "", false}, {"10.0.0.7", "erin", true}, // anonymous, beside a busy user
		{"10.0.0.8", "carol", false}, {"10.0.0.8", "CAROL", false}, // one pair twice, both idle
		{"10.0.0.9", "dave", false}, {"10.0.0.9", "", false}, // anonymous beside an idle user
		{"10.0.0.6", "bob", false},
	}
	ids := make([]fake.SessionID, len(seeds))
	for i, s := range seeds {
		id, err := srv.Connect(fake.Session{ClientName: s.client, UserName: s.user})
		require.NoError(t, err)
		ids[i] = id
	}
	require.NoError(t, srv.Advance(time.Hour))
	for i, s := range seeds {
		if s.busy {
			require.NoError(t, srv.Activity(ids[i]))
		}
	}
	require.NoError(t, srv.Advance(time.Minute))

	res, err := idlekick.KickDetailed(t.Context(), srv.As(fake.Administrator), "FS01", 30*time.Minute)
	require.NoError(t, err)

	var left []string
	for _, s := range srv.Sessions() {
		left = append(left, s.ClientName+"/"+s.UserName)
	}
	for i, s := range seeds {
		_, alive := srv.Session(ids[i])
		if s.busy {
			assert.True(t, alive, "busy session %s/%q was ended; left: %v", s.client, s.user, left)
		}
	}
	idle := 61 * time.Minute
	assert.ElementsMatch(t, []idlekick.Kicked{
		{Client: `\\10.0.0.5`, User: "bob", Idle: idle},
		{Client: `\\10.0.0.8`, User: "carol", Idle: idle}, {Client: `\\10.0.0.8`, User: "CAROL", Idle: idle},
		{Client: `\\10.0.0.9`, User: "dave", Idle: idle}, {Client: `\\10.0.0.9`, User: "", Idle: idle},
		{Client: `\\10.0.0.6`, User: "bob", Idle: idle},
	}, res.Kicked)
	assert.ElementsMatch(t, []string{"10.0.0.5/alice", "10.0.0.5/alice", "10.0.0.7/", "10.0.0.7/erin"}, left)
	var spared []string
	for _, s := range res.Spared {
		spared = append(spared, s.Client+"/"+s.User)
		assert.NotEmpty(t, s.Busy, "spared %s/%q without a busy session", s.Client, s.User)
	}
	assert.ElementsMatch(t, []string{`\\10.0.0.5/alice`, `\\10.0.0.7/`}, spared)

	// What the deletes ended, by the server's count, is what Kick reports.
	deleted := 0
	for _, c := range srv.Calls() {
		if c.Op == fake.OpDel {
			deleted += c.Deleted
		}
	}
	assert.Equal(t, len(seeds)-srv.Len(), deleted, "sessions gone")
	assert.Len(t, res.Kicked, deleted, "sessions reported kicked")
}

// TestKickAddsThePrefix: a server that lists bare client names (Samba, S4) still gets the
// `\\` a Windows server needs in NetSessionDel.
func TestKickAddsThePrefix(t *testing.T) {
	p := fake.Windows()
	p.ClientNamePrefix = false
	srv := fake.New(fake.WithProfile(p))
	_, err := srv.Connect(fake.Session{ClientName: "10.0.0.6", UserName: "bob"})
	require.NoError(t, err)
	require.NoError(t, srv.Advance(time.Hour))
	kicked, err := idlekick.Kick(t.Context(), srv.As(fake.Administrator), "", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, []idlekick.Kicked{{Client: "10.0.0.6", User: "bob", Idle: time.Hour}}, kicked)
	assert.Zero(t, srv.Len())
}

// TestKickSparesTheCallersOwnSession: a real server lists the caller's own session (W1), busy
// by definition; an idle session of the same client and user shares its delete, so it stays.
func TestKickSparesTheCallersOwnSession(t *testing.T) {
	p := fake.Windows()
	p.ListCallerSession = true
	srv := fake.New(fake.WithProfile(p))
	_, err := srv.Connect(fake.Session{ClientName: "10.0.0.9", UserName: "admin"}) // yesterday's logon
	require.NoError(t, err)
	require.NoError(t, srv.Advance(time.Hour))
	me := srv.AsCaller(fake.Caller{Role: fake.Administrator, Name: "admin", ClientName: "10.0.0.9"})

	res, err := idlekick.KickDetailed(t.Context(), me, "", 30*time.Minute)
	require.NoError(t, err)
	assert.Empty(t, res.Kicked)
	require.Len(t, res.Spared, 1)
	assert.Equal(t, idlekick.Kicked{Client: `\\10.0.0.9`, User: "admin", Idle: time.Hour}, res.Spared[0].Kicked)
	assert.Equal(t, 2, srv.Len(), "the old session and the caller's own")
}
