package scenarios

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// Fleet is several fake servers reached by name, as a client on a network reaches different
// hosts: a call goes to the server whose name or alias is its servername (with or without
// `\\`, case-insensitive). An empty servername means the first server, the local machine. Any
// other name gets the first server's profile's UnknownServer status (ERROR_BAD_NETPATH by
// default), as a host that is not there would.
type Fleet struct {
	servers []*fake.Server
}

// NewFleet makes a fleet of at least one server; names and aliases must be distinct.
func NewFleet(servers ...*fake.Server) (*Fleet, error) {
	if len(servers) == 0 {
		return nil, errors.New("scenarios: a fleet needs at least one server")
	}
	seen := map[string]string{}
	for _, s := range servers {
		for _, n := range s.Names() {
			k := strings.ToLower(n)
			if other, dup := seen[k]; dup {
				return nil, fmt.Errorf("scenarios: fleet: name %q belongs to %s and %s", n, other, s.Name())
			}
			seen[k] = s.Name()
		}
	}
	return &Fleet{servers: append([]*fake.Server(nil), servers...)}, nil
}

// Servers returns the servers, the first being the local one.
func (f *Fleet) Servers() []*fake.Server { return append([]*fake.Server(nil), f.servers...) }

// Lookup returns the server a servername reaches.
func (f *Fleet) Lookup(servername string) (*fake.Server, bool) {
	if servername == "" {
		return f.servers[0], true
	}
	n := strings.TrimPrefix(servername, `\\`)
	for _, s := range f.servers {
		for _, name := range s.Names() {
			if strings.EqualFold(n, name) {
				return s, true
			}
		}
	}
	return nil, false
}

// As returns a sessionapi.SessionAPI that calls the fleet as c.
func (f *Fleet) As(c fake.Caller) sessionapi.SessionAPI { return &fleetClient{f: f, c: c} }

type fleetClient struct {
	f *Fleet
	c fake.Caller
}

var _ sessionapi.SessionAPI = (*fleetClient)(nil)

func (fc *fleetClient) route(ctx context.Context, servername string) (*fake.Client, error) {
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
		}
		return nil, fmt.Errorf("scenarios: no server %q in the fleet (%s): %w", servername,
			strings.Join(names, ", "), fc.f.servers[0].Profile().UnknownServer)
	}
	return s.AsCaller(fc.c), nil
}

func (fc *fleetClient) NetSessionEnum(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level, prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	c, err := fc.route(ctx, serverName)
	if err != nil {
		return sessionapi.EnumResult{Level: level}, err
	}
	return c.NetSessionEnum(ctx, serverName, uncClientName, userName, level, prefMaxLen, resume)
}

func (fc *fleetClient) NetSessionGetInfo(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level) (sessionapi.Info, error) {
	c, err := fc.route(ctx, serverName)
	if err != nil {
		return nil, err
	}
	return c.NetSessionGetInfo(ctx, serverName, uncClientName, userName, level)
}

func (fc *fleetClient) NetSessionDel(ctx context.Context, serverName, uncClientName, userName string) error {
	c, err := fc.route(ctx, serverName)
	if err != nil {
		return err
	}
	return c.NetSessionDel(ctx, serverName, uncClientName, userName)
}
