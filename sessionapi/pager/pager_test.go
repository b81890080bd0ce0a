package pager_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/pager"
)

// serverWith is a fake holding n sessions whose level-10 entries are all 48 bytes (x64): client
// `\\cNNN`, user uNNN.
func serverWith(t testing.TB, p fake.Profile, n int) *fake.Server {
	srv := fake.New(fake.WithProfile(p))
	for i := range n {
		_, err := srv.Connect(fake.Session{ClientName: fmt.Sprintf("c%03d", i), UserName: fmt.Sprintf("u%03d", i)})
		require.NoError(t, err)
	}
	return srv
}

// entrySize10 is the x64 size of the entries serverWith makes, at level 10: the structure (24)
// and `\\cNNN` and uNNN in UTF-16 with their NULs (14 and 10).
const entrySize10 = 24 + 14 + 10

func keys(entries []sessionapi.Info) []pager.Key {
	out := make([]pager.Key, len(entries))
	for i, e := range entries {
		out[i] = pager.KeyOf(e)
	}
	return out
}

func TestCollectGrowsTheBudget(t *testing.T) {
	for _, rule := range []fake.TooSmallRule{fake.TooSmallMoreData, fake.TooSmallBufTooSmall} {
		t.Run(fmt.Sprint(rule), func(t *testing.T) {
			p := fake.Windows()
			p.TooSmall = rule
			srv := serverWith(t, p, 3)
			var pages []pager.Page
			got, st, err := pager.Collect(t.Context(), srv.As(fake.Administrator),
				sessionapi.EnumRequest{Level: sessionapi.Level10, PrefMaxLen: 1}, pager.Options{OnPage: func(p pager.Page) { pages = append(pages, p) }})
			require.NoError(t, err)
			assert.Len(t, got, 3)
			// 1 is below MinPrefMaxLen: the first growth starts there (48), which holds one entry.
			assert.Equal(t, 1, st.Grows, "grows")
			assert.Equal(t, pager.MinPrefMaxLen, st.PrefMaxLen, "budget at the end")
			require.NotEmpty(t, pages)
			assert.Equal(t, pager.Grow, pages[0].Action, "first call: %s", pages[0])
			assert.Equal(t, 1, pages[1].Number, "the grown page keeps its number: %s", pages[1])
			assert.Equal(t, 2, pages[1].Attempt, "the grown page is a second attempt: %s", pages[1])
			assert.Equal(t, st.Calls, len(pages), "one Page per call")
		})
	}
}

func TestCollectStopsGrowingAtTheCap(t *testing.T) {
	srv := serverWith(t, fake.Windows(), 3)
	got, st, err := pager.Collect(t.Context(), srv.As(fake.Administrator),
		sessionapi.EnumRequest{Level: sessionapi.Level10, PrefMaxLen: 8}, pager.Options{MaxPrefMaxLen: 40})
	require.ErrorIs(t, err, sessionapi.ErrNoProgress)
	assert.ErrorIs(t, err, sessionapi.ERROR_MORE_DATA)
	assert.Empty(t, got)
	assert.Equal(t, uint32(40), st.PrefMaxLen)
	assert.Equal(t, 2, st.Calls, "8 grows to 40 and then gives up")
}

// TestCollectRetriesFromTheSamePosition: a page that fails with a transient status is asked
// again with the handle it was asked with (the fake leaves the handle untouched when a fault
// fails a call), and nothing is lost or read twice.
func TestCollectRetriesFromTheSamePosition(t *testing.T) {
	srv := serverWith(t, fake.Windows(), 6)
	_, err := srv.InjectFault(fake.Fault{Op: fake.OpEnum, Nth: 2, Status: sessionapi.RPC_S_SERVER_UNAVAILABLE})
	require.NoError(t, err)
	got, st, err := pager.Collect(t.Context(), srv.As(fake.Administrator),
		sessionapi.EnumRequest{Level: sessionapi.Level10, PrefMaxLen: 2 * entrySize10}, pager.Options{})
	require.NoError(t, err)
	assert.Len(t, got, 6)
	assert.Equal(t, 1, st.Retries, "retries")
	assert.Equal(t, 0, st.Duplicates, "duplicates")
	assert.Equal(t, 4, st.Calls, "3 pages and 1 retry")

	calls := srv.Calls()
	require.Len(t, calls, st.Calls)
	require.True(t, calls[1].Fault, "call 2 is the injected fault: %s", calls[1])
	require.NotNil(t, calls[2].ResumeIn)
	assert.Equal(t, *calls[1].ResumeIn, *calls[2].ResumeIn, "the retry (%s) starts where the failed call (%s) did", calls[2], calls[1])
}

