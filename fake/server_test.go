package fake_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

const maxLen = sessionapi.MaxPreferredLength

// seed makes a server with the profile and sessions "client/user" (open files in a third part).
func seed(t *testing.T, p fake.Profile, specs ...string) *fake.Server {
	t.Helper()
	srv := fake.New(fake.WithProfile(p))
	for _, spec := range specs {
		parts := strings.Split(spec, "/")
		s := fake.Session{ClientName: parts[0], UserName: parts[1]}
		if len(parts) > 2 && parts[2] == "guest" {
			s.Flags = sessionapi.SessGuest
		}
		_, err := srv.Connect(s)
		require.NoError(t, err)
	}
	return srv
}

type enumCall struct {
	client, user string
	level        sessionapi.Level
	prefMaxLen   uint32
	resume       *uint32
}

// enum calls NetSessionEnum and describes the answer in the standard library's style.
func enum(t *testing.T, api sessionapi.SessionAPI, c enumCall) (sessionapi.EnumResult, sessionapi.Status, string) {
	t.Helper()
	res, err := api.NetSessionEnum(t.Context(), "", c.client, c.user, c.level, c.prefMaxLen, c.resume)
	st, ok := sessionapi.StatusOf(err)
	require.True(t, ok, "not a status: %v", err)
	desc := fmt.Sprintf("NetSessionEnum(client=%q, user=%q, level=%d, prefmaxlen=%d) = %s, read=%d, total=%d",
		c.client, c.user, uint32(c.level), c.prefMaxLen, st.String(), len(res.Entries), res.TotalEntries)
	return res, st, desc
}

func keys(entries []sessionapi.Info) []string {
	var out []string
	for _, e := range entries {
		w, _ := sessionapi.Widen(e)
		out = append(out, w.ClientName+"/"+w.UserName)
	}
	return out
}

func TestBadInputGetsTheRightStatus(t *testing.T) {
	srv := seed(t, fake.Windows(), "WS1/alice")
	admin := srv.As(fake.Administrator)
	long := `\\` + strings.Repeat("x", 1023) // 1,025 characters with the NUL
	for _, tc := range []struct {
		name string
		call enumCall
		want sessionapi.Status
	}{
		{"invalid level", enumCall{level: 3}, sessionapi.ERROR_INVALID_LEVEL},
		{"level 501", enumCall{level: 501}, sessionapi.ERROR_INVALID_LEVEL},
		{"client without backslashes", enumCall{client: "WS1", level: 10}, sessionapi.NERR_InvalidComputer},
		{"client over 1,024", enumCall{client: long, level: 10}, sessionapi.ERROR_INVALID_PARAMETER},
		{"user over 1,024", enumCall{user: strings.Repeat("u", 1024), level: 10}, sessionapi.ERROR_INVALID_PARAMETER},
		{"user of 1,023 is fine", enumCall{user: strings.Repeat("u", 1023), level: 10}, sessionapi.NERR_UserNotFound},
	} {
		tc.call.prefMaxLen = maxLen
		_, st, desc := enum(t, admin, tc.call)
		assert.Equal(t, tc.want, st, "%s: %s; want %s", tc.name, desc, tc.want.String())
	}
	_, err := admin.NetSessionGetInfo(t.Context(), "", `\\WS1`, "alice", sessionapi.Level502)
	assert.ErrorIs(t, err, sessionapi.ERROR_INVALID_LEVEL, "GetInfo has no level 502")
	_, err = admin.NetSessionGetInfo(t.Context(), "", "", "alice", sessionapi.Level10)
	assert.ErrorIs(t, err, sessionapi.ERROR_INVALID_PARAMETER, "GetInfo needs both names")
	assert.ErrorIs(t, admin.NetSessionDel(t.Context(), "", "WS1", ""), sessionapi.NERR_ClientNameNotFound)
	assert.ErrorIs(t, admin.NetSessionDel(t.Context(), "", "", ""), sessionapi.ERROR_INVALID_PARAMETER)
	assert.ErrorIs(t, admin.NetSessionDel(t.Context(), "", "", strings.Repeat("u", 1024)), sessionapi.ERROR_INVALID_PARAMETER)
	assert.Equal(t, 1, srv.Len(), "failed calls change nothing")
}

