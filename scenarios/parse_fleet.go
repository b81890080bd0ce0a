package scenarios

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// ---- fleet generators: a server entry with count: N ----
//
// One entry of servers: with count: N stands for N servers: its name and aliases are
// templates ({n} the server's number, {ip} an address made from it), its profile is drawn from
// profiles: by weight, each session generator's count: may be a range drawn per server, and
// the mess of a real network is dealt out by share, each server getting at most one kind:
// unreachable, refuse (the caller's role), slow, flapping, churn (joins and leaves on the
// timeline). Everything drawn comes from seed:, server by server: the same seed, the same fleet.

// Limits of a fleet.
const (
	// MaxServers is the most servers one file may have, generated or listed.
	MaxServers = 50_000
	// MaxServerNameLength is the longest server name or alias, after expansion.
	MaxServerNameLength = 255
	// maxServerNumber is the highest {n} of a generated server: {ip} is unique up to it.
	maxServerNumber = 1<<24 - 1
)

type weighted struct {
	prof   fake.Profile
	weight float64
}

// fleetTmpl is what a server entry with count: says beyond one server's keys.
type fleetTmpl struct {
	first     int // the number of the first server ({n}); what splits a fleet across processes
	count     int
	countNode *yaml.Node
	seed      uint64
	profiles  []weighted
	profNode  *yaml.Node

	unreachable struct {
		share    float64
		statuses []sessionapi.Status
	}
	refuse struct {
		share float64
		roles fake.RoleSet
	}
	slow struct {
		share    float64
		lat      drange
		jitter   time.Duration
		realTime bool
	}
	flapping struct {
		share       float64
		probability float64
		status      sessionapi.Status
	}
	churn struct {
		share             float64
		join, leave       drange
		hasJoin, hasLeave bool
	}
	messNodes map[string]*yaml.Node
}

// fleetKeys adds the generator keys of a fleet server entry.
func (p *parser) fleetKeys(keys map[string]keyFunc, ft *fleetTmpl) {
	w := p.w
	ft.seed, ft.first = 1, 1
	ft.messNodes = map[string]*yaml.Node{}
	keys["first"] = func(n *yaml.Node, path string) {
		if v, ok := w.integer(n, path, 1, maxServerNumber); ok {
			ft.first = int(v)
		}
	}
	keys["count"] = func(n *yaml.Node, path string) {
		ft.countNode = n
		if v, ok := w.integer(n, path, 1, MaxServers); ok {
			ft.count = int(v)
		}
	}
	keys["seed"] = func(n *yaml.Node, path string) {
		if v, ok := w.integer(n, path, 0, math.MaxInt64); ok {
			ft.seed = uint64(v)
		}
	}
	keys["profiles"] = func(n *yaml.Node, path string) {
		ft.profNode = n
		m := w.mapping(n, path, p.profileWeightKeys(ft))
		if n.Kind == yaml.MappingNode && len(m) == 0 {
			w.bad(n, path, "empty; want profile names with weights, like {windows: 80, samba: 20}")
		}
	}
	mess := func(kind string, extra map[string]keyFunc, share *float64) keyFunc {
		return func(n *yaml.Node, path string) {
			ft.messNodes[kind] = n
			keys := map[string]keyFunc{"share": func(n *yaml.Node, path string) {
				if v, ok := p.fraction(n, path, "a share of the servers from 0 to 1"); ok {
					*share = v
				}
			}}
			for k, f := range extra {
				keys[k] = f
			}
			found := w.mapping(n, path, keys)
			if n.Kind == yaml.MappingNode && found["share"] == nil {
				w.bad(n, path+".share", "missing; want the share of the servers, like 0.02")
			}
		}
	}
	keys["unreachable"] = mess("unreachable", map[string]keyFunc{
		"status": func(n *yaml.Node, path string) {
			one := func(n *yaml.Node, path string) {
				if s, ok := p.status(n, path); ok {
					ft.unreachable.statuses = append(ft.unreachable.statuses, s)
				}
			}
			if n.Kind == yaml.SequenceNode {
				w.list(n, path, func(_ int, n *yaml.Node, path string) { one(n, path) })
			} else {
				one(n, path)
			}
		},
	}, &ft.unreachable.share)
	keys["refuse"] = mess("refuse", map[string]keyFunc{
		"roles": func(n *yaml.Node, path string) {
			w.list(n, path, func(_ int, n *yaml.Node, path string) {
				if v, ok := w.str(n, path); ok {
					r, err := fake.ParseRole(v)
					if err != nil {
						w.bad(n, path, "unknown role %q; want one of %s", clip(v), roleNames())
						return
					}
					ft.refuse.roles |= fake.RolesOf(r)
				}
			})
		},
	}, &ft.refuse.share)
	keys["slow"] = mess("slow", map[string]keyFunc{
		"latency": func(n *yaml.Node, path string) { ft.slow.lat, _ = p.latencyRange(n, path) },
		"jitter": func(n *yaml.Node, path string) {
			if r, ok := p.latencyRange(n, path); ok {
				if r.lo != r.hi {
					p.w.bad(n, path, "got %q; want one duration, like 500ms (each call adds up to it)", clip(n.Value))
					return
				}
				ft.slow.jitter = r.hi
			}
		},
		"clock": func(n *yaml.Node, path string) {
			if v, ok := w.str(n, path); ok {
				switch v {
				case "fake":
				case "real":
					ft.slow.realTime = true
				default:
					w.bad(n, path, "got %q; want fake (the fake clock moves on) or real (the call sleeps)", clip(v))
				}
			}
		},
	}, &ft.slow.share)
	keys["flapping"] = mess("flapping", map[string]keyFunc{
		"probability": func(n *yaml.Node, path string) {
			if v, ok := p.fraction(n, path, "a probability from 0 to 1"); ok {
				ft.flapping.probability = v
			}
		},
		"status": func(n *yaml.Node, path string) { ft.flapping.status, _ = p.status(n, path) },
	}, &ft.flapping.share)
	keys["churn"] = mess("churn", map[string]keyFunc{
		"join": func(n *yaml.Node, path string) {
			ft.churn.join, ft.churn.hasJoin = w.durationRange(n, path)
		},
		"leave": func(n *yaml.Node, path string) {
			ft.churn.leave, ft.churn.hasLeave = w.durationRange(n, path)
		},
	}, &ft.churn.share)
}