func TestCollectRetriesFromStart(t *testing.T) {
	srv := serverWith(t, fake.Windows(), 6)
	_, err := srv.InjectFault(fake.Fault{Op: fake.OpEnum, Nth: 2, Status: sessionapi.RPC_S_SERVER_UNAVAILABLE})
	require.NoError(t, err)
	got, st, err := pager.Collect(t.Context(), srv.As(fake.Administrator),
		sessionapi.EnumRequest{Level: sessionapi.Level10, PrefMaxLen: 2 * entrySize10}, pager.Options{RetryFrom: pager.FromStart})
	require.NoError(t, err)
	assert.Len(t, got, 6)
	assert.Equal(t, 2, st.Duplicates, "the first page is read twice")
	calls := srv.Calls()
	require.NotNil(t, calls[2].ResumeIn)
	assert.Zero(t, *calls[2].ResumeIn, "the retry (%s) starts from 0", calls[2])
}

func TestCollectGivesUpAfterTheRetries(t *testing.T) {
	for _, from := range []pager.RetryFrom{pager.SamePosition, pager.FromStart} {
		srv := serverWith(t, fake.Windows(), 6)
		// Every second call fails: FromStart could restart for ever if its bound reset per page.
		_, err := srv.InjectFault(fake.Fault{Op: fake.OpEnum, Every: true, Status: sessionapi.RPC_S_SERVER_UNAVAILABLE})
		require.NoError(t, err)
		_, st, err := pager.Collect(t.Context(), srv.As(fake.Administrator),
			sessionapi.EnumRequest{Level: sessionapi.Level10, PrefMaxLen: 2 * entrySize10}, pager.Options{Retries: 3, RetryFrom: from})
		require.ErrorIs(t, err, pager.ErrRetriesExhausted, "RetryFrom %d", from)
		assert.ErrorIs(t, err, sessionapi.RPC_S_SERVER_UNAVAILABLE)
		assert.Equal(t, 4, st.Calls, "RetryFrom %d: the first try and 3 retries", from)
	}
}

func TestCollectDoesNotRetryAnAnswer(t *testing.T) {
	srv := serverWith(t, fake.Windows(), 2)
	_, st, err := pager.Collect(t.Context(), srv.As(fake.User), sessionapi.EnumRequest{Level: sessionapi.Level10}, pager.Options{})
	require.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED)
	assert.NotErrorIs(t, err, pager.ErrRetriesExhausted)
	assert.Equal(t, 1, st.Calls)
}

// TestCollectMergesOnePair: two sessions of one client and user come back as one entry, and
// Stats says one was dropped.
func TestCollectMergesOnePair(t *testing.T) {
	srv := fake.New()
	for range 2 {
		_, err := srv.Connect(fake.Session{ClientName: "10.0.0.5", UserName: "alice"})
		require.NoError(t, err)
	}
	_, err := srv.Connect(fake.Session{ClientName: "10.0.0.5", UserName: "bob"})
	require.NoError(t, err)
	got, st, err := pager.Collect(t.Context(), srv.As(fake.Administrator), sessionapi.EnumRequest{Level: sessionapi.Level10}, pager.Options{})
	require.NoError(t, err)
	assert.Equal(t, []pager.Key{{`\\10.0.0.5`, "alice"}, {`\\10.0.0.5`, "bob"}}, keys(got))
	assert.Equal(t, 1, st.Duplicates)
	all, err := sessionapi.Collect(t.Context(), srv.As(fake.Administrator), sessionapi.EnumRequest{Level: sessionapi.Level10})
	require.NoError(t, err)
	assert.Len(t, all, 3, "sessionapi.Collect keeps both sessions of the pair")
}

func TestCollectBoundsTheEntries(t *testing.T) {
	srv := serverWith(t, fake.Windows(), 5)
	got, _, err := pager.Collect(t.Context(), srv.As(fake.Administrator),
		sessionapi.EnumRequest{Level: sessionapi.Level10, PrefMaxLen: 2 * entrySize10, MaxEntries: 3}, pager.Options{})
	require.ErrorIs(t, err, sessionapi.ErrTooManyEntries)
	assert.Len(t, got, 3)
}