func TestAccessByProfile(t *testing.T) {
	for _, tc := range []struct {
		profile fake.Profile
		role    fake.Role
		allowed []sessionapi.Level
	}{
		{fake.Windows(), fake.User, nil},
		{fake.Windows(), fake.Administrator, sessionapi.Levels()},
		{fake.Windows(), fake.ServerOperator, sessionapi.Levels()},
		{fake.WindowsLegacy(), fake.User, []sessionapi.Level{0, 10}},
		{fake.WindowsLegacy(), fake.Guest, nil},
		{fake.WindowsLegacy(), fake.Anonymous, nil},
		{fake.Samba(), fake.Administrator, []sessionapi.Level{0, 1}},
		{fake.Samba(), fake.ServerOperator, nil},
	} {
		api := seed(t, tc.profile, "WS1/alice").As(tc.role)
		for _, l := range sessionapi.Levels() {
			_, st, desc := enum(t, api, enumCall{level: l, prefMaxLen: maxLen})
			want := sessionapi.ERROR_ACCESS_DENIED
			if contains(tc.allowed, l) {
				want = sessionapi.NERR_Success
			} else if tc.profile.CanEnum(tc.role, l) {
				want = sessionapi.ERROR_INVALID_LEVEL // allowed, but Samba has no such level
			}
			assert.Equal(t, want, st, "%s as %v: %s; want %s", tc.profile.Name, tc.role, desc, want.String())
		}
	}
}

func contains(ls []sessionapi.Level, l sessionapi.Level) bool {
	for _, x := range ls {
		if x == l {
			return true
		}
	}
	return false
}

func TestCheckOrder(t *testing.T) {
	// Windows: the level is checked before access (netapi32 checks it client-side, spec rule 75).
	_, st, desc := enum(t, fake.New().As(fake.User), enumCall{level: 3, prefMaxLen: maxLen})
	assert.Equal(t, sessionapi.ERROR_INVALID_LEVEL, st, desc)
	// Samba: access first (S1).
	_, st, desc = enum(t, fake.New(fake.WithProfile(fake.Samba())).As(fake.User), enumCall{level: 3, prefMaxLen: maxLen})
	assert.Equal(t, sessionapi.ERROR_ACCESS_DENIED, st, desc)
	// ... and an administrator passes it, then meets the level (S2).
	for _, l := range []sessionapi.Level{2, 3, 10, 502} {
		_, st, desc = enum(t, fake.New(fake.WithProfile(fake.Samba())).As(fake.Administrator), enumCall{level: l, prefMaxLen: maxLen})
		assert.Equal(t, sessionapi.ERROR_INVALID_LEVEL, st, desc)
	}
}

