package scenarios

import (
	"math"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ---- timeline ----

func (p *parser) timeline(n *yaml.Node, path string) {
	w := p.w
	if len(p.spec.Servers) == 0 {
		return // servers: was refused already; events would have nowhere to happen
	}
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
				if v, ok := w.integer(n, path, 1, MaxFilesPerEvent); ok {
					ev.Files = uint32(v)
				}
			},
			"connect":    action(EventConnect),
			"disconnect": action(EventDisconnect),
			"activity":   action(EventActivity),
			"open":       action(EventOpen),
			"close":      action(EventClose),
			"join":       action(EventJoin),
			"leave":      action(EventLeave),
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
		if cursor > MaxOffset {
			w.bad(n, path, "the timeline reaches %v here; want at most %v from the start", cursor, MaxOffset)
			cursor = MaxOffset
			return
		}
		ev.At = cursor
		switch {
		case len(actions) > 1:
			w.bad(n, path, "%s in one event; want one action per event", strings.Join(actions, " and "))
			return
		case len(actions) == 0 && adv == nil:
			w.bad(n, path, "no action; want one of connect, disconnect, activity, open, close, join, leave, or advance: alone")
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
		case EventJoin, EventLeave:
			if _, ok := p.serverByName(ev.Ref); !ok {
				p.serverIndex(actionNode[string(ev.Kind)], path+"."+string(ev.Kind), ev.Ref)
				return
			}
			ev.Server, _ = p.serverByName(ev.Ref)
		case EventConnect:
			ev.Server = 0
			if serverNode != nil {
				ev.Server = p.serverIndex(serverNode, path+".server", serverName)
			}
			if t := p.spec.Servers[ev.Server].Start.Add(ev.At); !t.Before(latestTime) {
				w.bad(actionNode["connect"], path+".connect", "the server's clock is %s here; want a connect before %s (the fake holds session times from 1678 to 2261)", t.Format(time.RFC3339), latestTime.Format("2006"))
				return
			}
			t, ok := p.sessionTemplate(actionNode["connect"], path+".connect", true)
			if !ok {
				return
			}
			if !p.addGenerated(actionNode["connect"], path+".connect", 1) {
				return
			}
			defs := t.expand(time.Time{}, true)
			ev.Connect = defs[0]
			if created := p.spec.Servers[ev.Server].Start.Add(ev.At - ev.Connect.Age); created.Before(earliestTime) {
				w.bad(actionNode["connect"], path+".connect.age", "the session would be created %s; want from 1678 on (the fake holds no earlier time)", created.Format(time.RFC3339))
				return
			}
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

// serverByName finds a server by name or alias, any case, with or without `\\`.
func (p *parser) serverByName(name string) (int, bool) {
	if p.names == nil {
		p.names = map[string]int{}
		for i := len(p.spec.Servers) - 1; i >= 0; i-- {
			s := &p.spec.Servers[i]
			for _, nm := range append([]string{s.Name}, s.Aliases...) {
				p.names[strings.ToLower(nm)] = i
			}
		}
	}
	i, ok := p.names[strings.ToLower(strings.TrimPrefix(name, `\\`))]
	return i, ok
}

func (p *parser) serverIndex(n *yaml.Node, path, name string) int {
	if i, ok := p.serverByName(name); ok {
		return i
	}
	var names []string
	for _, s := range p.spec.Servers {
		names = append(names, s.Name)
		if len(names) == 8 {
			names = append(names, "…")
			break
		}
	}
	p.w.bad(n, path, "unknown server %q; want one of %s", clip(name), strings.Join(names, ", "))
	return 0
}