// stuck answers every call with the first page and the handle as it was: a server that never
// moves on (spec rule 81).
type stuck struct{ sessionapi.SessionAPI }

func (s stuck) NetSessionEnum(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level, prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	var h uint32
	res, err := s.SessionAPI.NetSessionEnum(ctx, serverName, uncClientName, userName, level, prefMaxLen, &h)
	return res, err
}

func TestCollectStopsOnARepeatedPage(t *testing.T) {
	srv := serverWith(t, fake.Windows(), 6)
	got, st, err := pager.Collect(t.Context(), stuck{srv.As(fake.Administrator)},
		sessionapi.EnumRequest{Level: sessionapi.Level10, PrefMaxLen: 2 * entrySize10}, pager.Options{})
	require.ErrorIs(t, err, sessionapi.ErrNoProgress)
	assert.Len(t, got, 2, "the first page")
	assert.Equal(t, 2, st.Calls, "the page and its repetition")
}

// churning ends one random session and connects a new one before every NetSessionEnum, as a
// busy file server does while a collector pages.
type churning struct {
	sessionapi.SessionAPI
	srv   *fake.Server
	rng   *rand.Rand
	n     int
	drain bool // end sessions and connect none
}

func (c *churning) NetSessionEnum(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level, prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	ss := c.srv.Sessions()
	if len(ss) > 0 {
		if err := c.srv.Disconnect(ss[c.rng.IntN(len(ss))].ID); err != nil {
			return sessionapi.EnumResult{}, err
		}
	}
	c.n++
	if c.drain {
		return c.SessionAPI.NetSessionEnum(ctx, serverName, uncClientName, userName, level, prefMaxLen, resume)
	}
	if _, err := c.srv.Connect(fake.Session{ClientName: fmt.Sprintf("n%03d", c.n%1000), UserName: fmt.Sprintf("v%03d", c.n%1000)}); err != nil {
		return sessionapi.EnumResult{}, err
	}
	return c.SessionAPI.NetSessionEnum(ctx, serverName, uncClientName, userName, level, prefMaxLen, resume)
}

// missedSurvivors lists the server's 300 sessions with churn on every call, 2 entries a page,
// and counts the sessions that lived throughout and that the collection did not return.
func missedSurvivors(t *testing.T, drain bool, collect func(api sessionapi.SessionAPI, req sessionapi.EnumRequest) ([]sessionapi.Info, error)) (missed, survivors int) {
	srv := serverWith(t, fake.Windows(), 300)
	before := map[string]bool{}
	for _, s := range srv.Sessions() {
		before[s.ClientName] = true
	}
	api := &churning{SessionAPI: srv.As(fake.Administrator), srv: srv, rng: rand.New(rand.NewPCG(1, 2)), drain: drain}
	got, err := collect(api, sessionapi.EnumRequest{Level: sessionapi.Level10, PrefMaxLen: 2 * entrySize10})
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, e := range got {
		seen[pager.KeyOf(e).Client] = true
	}
	for _, s := range srv.Sessions() {
		if before[s.ClientName] {
			survivors++
			if !seen[`\\`+s.ClientName] {
				missed++
			}
		}
	}
	return missed, survivors
}

