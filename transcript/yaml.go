package transcript

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// header is the comment at the top of every written transcript.
const header = `sessionsim transcript, format 1: one item per call (or timeline event).
args without resume = a NULL resume handle; entries carry only the members their level has.`

// YAML writes the transcript in its text form: deterministic, LF line endings, two-space
// indentation, one entry per line. It is [NewYAMLWriter] into a buffer.
func (t *Transcript) YAML() ([]byte, error) {
	var buf bytes.Buffer
	if err := writeWhole(NewYAMLWriter(&buf), t); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// JSON writes the transcript as indented JSON with the same keys and order as [Transcript.YAML].
// It is [NewJSONWriter] into a buffer.
func (t *Transcript) JSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := writeWhole(NewJSONWriter(&buf), t); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// timeFormat is how a server's start time is written.
const timeFormat = time.RFC3339

func (c *Call) node() *yaml.Node {
	m := c.nodeWithout()
	if len(c.Entries) > 0 {
		add(m, "entries", entries(c.Entries))
	}
	return m
}

// nodeWithout is the call's node without its entries, which come last.
func (c *Call) nodeWithout() *yaml.Node {
	m := block()
	if c.IsEvent() {
		add(m, "at", str(c.At.String()))
		add(m, "event", str(c.Event))
		return m
	}
	add(m, "seq", num(uint64(c.Seq)))
	add(m, "at", str(c.At.String()))
	if c.Caller != "" {
		add(m, "caller", str(c.Caller))
	}
	add(m, "call", str(c.Op))
	args := flow()
	if c.ServerName != "" {
		add(args, "server", str(c.ServerName))
	}
	if c.UncClientName != "" {
		add(args, "client", str(c.UncClientName))
	}
	if c.UserName != "" {
		add(args, "user", str(c.UserName))
	}
	if c.Op != OpDel {
		add(args, "level", num(uint64(c.Level)))
	}
	if c.Op == OpEnum {
		if c.PrefMaxLen == sessionapi.MaxPreferredLength {
			add(args, "prefmaxlen", str("MAX_PREFERRED_LENGTH"))
		} else {
			add(args, "prefmaxlen", num(uint64(c.PrefMaxLen)))
		}
		if c.ResumeIn != nil {
			add(args, "resume", num(uint64(*c.ResumeIn)))
		}
	}
	add(m, "args", args)
	if c.Err != "" {
		add(m, "error", str(c.Err))
	} else {
		add(m, "status", str(StatusText(c.Status)))
	}
	if c.Op == OpEnum {
		add(m, "entriesread", num(uint64(len(c.Entries))))
		add(m, "totalentries", num(uint64(c.TotalEntries)))
		if c.ResumeOut != nil {
			add(m, "resume_out", num(uint64(*c.ResumeOut)))
		}
	}
	return m
}

// StatusText writes a status by name, or as a hex number when it has no name.
func StatusText(s sessionapi.Status) string {
	if n := s.String(); !strings.HasPrefix(n, "status ") {
		return n
	}
	return fmt.Sprintf("0x%X", uint32(s))
}

// headNode is the transcript's opening keys, before its servers: one writing for the whole
// tree and both stream writers.
func (t *Transcript) headNode() *yaml.Node {
	m := block()
	add(m, "transcript", num(Version))
	add(m, "source", str(t.Source))
	if t.Scenario != "" {
		add(m, "scenario", str(t.Scenario))
	}
	if t.Comment != "" {
		add(m, "comment", str(t.Comment))
	}
	return m
}

// serverNode is a server's keys before its sessions.
func (s *Server) serverNode() *yaml.Node {
	sm := block()
	add(sm, "name", str(s.Name))
	if s.Profile != "" {
		add(sm, "profile", str(s.Profile))
	}
	add(sm, "time", str(s.Time.UTC().Format(timeFormat)))
	return sm
}

func (t *Transcript) node() *yaml.Node {
	m := t.headNode()
	servers := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, s := range t.Servers {
		sm := s.serverNode()
		if len(s.Sessions) > 0 {
			add(sm, "sessions", entries(s.Sessions))
		}
		servers.Content = append(servers.Content, sm)
	}
	add(m, "servers", servers)
	if len(t.Callers) > 0 {
		callers := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, c := range t.Callers {
			cm := flow()
			add(cm, "name", str(c.Name))
			add(cm, "role", str(c.Role))
			callers.Content = append(callers.Content, cm)
		}
		add(m, "callers", callers)
	}
	calls := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for i := range t.Calls {
		calls.Content = append(calls.Content, t.Calls[i].node())
	}
	add(m, "calls", calls)
	return m
}

func entries(es []Entry) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for i := range es {
		seq.Content = append(seq.Content, es[i].node())
	}
	return seq
}