func (p *parser) profileWeightKeys(ft *fleetTmpl) map[string]keyFunc {
	keys := map[string]keyFunc{}
	for _, name := range fake.ProfileNames() {
		keys[name] = func(n *yaml.Node, path string) {
			if !p.w.scalar(n, path, "a weight (a number 0 or more)") {
				return
			}
			v, err := strconv.ParseFloat(n.Value, 64)
			if err != nil || (n.Tag != "!!int" && n.Tag != "!!float") || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
				p.w.bad(n, path, "got %q; want a weight (a number 0 or more)", clip(n.Value))
				return
			}
			prof, _ := fake.ProfileByName(name)
			ft.profiles = append(ft.profiles, weighted{prof: prof, weight: v})
		}
	}
	return keys
}

// fraction reads a number from 0 to 1.
func (p *parser) fraction(n *yaml.Node, path, want string) (float64, bool) {
	if !p.w.scalar(n, path, want) {
		return 0, false
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || (n.Tag != "!!float" && n.Tag != "!!int") || !(v >= 0 && v <= 1) {
		p.w.bad(n, path, "got %q; want %s", clip(n.Value), want)
		return 0, false
	}
	return v, true
}

// latencyRange reads a latency or a range of them ("200ms..3s"), to the millisecond.
func (p *parser) latencyRange(n *yaml.Node, path string) (drange, bool) {
	const want = "a latency like 250ms or a range like 100ms..2s, at most 1h"
	if !p.w.scalar(n, path, want) {
		return drange{}, false
	}
	a, b, isRange := strings.Cut(n.Value, "..")
	if !isRange {
		b = a
	}
	lo, err1 := time.ParseDuration(strings.TrimSpace(a))
	hi, err2 := time.ParseDuration(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || lo < 0 || hi < lo || hi > time.Hour {
		p.w.bad(n, path, "got %q; want %s", clip(n.Value), want)
		return drange{}, false
	}
	return drange{lo.Truncate(time.Millisecond), hi.Truncate(time.Millisecond)}, true
}

// checkFleet checks what a generator entry says as a whole.
func (p *parser) checkFleet(n *yaml.Node, path string, ft *fleetTmpl, found map[string]*yaml.Node, name string) bool {
	w := p.w
	before := len(w.probs)
	if ft.countNode == nil {
		for _, k := range []string{"first", "seed", "profiles", "unreachable", "refuse", "slow", "flapping", "churn"} {
			if found[k] != nil {
				w.bad(found[k], path+"."+k, "only in a server entry with count: (a generated fleet)")
			}
		}
		return len(w.probs) == before
	}
	if found["profile"] != nil && found["profiles"] != nil {
		w.bad(found["profiles"], path+".profiles", "beside profile:; want one profile or a mix by weight, not both")
	}
	if ft.profNode != nil {
		total := 0.0
		for _, pw := range ft.profiles {
			total += pw.weight
		}
		if total <= 0 && len(ft.profiles) > 0 {
			w.bad(ft.profNode, path+".profiles", "the weights add up to 0; want at least one above 0")
		}
	}
	if ft.count > 1 && !strings.Contains(name, "{n}") && !strings.Contains(name, "{ip}") {
		w.bad(found["name"], path+".name", "got %s for %d servers; want a template with {n} or {ip}, like FS{n}", clip(name), ft.count)
	}
	shares := ft.unreachable.share + ft.refuse.share + ft.slow.share + ft.flapping.share + ft.churn.share
	if shares > 1+1e-9 {
		w.bad(n, path, "the shares of unreachable, refuse, slow, flapping and churn add up to %.3g; want at most 1 (each server gets one kind at most)", shares)
	}
	if m := ft.messNodes["slow"]; m != nil && ft.slow.lat.hi == 0 {
		w.bad(m, path+".slow.latency", "missing or 0; want a latency like 250ms or a range like 100ms..2s")
	}
	if m := ft.messNodes["flapping"]; m != nil && (ft.flapping.probability == 0 || ft.flapping.status == sessionapi.NERR_Success) {
		w.bad(m, path+".flapping", "want probability: above 0 and status: a failure, like RPC_S_SERVER_UNAVAILABLE")
	}
	if m := ft.messNodes["churn"]; m != nil {
		switch {
		case !ft.churn.hasJoin && !ft.churn.hasLeave:
			w.bad(m, path+".churn", "neither join: nor leave:; want when servers join (they are away before) and/or leave")
		case ft.churn.hasJoin && ft.churn.hasLeave && ft.churn.leave.lo < ft.churn.join.hi:
			w.bad(m, path+".churn.leave", "%v can come before a join at %v; want leave: from after the latest join", ft.churn.leave.lo, ft.churn.join.hi)
		}
	}
	if m := ft.messNodes["refuse"]; m != nil && ft.refuse.roles == 0 {
		ft.refuse.roles = fake.RolesOf(fake.Roles()...)
	}
	if len(ft.unreachable.statuses) == 0 {
		ft.unreachable.statuses = []sessionapi.Status{sessionapi.ERROR_BAD_NETPATH, sessionapi.RPC_S_SERVER_UNAVAILABLE}
	}
	return len(w.probs) == before
}

// expandName renders a server name template for server k.
func expandName(tmpl string, k int) string {
	var x expander // {pick:K} is not offered in server names: no generator is needed
	return x.renderTo(compileTmpl(tmpl), k, false)
}

// expandFleet makes the servers of a generator entry: base is the entry as one server (name
// and aliases still templates, overrides not applied), sessions and faults the templates of
// its lists.
func (p *parser) expandFleet(n *yaml.Node, path string, base ServerSpec, overrides []func(*fake.Profile),
	ft *fleetTmpl, sessions []sessionTmpl, sessionNodes []*yaml.Node, sessionPaths []string, faults []fake.Fault) {
	w := p.w
	if ft.first+ft.count-1 > maxServerNumber {
		w.bad(ft.countNode, path+".count", "servers %d to %d; want numbers up to %d (first: + count: - 1)", ft.first, ft.first+ft.count-1, maxServerNumber)
		return
	}
	if len(p.spec.Servers)+ft.count > MaxServers {
		w.bad(ft.countNode, path+".count", "%d servers in all; want at most %d", len(p.spec.Servers)+ft.count, MaxServers)
		return
	}
	for _, tmpl := range append([]string{base.Name}, base.Aliases...) {
		if l := maxExpandedLen(compileTmpl(tmpl), ft.first+ft.count-1); l > MaxServerNameLength {
			w.bad(n, path+".name", "%s expands to up to %d characters; want at most %d", clip(tmpl), l, MaxServerNameLength)
			return
		}
	}
	// Totals first, from the drawn counts, before a single session is made.
	type drawn struct {
		rng    *rand.Rand
		counts []int
	}
	all := make([]drawn, ft.count)
	total := 0
	for k := range all {
		// Keyed by the server's number, not its place in this file: servers 5001-10000 of a
		// file with first: 5001 are those of the whole fleet's file, whatever process holds them.
		rng := rand.New(rand.NewPCG(ft.seed, uint64(ft.first+k)))
		counts := make([]int, len(sessions))
		for j, t := range sessions {
			c := int(t.countRange.lo)
			if t.countRange.hi > t.countRange.lo {
				c += int(rng.Uint64N(uint64(t.countRange.hi-t.countRange.lo) + 1))
			}
			counts[j] = c
			total += c
		}
		all[k] = drawn{rng: rng, counts: counts}
	}
	if p.generated+total > MaxSessions {
		at, field := ft.countNode, path+".count"
		if len(sessions) > 0 {
			at, field = sessionNodes[0], sessionPaths[0]+".count"
			if sessions[0].countNode != nil {
				at = sessions[0].countNode
			}
		}
		w.bad(at, field, "%d servers × these sessions make %d sessions in all; want at most %d", ft.count, p.generated+total, MaxSessions)
		return
	}
	totalWeight := 0.0
	for _, pw := range ft.profiles {
		totalWeight += pw.weight
	}
	for k := range all {
		rng := all[k].rng
		s := base
		num := ft.first + k
		s.Name = expandName(base.Name, num)
		s.Aliases = make([]string, len(base.Aliases))
		for i, a := range base.Aliases {
			s.Aliases[i] = expandName(a, num)
		}
		if len(ft.profiles) > 0 && totalWeight > 0 {
			u := rng.Float64() * totalWeight
			for i, pw := range ft.profiles {
				if pw.weight > 0 {
					s.Profile = pw.prof // the last with weight, should rounding leave u over
				}
				if u < pw.weight {
					s.Profile = ft.profiles[i].prof
					break
				}
				u -= pw.weight
			}
		}
		s.Profile.EnumLevels = slices.Clone(s.Profile.EnumLevels)
		for _, o := range overrides {
			o(&s.Profile)
		}
		s.Faults = slices.Clone(faults)
		for i := range s.Faults {
			if s.Faults[i].Probability > 0 {
				s.Faults[i].Seed ^= uint64(num) * 0x9E3779B97F4A7C15
			}
		}
		idx := len(p.spec.Servers)
		p.deal(rng, ft, &s, idx)
		p.spec.Servers = append(p.spec.Servers, s)
		p.serverAt = append(p.serverAt, stepAt{n: n, path: path})
		srv := &p.spec.Servers[idx]
		for j, t := range sessions {
			t.count = all[k].counts[j]
			t.countRange = urange{uint32(t.count), uint32(t.count)}
			t.seed ^= uint64(num) * 0x9E3779B97F4A7C15
			if t.count == 0 {
				continue
			}
			p.addSessions(sessionNodes[j], sessionPaths[j], idx, srv, t)
		}
	}
}

// jitterSteps is how many coin-flip faults make a slow server's per-call jitter.
const jitterSteps = 4

// deal gives a generated server its kind of mess, if any, drawn from one number so that the
// shares are exclusive.
func (p *parser) deal(rng *rand.Rand, ft *fleetTmpl, s *ServerSpec, idx int) {
	u := rng.Float64()
	switch {
	case u < ft.unreachable.share:
		st := ft.unreachable.statuses[rng.IntN(len(ft.unreachable.statuses))]
		s.Faults = append(s.Faults, fake.Fault{Op: fake.OpAny, Every: true, Status: st})
		return
	case u < ft.unreachable.share+ft.refuse.share:
		deny := ft.refuse.roles
		a := &s.Profile.Access
		for _, set := range []*fake.RoleSet{&a.Level0, &a.Level1, &a.Level2, &a.Level10, &a.Level502, &s.Profile.DelAccess} {
			*set &^= deny
		}
		s.Profile.GetInfoLevels1And2ForUsers = false
		return
	case u < ft.unreachable.share+ft.refuse.share+ft.slow.share:
		lat := ft.slow.lat.lo
		if ft.slow.lat.hi > lat {
			lat += time.Duration(rng.Int64N(int64((ft.slow.lat.hi-lat)/time.Millisecond)+1)) * time.Millisecond
		}
		if lat > 0 {
			s.Faults = append(s.Faults, fake.Fault{Op: fake.OpAny, Every: true, Latency: lat, RealTime: ft.slow.realTime})
		}
		// Jitter: each call adds 0 to jitter more, in quarters, each quarter with an even
		// chance (a binomial spread around half the jitter), seeded per server.
		if q := ft.slow.jitter / jitterSteps; q > 0 {
			for range jitterSteps {
				s.Faults = append(s.Faults, fake.Fault{Op: fake.OpAny, Probability: 0.5, Seed: rng.Uint64(),
					Latency: q, RealTime: ft.slow.realTime})
			}
		}
		return
	case u < ft.unreachable.share+ft.refuse.share+ft.slow.share+ft.flapping.share:
		s.Faults = append(s.Faults, fake.Fault{Op: fake.OpAny, Probability: ft.flapping.probability,
			Seed: rng.Uint64(), Status: ft.flapping.status})
		return
	case u < ft.unreachable.share+ft.refuse.share+ft.slow.share+ft.flapping.share+ft.churn.share:
		draw := func(r drange) time.Duration {
			if r.hi == r.lo {
				return r.lo
			}
			return r.lo + time.Duration(rng.Int64N(int64((r.hi-r.lo)/time.Second)+1))*time.Second
		}
		if ft.churn.hasJoin {
			s.Absent = true
			p.fleetEvents = append(p.fleetEvents, Event{At: draw(ft.churn.join), Kind: EventJoin, Server: idx, Line: ft.messNodes["churn"].Line})
		}
		if ft.churn.hasLeave {
			p.fleetEvents = append(p.fleetEvents, Event{At: draw(ft.churn.leave), Kind: EventLeave, Server: idx, Line: ft.messNodes["churn"].Line})
		}
	}
}
