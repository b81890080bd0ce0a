package scenarios

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

func (p *parser) defaultServer() {
	p.spec.Servers = append(p.spec.Servers, ServerSpec{Name: fake.DefaultName, Profile: fake.Windows(), Start: fake.DefaultStart})
	p.serverAt = append(p.serverAt, stepAt{path: "server"})
}

func (p *parser) server(n *yaml.Node, path string, fleet bool) {
	w := p.w
	s := ServerSpec{Name: fake.DefaultName, Profile: fake.Windows(), Start: fake.DefaultStart}
	if fleet {
		s.Name = ""
	}
	var overrides []func(*fake.Profile)
	var sessionsNode, faultsNode *yaml.Node
	keys := map[string]keyFunc{
		"name": func(n *yaml.Node, path string) {
			if v, ok := w.str(n, path); ok {
				if p.checkServerName(n, path, v) {
					s.Name = v
				}
			}
		},
		"aliases": func(n *yaml.Node, path string) {
			w.list(n, path, func(_ int, n *yaml.Node, path string) {
				if v, ok := w.str(n, path); ok && p.checkServerName(n, path, v) {
					s.Aliases = append(s.Aliases, v)
				}
			})
		},
		"profile": func(n *yaml.Node, path string) {
			if v, ok := w.str(n, path); ok {
				prof, err := fake.ProfileByName(v)
				if err != nil {
					w.bad(n, path, "unknown profile %q; want one of %s", v, strings.Join(fake.ProfileNames(), ", "))
					return
				}
				// Overrides apply after the profile, whatever their order in the file.
				s.Profile = prof
			}
		},
		"start": func(n *yaml.Node, path string) {
			const want = "an RFC 3339 time like 2026-01-05T09:00:00Z"
			if !w.scalar(n, path, want) {
				return
			}
			t, err := time.Parse(time.RFC3339, n.Value)
			if err != nil || (n.Tag != "!!str" && n.Tag != "!!timestamp") {
				w.bad(n, path, "got %q; want %s", clip(n.Value), want)
				return
			}
			if t.Before(earliestTime) || !t.Before(latestTime) {
				w.bad(n, path, "got %s; want a time from 1678 to 2261 (the fake holds session times in that range)", t.UTC().Format(time.RFC3339))
				return
			}
			s.Start = t.UTC()
		},
		"new_sessions_first": p.boolOverride(&overrides, func(pr *fake.Profile, v bool) { pr.NewSessionsFirst = v }),
		"case_sensitive_names": p.boolOverride(&overrides, func(pr *fake.Profile, v bool) {
			pr.CaseSensitiveNames = v
		}),
		"getinfo_levels_1_2_for_users": p.boolOverride(&overrides, func(pr *fake.Profile, v bool) {
			pr.GetInfoLevels1And2ForUsers = v
		}),
		"both_filters_miss": p.statusOverride(&overrides, func(pr *fake.Profile, v sessionapi.Status) { pr.BothFiltersMiss = v }),
		"unknown_server":    p.statusOverride(&overrides, func(pr *fake.Profile, v sessionapi.Status) { pr.UnknownServer = v }),
		"del_both_empty":    p.statusOverride(&overrides, func(pr *fake.Profile, v sessionapi.Status) { pr.DelBothEmpty = v }),
		"del_no_match":      p.statusOverride(&overrides, func(pr *fake.Profile, v sessionapi.Status) { pr.DelNoMatch = v }),
		"too_small": func(n *yaml.Node, path string) {
			v, ok := w.str(n, path)
			if !ok {
				return
			}
			rules := map[string]fake.TooSmallRule{"more-data": fake.TooSmallMoreData, "one-entry": fake.TooSmallOneEntry, "buf-too-small": fake.TooSmallBufTooSmall}
			r, found := rules[v]
			if !found {
				w.bad(n, path, "got %q; want more-data, one-entry or buf-too-small", v)
				return
			}
			overrides = append(overrides, func(pr *fake.Profile) { pr.TooSmall = r })
		},
		"arch": func(n *yaml.Node, path string) {
			v, ok := w.str(n, path)
			if !ok {
				return
			}
			var a sessionapi.Arch
			switch v {
			case "x64":
				a = sessionapi.X64
			case "x86":
				a = sessionapi.X86
			default:
				w.bad(n, path, "got %q; want x64 or x86", v)
				return
			}
			overrides = append(overrides, func(pr *fake.Profile) { pr.Arch = a })
		},
	}
	var ft fleetTmpl
	if fleet {
		keys["sessions"] = func(n *yaml.Node, _ string) { sessionsNode = n }
		keys["faults"] = func(n *yaml.Node, _ string) { faultsNode = n }
		p.fleetKeys(keys, &ft)
	}
	found := w.mapping(n, path, keys)
	if fleet && found["name"] == nil && n.Kind == yaml.MappingNode {
		w.bad(n, path+".name", "missing; want the server's name (each server of a fleet needs one)")
	}
	if fleet && n.Kind == yaml.MappingNode && !p.checkFleet(n, path, &ft, found, s.Name) {
		return
	}
	if ft.countNode != nil {
		p.generatedServer(n, path, s, overrides, &ft, sessionsNode, faultsNode)
		return
	}
	if len(p.spec.Servers) >= MaxServers {
		w.bad(n, path, "more than %d servers; want at most %d", MaxServers, MaxServers)
		return
	}
	for _, o := range overrides {
		o(&s.Profile)
	}
	p.spec.Servers = append(p.spec.Servers, s)
	p.serverAt = append(p.serverAt, stepAt{n: n, path: path})
	idx := len(p.spec.Servers) - 1
	if sessionsNode != nil {
		p.sessions(sessionsNode, path+".sessions", idx)
	}
	if faultsNode != nil {
		p.faults(faultsNode, path+".faults", idx)
	}
}

