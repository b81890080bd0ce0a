package transcript_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/transcript"
)

// recorded makes a transcript of a few calls on a fake, the way a replay does.
func recorded(t *testing.T) (*transcript.Transcript, *fake.Server) {
	t.Helper()
	srv := fake.New()
	for _, s := range []fake.Session{
		{ClientName: "10.0.0.5", UserName: "guest", Flags: sessionapi.SessGuest, OpenFiles: 1, ClientType: "DOS LM 2.0", Transport: `\Device\NetbiosSmb`},
		{ClientName: "ws01", UserName: "bob"},
	} {
		_, err := srv.Connect(s)
		require.NoError(t, err)
	}
	tr := &transcript.Transcript{Source: transcript.SourceReplay, Servers: []transcript.Server{{Name: srv.Name(), Profile: "windows", Time: srv.Now()}},
		Callers: []transcript.Caller{{Name: "admin", Role: "administrator"}}}
	rec := transcript.NewRecorder(tr, srv.Now(), srv.Now)
	api := rec.As("admin", srv.As(fake.Administrator))
	ctx := context.Background()
	require.NoError(t, srv.Advance(90*time.Second))
	var h uint32
	_, err := api.NetSessionEnum(ctx, "", "", "", sessionapi.Level502, 150, &h)
	require.ErrorIs(t, err, sessionapi.ERROR_MORE_DATA)
	rec.Event("something happened")
	_, err = api.NetSessionEnum(ctx, "", "", "", sessionapi.Level502, 150, &h)
	require.NoError(t, err)
	_, err = api.NetSessionGetInfo(ctx, "", `\\ws01`, "bob", sessionapi.Level10)
	require.NoError(t, err)
	_, err = api.NetSessionGetInfo(ctx, "", `\\ws01`, "", sessionapi.Level10)
	require.ErrorIs(t, err, sessionapi.ERROR_INVALID_PARAMETER)
	require.ErrorIs(t, api.NetSessionDel(ctx, "", `\\ws01`, ""), nil)
	return tr, srv
}

func TestRecorder(t *testing.T) {
	tr, srv := recorded(t)
	require.Len(t, tr.Calls, 6)
	c := tr.Calls[0]
	assert.Equal(t, 1, c.Seq)
	assert.Equal(t, 90*time.Second, c.At)
	assert.Equal(t, transcript.OpEnum, c.Op)
	assert.Equal(t, sessionapi.ERROR_MORE_DATA, c.Status)
	require.NotNil(t, c.ResumeIn)
	require.NotNil(t, c.ResumeOut)
	assert.Equal(t, uint32(0), *c.ResumeIn)
	assert.Equal(t, uint32(1), *c.ResumeOut)
	require.Len(t, c.Entries, 1)
	assert.Equal(t, sessionapi.FieldsOf(sessionapi.Level502), c.Entries[0].Fields)
	assert.True(t, tr.Calls[1].IsEvent())
	assert.Equal(t, 0, tr.Calls[1].Seq)
	assert.Equal(t, 2, tr.Calls[2].Seq, "events do not take a sequence number")
	assert.Equal(t, sessionapi.FieldsOf(sessionapi.Level10), tr.Calls[3].Entries[0].Fields)
	// The fake recorded the same calls (minus the event) with the same statuses.
	calls := srv.Calls()
	require.Len(t, calls, 5)
	for i, fc := range calls {
		var tc transcript.Call
		for _, c := range tr.Calls {
			if c.Seq == i+1 {
				tc = c
			}
		}
		assert.Equal(t, fc.Status, tc.Status, "call %d", i+1)
	}
}

