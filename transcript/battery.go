package transcript

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// BatteryConfig says whom [RecordBattery] calls and what it writes into the transcript.
type BatteryConfig struct {
	Server     string // the transcript's server name, e.g. HOST:PORT as given
	ServerName string // the servername argument of the calls, e.g. \\HOST
	Caller     string // the account calling, as the transcript names it
	Role       string // its fake role ("administrator")
	Profile    string // the fake profile the server should answer like ("samba")
	Comment    string
	Now        func() time.Time // the clock to stamp calls with; nil means time.Now
}

// RecordBattery makes a fixed battery of read-only calls through api and returns their
// transcript: what `sessionsim record` writes for a live server. The first calls observe the
// sessions at the richest level the server answers (502, else 2, 1, 0); their entries become
// Server.Sessions. Then: every level with a NULL and a zero resume handle and an invalid level,
// paging at levels 0 and 1 with prefmaxlen 100, filters that miss, a client name without
// `\\`, filters that hit the first observed session, GetInfo at every level for it, and a GetInfo
// that misses. It never deletes a session. It stops early only on an error that carries no
// status (a broken connection, a done context).
func RecordBattery(ctx context.Context, api sessionapi.SessionAPI, cfg BatteryConfig) (*Transcript, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	start := cfg.Now().UTC().Truncate(time.Second)
	tr := &Transcript{Source: SourceRecording, Comment: cfg.Comment,
		Servers: []Server{{Name: cfg.Server, Profile: cfg.Profile, Time: start}},
		Callers: []Caller{{Name: cfg.Caller, Role: cfg.Role}}}
	rec := NewRecorder(tr, start, cfg.Now)
	a := rec.As(cfg.Caller, api)
	srv := cfg.ServerName
	maxLen := sessionapi.MaxPreferredLength
	enum := func(client, user string, level sessionapi.Level, prefMax uint32, resume *uint32) (sessionapi.EnumResult, error) {
		return a.NetSessionEnum(ctx, srv, client, user, level, prefMax, resume)
	}
	done := func(err error) bool {
		if ctx.Err() != nil {
			return true
		}
		_, isStatus := sessionapi.StatusOf(err)
		return err != nil && !isStatus && !errors.Is(err, sessionapi.ErrNoEntry)
	}

	// 1. Observe: the richest level that works.
	var observed []sessionapi.Info
	for _, l := range []sessionapi.Level{sessionapi.Level502, sessionapi.Level2, sessionapi.Level1, sessionapi.Level0} {
		res, err := enum("", "", l, maxLen, nil)
		if done(err) {
			return nil, err
		}
		if err == nil {
			observed = res.Entries
			break
		}
	}
	tr.Servers[0].Sessions = Observe(observed)

	// 2. Every level, NULL and zero resume handles, and an invalid level.
	for _, l := range []sessionapi.Level{0, 1, 2, 10, 502, 3} {
		zero := uint32(0)
		for _, resume := range []*uint32{nil, &zero} {
			if _, err := enum("", "", l, maxLen, resume); done(err) {
				return nil, err
			}
		}
	}
	// 3. Paging with a small prefmaxlen at levels 0 and 1 (at most 64 pages).
	for _, l := range []sessionapi.Level{0, 1} {
		var h uint32
		for range 64 {
			before := h
			res, err := enum("", "", l, 100, &h)
			if done(err) {
				return nil, err
			}
			if !errors.Is(err, sessionapi.ERROR_MORE_DATA) || (len(res.Entries) == 0 && h == before) {
				break
			}
		}
	}
	// 4. Filters: misses, a client without `\\`, and a hit on the first observed session.
	for _, f := range [][2]string{{`\\no-such-client`, ""}, {"", "no-such-user"}, {`\\no-such-client`, "no-such-user"}, {"no-backslashes", ""}} {
		if _, err := enum(f[0], f[1], 10, maxLen, nil); done(err) {
			return nil, err
		}
	}
	if len(observed) > 0 {
		w, fields := sessionapi.Widen(observed[0])
		client := `\\` + strings.TrimPrefix(w.ClientName, `\\`)
		if _, err := enum(client, "", 10, maxLen, nil); done(err) {
			return nil, err
		}
		if fields.Has(sessionapi.FieldUserName) {
			if _, err := enum("", w.UserName, 10, maxLen, nil); done(err) {
				return nil, err
			}
			// 5. GetInfo at every level it accepts, and at 502 (refused on the client side).
			for _, l := range []sessionapi.Level{0, 1, 2, 10, 502} {
				if _, err := a.NetSessionGetInfo(ctx, srv, client, w.UserName, l); done(err) {
					return nil, err
				}
			}
		}
	}
	if _, err := a.NetSessionGetInfo(ctx, srv, `\\no-such-client`, "no-such-user", 10); done(err) {
		return nil, err
	}
	return tr, nil
}
