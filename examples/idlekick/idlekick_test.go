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
		`NetSessionEnum(server="FS01", level=10, prefmaxlen=4096, resume=0) = NERR_Success, read=2, total=2`,
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

func TestKickPagesThroughABusyServer(t *testing.T) {
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