func TestRecorderSkipsDoneContext(t *testing.T) {
	tr := &transcript.Transcript{}
	rec := transcript.NewRecorder(tr, time.Time{}, time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := rec.As("x", fake.New().As(fake.Administrator)).NetSessionEnum(ctx, "", "", "", 0, sessionapi.MaxPreferredLength, nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, tr.Calls, "a call that never left is not recorded")
}

func TestRecorderKeepsErrorsWithoutStatus(t *testing.T) {
	tr := &transcript.Transcript{}
	rec := transcript.NewRecorder(tr, time.Time{}, time.Now)
	api := rec.As("x", failing{})
	require.Error(t, api.NetSessionDel(context.Background(), "", "", "bob"))
	require.Len(t, tr.Calls, 1)
	assert.Equal(t, "connection reset", tr.Calls[0].Err)
	y, err := tr.YAML()
	require.NoError(t, err)
	assert.Contains(t, string(y), "error: connection reset")
	back, err := transcript.Parse(y)
	require.NoError(t, err)
	assert.Equal(t, "connection reset", back.Calls[0].Err)
}

type failing struct{ sessionapi.SessionAPI }

func (failing) NetSessionDel(context.Context, string, string, string) error {
	return errors.New("connection reset")
}

func TestYAMLRoundTrip(t *testing.T) {
	tr, _ := recorded(t)
	tr.Comment = "a note: with a colon"
	tr.Servers[0].Sessions = []transcript.Entry{transcript.FullEntry(sessionapi.SessionInfo502{ClientName: "ws01", UserName: "bob", Time: 5})}
	y, err := tr.YAML()
	require.NoError(t, err)
	assert.NotContains(t, string(y), "\r", "LF only")
	back, err := transcript.Parse(y)
	require.NoError(t, err)
	assert.Equal(t, tr, back)
	// CRLF reads the same.
	crlf, err := transcript.Parse([]byte(strings.ReplaceAll(string(y), "\n", "\r\n")))
	require.NoError(t, err)
	assert.Equal(t, tr, crlf)
}

func TestJSON(t *testing.T) {
	tr, _ := recorded(t)
	j, err := tr.JSON()
	require.NoError(t, err)
	require.True(t, json.Valid(j), "%s", j)
	var generic map[string]any
	require.NoError(t, json.Unmarshal(j, &generic))
	assert.EqualValues(t, 1, generic["transcript"])
	// JSON is YAML: the reader takes it too.
	back, err := transcript.Parse(j)
	require.NoError(t, err)
	assert.Equal(t, tr, back)
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"transcript: 2\n", "1:13: transcript: format 2"},
		{"transcript: 1\nsource: replay\nservers: []\ncalls:\n  - {seq: 1, at: 0s, call: NetSessionList, status: NERR_Success}\n", "5:28: calls[0].call: unknown call"},
		{"transcript: 1\ncalls:\n  - {seq: 1, at: 0s, call: NetSessionDel}\n", "calls[0].status: missing"},
		{"transcript: 1\ncalls:\n  - {seq: 1, at: 0s, call: NetSessionDel, status: ERROR_FOO}\n", `unknown status "ERROR_FOO"`},
		{"transcript: 1\ncalls:\n  - {seq: 1, call: NetSessionEnum, status: NERR_Success, entriesread: 2, entries: [{cname: a}]}\n", "entriesread: 2, but 1 entries follow"},
		{"transcript: 1\nservers:\n  - {name: A, time: yesterday}\n", "servers[0].time"},
		{"transcript: 1\nservers:\n  - {name: A, sessions: [{cname: a, user_flags: SESS_ROOT}]}\n", "servers[0].sessions[0].user_flags"},
		{"transcript: 1\nextra: 1\n", "2:1: extra: unknown key"},
		{"", "empty"},
	} {
		_, err := transcript.Parse([]byte(tc.src))
		require.Error(t, err, tc.src)
		assert.Contains(t, err.Error(), tc.want, tc.src)
	}
}