func TestFilters(t *testing.T) {
	srv := seed(t, fake.Windows(), "WS1/alice", "WS1/bob", "WS2/alice")
	admin := srv.As(fake.Administrator)
	for _, tc := range []struct {
		client, user string
		want         sessionapi.Status
		keys         []string
	}{
		{"", "", sessionapi.NERR_Success, []string{`\\WS1/alice`, `\\WS1/bob`, `\\WS2/alice`}},
		{`\\WS1`, "", sessionapi.NERR_Success, []string{`\\WS1/alice`, `\\WS1/bob`}},
		{`\\ws1`, "", sessionapi.NERR_Success, []string{`\\WS1/alice`, `\\WS1/bob`}}, // case-insensitive (Q6 default)
		{"", "alice", sessionapi.NERR_Success, []string{`\\WS1/alice`, `\\WS2/alice`}},
		{`\\WS2`, "alice", sessionapi.NERR_Success, []string{`\\WS2/alice`}},
		{`\\WS9`, "", sessionapi.NERR_ClientNameNotFound, nil},
		{`\\`, "", sessionapi.NERR_ClientNameNotFound, nil}, // a given name, even empty, is a qualifier
		{"", "carol", sessionapi.NERR_UserNotFound, nil},
		{`\\WS2`, "bob", sessionapi.NERR_ClientNameNotFound, nil}, // both given: Q3 default
	} {
		res, st, desc := enum(t, admin, enumCall{client: tc.client, user: tc.user, level: 10, prefMaxLen: maxLen})
		assert.Equal(t, tc.want, st, "%s; want %s", desc, tc.want.String())
		assert.Equal(t, tc.keys, keys(res.Entries), desc)
		assert.Equal(t, len(tc.keys), int(res.TotalEntries), desc)
	}

	p := fake.Windows()
	p.BothFiltersMiss = sessionapi.NERR_UserNotFound // the switch for Q3
	_, st, _ := enum(t, seed(t, p, "WS2/alice").As(fake.Administrator), enumCall{client: `\\WS2`, user: "bob", level: 10, prefMaxLen: maxLen})
	assert.Equal(t, sessionapi.NERR_UserNotFound, st)
	p.BothFiltersMiss = sessionapi.NERR_Success // zero means "nothing, and fine", never an error
	res, err := seed(t, p, "WS2/alice").As(fake.Administrator).NetSessionEnum(t.Context(), "", `\\WS2`, "bob", 10, maxLen, nil)
	assert.NoError(t, err)
	assert.Empty(t, res.Entries)

	// Samba ignores filters (S8): everything comes back, never 2312 or 2221.
	samba := seed(t, fake.Samba(), "ws1/alice", "ws2/bob").As(fake.Administrator)
	res, st, desc := enum(t, samba, enumCall{client: `\\nobody-here`, user: "carol", level: 1, prefMaxLen: 1})
	assert.Equal(t, sessionapi.NERR_Success, st, desc)
	assert.Equal(t, []string{"ws1/alice", "ws2/bob"}, keys(res.Entries), desc)
}

func TestPackingAndResume(t *testing.T) {
	srv := seed(t, fake.Windows(), "WS1/alice", "WS2/alice", "WS3/bob", "WS4/alice")
	admin := srv.As(fake.Administrator)
	// Each level-10 entry here is 24 + 12 (`\\WSn`) + 12 ("alice") = 48 bytes; bob's is 44.
	var rh uint32
	res, st, desc := enum(t, admin, enumCall{level: 10, prefMaxLen: 100, resume: &rh})
	require.Equal(t, sessionapi.ERROR_MORE_DATA, st, desc)
	assert.Equal(t, []string{`\\WS1/alice`, `\\WS2/alice`}, keys(res.Entries), desc)
	assert.LessOrEqual(t, sessionapi.ResultSize(res.Entries, sessionapi.X64), 100)
	assert.EqualValues(t, 4, res.TotalEntries, desc)
	assert.EqualValues(t, 2, rh, "resume handle = positions consumed (Q4 default)")

	res, st, desc = enum(t, admin, enumCall{level: 10, prefMaxLen: 100, resume: &rh})
	require.Equal(t, sessionapi.NERR_Success, st, "44 + 48 bytes fit in 100: %s", desc)
	assert.Equal(t, []string{`\\WS3/bob`, `\\WS4/alice`}, keys(res.Entries), desc)
	assert.EqualValues(t, 2, res.TotalEntries, "totalentries counts from the resume position: %s", desc)
	assert.EqualValues(t, 4, rh, "after success: the positions consumed, not 0 (capture A)")

	// With a user filter the handle still counts list positions (spec rule 16).
	rh = 0
	res, st, desc = enum(t, admin, enumCall{user: "alice", level: 10, prefMaxLen: 50, resume: &rh})
	require.Equal(t, sessionapi.ERROR_MORE_DATA, st, desc)
	assert.Equal(t, []string{`\\WS1/alice`}, keys(res.Entries))
	assert.EqualValues(t, 3, res.TotalEntries, desc)
	assert.EqualValues(t, 1, rh)
	_, _, _ = enum(t, admin, enumCall{user: "alice", level: 10, prefMaxLen: 50, resume: &rh})
	assert.EqualValues(t, 2, rh)
	res, st, desc = enum(t, admin, enumCall{user: "alice", level: 10, prefMaxLen: 50, resume: &rh})
	assert.Equal(t, sessionapi.NERR_Success, st, desc)
	assert.Equal(t, []string{`\\WS4/alice`}, keys(res.Entries), "WS3/bob is skipped by the filter")
	assert.EqualValues(t, 4, rh, "after success: the positions consumed")

	// A handle past the end is success with nothing (spec rule 27), the handle unchanged.
	rh = 99
	res, st, desc = enum(t, admin, enumCall{level: 0, prefMaxLen: maxLen, resume: &rh})
	assert.Equal(t, sessionapi.NERR_Success, st, desc)
	assert.Empty(t, res.Entries)
	assert.EqualValues(t, 99, rh)
}

