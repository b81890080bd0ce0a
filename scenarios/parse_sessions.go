package scenarios

import (
	"math"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf16"

	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// ---- sessions ----

// maxName is the fake's limit on a client or user name, in UTF-16 units (spec rule 5: 1,024
// with the terminator).
const maxName = 1024

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// Length limits on the strings of a session, checked against the longest a template can
// expand to before anything is generated.
const (
	// MaxTypeLength is the longest client_type or transport, in UTF-16 units.
	MaxTypeLength = 256
	// MaxIDLength is the longest session id.
	MaxIDLength = 128
)

// checkLengths refuses a template whose strings could expand past their limits ({n}, {ip},
// {pick:K} grow them), at the template's line.
func (p *parser) checkLengths(n *yaml.Node, found map[string]*yaml.Node, path string, t *sessionTmpl, maxN int) bool {
	ok := true
	for _, f := range []struct {
		field, v string
		limit    int
	}{{"client", t.client, maxName}, {"user", t.user, maxName}, {"client_type", t.clientType, MaxTypeLength + 1}, {"transport", t.transport, MaxTypeLength + 1}} {
		if f.v == "" {
			continue
		}
		if l := maxUTF16Len(compileTmpl(f.v), maxN); l >= f.limit {
			at := n
			if found[f.field] != nil {
				at = found[f.field]
			}
			p.w.bad(at, path+"."+f.field, "expands to up to %d characters; want fewer than %d", l, f.limit)
			ok = false
		}
	}
	return ok
}

func (p *parser) sessionTemplate(n *yaml.Node, path string, connect bool) (sessionTmpl, bool) {
	w := p.w
	before := len(w.probs)
	t := sessionTmpl{count: 1, countRange: urange{1, 1}, seed: 1, line: n.Line}
	var idleNode *yaml.Node
	keys := map[string]keyFunc{
		"id": func(n *yaml.Node, path string) {
			if v, ok := w.str(n, path); ok {
				if v == "" || strings.ContainsAny(v, " \t") || len(v) > MaxIDLength {
					w.bad(n, path, "got %q; want a word naming the session, like alice1 (at most %d bytes)", clip(v), MaxIDLength)
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
		"client_type": func(n *yaml.Node, path string) { t.clientType, _ = p.typeString(n, path) },
		"transport":   func(n *yaml.Node, path string) { t.transport, _ = p.typeString(n, path) },
		"count": func(n *yaml.Node, path string) {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && strings.Contains(n.Value, "..") {
				r, ok := w.countRange(n, path)
				if ok && (r.hi < 1 || r.hi > MaxSessions) {
					w.bad(n, path, "got %q; want a range of counts from 0 to %d, not all 0", n.Value, MaxSessions)
					return
				}
				if ok {
					t.countRange = r
					t.count = int(r.hi)
				}
				return
			}
			if v, ok := w.integer(n, path, 1, MaxSessions); ok {
				t.count = int(v)
				t.countRange = urange{uint32(v), uint32(v)}
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
	for _, f := range []struct{ key, v string }{{"client", t.client}, {"user", t.user}, {"client_type", t.clientType}, {"transport", t.transport}} {
		if badPick(f.v) {
			w.bad(found[f.key], path+"."+f.key, "a {pick: placeholder without a pool size; want {pick:K} with K from 1 to 4294967295")
		}
	}
	if len(w.probs) == before {
		p.checkLengths(n, found, path, &t, t.count)
	}
	t.countNode = found["count"]
	return t, len(w.probs) == before
}

// typeString reads client_type or transport: a string of at most MaxTypeLength characters.
func (p *parser) typeString(n *yaml.Node, path string) (string, bool) {
	v, ok := p.w.str(n, path)
	if ok && len(v) > MaxTypeLength && utf16Len(v) > MaxTypeLength {
		p.w.bad(n, path, "%d characters; want at most %d", utf16Len(v), MaxTypeLength)
		return "", false
	}
	return v, ok
}

// addGenerated counts sessions against MaxSessions before any is generated; n is the node
// the message points at (the count: key, or the entry).
func (p *parser) addGenerated(n *yaml.Node, path string, count int) bool {
	if p.generated+count > MaxSessions {
		p.w.bad(n, path, "%d sessions in all; want at most %d", p.generated+count, MaxSessions)
		return false
	}
	p.generated += count
	return true
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

func (p *parser) sessions(n *yaml.Node, path string, server int) {
	s := &p.spec.Servers[server]
	p.w.list(n, path, func(_ int, n *yaml.Node, path string) {
		t, ok := p.sessionTemplate(n, path, false)
		if !ok {
			return
		}
		p.addSessions(n, path, server, s, t)
	})
}

// addSessions adds a parsed template to a server: a single session as a definition, a
// generator (count above 1) as one definition standing for all it makes, its ids registered.
func (p *parser) addSessions(n *yaml.Node, path string, server int, s *ServerSpec, t sessionTmpl) {
	countNode, countPath := t.countNode, path+".count"
	if countNode == nil {
		countNode, countPath = n, path
	}
	if t.countRange.hi > t.countRange.lo && t.countNode != nil {
		// count: lo..hi on a listed server: drawn once, from the entry's seed.
		rng := rand.New(rand.NewPCG(t.seed, 0xC0117))
		t.count = int(t.countRange.lo) + int(rng.Uint64N(uint64(t.countRange.hi-t.countRange.lo)+1))
	}
	if created := s.Start.Add(-t.age.hi); created.Before(earliestTime) {
		p.w.bad(n, path+".age", "up to %v before the server's start is %s; want sessions created from 1678 on (the fake holds no earlier time)", t.age.hi, created.Format(time.RFC3339))
		return
	}
	if !p.addGenerated(countNode, countPath, t.count) || t.count == 0 {
		return
	}
	if t.count == 1 {
		defs := t.expand(s.Start, false)
		p.defineID(n, path+".id", &defs[0], server)
		s.Sessions = append(s.Sessions, defs[0])
		return
	}
	tt := t
	tt.countNode = nil
	d := SessionDef{ID: t.id, Line: t.line, gen: &tt}
	if t.id != "" {
		p.defineGenerator(n, path+".id", &tt, server)
	}
	s.Sessions = append(s.Sessions, d)
}
