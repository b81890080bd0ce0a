package scenarios

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// This file is the session generator: a session entry with count: N stands for N sessions
// made from it when its server starts, never held as N definitions. Placeholders in its strings:
//
//	{n}       the session's number, 1..N
//	{ip}      an address 10.x.y.z made from {n}
//	{pick:K}  a number from 1 to K drawn per session (a pool of K clients or users)

// sessionTmpl is one session entry of a file: a single session, or a generator.
type sessionTmpl struct {
	id, client, user, clientType, transport string
	opens                                   urange
	age, idle                               drange
	flags                                   sessionapi.Flags
	count                                   int
	countRange                              urange // count: lo..hi, drawn per server
	seed                                    uint64
	line                                    int
	countNode                               *yaml.Node // while parsing: where count: is
}

// tmplPart is a literal or a placeholder of a template string.
type tmplPart struct {
	lit  string
	kind byte // 0 literal, 'n', 'i' ({ip}), 'p' ({pick:K})
	k    uint64
}

// compileTmpl splits s into literals and placeholders. A '{' that starts no placeholder is
// literal text.
func compileTmpl(s string) []tmplPart {
	var parts []tmplPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, tmplPart{lit: lit.String()})
			lit.Reset()
		}
	}
	for rest := s; rest != ""; {
		j := strings.IndexByte(rest, '{')
		if j < 0 {
			lit.WriteString(rest)
			break
		}
		lit.WriteString(rest[:j])
		rest = rest[j:]
		switch {
		case strings.HasPrefix(rest, "{n}"):
			flush()
			parts = append(parts, tmplPart{kind: 'n'})
			rest = rest[3:]
		case strings.HasPrefix(rest, "{ip}"):
			flush()
			parts = append(parts, tmplPart{kind: 'i'})
			rest = rest[4:]
		case strings.HasPrefix(rest, "{pick:"):
			end := strings.IndexByte(rest, '}')
			k, err := strconv.ParseUint(rest[len("{pick:"):max(end, len("{pick:"))], 10, 32)
			if end < 0 || err != nil || k == 0 {
				lit.WriteByte('{')
				rest = rest[1:]
				continue
			}
			flush()
			parts = append(parts, tmplPart{kind: 'p', k: k})
			rest = rest[end+1:]
		default:
			lit.WriteByte('{')
			rest = rest[1:]
		}
	}
	flush()
	return parts
}

// badPick finds a {pick: that is not a valid {pick:K} (K from 1 to 4294967295), for a message.
func badPick(s string) bool {
	for rest := s; ; {
		i := strings.Index(rest, "{pick:")
		if i < 0 {
			return false
		}
		rest = rest[i:]
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return true
		}
		if k, err := strconv.ParseUint(rest[len("{pick:"):end], 10, 32); err != nil || k == 0 {
			return true
		}
		rest = rest[end+1:]
	}
}

// maxExpandedLen is the longest a template's expansion can be, in bytes, for numbers up to
// maxN: what the length limits are checked against before anything is generated. (UTF-16
// units never exceed UTF-8 bytes.)
func maxExpandedLen(parts []tmplPart, maxN int) int {
	n := 0
	for _, p := range parts {
		switch p.kind {
		case 0:
			n += len(p.lit)
		case 'n':
			n += len(strconv.Itoa(maxN))
		case 'i':
			n += len("10.255.255.255")
		case 'p':
			n += len(strconv.FormatUint(p.k, 10))
		}
	}
	return n
}

// maxUTF16Len is maxExpandedLen in UTF-16 units, exact for the literal parts.
func maxUTF16Len(parts []tmplPart, maxN int) int {
	n := 0
	for _, p := range parts {
		if p.kind == 0 {
			n += utf16Len(p.lit)
		} else {
			n += maxExpandedLen([]tmplPart{p}, maxN)
		}
	}
	return n
}

// interner shares the strings generated sessions repeat (a pool of users, a client type, the
// same name on many servers): one copy each, up to maxInterned distinct strings.
type interner struct{ m map[string]string }

const maxInterned = 1 << 18

func newInterner() *interner { return &interner{m: map[string]string{}} }

