package srvsvc_test

import (
	"context"
	"testing"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/sambaenv"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
)

// BenchmarkLiveEnumLevel1 measures one NetSessionEnum at level 1 against the live Samba, with
// the shared pipe and with a pipe per call. Hold sessions first for a meaningful size:
//
//	scripts/samba/hold-sessions.sh /tmp/ssim-samba 100
//	SESSIONSIM_SAMBA_ENV=/tmp/ssim-samba/env go test ./sessionapi/srvsvc/ -run '^$' -bench LiveEnum
func BenchmarkLiveEnumLevel1(b *testing.B) {
	env := sambaenv.ForTest(b)
	for _, bc := range []struct {
		name    string
		perCall bool
	}{{"pooled-pipe", false}, {"pipe-per-call", true}} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			cfg := env.Config(env.Admin, "")
			cfg.PipePerCall = bc.perCall
			c, err := srvsvc.Dial(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			// The first call spawns samba-dcerpcd's worker and binds: keep it out of the timing.
			res, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
			if err != nil {
				b.Fatal(err)
			}
			entries := len(res.Entries)
			b.ResetTimer()
			for b.Loop() {
				res, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
				if err != nil {
					b.Fatal(err)
				}
				entries = len(res.Entries)
			}
			b.ReportMetric(float64(entries), "entries")
		})
	}
	// The same enumeration on the fake, samba profile, holding the sessions Samba reports: the
	// speed-up a unit test gets from the fake.
	b.Run("fake-samba-profile", func(b *testing.B) {
		ctx := context.Background()
		c, err := srvsvc.Dial(ctx, env.Config(env.Admin, ""))
		if err != nil {
			b.Fatal(err)
		}
		live, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
		_ = c.Close()
		if err != nil {
			b.Fatal(err)
		}
		srv := fake.New(fake.WithProfile(fake.Samba()))
		for _, e := range live.Entries {
			s := e.(*sessionapi.SessionInfo1)
			if _, err := srv.Connect(fake.Session{ClientName: s.ClientName, UserName: s.UserName, OpenFiles: s.NumOpens, Flags: s.UserFlags}); err != nil {
				b.Fatal(err)
			}
		}
		api := srv.As(fake.Administrator)
		entries := 0
		for b.Loop() {
			res, err := api.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
			if err != nil {
				b.Fatal(err)
			}
			entries = len(res.Entries)
		}
		b.ReportMetric(float64(entries), "entries")
	})
}

// BenchmarkLiveDial measures Dial (TCP, SMB2 negotiate, NTLM session setup, IPC$) plus one
// level-1 enumeration and Close: what a one-shot command pays.
func BenchmarkLiveDialEnumClose(b *testing.B) {
	env := sambaenv.ForTest(b)
	ctx := context.Background()
	for b.Loop() {
		c, err := srvsvc.Dial(ctx, env.Config(env.Admin, ""))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil); err != nil {
			b.Fatal(err)
		}
		_ = c.Close()
	}
}
