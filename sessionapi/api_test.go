package sessionapi_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// scripted answers NetSessionEnum from a list of pages and records the resume handles it saw.
type scripted struct {
	pages   []page
	handles []uint32
}

type page struct {
	clients []string
	status  sessionapi.Status
	resume  uint32 // the handle the "server" sets
}

func (s *scripted) NetSessionEnum(_ context.Context, _, _, _ string, level sessionapi.Level, _ uint32, resume *uint32) (sessionapi.EnumResult, error) {
	s.handles = append(s.handles, *resume)
	i := len(s.handles) - 1
	if i >= len(s.pages) {
		return sessionapi.EnumResult{}, errors.New("called after the last page")
	}
	p := s.pages[i]
	res := sessionapi.EnumResult{Level: level}
	for _, c := range p.clients {
		res.Entries = append(res.Entries, &sessionapi.SessionInfo0{ClientName: c})
	}
	*resume = p.resume
	if p.status != sessionapi.NERR_Success {
		return res, p.status
	}
	return res, nil
}

func (s *scripted) NetSessionGetInfo(context.Context, string, string, string, sessionapi.Level) (sessionapi.Info, error) {
	return nil, errors.New("not scripted")
}

func (s *scripted) NetSessionDel(context.Context, string, string, string) error {
	return errors.New("not scripted")
}

func clients(entries []sessionapi.Info) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Client())
	}
	return out
}

func TestAllFollowsResumeHandle(t *testing.T) {
	api := &scripted{pages: []page{
		{clients: []string{"a", "b"}, status: sessionapi.ERROR_MORE_DATA, resume: 2},
		{clients: []string{"c"}, status: sessionapi.ERROR_MORE_DATA, resume: 3},
		{clients: []string{"d"}, resume: 0},
	}}
	got, err := sessionapi.Collect(t.Context(), api, sessionapi.EnumRequest{Level: sessionapi.Level0, PrefMaxLen: 64})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c", "d"}, clients(got))
	assert.Equal(t, []uint32{0, 2, 3}, api.handles, "resume handles sent")
}

func TestAllStopsOnError(t *testing.T) {
	api := &scripted{pages: []page{
		{clients: []string{"a"}, status: sessionapi.ERROR_MORE_DATA, resume: 1},
		{status: sessionapi.RPC_S_SERVER_UNAVAILABLE},
	}}
	got, err := sessionapi.Collect(t.Context(), api, sessionapi.EnumRequest{Level: sessionapi.Level0})
	assert.ErrorIs(t, err, sessionapi.RPC_S_SERVER_UNAVAILABLE)
	assert.Equal(t, []string{"a"}, clients(got), "entries before the error are kept")
	assert.Len(t, api.handles, 2)
}

func TestAllRefusesToLoopWithoutProgress(t *testing.T) {
	// prefmaxlen below one entry: no entries and the same handle again (spec §12 Q5, rule 81).
	api := &scripted{pages: []page{
		{clients: []string{"a"}, status: sessionapi.ERROR_MORE_DATA, resume: 1},
		{status: sessionapi.ERROR_MORE_DATA, resume: 1},
	}}
	got, err := sessionapi.Collect(t.Context(), api, sessionapi.EnumRequest{Level: sessionapi.Level0, PrefMaxLen: 1})
	require.ErrorIs(t, err, sessionapi.ErrNoProgress)
	assert.Contains(t, err.Error(), "prefmaxlen=1")
	assert.Equal(t, []string{"a"}, clients(got))
}

func TestAllEarlyBreakAndCancel(t *testing.T) {
	api := &scripted{pages: []page{{clients: []string{"a", "b"}, status: sessionapi.ERROR_MORE_DATA, resume: 2}}}
	n := 0
	for _, err := range sessionapi.All(t.Context(), api, sessionapi.EnumRequest{}) {
		require.NoError(t, err)
		n++
		break
	}
	assert.Equal(t, 1, n)
	assert.Len(t, api.handles, 1, "breaking out makes no further call")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := sessionapi.Collect(ctx, &scripted{}, sessionapi.EnumRequest{})
	assert.ErrorIs(t, err, context.Canceled)
}

func ExampleAll() {
	api := &scripted{pages: []page{
		{clients: []string{`\\WS1`, `\\WS2`}, status: sessionapi.ERROR_MORE_DATA, resume: 2},
		{clients: []string{`\\WS3`}},
	}}
	for entry, err := range sessionapi.All(context.Background(), api, sessionapi.EnumRequest{Level: sessionapi.Level0, PrefMaxLen: 64}) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Println(entry.Client())
	}
	// Output:
	// \\WS1
	// \\WS2
	// \\WS3
}
