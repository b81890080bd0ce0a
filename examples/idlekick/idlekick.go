package idlekick

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Kicked is one session closed by Kick.
type Kicked struct {
	Client, User string
	Idle         time.Duration
}

// Spared is an idle session Kick left alone, and why.
type Spared struct {
	Kicked
	// Busy are the sessions that are not idle and that the NetSessionDel which would close
	// this one would also close.
	Busy []Kicked
}

// Result is what one run did.
type Result struct {
	// Kicked are the sessions the deletes ended, as the listing showed them.
	Kicked []Kicked
	// Spared are idle sessions left open because no delete could end them alone.
	Spared []Spared
}

// Kick closes every session on server idle for at least limit, and returns what it closed.
// See KickDetailed; Kick returns its Kicked list.
func Kick(ctx context.Context, api sessionapi.SessionAPI, server string, limit time.Duration) ([]Kicked, error) {
	res, err := KickDetailed(ctx, api, server, limit)
	return res.Kicked, err
}

// KickDetailed closes the sessions on server idle for at least limit, and never one that is
// not idle.
//
// Sessions have no identity in the API: NetSessionDel ends every session that matches its
// client and user (spec rule 60), and an empty user name means every user of that client
// (rule 57), which is what an anonymous session's empty user name becomes. So KickDetailed
// lists every session once at level 10 (MAX_PREFERRED_LENGTH: one consistent view where the
// server allows it), and for each idle session works out everything its delete would end: the
// sessions of that client and user (client and user compared without regard to case, as the
// server compares them), or, for an anonymous session, every session of that client. It sends
// the delete only when all of them are idle, and reports as Kicked every listed session the
// delete ended. An idle session it cannot end alone is reported in Spared with the busy
// sessions that protect it.
//
// The client name is sent with its `\\` (added when the listing shows a bare name, as Samba
// does): without it a Windows server answers NERR_ClientNameNotFound and deletes nothing.
// A delete answered NERR_ClientNameNotFound found the sessions gone already; that is not an
// error. What it cannot see: a session that connects between the listing and the delete and
// matches the same client and user is ended too.
func KickDetailed(ctx context.Context, api sessionapi.SessionAPI, server string, limit time.Duration) (Result, error) {
	var all []Kicked
	for e, err := range sessionapi.All(ctx, api, sessionapi.EnumRequest{ServerName: server, Level: sessionapi.Level10, PrefMaxLen: sessionapi.MaxPreferredLength}) {
		if err != nil {
			return Result{}, fmt.Errorf("list sessions on %q: %w", server, err)
		}
		s := e.(*sessionapi.SessionInfo10)
		all = append(all, Kicked{Client: s.ClientName, User: s.UserName, Idle: time.Duration(s.IdleTime) * time.Second})
	}

	var res Result
	done := make([]bool, len(all)) // ended, or already judged as part of an earlier delete
	for i, s := range all {
		if done[i] || s.Idle < limit {
			continue
		}
		client, user := uncName(s.Client), s.User
		if client == `\\` {
			// No client name: a delete by user alone (or by nothing) would reach other clients.
			res.Spared = append(res.Spared, Spared{Kicked: s})
			done[i] = true
			continue
		}
		var hit []int
		var busy []Kicked
		for j, o := range all {
			if strings.EqualFold(uncName(o.Client), client) && (user == "" || strings.EqualFold(o.User, user)) {
				hit = append(hit, j)
				if o.Idle < limit {
					busy = append(busy, o)
				}
			}
		}
		if len(busy) > 0 {
			// Only the idle ones of the group are spared; each is reported once.
			for _, j := range hit {
				if !done[j] && all[j].Idle >= limit {
					res.Spared = append(res.Spared, Spared{Kicked: all[j], Busy: busy})
					done[j] = true
				}
			}
			continue
		}
		err := api.NetSessionDel(ctx, server, client, user)
		switch {
		case err == nil:
			for _, j := range hit {
				if !done[j] {
					res.Kicked = append(res.Kicked, all[j])
					done[j] = true
				}
			}
		case errors.Is(err, sessionapi.NERR_ClientNameNotFound):
			// Gone already.
			for _, j := range hit {
				done[j] = true
			}
		default:
			return res, fmt.Errorf("close sessions of %q from %s: %w", user, client, err)
		}
	}
	return res, nil
}

// uncName is a client name as NetSessionDel wants it: with one leading `\\`.
func uncName(client string) string {
	if strings.HasPrefix(client, `\\`) {
		return client
	}
	return `\\` + client
}
