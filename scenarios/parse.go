package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/transcript"
)

// Limits that keep a bad or hostile file from exhausting memory.
const (
	// MaxSessions is the most sessions one file may generate, all servers together.
	MaxSessions = 2_000_000
	// MaxFileSize is the largest scenario file read.
	MaxFileSize = 8 << 20
)

// ParseFile reads and checks a scenario file.
func ParseFile(path string) (*Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("scenarios: read %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse checks a scenario held in memory; file names it in messages. Every problem found is
// reported, each as "file:line:column: field: what was expected", in an *[Error].
func Parse(file string, data []byte) (*Spec, error) {
	w := &walker{file: file}
	if len(data) > MaxFileSize {
		w.bad(nil, "", "the file is larger than %d bytes; want a smaller file (use count: to generate sessions)", MaxFileSize)
		return nil, &Error{Problems: w.probs}
	}
	var doc, extra yaml.Node
	first, second := decodeTwo(data, &doc, &extra)
	if first != nil {
		if errors.Is(first, io.EOF) {
			w.bad(nil, "", "the file is empty; want a scenario with at least name: and server:")
		} else {
			w.syntax(first)
		}
		return nil, &Error{Problems: w.probs}
	}
	if second == nil {
		w.bad(&extra, "", "a second YAML document; want one scenario per file")
	} else if !errors.Is(second, io.EOF) {
		w.syntax(second)
	}
	p := &parser{w: w, spec: &Spec{File: file}, ids: map[string]*idInfo{}}
	if len(doc.Content) == 0 {
		w.bad(&doc, "", "the file holds no YAML value; want a scenario with at least name: and server:")
	} else {
		p.top(doc.Content[0])
	}
	if len(w.probs) > 0 {
		return nil, &Error{Problems: w.probs}
	}
	return p.spec, nil
}

// decodeTwo reads the first YAML document and tries a second one. yaml.v3 has panicked on
// malformed input in the past; a bad file must never take the caller down, so a panic here
// becomes a syntax error. (Only the decoder is guarded: a panic in this package's own code
// must stay visible to the fuzz test.)
func decodeTwo(data []byte, first, second *yaml.Node) (err1, err2 error) {
	defer func() {
		if r := recover(); r != nil {
			err1 = fmt.Errorf("unreadable YAML (%v)", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err1 = dec.Decode(first); err1 != nil {
		return err1, nil
	}
	return nil, dec.Decode(second)
}

type parser struct {
	w    *walker
	spec *Spec
	// ids are the session ids defined so far, while walking the file in time order.
	ids       map[string]*idInfo
	generated int
}

type idInfo struct {
	server int
	line   int
	alive  bool
	opens  uint32
}

func (p *parser) top(root *yaml.Node) {
	w := p.w
	nodes := map[string]*yaml.Node{}
	store := func(k string) keyFunc { return func(n *yaml.Node, _ string) { nodes[k] = n } }
	keys := map[string]keyFunc{}
	for _, k := range []string{"name", "description", "server", "sessions", "faults", "servers", "callers", "timeline", "steps"} {
		keys[k] = store(k)
	}
	found := w.mapping(root, "", keys)
	if root.Kind != yaml.MappingNode {
		return
	}
	if n := nodes["name"]; n != nil {
		if s, ok := w.str(n, "name"); ok {
			if s == "" || strings.ContainsAny(s, " /\\\t") {
				w.bad(n, "name", "got %q; want a short name without spaces or slashes, like guest-sessions", s)
			}
			p.spec.Name = s
		}
	} else {
		w.bad(root, "name", "missing; want the scenario's name, like guest-sessions")
	}
	if n := nodes["description"]; n != nil {
		p.spec.Description, _ = w.str(n, "description")
	}

	// Servers: one (server:, sessions:, faults:) or a fleet (servers:).
	if n := nodes["servers"]; n != nil {
		for _, k := range []string{"server", "sessions", "faults"} {
			if found[k] != nil {
				w.bad(found[k], k, "not allowed beside servers:; in a fleet each server lists its own sessions and faults")
			}
		}
		w.list(n, "servers", func(i int, n *yaml.Node, path string) { p.server(n, path, true) })
		if len(n.Content) == 0 && n.Kind == yaml.SequenceNode {
			w.bad(n, "servers", "empty; want at least one server")
		}
	} else {
		if n := nodes["server"]; n != nil {
			p.server(n, "server", false)
		} else {
			p.defaultServer()
		}
		if len(p.spec.Servers) == 1 {
			if n := nodes["sessions"]; n != nil {
				p.sessions(n, "sessions", 0)
			}
			if n := nodes["faults"]; n != nil {
				p.faults(n, "faults", 0)
			}
		}
	}
	p.checkServerNames()

	if n := nodes["callers"]; n != nil {
		p.callers(n, "callers")
	}
	if n := nodes["timeline"]; n != nil {
		p.timeline(n, "timeline")
	}
	if n := nodes["steps"]; n != nil {
		p.steps(n, "steps")
	}
}

func (p *parser) defaultServer() {
	p.spec.Servers = append(p.spec.Servers, ServerSpec{Name: fake.DefaultName, Profile: fake.Windows(), Start: fake.DefaultStart})
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
				w.bad(n, path, "got %q; want %s", n.Value, want)
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
	if fleet {
		keys["sessions"] = func(n *yaml.Node, _ string) { sessionsNode = n }
		keys["faults"] = func(n *yaml.Node, _ string) { faultsNode = n }
	}
	found := w.mapping(n, path, keys)
	if fleet && found["name"] == nil && n.Kind == yaml.MappingNode {
		w.bad(n, path+".name", "missing; want the server's name (each server of a fleet needs one)")
	}
	for _, o := range overrides {
		o(&s.Profile)
	}
	p.spec.Servers = append(p.spec.Servers, s)
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
		p.w.bad(n, path, "got %s; want a bare server name like FILESRV01 (no backslashes, slashes or spaces)", v)
		return false
	}
	return true
}

func (p *parser) checkServerNames() {
	seen := map[string]string{}
	for i, s := range p.spec.Servers {
		for _, name := range append([]string{s.Name}, s.Aliases...) {
			if name == "" {
				continue
			}
			k := strings.ToLower(name)
			if other, dup := seen[k]; dup && other != s.Name {
				p.w.bad(nil, fmt.Sprintf("servers[%d].name", i), "%q is also a name of server %s; want each name once in a fleet", name, other)
			}
			seen[k] = s.Name
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

// ---- sessions ----

// maxName is the fake's limit on a client or user name, in UTF-16 units (spec rule 5: 1,024
// with the terminator).
const maxName = 1024

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// checkExpanded refuses generated names that grew past the limit ({n}, {ip}).
func (p *parser) checkExpanded(n *yaml.Node, path string, defs []SessionDef) bool {
	for _, d := range defs {
		for _, f := range []struct{ field, v string }{{"client", d.Session.ClientName}, {"user", d.Session.UserName}} {
			if len(f.v) >= maxName && utf16Len(f.v) >= maxName {
				p.w.bad(n, path+"."+f.field, "expands to %d characters; want fewer than %d", utf16Len(f.v), maxName)
				return false
			}
		}
	}
	return true
}

type sessionTmpl struct {
	id, client, user, clientType, transport string
	opens                                   urange
	age, idle                               drange
	flags                                   sessionapi.Flags
	count                                   int
	seed                                    uint64
	line                                    int
}

func (p *parser) sessionTemplate(n *yaml.Node, path string, connect bool) (sessionTmpl, bool) {
	w := p.w
	before := len(w.probs)
	t := sessionTmpl{count: 1, seed: 1, line: n.Line}
	var idleNode *yaml.Node
	keys := map[string]keyFunc{
		"id": func(n *yaml.Node, path string) {
			if v, ok := w.str(n, path); ok {
				if v == "" || strings.ContainsAny(v, " \t") {
					w.bad(n, path, "got %q; want a word naming the session, like alice1", v)
					return
				}
				t.id = v
			}
		},
		"client": func(n *yaml.Node, path string) {
			v, ok := w.str(n, path)
			switch {
			case !ok:
			case v == "":
				w.bad(n, path, "empty; want an IP address or a computer name")
			case strings.ContainsRune(v, '\\'):
				w.bad(n, path, "got %s; want the bare client name without backslashes (the server adds `\\\\`)", v)
			case utf16Len(v) >= maxName:
				w.bad(n, path, "%d characters; want fewer than %d", utf16Len(v), maxName)
			default:
				t.client = v
			}
		},
		"user": func(n *yaml.Node, path string) {
			if v, ok := w.str(n, path); ok {
				if utf16Len(v) >= maxName {
					w.bad(n, path, "%d characters; want fewer than %d", utf16Len(v), maxName)
					return
				}
				if strings.ContainsRune(v, '\\') {
					w.bad(n, path, "got %s; want the bare account name without a DOMAIN\\ prefix (the server reports the name alone)", v)
					return
				}
				t.user = v
			}
		},
		"open_files":  func(n *yaml.Node, path string) { t.opens, _ = w.countRange(n, path) },
		"age":         func(n *yaml.Node, path string) { t.age, _ = w.durationRange(n, path) },
		"idle":        func(n *yaml.Node, path string) { idleNode = n; t.idle, _ = w.durationRange(n, path) },
		"flags":       func(n *yaml.Node, path string) { t.flags = p.flags(n, path) },
		"client_type": func(n *yaml.Node, path string) { t.clientType, _ = w.str(n, path) },
		"transport":   func(n *yaml.Node, path string) { t.transport, _ = w.str(n, path) },
		"count": func(n *yaml.Node, path string) {
			if v, ok := w.integer(n, path, 1, MaxSessions); ok {
				t.count = int(v)
			}
		},
		"seed": func(n *yaml.Node, path string) {
			if v, ok := w.integer(n, path, 0, math.MaxInt64); ok {
				t.seed = uint64(v)
			}
		},
	}
	found := w.mapping(n, path, keys)
	if n.Kind == yaml.MappingNode && found["client"] == nil {
		w.bad(n, path+".client", "missing; want the client computer (an IP address or a name)")
	}
	if connect && found["count"] != nil {
		w.bad(found["count"], path+".count", "not allowed in a timeline connect; want one session per event")
	}
	if idleNode != nil && t.idle.lo > t.age.hi {
		w.bad(idleNode, path+".idle", "%v is longer than the age %v; want idle no longer than age (a session cannot be idle longer than it has existed)", t.idle.lo, t.age.hi)
	}
	if p.generated+t.count > MaxSessions {
		w.bad(found["count"], path+".count", "%d sessions in all; want at most %d", p.generated+t.count, MaxSessions)
		return t, false
	}
	p.generated += t.count
	return t, len(w.probs) == before
}

func (p *parser) flags(n *yaml.Node, path string) sessionapi.Flags {
	var f sessionapi.Flags
	one := func(n *yaml.Node, path string) {
		v, ok := p.w.str(n, path)
		if !ok {
			return
		}
		for _, part := range strings.Split(v, "|") {
			g, err := sessionapi.ParseFlag(part)
			if err != nil {
				p.w.bad(n, path, "unknown flag %q; want SESS_GUEST or SESS_NOENCRYPTION", strings.TrimSpace(part))
				continue
			}
			f |= g
		}
	}
	if n.Kind == yaml.SequenceNode {
		p.w.list(n, path, func(_ int, n *yaml.Node, path string) { one(n, path) })
	} else {
		one(n, path)
	}
	return f
}

// expand makes the sessions of a template. Placeholders: {n} is the 1-based number of the
// session, {ip} an address 10.x.y.z made from it.
func (t *sessionTmpl) expand(start time.Time, relative bool) []SessionDef {
	out := make([]SessionDef, t.count)
	rng := rand.New(rand.NewPCG(t.seed, t.seed^0x5DEECE66D))
	draw := func(r drange) time.Duration {
		if r.hi == r.lo {
			return r.lo
		}
		return r.lo + time.Duration(rng.Int64N(int64((r.hi-r.lo)/time.Second)+1))*time.Second
	}
	templ := func(s string) func(int) string {
		if !strings.Contains(s, "{n}") && !strings.Contains(s, "{ip}") {
			return func(int) string { return s }
		}
		var buf []byte
		return func(i int) string {
			buf = buf[:0]
			rest := s
			for {
				j := strings.IndexByte(rest, '{')
				if j < 0 {
					buf = append(buf, rest...)
					break
				}
				buf = append(buf, rest[:j]...)
				rest = rest[j:]
				switch {
				case strings.HasPrefix(rest, "{n}"):
					buf = strconv.AppendInt(buf, int64(i), 10)
					rest = rest[3:]
				case strings.HasPrefix(rest, "{ip}"):
					buf = append(buf, "10."...)
					buf = strconv.AppendInt(buf, int64((i>>16)&255), 10)
					buf = append(buf, '.')
					buf = strconv.AppendInt(buf, int64((i>>8)&255), 10)
					buf = append(buf, '.')
					buf = strconv.AppendInt(buf, int64(i&255), 10)
					rest = rest[4:]
				default:
					buf = append(buf, '{')
					rest = rest[1:]
				}
			}
			return string(buf)
		}
	}
	client, user, ctype, transport := templ(t.client), templ(t.user), templ(t.clientType), templ(t.transport)
	for i := range out {
		n := i + 1
		age := draw(t.age)
		idle := min(draw(t.idle), age)
		opens := t.opens.lo
		if t.opens.hi > t.opens.lo {
			opens += uint32(rng.Uint64N(uint64(t.opens.hi-t.opens.lo) + 1))
		}
		d := SessionDef{Age: age, Idle: idle, Line: t.line, Session: fake.Session{
			ClientName: client(n), UserName: user(n), OpenFiles: opens, Flags: t.flags,
			ClientType: ctype(n), Transport: transport(n),
		}}
		if !relative {
			d.Session.Created = start.Add(-age)
			d.Session.LastActivity = start.Add(-idle)
		}
		if t.id != "" {
			d.ID = t.id
			if t.count > 1 {
				d.ID = t.id + "-" + strconv.Itoa(n)
			}
		}
		out[i] = d
	}
	return out
}

func (p *parser) defineID(n *yaml.Node, path string, def *SessionDef, server int) {
	if def.ID == "" {
		return
	}
	if prev, dup := p.ids[def.ID]; dup {
		p.w.bad(n, path, "session id %q is already used (line %d); want each id once", def.ID, prev.line)
		return
	}
	p.ids[def.ID] = &idInfo{server: server, line: n.Line, alive: true, opens: def.Session.OpenFiles}
}

func (p *parser) sessions(n *yaml.Node, path string, server int) {
	s := &p.spec.Servers[server]
	p.w.list(n, path, func(_ int, n *yaml.Node, path string) {
		t, ok := p.sessionTemplate(n, path, false)
		if !ok {
			return
		}
		defs := t.expand(s.Start, false)
		if !p.checkExpanded(n, path, defs) {
			return
		}
		for i := range defs {
			p.defineID(n, path+".id", &defs[i], server)
		}
		s.Sessions = append(s.Sessions, defs...)
	})
}

// ---- faults ----

func (p *parser) faults(n *yaml.Node, path string, server int) {
	w := p.w
	w.list(n, path, func(_ int, n *yaml.Node, path string) {
		var f fake.Fault
		var hasStatus bool
		keys := map[string]keyFunc{
			"call": func(n *yaml.Node, path string) {
				if v, ok := w.str(n, path); ok {
					op, err := fake.ParseOp(v)
					if err != nil || v == "" {
						w.bad(n, path, "got %q; want enum, getinfo, del or any", v)
						return
					}
					f.Op = op
				}
			},
			"nth": func(n *yaml.Node, path string) {
				if v, ok := w.integer(n, path, 1, math.MaxInt32); ok {
					f.Nth = int(v)
				}
			},
			"every": func(n *yaml.Node, path string) { f.Every, _ = w.boolean(n, path) },
			"probability": func(n *yaml.Node, path string) {
				if !w.scalar(n, path, "a probability from 0 to 1") {
					return
				}
				v, err := strconv.ParseFloat(n.Value, 64)
				if err != nil || (n.Tag != "!!float" && n.Tag != "!!int") || !(v > 0 && v <= 1) {
					w.bad(n, path, "got %q; want a probability above 0 and at most 1", n.Value)
					return
				}
				f.Probability = v
			},
			"seed": func(n *yaml.Node, path string) {
				if v, ok := w.integer(n, path, 0, math.MaxInt64); ok {
					f.Seed = uint64(v)
				}
			},
			"status": func(n *yaml.Node, path string) {
				f.Status, hasStatus = p.status(n, path)
			},
			"latency": func(n *yaml.Node, path string) { f.Latency, _ = w.duration(n, path) },
		}
		found := w.mapping(n, path, keys)
		if n.Kind != yaml.MappingNode {
			return
		}
		triggers := 0
		for _, k := range []string{"nth", "every", "probability"} {
			if found[k] != nil {
				triggers++
			}
		}
		switch {
		case triggers == 0:
			w.bad(n, path, "no trigger; want one of nth: N, every: true or probability: P")
		case triggers > 1:
			w.bad(n, path, "%d triggers; want exactly one of nth, every and probability", triggers)
		case found["every"] != nil && !f.Every:
			w.bad(found["every"], path+".every", "false; want every: true, or another trigger")
		}
		if found["seed"] != nil && found["probability"] == nil {
			w.bad(found["seed"], path+".seed", "only with probability:")
		}
		if (!hasStatus || f.Status == sessionapi.NERR_Success) && f.Latency == 0 && found["status"] == nil {
			w.bad(n, path, "neither status nor latency; want a status like RPC_S_SERVER_UNAVAILABLE, a latency, or both")
		} else if hasStatus && f.Status == sessionapi.NERR_Success && f.Latency == 0 {
			w.bad(found["status"], path+".status", "NERR_Success without latency does nothing; want a failure status or a latency")
		}
		p.spec.Servers[server].Faults = append(p.spec.Servers[server].Faults, f)
	})
}

// ---- callers ----

func (p *parser) callers(n *yaml.Node, path string) {
	w := p.w
	seen := map[string]int{}
	w.list(n, path, func(_ int, n *yaml.Node, path string) {
		var c CallerSpec
		found := w.mapping(n, path, map[string]keyFunc{
			"name": func(n *yaml.Node, path string) {
				if v, ok := w.str(n, path); ok {
					if v == "" {
						w.bad(n, path, "empty; want a name for the caller, like admin")
						return
					}
					if line, dup := seen[v]; dup {
						w.bad(n, path, "caller %q is already defined (line %d)", v, line)
						return
					}
					seen[v] = n.Line
					c.Name = v
				}
			},
			"role": func(n *yaml.Node, path string) {
				if v, ok := w.str(n, path); ok {
					r, err := fake.ParseRole(v)
					if err != nil {
						w.bad(n, path, "unknown role %q; want one of %s", v, roleNames())
						return
					}
					c.Role = r
				}
			},
		})
		if n.Kind == yaml.MappingNode {
			if found["name"] == nil {
				w.bad(n, path+".name", "missing; want the caller's name")
			}
			if found["role"] == nil {
				w.bad(n, path+".role", "missing; want one of %s", roleNames())
			}
		}
		p.spec.Callers = append(p.spec.Callers, c)
	})
}

func roleNames() string {
	var names []string
	for _, r := range fake.Roles() {
		names = append(names, r.String())
	}
	return strings.Join(names, ", ")
}

// ---- timeline ----

func (p *parser) timeline(n *yaml.Node, path string) {
	w := p.w
	var cursor time.Duration
	w.list(n, path, func(_ int, n *yaml.Node, path string) {
		ev := Event{Line: n.Line, Files: 1}
		var at, adv *time.Duration
		var actions []string
		var actionNode = map[string]*yaml.Node{}
		var serverNode *yaml.Node
		var serverName string
		action := func(kind EventKind) keyFunc {
			return func(n *yaml.Node, path string) {
				actions = append(actions, string(kind))
				actionNode[string(kind)] = n
				ev.Kind = kind
				if kind == EventConnect {
					return // parsed below, once the time is known
				}
				if v, ok := w.str(n, path); ok {
					ev.Ref = v
				}
			}
		}
		found := w.mapping(n, path, map[string]keyFunc{
			"at": func(n *yaml.Node, path string) {
				if d, ok := w.duration(n, path); ok {
					at = &d
				}
			},
			"advance": func(n *yaml.Node, path string) {
				if d, ok := w.duration(n, path); ok {
					adv = &d
				}
			},
			"server": func(n *yaml.Node, path string) {
				serverNode = n
				serverName, _ = w.str(n, path)
			},
			"files": func(n *yaml.Node, path string) {
				if v, ok := w.integer(n, path, 1, math.MaxUint32); ok {
					ev.Files = uint32(v)
				}
			},
			"connect":    action(EventConnect),
			"disconnect": action(EventDisconnect),
			"activity":   action(EventActivity),
			"open":       action(EventOpen),
			"close":      action(EventClose),
		})
		if n.Kind != yaml.MappingNode {
			return
		}
		switch {
		case found["at"] != nil && found["advance"] != nil:
			w.bad(found["advance"], path+".advance", "beside at:; want at: (an offset from the start) or advance: (a move from the previous event), not both")
		case at != nil:
			if *at < cursor {
				w.bad(found["at"], path+".at", "%v is before the previous event (%v); want the timeline in time order", *at, cursor)
			} else {
				cursor = *at
			}
		case adv != nil:
			cursor += *adv
		}
		ev.At = cursor
		switch {
		case len(actions) > 1:
			w.bad(n, path, "%s in one event; want one action per event", strings.Join(actions, " and "))
			return
		case len(actions) == 0 && adv == nil:
			w.bad(n, path, "no action; want one of connect, disconnect, activity, open, close, or advance: alone")
			return
		case len(actions) == 0:
			ev.Kind = EventAdvance
		}
		if found["files"] != nil && ev.Kind != EventOpen && ev.Kind != EventClose {
			w.bad(found["files"], path+".files", "only with open: or close:")
		}
		if serverNode != nil && ev.Kind != EventConnect {
			w.bad(serverNode, path+".server", "only with connect:; other events find the server by the session id")
		}
		switch ev.Kind {
		case EventConnect:
			ev.Server = 0
			if serverNode != nil {
				ev.Server = p.serverIndex(serverNode, path+".server", serverName)
			}
			t, ok := p.sessionTemplate(actionNode["connect"], path+".connect", true)
			if !ok {
				return
			}
			defs := t.expand(time.Time{}, true)
			if !p.checkExpanded(actionNode["connect"], path+".connect", defs) {
				return
			}
			ev.Connect = defs[0]
			p.defineID(actionNode["connect"], path+".connect.id", &ev.Connect, ev.Server)
		case EventDisconnect, EventActivity, EventOpen, EventClose:
			info := p.ref(actionNode[string(ev.Kind)], path+"."+string(ev.Kind), ev.Ref)
			if info == nil {
				return
			}
			ev.Server = info.server
			switch ev.Kind {
			case EventDisconnect:
				info.alive = false
			case EventOpen:
				if uint64(info.opens)+uint64(ev.Files) > math.MaxUint32 {
					w.bad(actionNode["open"], path+".open", "would open more than 4294967295 files")
					return
				}
				info.opens += ev.Files
			case EventClose:
				if ev.Files > info.opens {
					w.bad(actionNode["close"], path+".close", "closes %d file(s) of session %q, which has %d open then; want at most %d", ev.Files, ev.Ref, info.opens, info.opens)
					return
				}
				info.opens -= ev.Files
			}
		}
		p.spec.Timeline = append(p.spec.Timeline, ev)
	})
}

func (p *parser) serverIndex(n *yaml.Node, path, name string) int {
	for i, s := range p.spec.Servers {
		for _, nm := range append([]string{s.Name}, s.Aliases...) {
			if strings.EqualFold(nm, name) {
				return i
			}
		}
	}
	var names []string
	for _, s := range p.spec.Servers {
		names = append(names, s.Name)
	}
	p.w.bad(n, path, "unknown server %q; want one of %s", name, strings.Join(names, ", "))
	return 0
}

func (p *parser) ref(n *yaml.Node, path, id string) *idInfo {
	info, ok := p.ids[id]
	if !ok {
		var known []string
		for k, v := range p.ids {
			if v.alive {
				known = append(known, k)
			}
		}
		slices.Sort(known)
		if len(known) > 8 {
			known = append(known[:8], "…")
		}
		want := "an id given to a session before this event"
		if len(known) > 0 {
			want = "one of " + strings.Join(known, ", ")
		}
		p.w.bad(n, path, "unknown session %q; want %s", id, want)
		return nil
	}
	if !info.alive {
		p.w.bad(n, path, "session %q has already disconnected at this point", id)
		return nil
	}
	return info
}

// ---- steps ----

func (p *parser) steps(n *yaml.Node, path string) {
	w := p.w
	var cursor time.Duration
	w.list(n, path, func(_ int, n *yaml.Node, path string) {
		st := Step{Line: n.Line, PrefMaxLen: sessionapi.MaxPreferredLength}
		var asNode, expectNode *yaml.Node
		var ops []string
		var levelSet bool
		call := func(op string, keys ...string) keyFunc {
			return func(n *yaml.Node, path string) {
				ops = append(ops, op)
				st.Op = op
				handlers := map[string]keyFunc{
					"server": func(n *yaml.Node, path string) { st.ServerName, _ = w.str(n, path) },
					"client": func(n *yaml.Node, path string) { st.UncClientName, _ = w.str(n, path) },
					"user":   func(n *yaml.Node, path string) { st.UserName, _ = w.str(n, path) },
				}
				extra := map[string]keyFunc{
					"level": func(n *yaml.Node, path string) {
						if v, ok := w.integer(n, path, 0, math.MaxUint32); ok {
							st.Level, levelSet = sessionapi.Level(v), true
						}
					},
					"prefmaxlen": func(n *yaml.Node, path string) {
						if n.Kind == yaml.ScalarNode && (n.Value == "MAX_PREFERRED_LENGTH" || n.Value == "max") {
							st.PrefMaxLen = sessionapi.MaxPreferredLength
							return
						}
						if !w.scalar(n, path, "a byte count or MAX_PREFERRED_LENGTH") {
							return
						}
						v, err := strconv.ParseUint(n.Value, 0, 32)
						if err != nil || n.Tag != "!!int" {
							w.bad(n, path, "got %q; want a byte count from 0 to 4294967295 or MAX_PREFERRED_LENGTH", n.Value)
							return
						}
						st.PrefMaxLen = uint32(v)
					},
					"resume": func(n *yaml.Node, path string) {
						switch {
						case n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || n.Value == "none"):
							st.Resume = ResumeNull
						case n.Kind == yaml.ScalarNode && n.Value == "continue":
							st.Resume = ResumeContinue
						default:
							if !w.scalar(n, path, "none, continue or a handle value") {
								return
							}
							v, err := strconv.ParseUint(n.Value, 0, 32)
							if err != nil || n.Tag != "!!int" {
								w.bad(n, path, "got %q; want none (a NULL handle), continue (the caller's handle as the last enumeration left it) or a number", n.Value)
								return
							}
							st.Resume, st.ResumeValue = ResumeValue, uint32(v)
						}
					},
					"all": func(n *yaml.Node, path string) { st.All, _ = w.boolean(n, path) },
				}
				for _, k := range keys {
					handlers[k] = extra[k]
				}
				found := w.mapping(n, path, handlers)
				if slices.Contains(keys, "level") && !levelSet && n.Kind == yaml.MappingNode && found["level"] == nil {
					w.bad(n, path+".level", "missing; want the information level (0, 1, 2, 10 or 502)")
				}
			}
		}
		found := w.mapping(n, path, map[string]keyFunc{
			"as": func(n *yaml.Node, path string) { asNode = n; st.Caller, _ = w.str(n, path) },
			"at": func(n *yaml.Node, path string) {
				if d, ok := w.duration(n, path); ok {
					st.At = &d
				}
			},
			"advance": func(n *yaml.Node, path string) { st.Advance, _ = w.duration(n, path) },
			"enum":    call(transcript.OpEnum, "level", "prefmaxlen", "resume", "all"),
			"getinfo": call(transcript.OpGetInfo, "level"),
			"del":     call(transcript.OpDel),
			"expect":  func(n *yaml.Node, _ string) { expectNode = n },
		})
		if n.Kind != yaml.MappingNode {
			return
		}
		switch {
		case found["at"] != nil && found["advance"] != nil:
			w.bad(found["advance"], path+".advance", "beside at:; want one of them")
		case st.At != nil:
			if *st.At < cursor {
				w.bad(found["at"], path+".at", "%v is before the previous step (%v); want steps in time order", *st.At, cursor)
			} else {
				cursor = *st.At
			}
		default:
			cursor += st.Advance
		}
		switch {
		case len(ops) > 1:
			w.bad(n, path, "%s in one step; want one call per step", strings.Join(ops, " and "))
			return
		case len(ops) == 0 && found["at"] == nil && found["advance"] == nil:
			w.bad(n, path, "no call; want one of enum, getinfo, del (or at:/advance: alone to move the clock)")
			return
		case len(ops) == 0:
			if asNode != nil {
				w.bad(asNode, path+".as", "a step without a call has no caller")
			}
			if expectNode != nil {
				w.bad(expectNode, path+".expect", "a step without a call has nothing to expect")
			}
			p.spec.Steps = append(p.spec.Steps, st)
			return
		}
		p.caller(&st, asNode, n, path)
		if st.All && st.Resume == ResumeNull {
			st.Resume, st.ResumeValue = ResumeValue, 0 // paging needs a handle
		}
		if expectNode != nil {
			st.Expect = p.expect(expectNode, path+".expect", &st)
		}
		p.spec.Steps = append(p.spec.Steps, st)
	})
}

func (p *parser) caller(st *Step, asNode, stepNode *yaml.Node, path string) {
	if asNode == nil {
		if len(p.spec.Callers) == 1 {
			st.Caller, st.Role = p.spec.Callers[0].Name, p.spec.Callers[0].Role
			return
		}
		p.w.bad(stepNode, path+".as", "missing; want the caller to call as (%s)", p.callerChoices())
		return
	}
	for _, c := range p.spec.Callers {
		if c.Name == st.Caller {
			st.Role = c.Role
			return
		}
	}
	if r, err := fake.ParseRole(st.Caller); err == nil && st.Caller != "" {
		st.Role = r
		return
	}
	p.w.bad(asNode, path+".as", "unknown caller %q; want %s", st.Caller, p.callerChoices())
}

func (p *parser) callerChoices() string {
	var names []string
	for _, c := range p.spec.Callers {
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		return "a role: " + roleNames() + "; or define callers:"
	}
	return "one of " + strings.Join(names, ", ") + ", or a role: " + roleNames()
}

func (p *parser) expect(n *yaml.Node, path string, st *Step) *Expect {
	w := p.w
	e := &Expect{Line: n.Line}
	var fieldsNode *yaml.Node
	found := w.mapping(n, path, map[string]keyFunc{
		"status": func(n *yaml.Node, path string) {
			if s, ok := p.status(n, path); ok {
				e.Status = &s
			}
		},
		"error": func(n *yaml.Node, path string) { e.Error, _ = w.str(n, path) },
		"entries": func(n *yaml.Node, path string) {
			if v, ok := w.integer(n, path, 0, math.MaxInt32); ok {
				c := int(v)
				e.Entries = &c
			}
		},
		"totalentries": func(n *yaml.Node, path string) {
			if v, ok := w.integer(n, path, 0, math.MaxUint32); ok {
				c := uint32(v)
				e.TotalEntries = &c
			}
		},
		"resume": func(n *yaml.Node, path string) {
			if v, ok := w.integer(n, path, 0, math.MaxUint32); ok {
				c := uint32(v)
				e.Resume = &c
			}
		},
		"pages": func(n *yaml.Node, path string) {
			if v, ok := w.integer(n, path, 1, math.MaxInt32); ok {
				c := int(v)
				e.Pages = &c
			}
		},
		"fields": func(n *yaml.Node, path string) {
			fieldsNode = n
			e.Fields = []FieldExpect{}
			w.list(n, path, func(_ int, n *yaml.Node, path string) { e.Fields = append(e.Fields, p.fieldExpect(n, path, st)) })
		},
	})
	if n.Kind != yaml.MappingNode {
		return e
	}
	if found["status"] != nil && found["error"] != nil {
		w.bad(found["error"], path+".error", "beside status:; a call returns a status or an error without one, not both")
	}
	if st.Op == transcript.OpDel {
		for _, k := range []string{"entries", "totalentries", "resume", "fields", "pages"} {
			if found[k] != nil {
				w.bad(found[k], path+"."+k, "NetSessionDel returns no entries; want status: only")
			}
		}
	}
	if st.Op == transcript.OpGetInfo {
		for _, k := range []string{"totalentries", "resume", "pages"} {
			if found[k] != nil {
				w.bad(found[k], path+"."+k, "NetSessionGetInfo has no %s; want status:, entries: or fields:", k)
			}
		}
	}
	if found["pages"] != nil && !st.All {
		w.bad(found["pages"], path+".pages", "only for enum with all: true")
	}
	if e.Entries != nil && fieldsNode != nil && len(e.Fields) != *e.Entries {
		w.bad(fieldsNode, path+".fields", "%d entries listed, but entries: says %d; want them to agree", len(e.Fields), *e.Entries)
	}
	return e
}

func (p *parser) fieldExpect(n *yaml.Node, path string, st *Step) FieldExpect {
	w := p.w
	var fe FieldExpect
	carried := sessionapi.FieldsOf(st.Level)
	keys := map[string]keyFunc{}
	for _, name := range transcript.FieldNames() {
		f, _ := transcript.FieldByName(name)
		keys[name] = func(n *yaml.Node, path string) {
			if !carried.Has(f) {
				w.bad(n, path, "level %d has no %s; want one of %s", uint32(st.Level), name, strings.Join(fieldsOf(carried), ", "))
				return
			}
			var v string
			switch f {
			case sessionapi.FieldNumOpens, sessionapi.FieldTime, sessionapi.FieldIdleTime:
				x, ok := w.integer(n, path, 0, math.MaxUint32)
				if !ok {
					return
				}
				v = strconv.FormatInt(x, 10)
			case sessionapi.FieldUserFlags:
				if n.Kind == yaml.ScalarNode && n.Value == "0" {
					v = "0"
				} else {
					v = p.flags(n, path).String()
				}
			default:
				s, ok := w.str(n, path)
				if !ok {
					return
				}
				v = s
			}
			fe.Names = append(fe.Names, name)
			fe.Values = append(fe.Values, v)
		}
	}
	w.mapping(n, path, keys)
	return fe
}

func fieldsOf(f sessionapi.Field) []string {
	var out []string
	for _, name := range transcript.FieldNames() {
		g, _ := transcript.FieldByName(name)
		if f.Has(g) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return []string{"(none: the level is not valid)"}
	}
	return out
}