func TestTooSmallRules(t *testing.T) {
	for rule, want := range map[fake.TooSmallRule]struct {
		status sessionapi.Status
		read   int
	}{
		fake.TooSmallMoreData:    {sessionapi.ERROR_MORE_DATA, 0},
		fake.TooSmallOneEntry:    {sessionapi.ERROR_MORE_DATA, 1},
		fake.TooSmallBufTooSmall: {sessionapi.NERR_BufTooSmall, 0},
	} {
		p := fake.Windows()
		p.TooSmall = rule
		var rh uint32
		res, st, desc := enum(t, seed(t, p, "WS1/alice", "WS2/bob").As(fake.Administrator), enumCall{level: 502, prefMaxLen: 10, resume: &rh})
		assert.Equal(t, want.status, st, "rule %d: %s", rule, desc)
		assert.Len(t, res.Entries, want.read, "rule %d: %s", rule, desc)
		assert.EqualValues(t, want.read, rh, "rule %d: the handle moves only past what was returned", rule)
	}
	// The default rule would loop forever in a naive client; the helper refuses.
	_, err := sessionapi.Collect(t.Context(), seed(t, fake.Windows(), "WS1/alice").As(fake.Administrator),
		sessionapi.EnumRequest{Level: sessionapi.Level502, PrefMaxLen: 10})
	assert.ErrorIs(t, err, sessionapi.ErrNoProgress)
}

func TestSessionsChangingWhilePaging(t *testing.T) {
	page := func(srv *fake.Server, rh *uint32) []string {
		res, _, _ := enum(t, srv.As(fake.Administrator), enumCall{level: 0, prefMaxLen: 2 * (8 + 12), resume: rh})
		return keys(res.Entries)
	}
	// A session that ends before the handle's position shifts the list: a gap.
	srv := fake.New()
	var ids []fake.SessionID
	for i := 1; i <= 4; i++ {
		id, err := srv.Connect(fake.Session{ClientName: fmt.Sprintf("WS%d", i), UserName: "u"})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	var rh uint32
	first := page(srv, &rh)
	require.NoError(t, srv.Disconnect(ids[0]))
	second := page(srv, &rh)
	assert.Equal(t, []string{`\\WS1/`, `\\WS2/`}, first)
	assert.Equal(t, []string{`\\WS4/`}, second, "WS3 falls into the gap (spec rule 29)")

	// With new sessions at the front, one that connects mid-way shows an entry twice.
	p := fake.Windows()
	p.NewSessionsFirst = true
	srv = fake.New(fake.WithProfile(p))
	for i := 1; i <= 4; i++ {
		_, err := srv.Connect(fake.Session{ClientName: fmt.Sprintf("WS%d", i), UserName: "u"})
		require.NoError(t, err)
	}
	rh = 0
	first = page(srv, &rh)
	_, err := srv.Connect(fake.Session{ClientName: "WS5", UserName: "u"})
	require.NoError(t, err)
	second = page(srv, &rh)
	assert.Equal(t, []string{`\\WS4/`, `\\WS3/`}, first)
	assert.Equal(t, []string{`\\WS3/`, `\\WS2/`}, second, "WS3 is seen twice (spec rule 29)")
}

func TestGetInfo(t *testing.T) {
	srv := seed(t, fake.Windows(), "WS1/alice", "WS1/bob")
	admin := srv.As(fake.Administrator)
	info, err := admin.NetSessionGetInfo(t.Context(), "", `\\ws1`, "BOB", sessionapi.Level1)
	require.NoError(t, err)
	assert.Equal(t, &sessionapi.SessionInfo1{ClientName: `\\WS1`, UserName: "bob"}, info)
	_, err = admin.NetSessionGetInfo(t.Context(), "", `\\WS1`, "carol", sessionapi.Level1)
	assert.ErrorIs(t, err, sessionapi.NERR_ClientNameNotFound, "both names given, no match: Q3 default")
	_, err = admin.NetSessionGetInfo(t.Context(), "", "WS1", "bob", sessionapi.Level1)
	assert.ErrorIs(t, err, sessionapi.NERR_InvalidComputer)
	_, err = srv.As(fake.User).NetSessionGetInfo(t.Context(), "", `\\WS1`, "bob", sessionapi.Level0)
	assert.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED)
	member := fake.Windows()
	member.GetInfoLevels1And2ForUsers = true // W-GET's member-server sentence (§12 Q1)
	users := seed(t, member, "WS1/bob").As(fake.User)
	_, err = users.NetSessionGetInfo(t.Context(), "", `\\WS1`, "bob", sessionapi.Level2)
	assert.NoError(t, err)
	_, err = users.NetSessionGetInfo(t.Context(), "", `\\WS1`, "bob", sessionapi.Level10)
	assert.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED, "only levels 1 and 2 open up")
	_, err = users.NetSessionEnum(t.Context(), "", "", "", sessionapi.Level1, maxLen, nil)
	assert.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED, "enumeration stays admin-only")

	// Samba ignores the filters, so GetInfo answers with the first session, whoever it is (S8).
	samba := fake.New(fake.WithProfile(fake.Samba()))
	_, err = samba.As(fake.Administrator).NetSessionGetInfo(t.Context(), "", `\\x`, "y", sessionapi.Level0)
	assert.ErrorIs(t, err, sessionapi.ErrNoEntry)
	_, err = samba.Connect(fake.Session{ClientName: "ws7", UserName: "carol"})
	require.NoError(t, err)
	info, err = samba.As(fake.Administrator).NetSessionGetInfo(t.Context(), "", `\\x`, "y", sessionapi.Level0)
	require.NoError(t, err)
	assert.Equal(t, "ws7", info.Client())
}

