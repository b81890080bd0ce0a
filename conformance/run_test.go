package conformance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// limited is a FakeHarness that cannot act as some roles nor seed guest sessions, as a
// harness for a real server may not.
type limited struct {
	Harness
	cannot []fake.Role
}

func (h limited) API(ctx context.Context, r fake.Role) (sessionapi.SessionAPI, error) {
	if slices.Contains(h.cannot, r) {
		return nil, fmt.Errorf("no %v account on this server: %w", r, ErrUnsupported)
	}
	return h.Harness.API(ctx, r)
}

func (h limited) Seed(ctx context.Context, ss []SeedSession) ([]Observed, error) {
	for _, s := range ss {
		if s.User == GuestUser {
			return nil, fmt.Errorf("guest logons are off: %w", ErrUnsupported)
		}
	}
	return h.Harness.Seed(ctx, ss)
}

// TestRunSkipsWhatTheHarnessCannotDo: subtests that need a role or a guest session the
// harness cannot provide are skipped, the rest still run and pass.
func TestRunSkipsWhatTheHarnessCannotDo(t *testing.T) {
	inner := FakeHarness(fake.Windows())
	sum := Run(t, func(ctx context.Context) (Harness, error) {
		h, err := inner(ctx)
		return limited{Harness: h, cannot: []fake.Role{fake.Guest, fake.Anonymous}}, err
	})
	assert.Empty(t, sum.Failed)
	if sum.Ran() < len(Subtests()) {
		return // -run left some out
	}
	for _, name := range []string{"Enum/Access/Guest/Level0", "Enum/Access/Anonymous/Level502", "Enum/Flags/Guest/Level1",
		"GetInfo/Guest", "Del/Guest", "Del/Access/Anonymous", "Enum/CheckOrder/InvalidLevel/Anonymous"} {
		assert.Contains(t, sum.Skipped, name)
	}
	for _, name := range []string{"Enum/Access/User/Level0", "Enum/Level1/AllSessions", "Del/ByClient"} {
		assert.Contains(t, sum.Passed, name)
	}
}

// withOwnSessions is a FakeHarness whose callers hold sessions of their own, as a harness
// for a real server does: each API call logs on from 127.0.0.1 as an account of its own.
type withOwnSessions struct {
	*fakeHarness
}

func (h withOwnSessions) API(ctx context.Context, r fake.Role) (sessionapi.SessionAPI, error) {
	if _, err := h.srv.Connect(fake.Session{ClientName: "127.0.0.1", UserName: "sim-" + r.String()}); err != nil {
		return nil, err
	}
	return h.fakeHarness.API(ctx, r)
}

// TestRunWithTheHarnessOwnSessions: the suite accounts for sessions it did not seed (the
// callers' own connections) under every profile, Samba's NetSessionDel of everything included.
func TestRunWithTheHarnessOwnSessions(t *testing.T) {
	for _, name := range fake.ProfileNames() {
		t.Run(name, func(t *testing.T) {
			p, err := fake.ProfileByName(name)
			require.NoError(t, err)
			inner := FakeHarness(p)
			sum := Run(t, func(ctx context.Context) (Harness, error) {
				h, err := inner(ctx)
				if err != nil {
					return nil, err
				}
				return withOwnSessions{h.(*fakeHarness)}, nil
			})
			assert.Empty(t, sum.Failed)
			assert.Empty(t, sum.Skipped)
		})
	}
}

// TestRunListsTheCallerSession: a server that lists the caller's own session, as Windows does
// (spec W1) and as a served fake does, passes under every profile: the harness reports those
// sessions with Seeded false and the suite expects them like any other.
func TestRunListsTheCallerSession(t *testing.T) {
	for _, name := range fake.ProfileNames() {
		t.Run(name, func(t *testing.T) {
			p, err := fake.ProfileByName(name)
			require.NoError(t, err)
			p.ListCallerSession = true
			// The harness does report the caller's session, or this test shows nothing.
			h, err := FakeHarness(p)(t.Context())
			require.NoError(t, err)
			_, err = h.API(t.Context(), fake.Administrator)
			require.NoError(t, err)
			obs, err := h.Sessions(t.Context())
			require.NoError(t, err)
			assert.Equal(t, []Observed{{ClientName: fake.DefaultCallerClient, UserName: "sim-administrator"}}, obs)

			sum := Run(t, FakeHarness(p))
			assert.Empty(t, sum.Failed)
			assert.Empty(t, sum.Skipped)
		})
	}
}

// TestRunIsOrderFree: a server that lists its sessions in another order than the reference
// (new sessions first, S7) and names its clients with names of different lengths (so entries
// differ in size and pages hold different numbers of them) still passes: the suite compares
// multisets and, where the order decides, bounds.
func TestRunIsOrderFree(t *testing.T) {
	for _, name := range fake.ProfileNames() {
		t.Run(name, func(t *testing.T) {
			claim, err := fake.ProfileByName(name)
			require.NoError(t, err)
			actual := claim
			actual.NewSessionsFirst = !claim.NewSessionsFirst
			inner := FakeHarness(actual)
			sum := Run(t, func(ctx context.Context) (Harness, error) {
				h, err := inner(ctx)
				if err != nil {
					return nil, err
				}
				fh := h.(*fakeHarness)
				fh.clientName = func(n int) string { return fmt.Sprintf("%s%d", strings.Repeat("H", n), n) }
				return withOwnSessions{fh}, nil
			})
			assert.Empty(t, sum.Failed)
		})
	}
}
