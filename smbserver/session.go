package smbserver

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/dcerpc"
	"github.com/sessionsim/sessionsim/internal/smb2"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// Transport is the sesi502_transport of a served session: the device name of direct-hosted
// SMB, as the conformance suite's fake harness uses.
const Transport = `\Device\NetbiosSmb`

// session is one SMB2 session of a connection: being set up (acc set) or logged on (valid).
type session struct {
	id           uint64
	acc          acceptor
	valid        bool
	key          []byte // signing key; nil for guest and anonymous
	signRequired bool
	flags        uint16
	caller       fake.Caller
	fakeID       fake.SessionID
	inFake       bool
	deleted      bool // ended in the fake by NetSessionDel
	api          sessionapi.SessionAPI

	trees    map[uint32]*tree
	nextTree uint32
	opens    map[uint64]*open
	nextOpen uint64
}

type tree struct{ id uint32 }

// pending is the response bytes queued on the session's pipes.
func (s *session) pending() int {
	n := 0
	for _, o := range s.opens {
		n += o.rpc.Pending()
	}
	return n
}

type open struct {
	id   smb2.FileID
	tree uint32
	rpc  *dcerpc.ServerConn
	// counted: the open was added to the session's num_opens (Profile.PipesCountAsOpens).
	counted bool
}

// endSession removes a session from the fake (its opens with it).
func (c *conn) endSession(sess *session) {
	if sess.acc != nil {
		c.setupsInProgress--
		sess.acc = nil
	}
	if sess.inFake {
		if err := c.s.srv.Disconnect(sess.fakeID); err != nil && !errors.Is(err, fake.ErrNoSession) {
			c.log.Warn("smbserver: ending a session in the fake", "err", err)
		}
		sess.inFake = false
	}
	for _, o := range sess.opens {
		o.rpc.Close() // releases the bytes it held from the connection's budget
	}
	clear(sess.opens)
	clear(sess.trees)
}

// closeOpen closes one pipe: num_opens goes down.
func (c *conn) closeOpen(sess *session, o *open) {
	delete(sess.opens, o.id.Volatile)
	o.rpc.Close()
	if sess.inFake && o.counted {
		if err := c.s.srv.CloseFile(sess.fakeID); err != nil && !errors.Is(err, fake.ErrNoSession) {
			c.log.Warn("smbserver: closing a pipe in the fake", "err", err)
		}
	}
}

// localAPI passes calls to the fake with the server names a client uses for "this server"
// (the address it connected to, localhost, an empty name) replaced by the fake's own name,
// so that a client that names the server by IP address reaches it.
type localAPI struct {
	sessionapi.SessionAPI
	name  string
	local []string
	log   *slog.Logger
}

func newLocalAPI(api sessionapi.SessionAPI, name, listenIP string, log *slog.Logger) *localAPI {
	return &localAPI{SessionAPI: api, name: name, local: []string{"", "localhost", "127.0.0.1", "::1", listenIP}, log: log}
}

func (a *localAPI) fix(server string) string {
	bare := strings.TrimPrefix(server, `\\`)
	for _, l := range a.local {
		if strings.EqualFold(bare, l) {
			if strings.HasPrefix(server, `\\`) {
				return `\\` + a.name
			}
			return a.name
		}
	}
	return server
}

func (a *localAPI) NetSessionEnum(ctx context.Context, server, client, user string, level sessionapi.Level, pref uint32, resume *uint32) (sessionapi.EnumResult, error) {
	res, err := a.SessionAPI.NetSessionEnum(ctx, a.fix(server), client, user, level, pref, resume)
	a.log.Debug("smbserver: NetrSessionEnum", "server", server, "client", client, "user", user, "level", level,
		"prefmaxlen", pref, "read", len(res.Entries), "total", res.TotalEntries, "err", err)
	return res, err
}

func (a *localAPI) NetSessionGetInfo(ctx context.Context, server, client, user string, level sessionapi.Level) (sessionapi.Info, error) {
	return a.SessionAPI.NetSessionGetInfo(ctx, a.fix(server), client, user, level)
}

func (a *localAPI) NetSessionDel(ctx context.Context, server, client, user string) error {
	err := a.SessionAPI.NetSessionDel(ctx, a.fix(server), client, user)
	a.log.Debug("smbserver: NetrSessionDel", "server", server, "client", client, "user", user, "err", err)
	return err
}
