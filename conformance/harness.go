package conformance

import (
	"context"
	"errors"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// ErrUnsupported is wrapped by a harness that cannot do what a subtest needs (act as a role,
// open a file, seed a guest session). The subtest is skipped with the harness's reason; it
// never passes.
var ErrUnsupported = errors.New("conformance: not supported by this harness")

// SeedUser is the account a seeded session logs on with. The seed accounts are distinct from
// the accounts the harness calls as, so that deleting seeded sessions never ends the suite's
// own connections.
type SeedUser string

// The seed accounts a harness provides.
const (
	Alice     SeedUser = "alice" // a plain user
	Bob       SeedUser = "bob"   // another plain user
	GuestUser SeedUser = "guest" // a guest logon: the server flags the session SESS_GUEST
)

// SeedSession asks for one session.
type SeedSession struct {
	// Client picks the client computer: seeds with the same number come from the same client,
	// different numbers from different clients (on a real server, different source addresses
	// or NetBIOS names). Numbers start at 1.
	Client int
	// User is the account the session logs on with.
	User SeedUser
	// OpenFiles is how many files the session keeps open.
	OpenFiles int
}

// Observed is a session as the server reports it.
type Observed struct {
	// ClientName is the client as the server names it, without `\\` (the profile says whether
	// sesi*_cname carries one).
	ClientName string
	// UserName is the user name as the server reports it (for a guest session on Samba, the
	// guest account, "nobody").
	UserName string
	// OpenFiles is the number of open files the harness holds in that session.
	OpenFiles int
	// Guest is set for guest and anonymous sessions.
	Guest bool
	// Seeded is false for sessions the harness holds for its own use (its callers' connections
	// to a real server).
	Seeded bool
	// ClientType and Transport are sesi502_cltype_name and sesi502_transport where the server
	// reports them (optional: leave them empty on a server without levels 2 and 502). The
	// suite seeds its reference fake with them, so that entry sizes at levels 2 and 502, and
	// with them the ERROR_MORE_DATA page sizes, agree.
	ClientType, Transport string
}

// Harness is the server under test, made fresh for every subtest (Go CDK's drivertest style).
type Harness interface {
	// Profile returns the fake profile the server claims to answer like. The suite expects
	// what the profile says.
	Profile() fake.Profile

	// API returns the implementation under test acting as a caller of the role. An error
	// wrapping ErrUnsupported skips the subtests that need that role.
	API(ctx context.Context, role fake.Role) (sessionapi.SessionAPI, error)

	// Seed opens the sessions and returns them as the server will report them, in the order
	// asked. Seeding twice in one harness adds sessions.
	Seed(ctx context.Context, sessions []SeedSession) ([]Observed, error)

	// Sessions returns every session the server holds now, seeded or not (the harness's own
	// connections of the callers returned by API included), in any order. The suite compares
	// enumerations with it. The suite gets every API it needs before it calls Sessions, so a
	// harness may open a caller's connection lazily in API. Sessions must keep working after
	// a NetSessionDel that ended the harness's own connections (Samba with both names empty,
	// S16): reconnect if needed.
	Sessions(ctx context.Context) ([]Observed, error)

	// Close ends the seeded sessions and releases the harness. Some are already gone: the
	// NetSessionDel subtests end them on the server.
	Close(ctx context.Context) error
}

// NewHarness makes a harness for one subtest.
type NewHarness func(ctx context.Context) (Harness, error)
