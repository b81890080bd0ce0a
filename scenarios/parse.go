package scenarios

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Limits that keep a bad or hostile file from exhausting memory.
const (
	// MaxSessions is the most sessions one file may generate, all servers together.
	MaxSessions = 2_000_000
	// MaxFileSize is the largest scenario file read.
	MaxFileSize = 8 << 20
	// MaxOffset is the furthest a timeline event or a step may be from the start: a DWORD of
	// seconds (about 136 years), the most a session's time can count.
	MaxOffset = math.MaxUint32 * time.Second
)

// The times the fake holds (a session from before 1678 or after 2261 is refused): a server's
// start, its sessions' ages and the timeline's connects are checked against them.
var (
	earliestTime = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	latestTime   = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
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
	if !w.checkText(data) {
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
	p := &parser{w: w, spec: &Spec{File: file}, ids: map[string]*idInfo{}, gens: map[string]*genInfo{}, dashed: map[string][]dashed{}}
	if len(doc.Content) == 0 {
		w.bad(&doc, "", "the file holds no YAML value; want a scenario with at least name: and server:")
	} else {
		p.top(doc.Content[0])
	}
	if len(w.probs) == 0 {
		p.checkWork(p.stepNodes)
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
	gens      map[string]*genInfo
	dashed    map[string][]dashed
	generated int
	// fleetEvents are the joins and leaves of generated servers, merged into the timeline.
	fleetEvents []Event
	names       map[string]int // server names and aliases, lower case → index (built on first use)
	stepNodes   []stepAt
	serverAt    []stepAt // where each server's entry is (a generator's for its servers)
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
			if s == "" || strings.ContainsAny(s, " /\\\t") || len(s) > 128 {
				w.bad(n, "name", "got %q; want a short name without spaces or slashes, like guest-sessions (at most 128 bytes)", clip(s))
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
	if len(p.fleetEvents) > 0 {
		// Generated joins and leaves go after the file's events of the same time.
		p.spec.Timeline = append(p.spec.Timeline, p.fleetEvents...)
		slices.SortStableFunc(p.spec.Timeline, func(a, b Event) int { return cmp.Compare(a.At, b.At) })
	}
	if n := nodes["steps"]; n != nil {
		p.steps(n, "steps")
	}
}