func TestDel(t *testing.T) {
	for _, tc := range []struct {
		profile      fake.Profile
		role         fake.Role
		client, user string
		want         sessionapi.Status
		left         int
	}{
		{fake.Windows(), fake.Administrator, `\\WS1`, "", sessionapi.NERR_Success, 2},
		{fake.Windows(), fake.Administrator, "", "alice", sessionapi.NERR_Success, 2},
		{fake.Windows(), fake.Administrator, `\\WS1`, "bob", sessionapi.NERR_Success, 3},
		{fake.Windows(), fake.Administrator, `\\WS9`, "", sessionapi.NERR_ClientNameNotFound, 4},
		{fake.Windows(), fake.Administrator, "", "carol", sessionapi.NERR_ClientNameNotFound, 4}, // rule 61
		{fake.Windows(), fake.Administrator, "WS1", "", sessionapi.NERR_ClientNameNotFound, 4},   // rule 59
		{fake.Windows(), fake.Administrator, `\\`, "", sessionapi.NERR_ClientNameNotFound, 4},
		{fake.Windows(), fake.Administrator, "", "", sessionapi.ERROR_INVALID_PARAMETER, 4}, // Q8 default
		{fake.Windows(), fake.User, `\\WS1`, "", sessionapi.ERROR_ACCESS_DENIED, 4},
		{fake.Samba(), fake.Administrator, `\\ws1`, "", sessionapi.ERROR_ACCESS_DENIED, 4}, // S13
		{fake.Samba(), fake.DomainAdmin, `\\ws1`, "", sessionapi.NERR_Success, 2},          // S15
		{fake.Samba(), fake.DomainAdmin, "WS1", "", sessionapi.NERR_Success, 2},            // S15
		{fake.Samba(), fake.DomainAdmin, `\ws1`, "", sessionapi.ERROR_ACCESS_DENIED, 4},    // S15, S14
		{fake.Samba(), fake.DomainAdmin, "", "", sessionapi.NERR_Success, 0},               // S16
		{fake.Samba(), fake.DomainAdmin, "", "carol", sessionapi.ERROR_ACCESS_DENIED, 4},   // S14
	} {
		srv := seed(t, tc.profile, "WS1/alice", "WS1/bob", "WS2/alice", "WS3/dave")
		err := srv.As(tc.role).NetSessionDel(t.Context(), "", tc.client, tc.user)
		st, _ := sessionapi.StatusOf(err)
		assert.Equal(t, tc.want, st, "%s as %v: NetSessionDel(client=%q, user=%q) = %s; want %s",
			tc.profile.Name, tc.role, tc.client, tc.user, st.String(), tc.want.String())
		assert.Equal(t, tc.left, srv.Len(), "%s: sessions left after Del(%q, %q)", tc.profile.Name, tc.client, tc.user)
	}
}