func TestParseFlags(t *testing.T) {
	for in, want := range map[string]sessionapi.Flags{
		"0": 0, "": 0, "SESS_GUEST": 1, "SESS_GUEST|SESS_NOENCRYPTION": 3, "sess_noencryption": 2, "0x4": 4, "SESS_GUEST|0x4": 5,
	} {
		got, err := transcript.ParseFlags(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := transcript.ParseFlags("SESS_ADMIN")
	require.Error(t, err)
}

func TestWithoutTimes(t *testing.T) {
	tr, _ := recorded(t)
	z := tr.WithoutTimes()
	for _, c := range z.Calls {
		assert.Zero(t, c.At)
		for _, e := range c.Entries {
			assert.Zero(t, e.Info.Time)
			assert.Zero(t, e.Info.IdleTime)
		}
	}
	assert.NotZero(t, tr.Calls[0].At, "the original is unchanged")
}

func TestObserve(t *testing.T) {
	got := transcript.Observe([]sessionapi.Info{
		&sessionapi.SessionInfo10{ClientName: `\\10.0.0.5`, UserName: "bob", Time: 3},
		&sessionapi.SessionInfo0{ClientName: "ws01"},
	})
	require.Len(t, got, 2)
	assert.Equal(t, "10.0.0.5", got[0].Info.ClientName)
	assert.Equal(t, sessionapi.FieldsOf(sessionapi.Level10), got[0].Fields)
	assert.Equal(t, "ws01", got[1].Info.ClientName)
}

func TestReissue(t *testing.T) {
	tr, _ := recorded(t)
	_, err := transcript.Reissue(context.Background(), tr, transcript.Target{
		API: func(string) (sessionapi.SessionAPI, error) { return fake.New().As(fake.Administrator), nil },
	})
	require.ErrorIs(t, err, transcript.ErrHasEvents)

	// Without the event, the same calls on a server in the same state give the same text.
	noEvent := *tr
	noEvent.Calls = append(append([]transcript.Call(nil), tr.Calls[:1]...), tr.Calls[2:]...)
	srv := fake.New()
	for _, s := range []fake.Session{
		{ClientName: "10.0.0.5", UserName: "guest", Flags: sessionapi.SessGuest, OpenFiles: 1, ClientType: "DOS LM 2.0", Transport: `\Device\NetbiosSmb`},
		{ClientName: "ws01", UserName: "bob"},
	} {
		_, err := srv.Connect(s)
		require.NoError(t, err)
	}
	start := srv.Now()
	again, err := transcript.Reissue(context.Background(), &noEvent, transcript.Target{
		API:   func(string) (sessionapi.SessionAPI, error) { return srv.As(fake.Administrator), nil },
		Now:   srv.Now,
		Start: start,
		AdvanceTo: func(at time.Duration) error {
			return srv.Advance(start.Add(at).Sub(srv.Now()))
		},
	})
	require.NoError(t, err)
	a, err := noEvent.YAML()
	require.NoError(t, err)
	b, err := again.YAML()
	require.NoError(t, err)
	assert.Empty(t, transcript.Diff("original", string(a), "reissued", string(b)))
}

func TestDiff(t *testing.T) {
	assert.Empty(t, transcript.Diff("a", "x\ny\n", "b", "x\ny\n"))
	assert.Empty(t, transcript.Diff("a", "x\r\ny\r\n", "b", "x\ny\n"), "CRLF equals LF")
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n"
	b := "1\n2\n3\nfour\n5\n6\n7\n8\n9\n10\n11\n12\nthirteen\n"
	assert.Equal(t, `--- a
+++ b
@@ -1,7 +1,7 @@
 1
 2
 3
-4
+four
 5
 6
 7
@@ -10,3 +10,4 @@
 10
 11
 12
+thirteen
`, transcript.Diff("a", a, "b", b))
	assert.Equal(t, "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n", transcript.Diff("a", "x", "b", "y"))
	assert.Equal(t, "--- a\n+++ b\n@@ -0,0 +1 @@\n+y\n", transcript.Diff("a", "", "b", "y\n"))
}

func TestDiffLargeInputs(t *testing.T) {
	var a, b strings.Builder
	for i := range 20000 {
		a.WriteString("line a " + string(rune('A'+i%26)) + "\n")
		b.WriteString("line b " + string(rune('A'+i%26)) + "\n")
	}
	d := transcript.Diff("a", a.String(), "b", b.String())
	assert.Equal(t, 20000, strings.Count(d, "\n-line a"))
	assert.Equal(t, 20000, strings.Count(d, "\n+line b"))
}

func TestCallString(t *testing.T) {
	h := uint32(3)
	c := transcript.Call{Op: transcript.OpEnum, UncClientName: `\\ws 1`, UserName: "bob", Level: 10, PrefMaxLen: 64, ResumeIn: &h, ResumeOut: &h,
		Status: sessionapi.ERROR_MORE_DATA, TotalEntries: 9}
	assert.Equal(t, `NetSessionEnum(client="\\ws 1", user="bob", level=10, prefmaxlen=64, resume=3) = ERROR_MORE_DATA, read=0, total=9, resume=3`, c.String())
	d := transcript.Call{Op: transcript.OpDel, UncClientName: `\\ws01`, Err: "boom"}
	assert.Equal(t, `NetSessionDel(client="\\ws01") = error: boom`, d.String())
	e := transcript.Call{Op: transcript.OpDel, UserName: `a"b`, Err: "x"}
	assert.Equal(t, `NetSessionDel(user="a\"b") = error: x`, e.String(), "a name that needs escaping gets Go's quoting")
}