func (p *parser) checkServerName(n *yaml.Node, path, v string) bool {
	if v == "" || strings.ContainsAny(v, `\/ `) {
		p.w.bad(n, path, "got %s; want a bare server name like FILESRV01 (no backslashes, slashes or spaces)", clip(v))
		return false
	}
	if len(v) > MaxServerNameLength {
		p.w.bad(n, path, "%d characters; want at most %d", len(v), MaxServerNameLength)
		return false
	}
	if strings.Contains(v, "{pick:") {
		p.w.bad(n, path, "got %s; {pick:K} is for session strings, want {n} or {ip} in a server name", clip(v))
		return false
	}
	return true
}

// generatedServer parses the lists of a server entry with count: once, as templates, and
// makes its servers.
func (p *parser) generatedServer(n *yaml.Node, path string, s ServerSpec, overrides []func(*fake.Profile),
	ft *fleetTmpl, sessionsNode, faultsNode *yaml.Node) {
	var tmpls []sessionTmpl
	var nodes []*yaml.Node
	var paths []string
	before := len(p.w.probs)
	if sessionsNode != nil {
		p.w.list(sessionsNode, path+".sessions", func(_ int, n *yaml.Node, path string) {
			t, ok := p.sessionTemplate(n, path, false)
			if !ok {
				return
			}
			if t.id != "" {
				p.w.bad(n, path+".id", "not allowed in a server entry with count:; its servers' sessions cannot be named for the timeline")
				return
			}
			tmpls, nodes, paths = append(tmpls, t), append(nodes, n), append(paths, path)
		})
	}
	var faults []fake.Fault
	if faultsNode != nil {
		// Parsed into a scratch server, then copied to each generated one.
		scratch := len(p.spec.Servers)
		p.spec.Servers = append(p.spec.Servers, ServerSpec{})
		p.faults(faultsNode, path+".faults", scratch)
		faults = p.spec.Servers[scratch].Faults
		p.spec.Servers = p.spec.Servers[:scratch]
	}
	if len(p.w.probs) > before {
		return
	}
	p.expandFleet(n, path, s, overrides, ft, tmpls, nodes, paths, faults)
}

func (p *parser) checkServerNames() {
	seen := map[string]int{} // lower-case name → the server that has it
	for i, s := range p.spec.Servers {
		for _, name := range append([]string{s.Name}, s.Aliases...) {
			if name == "" {
				continue
			}
			k := strings.ToLower(name)
			if other, dup := seen[k]; dup && other != i {
				var at *yaml.Node
				field := fmt.Sprintf("servers[%d].name", i)
				if i < len(p.serverAt) && p.serverAt[i].n != nil {
					at, field = p.serverAt[i].n, p.serverAt[i].path+".name"
				}
				p.w.bad(at, field, "%q is also a name of server %s; want each name once in a fleet", clip(name), p.spec.Servers[other].Name)
				continue
			}
			seen[k] = i
		}
	}
}

func (p *parser) boolOverride(list *[]func(*fake.Profile), set func(*fake.Profile, bool)) keyFunc {
	return func(n *yaml.Node, path string) {
		if v, ok := p.w.boolean(n, path); ok {
			*list = append(*list, func(pr *fake.Profile) { set(pr, v) })
		}
	}
}

func (p *parser) statusOverride(list *[]func(*fake.Profile), set func(*fake.Profile, sessionapi.Status)) keyFunc {
	return func(n *yaml.Node, path string) {
		if v, ok := p.status(n, path); ok {
			*list = append(*list, func(pr *fake.Profile) { set(pr, v) })
		}
	}
}

func (p *parser) status(n *yaml.Node, path string) (sessionapi.Status, bool) {
	if !p.w.scalar(n, path, "a status name like ERROR_ACCESS_DENIED") {
		return 0, false
	}
	s, err := sessionapi.ParseStatus(n.Value)
	if err != nil {
		names := make([]string, 0, len(sessionapi.Statuses()))
		for _, st := range sessionapi.Statuses() {
			names = append(names, st.String())
		}
		p.w.bad(n, path, "unknown status %q; want a number or one of %s", n.Value, strings.Join(names, ", "))
		return 0, false
	}
	return s, true
}