func TestFieldsFromClockAndProfile(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, p := range []fake.Profile{fake.Windows(), fake.Samba()} {
		clock := fake.NewManualClock(start)
		srv := fake.New(fake.WithProfile(p), fake.WithClock(clock))
		id, err := srv.Connect(fake.Session{ClientName: "10.1.1.1", UserName: "alice", Flags: sessionapi.SessNoEncryption,
			Created: start.Add(-time.Hour), LastActivity: start.Add(-10 * time.Minute)})
		require.NoError(t, err)
		_, err = srv.Connect(fake.Session{ClientName: "10.1.1.2", UserName: "Guest", Flags: sessionapi.SessGuest})
		require.NoError(t, err)
		_, err = srv.Connect(fake.Session{ClientName: "10.1.1.3"}) // anonymous
		require.NoError(t, err)
		require.NoError(t, srv.OpenFile(id))
		require.NoError(t, srv.OpenFile(id))
		require.NoError(t, srv.CloseFile(id))
		clock.Advance(30 * time.Second)

		res, st, desc := enum(t, srv.As(fake.Administrator), enumCall{level: 1, prefMaxLen: maxLen})
		require.Equal(t, sessionapi.NERR_Success, st, desc)
		got := make([]sessionapi.SessionInfo1, len(res.Entries))
		for i, e := range res.Entries {
			got[i] = *e.(*sessionapi.SessionInfo1)
		}
		if p.Name == "samba" {
			assert.Equal(t, []sessionapi.SessionInfo1{
				{ClientName: "10.1.1.1", UserName: "alice", NumOpens: 1, Time: 3630}, // idle 0, no NOENCRYPTION (S5, S6)
				{ClientName: "10.1.1.2", UserName: "nobody", Time: 30, UserFlags: sessionapi.SessGuest},
				{ClientName: "10.1.1.3", UserName: "nobody", Time: 30, UserFlags: sessionapi.SessGuest},
			}, got)
		} else {
			assert.Equal(t, []sessionapi.SessionInfo1{
				{ClientName: `\\10.1.1.1`, UserName: "alice", NumOpens: 1, Time: 3630, IdleTime: 30, UserFlags: sessionapi.SessNoEncryption},
				{ClientName: `\\10.1.1.2`, UserName: "Guest", Time: 30, IdleTime: 30, UserFlags: sessionapi.SessGuest},
				{ClientName: `\\10.1.1.3`, Time: 30, IdleTime: 30},
			}, got)
		}
	}
}

func TestSambaResumeHandle(t *testing.T) {
	// S11: NULL stays NULL; k < total → entries from k, handle = total; k ≥ total → nothing, handle 0.
	srv := seed(t, fake.Samba(), "a/u", "b/u", "c/u")
	admin := srv.As(fake.Administrator)
	res, _, _ := enum(t, admin, enumCall{level: 0, prefMaxLen: maxLen})
	assert.Len(t, res.Entries, 3)
	rh := uint32(1)
	res, st, desc := enum(t, admin, enumCall{level: 0, prefMaxLen: 8, resume: &rh})
	assert.Equal(t, sessionapi.NERR_Success, st, desc)
	assert.Equal(t, []string{"b/", "c/"}, keys(res.Entries))
	assert.EqualValues(t, 3, res.TotalEntries, "S10: the total of all sessions")
	assert.EqualValues(t, 3, rh)
	res, st, desc = enum(t, admin, enumCall{level: 0, prefMaxLen: maxLen, resume: &rh})
	assert.Equal(t, sessionapi.NERR_Success, st, desc)
	assert.Empty(t, res.Entries)
	assert.EqualValues(t, 3, res.TotalEntries)
	assert.EqualValues(t, 0, rh)
}

