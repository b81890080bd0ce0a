package sessionapi_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// hostile answers every page ERROR_MORE_DATA with perPage new entries and a new handle, for
// ever (issue 9 class 3). All entries share one struct: what grows is the caller's side.
type hostile struct {
	perPage int
	pages   int
	entry   sessionapi.SessionInfo10
}

func (h *hostile) NetSessionEnum(_ context.Context, _, _, _ string, level sessionapi.Level, _ uint32, resume *uint32) (sessionapi.EnumResult, error) {
	h.pages++
	res := sessionapi.EnumResult{Level: level, Entries: make([]sessionapi.Info, h.perPage), TotalEntries: 0xFFFFFFFF}
	for i := range res.Entries {
		res.Entries[i] = &h.entry
	}
	*resume += uint32(h.perPage)
	return res, sessionapi.ERROR_MORE_DATA
}

func (h *hostile) NetSessionGetInfo(context.Context, string, string, string, sessionapi.Level) (sessionapi.Info, error) {
	return nil, errors.New("not scripted")
}

func (h *hostile) NetSessionDel(context.Context, string, string, string) error {
	return errors.New("not scripted")
}

func TestCollectBoundedAgainstHostileServer(t *testing.T) {
	h := &hostile{perPage: 2000, entry: sessionapi.SessionInfo10{ClientName: `\\x`}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, err := sessionapi.Collect(t.Context(), h, sessionapi.EnumRequest{Level: sessionapi.Level10})
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, sessionapi.ErrTooManyEntries)
	assert.ErrorContains(t, err, "more than 1000000 entries, at page 501")
	assert.Len(t, got, sessionapi.DefaultMaxEntries, "Collect returns the entries read so far")
	assert.Equal(t, sessionapi.DefaultMaxEntries/2000+1, h.pages, "pages asked for")
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("Collect against a hostile server: %d entries kept, %d pages, %.1f MiB allocated", len(got), h.pages, float64(allocated)/(1<<20))
	// The entries' slice (16 bytes each, grown by doubling) and the pages the server sent.
	assert.Less(t, allocated, uint64(160<<20), "memory grows with MaxEntries, not with the server")
}

func TestMaxEntries(t *testing.T) {
	for _, tc := range []struct {
		max, wantLen, wantPages int
		wantErr                 bool
	}{
		{max: 5000, wantLen: 5000, wantPages: 3, wantErr: true},
		{max: 4000, wantLen: 4000, wantPages: 3, wantErr: true}, // exactly 2 pages fit; the third brings one more
		{max: 1, wantLen: 1, wantPages: 1, wantErr: true},
	} {
		h := &hostile{perPage: 2000}
		got, err := sessionapi.Collect(t.Context(), h, sessionapi.EnumRequest{Level: sessionapi.Level10, MaxEntries: tc.max})
		assert.Len(t, got, tc.wantLen, "MaxEntries=%d", tc.max)
		assert.Equal(t, tc.wantPages, h.pages, "MaxEntries=%d: pages", tc.max)
		assert.Equal(t, tc.wantErr, errors.Is(err, sessionapi.ErrTooManyEntries), "MaxEntries=%d: %v", tc.max, err)
	}
	// Exactly MaxEntries from an honest server is fine.
	api := &scripted{pages: []page{
		{clients: []string{"a", "b"}, status: sessionapi.ERROR_MORE_DATA, resume: 2},
		{clients: []string{"c"}, resume: 3},
	}}
	got, err := sessionapi.Collect(t.Context(), api, sessionapi.EnumRequest{MaxEntries: 3})
	require.NoError(t, err)
	assert.Len(t, got, 3)

	// Negative: no bound, MaxPages still ends it.
	h := &hostile{perPage: 1}
	n := 0
	for _, err := range sessionapi.All(t.Context(), h, sessionapi.EnumRequest{MaxEntries: -1}) {
		if err != nil {
			assert.NotErrorIs(t, err, sessionapi.ErrTooManyEntries)
			assert.ErrorContains(t, err, fmt.Sprintf("gave up after %d pages", sessionapi.MaxPages))
			break
		}
		n++
	}
	assert.Equal(t, sessionapi.MaxPages, n)
}

// Windows leaves a non-zero resume handle after NERR_Success (capture A: 18): All stops on the
// status, never on the handle.
func TestAllStopsOnStatusNotHandle(t *testing.T) {
	api := &scripted{pages: []page{
		{clients: []string{"a", "b"}, status: sessionapi.ERROR_MORE_DATA, resume: 2},
		{clients: []string{"c"}, resume: 18},
	}}
	got, err := sessionapi.Collect(t.Context(), api, sessionapi.EnumRequest{Level: sessionapi.Level0, PrefMaxLen: 64})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, clients(got))
	assert.Len(t, api.handles, 2, "no call after NERR_Success, though the handle is 18")
}

func TestStatusString(t *testing.T) {
	assert.Equal(t, "NERR_Success", sessionapi.StatusString(nil))
	assert.Equal(t, "ERROR_MORE_DATA", sessionapi.StatusString(fmt.Errorf("page 2: %w", sessionapi.ERROR_MORE_DATA)))
	assert.Equal(t, "no status", sessionapi.StatusString(errors.New("connection reset")))
	assert.Equal(t, "no status", sessionapi.StatusString(context.Canceled))
}

// A broken connection carries no status: StatusOf says so with its ok, and StatusString in
// its text. Comparing statuses works alike for every SessionAPI with errors.Is, whatever the
// error's text (a lone fake, a fleet and a real server word them differently).
func ExampleStatusString() {
	for _, err := range []error{
		nil,
		fmt.Errorf("fake: servername %q is not this server: %w", "FS02", sessionapi.ERROR_BAD_NETPATH),
		errors.New("dial tcp 127.0.0.1:445: connection refused"),
	} {
		st, ok := sessionapi.StatusOf(err)
		fmt.Println(sessionapi.StatusString(err), ok, st == sessionapi.NERR_Success, errors.Is(err, sessionapi.ERROR_BAD_NETPATH))
	}
	// Output:
	// NERR_Success true true false
	// ERROR_BAD_NETPATH true false true
	// no status false true false
}

// A server that never stops answering ERROR_MORE_DATA cannot grow a collector without end:
// MaxEntries (default DefaultMaxEntries) ends the enumeration with ErrTooManyEntries, and
// Collect keeps what it read.
func ExampleErrTooManyEntries() {
	api := &hostile{perPage: 2000}
	got, err := sessionapi.Collect(context.Background(), api, sessionapi.EnumRequest{Level: sessionapi.Level10, MaxEntries: 5000})
	fmt.Println(len(got), errors.Is(err, sessionapi.ErrTooManyEntries))
	fmt.Println(err)
	// Output:
	// 5000 true
	// sessionapi: the server returned more entries than EnumRequest.MaxEntries allows: more than 5000 entries, at page 3
}