func (in *interner) bytes(b []byte) string {
	if s, ok := in.m[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	if len(in.m) < maxInterned {
		in.m[s] = s
	}
	return s
}

func (in *interner) str(s string) string {
	if v, ok := in.m[s]; ok {
		return v
	}
	if len(in.m) < maxInterned {
		in.m[s] = s
	}
	return s
}

// expander makes the sessions of one template in order, one at a time.
type expander struct {
	t                              *sessionTmpl
	rng                            *rand.Rand
	client, user, ctype, transport []tmplPart
	buf                            []byte
	in                             *interner
	noIDs                          bool // Start: generated ids are resolved, not stored
}

func (t *sessionTmpl) expander(in *interner) *expander {
	if in == nil {
		in = newInterner()
	}
	x := &expander{t: t, rng: rand.New(rand.NewPCG(t.seed, t.seed^0x5DEECE66D)),
		client: compileTmpl(t.client), user: compileTmpl(t.user), ctype: compileTmpl(t.clientType),
		transport: compileTmpl(t.transport), in: in}
	for _, parts := range [][]tmplPart{x.client, x.user, x.ctype, x.transport} {
		for i := range parts {
			if parts[i].kind == 0 {
				parts[i].lit = in.str(parts[i].lit)
			}
		}
	}
	return x
}

func (x *expander) draw(r drange) time.Duration {
	if r.hi == r.lo {
		return r.lo
	}
	return r.lo + time.Duration(x.rng.Int64N(int64((r.hi-r.lo)/time.Second)+1))*time.Second
}

func (x *expander) render(parts []tmplPart, n int) string {
	if len(parts) == 0 {
		return ""
	}
	if len(parts) == 1 && parts[0].kind == 0 {
		return parts[0].lit // interned when the expander was made
	}
	return x.renderTo(parts, n, x.repeats(parts))
}

// repeats reports whether a template's values come back often enough to be worth sharing: a
// pool ({pick:K}), or numbers from a small generator (a fleet's servers each count from 1
// again). A large generator's {n} makes a new string each time: looking those up would only
// cost time.
func (x *expander) repeats(parts []tmplPart) bool {
	for _, p := range parts {
		if p.kind == 'p' {
			return true
		}
	}
	return x.t.count <= maxRepeatingCount
}

// maxRepeatingCount is the largest generator whose {n} strings are shared.
const maxRepeatingCount = 1 << 16

func (x *expander) renderTo(parts []tmplPart, n int, share bool) string {
	b := x.buf[:0]
	for _, p := range parts {
		switch p.kind {
		case 0:
			b = append(b, p.lit...)
		case 'n':
			b = strconv.AppendInt(b, int64(n), 10)
		case 'i':
			b = append(b, "10."...)
			b = strconv.AppendInt(b, int64((n>>16)&255), 10)
			b = append(b, '.')
			b = strconv.AppendInt(b, int64((n>>8)&255), 10)
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(n&255), 10)
		case 'p':
			b = strconv.AppendUint(b, 1+x.rng.Uint64N(p.k), 10)
		}
	}
	x.buf = b
	if !share {
		return string(b)
	}
	return x.in.bytes(b)
}

// next makes session n (1-based; call in order from 1). For initial sessions (relative false)
// Created and LastActivity are start minus the drawn age and idle.
func (x *expander) next(n int, start time.Time, relative bool, d *SessionDef) {
	t := x.t
	age := x.draw(t.age)
	idle := min(x.draw(t.idle), age)
	opens := t.opens.lo
	if t.opens.hi > t.opens.lo {
		opens += uint32(x.rng.Uint64N(uint64(t.opens.hi-t.opens.lo) + 1))
	}
	*d = SessionDef{Age: age, Idle: idle, Line: t.line, Session: fake.Session{
		ClientName: x.render(x.client, n), UserName: x.render(x.user, n), OpenFiles: opens, Flags: t.flags,
		ClientType: x.render(x.ctype, n), Transport: x.render(x.transport, n),
	}}
	if !relative {
		d.Session.Created = start.Add(-age)
		d.Session.LastActivity = start.Add(-idle)
	}
	if t.id != "" && !x.noIDs {
		d.ID = t.id
		if t.count > 1 {
			d.ID = t.id + "-" + strconv.Itoa(n)
		}
	}
}

// expand makes every session of a template: for single sessions and small uses (the parser's
// timeline connects, ServerSpec.Expand).
func (t *sessionTmpl) expand(start time.Time, relative bool) []SessionDef {
	out := make([]SessionDef, t.count)
	x := t.expander(nil)
	for i := range out {
		x.next(i+1, start, relative, &out[i])
	}
	return out
}

// opensOf returns num_opens of every session of a generator, for the timeline's open and
// close checks of generated ids (drawn as expand draws them, strings skipped).
func (t *sessionTmpl) opensOf() []uint32 {
	out := make([]uint32, t.count)
	x := t.expander(nil)
	for i := range out {
		x.draw(t.age)
		x.draw(t.idle)
		opens := t.opens.lo
		if t.opens.hi > t.opens.lo {
			opens += uint32(x.rng.Uint64N(uint64(t.opens.hi-t.opens.lo) + 1))
		}
		for _, parts := range [][]tmplPart{x.client, x.user, x.ctype, x.transport} {
			for _, p := range parts {
				if p.kind == 'p' {
					x.rng.Uint64N(p.k)
				}
			}
		}
		out[i] = opens
	}
	return out
}