func TestConnectRefusesImpossibleSessions(t *testing.T) {
	srv := fake.New()
	now := srv.Now()
	for name, s := range map[string]fake.Session{
		"no client":          {UserName: "a"},
		"backslash":          {ClientName: `\\WS1`},
		"created in future":  {ClientName: "a", Created: now.Add(time.Second)},
		"idle before create": {ClientName: "a", Created: now.Add(-time.Minute), LastActivity: now.Add(-time.Hour)},
		"unknown flags":      {ClientName: "a", Flags: 4},
		"long name":          {ClientName: strings.Repeat("a", 1024)},
	} {
		_, err := srv.Connect(s)
		assert.ErrorIs(t, err, fake.ErrInvalidSession, name)
	}
	assert.Zero(t, srv.Len())
	assert.ErrorIs(t, srv.Disconnect(42), fake.ErrNoSession)
	assert.ErrorIs(t, srv.OpenFile(42), fake.ErrNoSession)
	id, err := srv.Connect(fake.Session{ClientName: "a"})
	require.NoError(t, err)
	assert.ErrorContains(t, srv.CloseFile(id), "no file is open")
}

func TestServerName(t *testing.T) {
	srv := fake.New(fake.WithName("FS01", "fs01.corp.example", "10.0.0.1"))
	admin := srv.As(fake.Administrator)
	for _, name := range []string{"", "FS01", `\\fs01`, "fs01.corp.example", `\\10.0.0.1`} {
		_, err := admin.NetSessionEnum(t.Context(), name, "", "", 0, maxLen, nil)
		assert.NoError(t, err, name)
	}
	_, err := admin.NetSessionEnum(t.Context(), "FS02", "", "", 0, maxLen, nil)
	assert.ErrorIs(t, err, sessionapi.ERROR_BAD_NETPATH)
	assert.ErrorContains(t, err, `servername "FS02" is not this server, which answers to FS01 or fs01.corp.example or 10.0.0.1`)

	// A call to another host never reaches this server, so it fires no fault here.
	_, err = srv.InjectFault(fake.Fault{Nth: 1, Status: sessionapi.RPC_S_SERVER_UNAVAILABLE})
	require.NoError(t, err)
	_, err = admin.NetSessionEnum(t.Context(), "FS02", "", "", 0, maxLen, nil)
	assert.ErrorIs(t, err, sessionapi.ERROR_BAD_NETPATH)
	_, err = admin.NetSessionEnum(t.Context(), "FS01", "", "", 0, maxLen, nil)
	assert.ErrorIs(t, err, sessionapi.RPC_S_SERVER_UNAVAILABLE, "the fault waited for a call that reached the server")
}