func (e *Entry) node() *yaml.Node {
	m := flow()
	for _, f := range fieldNames {
		if !e.Fields.Has(f.f) {
			continue
		}
		switch f.f {
		case sessionapi.FieldNumOpens, sessionapi.FieldTime, sessionapi.FieldIdleTime:
			add(m, f.name, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: e.Value(f.f)})
		case sessionapi.FieldUserFlags:
			if e.Info.UserFlags == 0 {
				add(m, f.name, num(0))
			} else {
				add(m, f.name, str(e.Value(f.f)))
			}
		default:
			add(m, f.name, str(e.Value(f.f)))
		}
	}
	return m
}

func block() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }
func flow() *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
}
func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
func num(n uint64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatUint(n, 10)}
}
func add(m *yaml.Node, key string, v *yaml.Node) { m.Content = append(m.Content, str(key), v) }

// writeJSON writes the tree built by node() as JSON, keeping the key order.
func writeJSON(buf *bytes.Buffer, n *yaml.Node, indent string) {
	switch n.Kind {
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			buf.WriteString("{}")
			return
		}
		buf.WriteString("{\n")
		for i := 0; i < len(n.Content); i += 2 {
			buf.WriteString(indent + "  ")
			writeJSONString(buf, n.Content[i].Value)
			buf.WriteString(": ")
			writeJSON(buf, n.Content[i+1], indent+"  ")
			if i+2 < len(n.Content) {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString(indent + "}")
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			buf.WriteString("[]")
			return
		}
		buf.WriteString("[\n")
		for i, c := range n.Content {
			buf.WriteString(indent + "  ")
			writeJSON(buf, c, indent+"  ")
			if i+1 < len(n.Content) {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString(indent + "]")
	default:
		if n.Tag == "!!int" {
			buf.WriteString(n.Value)
			return
		}
		writeJSONString(buf, n.Value)
	}
}

func writeJSONString(buf *bytes.Buffer, s string) {
	buf.Write(appendJSONString(buf.AvailableBuffer(), s))
}

// ---- reading ----

// ParseError is a problem in a transcript file, with its position.
type ParseError struct {
	Line, Column int
	Field        string
	Msg          string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("transcript: %d:%d: %s: %s", e.Line, e.Column, e.Field, e.Msg)
}

// Parse reads a transcript written by [Transcript.YAML] (or by hand in the same format;
// JSON is accepted too, being YAML). Unknown keys and malformed values are refused with their
// line and column.
func Parse(data []byte) (*Transcript, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &ParseError{Line: 1, Column: 1, Field: "(document)", Msg: "empty; want a transcript"}
	}
	d := &reader{}
	t := &Transcript{}
	d.mapping(doc.Content[0], "", map[string]func(*yaml.Node, string){
		"transcript": func(n *yaml.Node, p string) {
			if v := d.uint(n, p); d.err == nil && v != Version {
				d.fail(n, p, "format %d; this reader knows format %d", v, Version)
			}
		},
		"source":   func(n *yaml.Node, p string) { t.Source = d.str(n, p) },
		"scenario": func(n *yaml.Node, p string) { t.Scenario = d.str(n, p) },
		"comment":  func(n *yaml.Node, p string) { t.Comment = d.str(n, p) },
		"servers": func(n *yaml.Node, p string) {
			d.seq(n, p, func(n *yaml.Node, p string) { t.Servers = append(t.Servers, d.server(n, p)) })
		},
		"callers": func(n *yaml.Node, p string) {
			d.seq(n, p, func(n *yaml.Node, p string) {
				var c Caller
				d.mapping(n, p, map[string]func(*yaml.Node, string){
					"name": func(n *yaml.Node, p string) { c.Name = d.str(n, p) },
					"role": func(n *yaml.Node, p string) { c.Role = d.str(n, p) },
				})
				t.Callers = append(t.Callers, c)
			})
		},
		"calls": func(n *yaml.Node, p string) {
			d.seq(n, p, func(n *yaml.Node, p string) { t.Calls = append(t.Calls, d.call(n, p)) })
		},
	})
	if d.err != nil {
		return nil, d.err
	}
	return t, nil
}

type reader struct{ err *ParseError }

func (d *reader) fail(n *yaml.Node, field, format string, args ...any) {
	if d.err == nil {
		d.err = &ParseError{Line: n.Line, Column: n.Column, Field: strings.TrimPrefix(field, "."), Msg: fmt.Sprintf(format, args...)}
	}
}

func (d *reader) mapping(n *yaml.Node, path string, keys map[string]func(*yaml.Node, string)) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, orDoc(path), "want a mapping")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content) && d.err == nil; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := path + "." + k.Value
		f, ok := keys[k.Value]
		switch {
		case !ok:
			d.fail(k, p, "unknown key")
		case seen[k.Value]:
			d.fail(k, p, "repeated key")
		default:
			seen[k.Value] = true
			f(v, p)
		}
	}
}

