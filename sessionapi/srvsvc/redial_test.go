package srvsvc_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/internal/sambaenv"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
)

func TestRedialerWithoutServer(t *testing.T) {
	r := srvsvc.NewRedialer(srvsvc.Config{Host: "127.0.0.1", Port: 1, User: "nobody"})
	require.NoError(t, r.Close(), "closing before any call")
	err := r.Connect(t.Context())
	require.Error(t, err)
	_, ok := sessionapi.StatusOf(err)
	assert.False(t, ok, "a refused connection carries no status: %v", err)
	_, err = r.NetSessionEnum(t.Context(), "", "", "", sessionapi.Level0, sessionapi.MaxPreferredLength, nil)
	assert.Error(t, err)
}

// TestLiveRedialerLogsOnAgain: a NetSessionDel with both names empty ends every session on
// Samba, the caller's own included, so its reply never comes (S16). The Redialer drops that
// connection and the next call logs on anew.
func TestLiveRedialerLogsOnAgain(t *testing.T) {
	env := sambaenv.ForTest(t)
	ctx := liveCtx(t)
	r := srvsvc.NewRedialer(env.Config(env.DelAdmin, "127.0.0.12"))
	t.Cleanup(func() { _ = r.Close() })
	require.NoError(t, r.Connect(ctx))

	delCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := r.NetSessionDel(delCtx, "", "", "")
	if err != nil { // the usual outcome: the server ended our connection before answering
		_, ok := sessionapi.StatusOf(err)
		assert.False(t, ok, "a status would mean the server answered, and it ended every session: %v", err)
	}
	res, err := r.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
	require.NoError(t, err, "the call after the connection was ended")
	assert.NotEmpty(t, entriesOf(res, "127.0.0.12", env.DelAdmin), "our new session is listed")
}