func TestFaults(t *testing.T) {
	srv := seed(t, fake.Windows(), "WS1/alice")
	admin := srv.As(fake.Administrator)
	ctx := t.Context()
	_, err := srv.InjectFault(fake.Fault{Op: fake.OpDel, Every: true, Status: sessionapi.ERROR_NOT_ENOUGH_MEMORY})
	require.NoError(t, err)
	for range 2 {
		assert.ErrorIs(t, admin.NetSessionDel(ctx, "", `\\WS1`, ""), sessionapi.ERROR_NOT_ENOUGH_MEMORY)
	}
	assert.Equal(t, 1, srv.Len(), "a failed Del deletes nothing")
	_, err = admin.NetSessionEnum(ctx, "", "", "", 10, maxLen, nil)
	assert.NoError(t, err, "a Del fault leaves Enum alone")
	srv.ClearFaults()

	// Seeded probability: the same seed fails the same calls.
	pattern := func() string {
		s := seed(t, fake.Windows(), "WS1/alice")
		_, err := s.InjectFault(fake.Fault{Probability: 0.5, Seed: 7, Status: sessionapi.RPC_S_SERVER_UNAVAILABLE})
		require.NoError(t, err)
		var b strings.Builder
		for range 40 {
			_, err := s.As(fake.Administrator).NetSessionEnum(ctx, "", "", "", 0, maxLen, nil)
			b.WriteByte(map[bool]byte{true: 'x', false: '.'}[err != nil])
		}
		return b.String()
	}
	p1 := pattern()
	assert.Equal(t, p1, pattern())
	assert.Contains(t, p1, "x")
	assert.Contains(t, p1, ".")

	// Latency on the fake clock moves the clock, not the test.
	before := srv.Now()
	id, err := srv.InjectFault(fake.Fault{Nth: 1, Latency: time.Hour})
	require.NoError(t, err)
	_, err = admin.NetSessionEnum(ctx, "", "", "", 0, maxLen, nil)
	assert.NoError(t, err)
	assert.Equal(t, time.Hour, srv.Now().Sub(before))
	assert.False(t, srv.RemoveFault(id), "an nth fault is spent once fired")

	// Real-time latency ends with the context.
	_, err = srv.InjectFault(fake.Fault{Every: true, Latency: time.Hour, RealTime: true})
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = admin.NetSessionEnum(short, "", "", "", 0, maxLen, nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	for _, bad := range []fake.Fault{{}, {Every: true}, {Nth: 1, Every: true, Status: 5}, {Probability: 2, Status: 5}, {Nth: -1, Status: 5}} {
		_, err := srv.InjectFault(bad)
		assert.ErrorIs(t, err, fake.ErrInvalidFault, "%+v", bad)
	}
}

func TestCallsAreRecordedAndCopied(t *testing.T) {
	srv := seed(t, fake.Windows(), "WS1/alice", "WS2/bob")
	api := srv.AsCaller(fake.Caller{Role: fake.Administrator, Name: "ops"})
	var rh uint32
	_, _ = api.NetSessionEnum(t.Context(), "", "", "", 10, 50, &rh)
	_, _ = api.NetSessionGetInfo(t.Context(), "", `\\WS2`, "bob", 0)
	_ = api.NetSessionDel(t.Context(), "", `\\WS1`, "")
	calls := srv.Calls()
	require.Len(t, calls, 3)
	assert.Equal(t, "NetSessionEnum(level=10, prefmaxlen=50, resume=0) = ERROR_MORE_DATA, read=1, total=2", calls[0].String())
	assert.EqualValues(t, 1, *calls[0].ResumeOut)
	assert.Equal(t, "ops (administrator)", calls[0].Caller.String())
	assert.Equal(t, `NetSessionGetInfo(client="\\WS2", user="bob", level=0) = NERR_Success`, calls[1].String())
	assert.Equal(t, `NetSessionDel(client="\\WS1") = NERR_Success, deleted=1`, calls[2].String())
	*calls[0].ResumeIn = 77
	assert.EqualValues(t, 0, *srv.Calls()[0].ResumeIn, "Calls returns copies")
	srv.ResetCalls()
	assert.Empty(t, srv.Calls())
}

func TestSnapshotRestoreReset(t *testing.T) {
	srv := seed(t, fake.Windows(), "WS1/alice", "WS2/bob")
	snap := srv.Snapshot()
	require.NoError(t, srv.Advance(time.Hour))
	require.NoError(t, srv.Disconnect(snap.Sessions[0].ID))
	srv.Reset()
	assert.Zero(t, srv.Len())
	require.NoError(t, srv.Restore(snap))
	assert.Equal(t, snap.Sessions, srv.Sessions())
	assert.Equal(t, snap.Now, srv.Now())
	id, err := srv.Connect(fake.Session{ClientName: "WS3"})
	require.NoError(t, err)
	assert.Greater(t, id, snap.Sessions[1].ID, "IDs are not reused")

	bad := srv.Snapshot()
	bad.Sessions = append(bad.Sessions, bad.Sessions[0]) // a repeated ID
	before := srv.Sessions()
	assert.ErrorIs(t, srv.Restore(bad), fake.ErrInvalidSession)
	assert.Equal(t, before, srv.Sessions(), "a refused restore keeps the state")

	assert.ErrorIs(t, fake.New(fake.WithClock(fake.RealClock{})).Advance(time.Second), fake.ErrNotManualClock)
}