func orDoc(p string) string {
	if p == "" {
		return "(document)"
	}
	return p
}

func (d *reader) seq(n *yaml.Node, path string, each func(*yaml.Node, string)) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "want a list")
		return
	}
	for i, c := range n.Content {
		if d.err != nil {
			return
		}
		each(c, fmt.Sprintf("%s[%d]", path, i))
	}
}

func (d *reader) str(n *yaml.Node, path string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.fail(n, path, "want a string")
		return ""
	}
	return n.Value
}

func (d *reader) uint(n *yaml.Node, path string) uint32 {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "want a number")
		return 0
	}
	v, err := parseUint32(n.Value)
	if err != nil {
		d.fail(n, path, "%q is not a number from 0 to 4294967295", n.Value)
	}
	return v
}

func parseUint32(s string) (uint32, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 0, 32)
	return uint32(v), err
}

func (d *reader) server(n *yaml.Node, path string) Server {
	var s Server
	d.mapping(n, path, map[string]func(*yaml.Node, string){
		"name":    func(n *yaml.Node, p string) { s.Name = d.str(n, p) },
		"profile": func(n *yaml.Node, p string) { s.Profile = d.str(n, p) },
		"time": func(n *yaml.Node, p string) {
			v := d.str(n, p)
			if t, err := time.Parse(time.RFC3339, v); err == nil {
				s.Time = t
			} else if d.err == nil {
				d.fail(n, p, "%q is not an RFC 3339 time", v)
			}
		},
		"sessions": func(n *yaml.Node, p string) {
			d.seq(n, p, func(n *yaml.Node, p string) { s.Sessions = append(s.Sessions, d.entry(n, p)) })
		},
	})
	return s
}

func (d *reader) entry(n *yaml.Node, path string) Entry {
	var e Entry
	keys := map[string]func(*yaml.Node, string){}
	for _, fn := range fieldNames {
		keys[fn.name] = func(n *yaml.Node, p string) {
			e.Fields |= fn.f
			i := &e.Info
			switch fn.f {
			case sessionapi.FieldClientName:
				i.ClientName = d.str(n, p)
			case sessionapi.FieldUserName:
				i.UserName = d.str(n, p)
			case sessionapi.FieldNumOpens:
				i.NumOpens = d.uint(n, p)
			case sessionapi.FieldTime:
				i.Time = d.uint(n, p)
			case sessionapi.FieldIdleTime:
				i.IdleTime = d.uint(n, p)
			case sessionapi.FieldUserFlags:
				f, err := ParseFlags(d.str(n, p))
				if err != nil {
					d.fail(n, p, "%v", err)
				}
				i.UserFlags = f
			case sessionapi.FieldClientType:
				i.ClientType = d.str(n, p)
			case sessionapi.FieldTransport:
				i.Transport = d.str(n, p)
			}
		}
	}
	d.mapping(n, path, keys)
	return e
}

