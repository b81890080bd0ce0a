package scenarios

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/transcript"
)

// SeedFleet makes fake servers that hold the sessions a transcript carries (Server.Sessions),
// each answering by the profile the transcript names, its clock at the transcript's start.
// It is how a recording from a real server becomes a fake to test against.
func SeedFleet(tr *transcript.Transcript) (*Fleet, error) {
	if len(tr.Servers) == 0 {
		return nil, fmt.Errorf("scenarios: the transcript names no server")
	}
	var servers []*fake.Server
	for _, ts := range tr.Servers {
		prof, err := fake.ProfileByName(ts.Profile)
		if err != nil {
			return nil, fmt.Errorf("scenarios: transcript server %s: %w", ts.Name, err)
		}
		snap := fake.Snapshot{Now: ts.Time, NextID: fake.SessionID(len(ts.Sessions) + 1)}
		for i, e := range ts.Sessions {
			created := ts.Time.Add(-time.Duration(e.Info.Time) * time.Second)
			snap.Sessions = append(snap.Sessions, fake.Session{
				ID:         fake.SessionID(i + 1),
				ClientName: strings.TrimPrefix(e.Info.ClientName, `\\`),
				UserName:   e.Info.UserName, OpenFiles: e.Info.NumOpens, Flags: e.Info.UserFlags,
				ClientType: e.Info.ClientType, Transport: e.Info.Transport,
				Created:      created,
				LastActivity: ts.Time.Add(-time.Duration(e.Info.IdleTime) * time.Second),
			})
		}
		srv := fake.New(fake.WithName(ts.Name, aliases(tr, ts.Name)...), fake.WithProfile(prof), fake.WithClock(fake.NewManualClock(ts.Time)))
		if err := srv.Restore(snap); err != nil {
			return nil, fmt.Errorf("scenarios: transcript server %s: %w", ts.Name, err)
		}
		servers = append(servers, srv)
	}
	return NewFleet(servers...)
}

// ReplayTranscript seeds fakes from tr ([SeedFleet]) and makes tr's calls again on them, each at
// its recorded offset on the fake clock and as the role tr gives its caller. It returns the
// fake's transcript: when the fake answers like the recorded server, its YAML equals tr's.
func ReplayTranscript(ctx context.Context, tr *transcript.Transcript) (*transcript.Transcript, error) {
	fleet, err := SeedFleet(tr)
	if err != nil {
		return nil, err
	}
	roles := map[string]fake.Role{}
	for _, c := range tr.Callers {
		r, err := fake.ParseRole(c.Role)
		if err != nil {
			return nil, fmt.Errorf("scenarios: transcript caller %s: %w", c.Name, err)
		}
		roles[c.Name] = r
	}
	servers := fleet.Servers()
	return transcript.Reissue(ctx, tr, transcript.Target{
		API: func(caller string) (sessionapi.SessionAPI, error) {
			r, ok := roles[caller]
			if !ok {
				return nil, fmt.Errorf("no role for caller %q in the transcript's callers", caller)
			}
			return fleet.As(fake.Caller{Role: r, Name: caller}), nil
		},
		Now:   servers[0].Now,
		Start: tr.Servers[0].Time,
		AdvanceTo: func(at time.Duration) error {
			for i, srv := range servers {
				if d := tr.Servers[i].Time.Add(at).Sub(srv.Now()); d > 0 {
					if err := srv.Advance(d); err != nil {
						return err
					}
				}
			}
			return nil
		},
	})
}

// aliases are the other names a recorded server answered to: its host without the port
// (recordings name the server HOST:PORT, calls say \\HOST), and, when the transcript has one
// server, every servername its calls used — a real server ignores the name (spec rule 2), the
// fake does not.
func aliases(tr *transcript.Transcript, name string) []string {
	seen := map[string]bool{strings.ToLower(name): true}
	var out []string
	addName := func(n string) {
		n = strings.TrimPrefix(n, `\\`)
		if n != "" && !seen[strings.ToLower(n)] {
			seen[strings.ToLower(n)] = true
			out = append(out, n)
		}
	}
	if host, _, err := net.SplitHostPort(name); err == nil {
		addName(host)
	}
	if len(tr.Servers) == 1 {
		for _, c := range tr.Calls {
			addName(c.ServerName)
		}
	}
	return out
}
