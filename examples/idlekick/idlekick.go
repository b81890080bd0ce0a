package idlekick

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Kicked is one session closed by Kick.
type Kicked struct {
	Client, User string
	Idle         time.Duration
}

// Kick closes every session on server idle for at least limit, and returns what it closed. It
// lists at level 10 (client, user, idle time) with the paging helper, then deletes by client and
// user. A session that ended in between (NERR_ClientNameNotFound) is not an error.
func Kick(ctx context.Context, api sessionapi.SessionAPI, server string, limit time.Duration) ([]Kicked, error) {
	var idle []Kicked
	for e, err := range sessionapi.All(ctx, api, sessionapi.EnumRequest{ServerName: server, Level: sessionapi.Level10, PrefMaxLen: 4096}) {
		if err != nil {
			return nil, fmt.Errorf("list sessions on %q: %w", server, err)
		}
		s := e.(*sessionapi.SessionInfo10)
		if d := time.Duration(s.IdleTime) * time.Second; d >= limit {
			idle = append(idle, Kicked{Client: s.ClientName, User: s.UserName, Idle: d})
		}
	}
	var kicked []Kicked
	for _, k := range idle {
		err := api.NetSessionDel(ctx, server, k.Client, k.User)
		switch {
		case err == nil:
			kicked = append(kicked, k)
		case errors.Is(err, sessionapi.NERR_ClientNameNotFound):
			// gone already
		default:
			return kicked, fmt.Errorf("close session of %s from %s: %w", k.User, k.Client, err)
		}
	}
	return kicked, nil
}
