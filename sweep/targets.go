package sweep

import (
	"context"
	"encoding/json"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
)

// FleetTargets returns a target per server of a fleet, in fleet order, each called through
// the fleet as caller c with its name as the servername (`\\NAME`), as a client on a
// network reaches each host by name: the fleet's unreachable servers, faults and latencies
// apply.
func FleetTargets(f *scenarios.Fleet, c fake.Caller) []Target {
	api := f.As(c)
	servers := f.Servers()
	out := make([]Target, len(servers))
	for i, s := range servers {
		out[i] = Target{Name: s.Name(), ServerName: `\\` + s.Name(), API: api}
	}
	return out
}

// ServerTargets returns a target per fake server, each called directly as caller c (no
// fleet routing).
func ServerTargets(servers []*fake.Server, c fake.Caller) []Target {
	out := make([]Target, len(servers))
	for i, s := range servers {
		out[i] = Target{Name: s.Name(), ServerName: `\\` + s.Name(), API: s.AsCaller(c)}
	}
	return out
}

// HostTargets returns a target per host ("HOST", "HOST:PORT", "[IPv6]:PORT"), each dialled
// with base (its Host and Port replaced) over SMB2 when its turn comes and closed when it
// is done. The servername sent is `\\HOST`.
func HostTargets(hosts []string, base srvsvc.Config) []Target {
	out := make([]Target, len(hosts))
	for i, h := range hosts {
		out[i] = Target{Name: h, Dial: dialer(h, base)}
		if host, _, err := srvsvc.SplitServer(h); err == nil {
			out[i].ServerName = `\\` + host
		}
	}
	return out
}

func dialer(h string, base srvsvc.Config) func(ctx context.Context) (sessionapi.SessionAPI, func() error, error) {
	return func(ctx context.Context) (sessionapi.SessionAPI, func() error, error) {
		host, port, err := srvsvc.SplitServer(h)
		if err != nil {
			return nil, nil, err
		}
		cfg := base
		cfg.Host, cfg.Port = host, port
		if dl, ok := ctx.Deadline(); ok {
			// No stage may outlast the server's own timeout.
			if d := time.Until(dl); cfg.StageTimeout <= 0 || cfg.StageTimeout > d {
				cfg.StageTimeout = max(d, time.Millisecond)
			}
		}
		c, err := srvsvc.Dial(ctx, cfg)
		if err != nil {
			return nil, nil, err
		}
		return c, c.Close, nil
	}
}

// jsonResult is a Result as one JSON line.
type jsonResult struct {
	Server    string  `json:"server"`
	Outcome   string  `json:"outcome"`
	Sessions  int     `json:"sessions"`
	Status    string  `json:"status,omitempty"`
	Code      *uint32 `json:"status_code,omitempty"`
	Error     string  `json:"error,omitempty"`
	Pages     int     `json:"pages"`
	ElapsedMS float64 `json:"elapsed_ms"`
}

// MarshalJSON writes {"server", "outcome", "sessions", "status" and "status_code" (by name
// and number, when a server sent one), "error" (when it failed), "pages", "elapsed_ms"}: a line of `-o jsonl`. Names are
// kept exact (JSON-escaped).
func (r Result) MarshalJSON() ([]byte, error) {
	j := jsonResult{Server: r.Target, Outcome: r.Outcome.String(), Sessions: r.Sessions, Pages: r.Pages,
		ElapsedMS: float64(r.Elapsed.Microseconds()) / 1000}
	if r.HasStatus {
		j.Status = r.Status.String()
		code := uint32(r.Status)
		j.Code = &code
	}
	if r.Err != nil {
		j.Error = r.Err.Error()
	}
	return json.Marshal(j)
}

// MarshalJSON writes {"summary": true, "servers", "answered", "refused", "unreachable",
// "timed_out", "error", "sessions", "elapsed_ms"}: the last line of `-o jsonl`.
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Summary     bool    `json:"summary"`
		Servers     int     `json:"servers"`
		Answered    int     `json:"answered"`
		Refused     int     `json:"refused"`
		Unreachable int     `json:"unreachable"`
		TimedOut    int     `json:"timed_out"`
		Failed      int     `json:"error"`
		Sessions    int     `json:"sessions"`
		ElapsedMS   float64 `json:"elapsed_ms"`
	}{true, s.Servers, s.Count(Answered), s.Count(Refused), s.Count(Unreachable), s.Count(TimedOut), s.Count(Failed),
		s.Sessions, float64(s.Elapsed.Microseconds()) / 1000})
}
