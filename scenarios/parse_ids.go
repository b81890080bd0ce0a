package scenarios

import (
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Session ids: a session entry's id: names it for the timeline; a generator's id: P names its
// sessions P-1 … P-N. Generated ids are never listed one by one: an id of the form P-k is
// looked up as session k of generator P.

type idInfo struct {
	server int
	line   int
	alive  bool
	opens  uint32
}

// genInfo is a generator with an id, for resolving P-k.
type genInfo struct {
	t      *sessionTmpl
	server int
	line   int
	opens  []uint32 // num_opens of each session, computed when the timeline first needs them
}

// dashed is an explicit id of the form P-k, remembered so that a later generator P is
// checked against it.
type dashed struct {
	k    int
	line int
}

// splitGenID splits "P-k" into P and k (k ≥ 1), or reports that id has no such form.
func splitGenID(id string) (string, int, bool) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 || i == len(id)-1 {
		return "", 0, false
	}
	k, err := strconv.Atoi(id[i+1:])
	if err != nil || k < 1 || id[i+1] == '+' || id[i+1] == '0' {
		return "", 0, false
	}
	return id[:i], k, true
}

func (p *parser) defineID(n *yaml.Node, path string, def *SessionDef, server int) {
	if def.ID == "" {
		return
	}
	if prev, dup := p.ids[def.ID]; dup {
		p.w.bad(n, path, "session id %q is already used (line %d); want each id once", def.ID, prev.line)
		return
	}
	if pre, k, ok := splitGenID(def.ID); ok {
		if g := p.gens[pre]; g != nil && k <= g.t.count {
			p.w.bad(n, path, "session id %q is already used (line %d); want each id once", def.ID, g.line)
			return
		}
		p.dashed[pre] = append(p.dashed[pre], dashed{k: k, line: n.Line})
	}
	p.ids[def.ID] = &idInfo{server: server, line: n.Line, alive: true, opens: def.Session.OpenFiles}
}

// defineGenerator registers the ids P-1 … P-N of a generator.
func (p *parser) defineGenerator(n *yaml.Node, path string, t *sessionTmpl, server int) {
	if g := p.gens[t.id]; g != nil {
		p.w.bad(n, path, "session id %q-1 is already used (line %d); want each id once", t.id, g.line)
		return
	}
	for _, d := range p.dashed[t.id] {
		if d.k <= t.count {
			p.w.bad(n, path, "session id %q is already used (line %d); want each id once", t.id+"-"+strconv.Itoa(d.k), d.line)
			return
		}
	}
	p.gens[t.id] = &genInfo{t: t, server: server, line: n.Line}
}

// lookupID finds a session id, explicit or generated, as it stands at this point of the
// timeline (generated ones enter p.ids when first referred to).
func (p *parser) lookupID(id string) (*idInfo, bool) {
	if info, ok := p.ids[id]; ok {
		return info, true
	}
	pre, k, ok := splitGenID(id)
	if !ok {
		return nil, false
	}
	g := p.gens[pre]
	if g == nil || k > g.t.count {
		return nil, false
	}
	if g.opens == nil {
		g.opens = g.t.opensOf()
	}
	info := &idInfo{server: g.server, line: g.line, alive: true, opens: g.opens[k-1]}
	p.ids[id] = info
	return info, true
}

func (p *parser) ref(n *yaml.Node, path, id string) *idInfo {
	info, ok := p.lookupID(id)
	if !ok {
		var known []string
		for k, v := range p.ids {
			if v.alive {
				known = append(known, k)
			}
		}
		for k, g := range p.gens {
			known = append(known, k+"-1…"+k+"-"+strconv.Itoa(g.t.count))
		}
		slices.Sort(known)
		if len(known) > 8 {
			known = append(known[:8], "…")
		}
		want := "an id given to a session before this event"
		if len(known) > 0 {
			want = "one of " + strings.Join(known, ", ")
		}
		p.w.bad(n, path, "unknown session %q; want %s", clip(id), want)
		return nil
	}
	if !info.alive {
		p.w.bad(n, path, "session %q has already disconnected at this point", id)
		return nil
	}
	return info
}

// clip shortens a value quoted in a message: a message names the value, it does not repeat
// a megabyte of it.
func clip(s string) string {
	const maxQuoted = 64
	if len(s) <= maxQuoted {
		return s
	}
	cut := maxQuoted
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
