package scenarios

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// Fleet is several fake servers reached by name, as a client on a network reaches different
// hosts: a call goes to the server whose name or alias is its servername (with or without
// `\\`, case-insensitive; found in a map, however large the fleet). An empty servername means
// the first server, the local machine. Any other name gets the first server's profile's
// UnknownServer status (ERROR_BAD_NETPATH by default), as a host that is not there would, and
// is recorded in [Fleet.Misses] (no server's Calls sees it).
//
// A Fleet is safe for concurrent use: its servers are, the routing table does not change
// after NewFleet, and the miss log has its own lock.
type Fleet struct {
	servers []*fake.Server
	byName  map[string]*fake.Server // lower-case name or alias without `\\`

	mu     sync.Mutex
	misses []fake.Call
	missed int
}

// MaxMisses is how many calls to unknown servers a Fleet keeps for Misses; later ones are
// only counted (MissCount).
const MaxMisses = 10_000

// NewFleet makes a fleet of at least one server; names and aliases must be distinct (any
// case, a leading `\\` ignored).
func NewFleet(servers ...*fake.Server) (*Fleet, error) {
	if len(servers) == 0 {
		return nil, errors.New("scenarios: a fleet needs at least one server")
	}
	f := &Fleet{servers: append([]*fake.Server(nil), servers...), byName: make(map[string]*fake.Server, len(servers))}
	for _, s := range servers {
		for _, n := range s.Names() {
			k := nameKey(n)
			if other, dup := f.byName[k]; dup && other != s {
				return nil, fmt.Errorf("scenarios: fleet: name %q belongs to %s and %s", n, other.Name(), s.Name())
			}
			f.byName[k] = s
		}
	}
	return f, nil
}

func nameKey(n string) string { return strings.ToLower(strings.TrimPrefix(n, `\\`)) }

// Servers returns the servers, the first being the local one.
func (f *Fleet) Servers() []*fake.Server { return append([]*fake.Server(nil), f.servers...) }

// Lookup returns the server a servername reaches: by name or alias, any case, with or without
// `\\`; "" is the first server.
func (f *Fleet) Lookup(servername string) (*fake.Server, bool) {
	if servername == "" {
		return f.servers[0], true
	}
	s, ok := f.byName[nameKey(servername)]
	return s, ok
}

// Misses returns the calls that reached no server (an unknown servername), oldest first, at
// most MaxMisses of them. Each carries what was asked and the status it got.
func (f *Fleet) Misses() []fake.Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fake.Call(nil), f.misses...)
}

// MissCount is how many calls reached no server, all of them counted.
func (f *Fleet) MissCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.missed
}

func (f *Fleet) miss(c fake.Call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.missed++
	c.Seq = f.missed
	if len(f.misses) < MaxMisses {
		f.misses = append(f.misses, c)
	}
}

// As returns a sessionapi.SessionAPI that calls the fleet as c.
func (f *Fleet) As(c fake.Caller) sessionapi.SessionAPI { return &fleetClient{f: f, c: c} }

type fleetClient struct {
	f *Fleet
	c fake.Caller
}

var _ sessionapi.SessionAPI = (*fleetClient)(nil)

func (fc *fleetClient) route(ctx context.Context, miss fake.Call) (*fake.Client, error) {
	servername := miss.ServerName
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(fc.f.servers) == 1 {
		// One server answers every name itself (its own UnknownServer, its fault counters),
		// exactly as the fake does without a fleet.
		return fc.f.servers[0].AsCaller(fc.c), nil
	}
	s, ok := fc.f.Lookup(servername)
	if !ok {
		var names []string
		for _, s := range fc.f.servers {
			names = append(names, s.Name())
			if len(names) == 3 && len(fc.f.servers) > 4 {
				names = append(names, fmt.Sprintf("… %d servers in all", len(fc.f.servers)))
				break
			}
		}
		st := fc.f.servers[0].Profile().UnknownServer
		miss.Caller, miss.Status, miss.At = fc.c, st, fc.f.servers[0].Now()
		fc.f.miss(miss)
		return nil, fmt.Errorf("scenarios: no server %q in the fleet (%s): %w", servername,
			strings.Join(names, ", "), st)
	}
	return s.AsCaller(fc.c), nil
}

func (fc *fleetClient) NetSessionEnum(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level, prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	c, err := fc.route(ctx, fake.Call{Op: fake.OpEnum, ServerName: serverName, UncClientName: uncClientName,
		UserName: userName, Level: level, PrefMaxLen: prefMaxLen})
	if err != nil {
		return sessionapi.EnumResult{Level: level}, err
	}
	return c.NetSessionEnum(ctx, serverName, uncClientName, userName, level, prefMaxLen, resume)
}

func (fc *fleetClient) NetSessionGetInfo(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level) (sessionapi.Info, error) {
	c, err := fc.route(ctx, fake.Call{Op: fake.OpGetInfo, ServerName: serverName, UncClientName: uncClientName,
		UserName: userName, Level: level})
	if err != nil {
		return nil, err
	}
	return c.NetSessionGetInfo(ctx, serverName, uncClientName, userName, level)
}

func (fc *fleetClient) NetSessionDel(ctx context.Context, serverName, uncClientName, userName string) error {
	c, err := fc.route(ctx, fake.Call{Op: fake.OpDel, ServerName: serverName, UncClientName: uncClientName, UserName: userName})
	if err != nil {
		return err
	}
	return c.NetSessionDel(ctx, serverName, uncClientName, userName)
}