// TestCollectUnderChurn: one pass over a churning server misses sessions that lived throughout
// (spec rule 29: a session ending behind the handle makes the next one skipped). A second pass
// misses fewer whatever the churn. UntilTotal sees a pass cut short when sessions end ("drain"),
// not when as many connect as end ("replace"): the count then comes out right though a
// survivor was skipped.
func TestCollectUnderChurn(t *testing.T) {
	for _, mode := range []struct {
		name  string
		drain bool
	}{{"replace", false}, {"drain", true}} {
		t.Run(mode.name, func(t *testing.T) {
			plain, survivors := missedSurvivors(t, mode.drain, func(api sessionapi.SessionAPI, req sessionapi.EnumRequest) ([]sessionapi.Info, error) {
				return sessionapi.Collect(t.Context(), api, req)
			})
			t.Logf("sessionapi.Collect: missed %d of %d sessions that lived throughout", plain, survivors)
			missed := map[pager.Strategy]int{}
			for _, s := range []pager.Strategy{pager.OnePass, pager.TwoPasses, pager.UntilTotal} {
				var st pager.Stats
				missed[s], _ = missedSurvivors(t, mode.drain, func(api sessionapi.SessionAPI, req sessionapi.EnumRequest) ([]sessionapi.Info, error) {
					var got []sessionapi.Info
					var err error
					got, st, err = pager.Collect(t.Context(), api, req, pager.Options{Strategy: s})
					return got, err
				})
				t.Logf("pager %v: missed %d, %d calls in %d passes", s, missed[s], st.Calls, st.Passes)
			}
			require.Positive(t, plain, "the churn must make one pass miss sessions, or this test shows nothing")
			assert.Equal(t, plain, missed[pager.OnePass], "OnePass makes the calls sessionapi.Collect makes")
			assert.Less(t, missed[pager.TwoPasses], plain, "TwoPasses")
			if mode.drain {
				assert.Less(t, missed[pager.UntilTotal], plain, "UntilTotal")
			} else {
				assert.LessOrEqual(t, missed[pager.UntilTotal], plain, "UntilTotal")
			}
		})
	}
}

// TestCollectUntilTotalStopsWhenNothingChanges: on a quiet server UntilTotal costs one pass.
func TestCollectUntilTotalStopsWhenNothingChanges(t *testing.T) {
	for _, name := range fake.ProfileNames() {
		p, err := fake.ProfileByName(name)
		require.NoError(t, err)
		srv := serverWith(t, p, 7)
		got, st, err := pager.Collect(t.Context(), srv.As(fake.DomainAdmin),
			sessionapi.EnumRequest{Level: sessionapi.Level1, PrefMaxLen: 200}, pager.Options{Strategy: pager.UntilTotal})
		require.NoError(t, err, "profile %s", name)
		assert.Len(t, got, 7, "profile %s", name)
		assert.Equal(t, 1, st.Passes, "profile %s: passes", name)
	}
}

// BenchmarkCollect compares the pager with sessionapi.Collect on one fake of 1,000 sessions
// read 4 KiB at a time: the cost of the de-duplication and of each strategy's passes.
func BenchmarkCollect(b *testing.B) {
	srv := serverWith(b, fake.Windows(), 1000)
	api := srv.As(fake.Administrator)
	req := sessionapi.EnumRequest{Level: sessionapi.Level10, PrefMaxLen: 4096}
	b.Run("sessionapi.Collect", func(b *testing.B) {
		for b.Loop() {
			if _, err := sessionapi.Collect(b.Context(), api, req); err != nil {
				b.Fatal(err)
			}
			srv.ResetCalls()
		}
	})
	for _, s := range []pager.Strategy{pager.OnePass, pager.TwoPasses, pager.UntilTotal} {
		b.Run("pager."+s.String(), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := pager.Collect(b.Context(), api, req, pager.Options{Strategy: s}); err != nil {
					b.Fatal(err)
				}
				srv.ResetCalls()
			}
		})
	}
}

// BenchmarkCollectRatio runs sessionapi.Collect and each pager strategy in turn within one
// loop over the fake of BenchmarkCollect, so that a shared machine's noise falls on both
// alike, and reports each strategy's time as a multiple of sessionapi.Collect's
// ("OnePass/Collect" and so on).
func BenchmarkCollectRatio(b *testing.B) {
	srv := serverWith(b, fake.Windows(), 1000)
	api := srv.As(fake.Administrator)
	req := sessionapi.EnumRequest{Level: sessionapi.Level10, PrefMaxLen: 4096}
	strategies := []pager.Strategy{pager.OnePass, pager.TwoPasses, pager.UntilTotal}
	spent := make([]time.Duration, len(strategies)+1)
	for b.Loop() {
		t0 := time.Now()
		if _, err := sessionapi.Collect(b.Context(), api, req); err != nil {
			b.Fatal(err)
		}
		spent[0] += time.Since(t0)
		for i, s := range strategies {
			t0 := time.Now()
			if _, _, err := pager.Collect(b.Context(), api, req, pager.Options{Strategy: s}); err != nil {
				b.Fatal(err)
			}
			spent[i+1] += time.Since(t0)
		}
		srv.ResetCalls()
	}
	for i, s := range strategies {
		b.ReportMetric(float64(spent[i+1])/float64(spent[0]), s.String()+"/Collect")
	}
}