func (d *reader) call(n *yaml.Node, path string) Call {
	var c Call
	var hasStatus bool
	var read *yaml.Node
	var readN uint32
	d.mapping(n, path, map[string]func(*yaml.Node, string){
		"seq": func(n *yaml.Node, p string) { c.Seq = int(d.uint(n, p)) },
		"at": func(n *yaml.Node, p string) {
			v := d.str(n, p)
			if at, err := time.ParseDuration(v); err == nil && at >= 0 {
				c.At = at
			} else if d.err == nil {
				d.fail(n, p, "%q is not a duration like 1m30s", v)
			}
		},
		"caller": func(n *yaml.Node, p string) { c.Caller = d.str(n, p) },
		"call": func(n *yaml.Node, p string) {
			c.Op = d.str(n, p)
			switch c.Op {
			case OpEnum, OpGetInfo, OpDel:
			default:
				d.fail(n, p, "unknown call %q; want %s, %s or %s", c.Op, OpEnum, OpGetInfo, OpDel)
			}
		},
		"event": func(n *yaml.Node, p string) { c.Event = d.str(n, p) },
		"args": func(n *yaml.Node, p string) {
			d.mapping(n, p, map[string]func(*yaml.Node, string){
				"server": func(n *yaml.Node, p string) { c.ServerName = d.str(n, p) },
				"client": func(n *yaml.Node, p string) { c.UncClientName = d.str(n, p) },
				"user":   func(n *yaml.Node, p string) { c.UserName = d.str(n, p) },
				"level":  func(n *yaml.Node, p string) { c.Level = sessionapi.Level(d.uint(n, p)) },
				"prefmaxlen": func(n *yaml.Node, p string) {
					if n.Value == "MAX_PREFERRED_LENGTH" {
						c.PrefMaxLen = sessionapi.MaxPreferredLength
						return
					}
					c.PrefMaxLen = d.uint(n, p)
				},
				"resume": func(n *yaml.Node, p string) { v := d.uint(n, p); c.ResumeIn = &v },
			})
		},
		"status": func(n *yaml.Node, p string) {
			hasStatus = true
			s, err := sessionapi.ParseStatus(d.str(n, p))
			if err != nil {
				d.fail(n, p, "%v", err)
			}
			c.Status = s
		},
		"error":        func(n *yaml.Node, p string) { c.Err = d.str(n, p) },
		"entriesread":  func(n *yaml.Node, p string) { read, readN = n, d.uint(n, p) },
		"totalentries": func(n *yaml.Node, p string) { c.TotalEntries = d.uint(n, p) },
		"resume_out":   func(n *yaml.Node, p string) { v := d.uint(n, p); c.ResumeOut = &v },
		"entries": func(n *yaml.Node, p string) {
			d.seq(n, p, func(n *yaml.Node, p string) { c.Entries = append(c.Entries, d.entry(n, p)) })
		},
	})
	switch {
	case d.err != nil:
	case c.Op == "" && c.Event == "":
		d.fail(n, path, "neither call nor event")
	case c.Op != "" && c.Event != "":
		d.fail(n, path, "both call and event; want one")
	case c.Op != "" && !hasStatus && c.Err == "":
		d.fail(n, path+".status", "missing; want the status the call returned")
	case read != nil && int(readN) != len(c.Entries):
		d.fail(read, path+".entriesread", "%d, but %d entries follow", readN, len(c.Entries))
	}
	return c
}
