package scenarios

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/transcript"
)

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
							w.bad(n, path, "got %q; want a byte count from 0 to 4294967295 or MAX_PREFERRED_LENGTH", clip(n.Value))
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
								w.bad(n, path, "got %q; want none (a NULL handle), continue (the caller's handle as the last enumeration left it) or a number", clip(n.Value))
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
		if cursor > MaxOffset {
			w.bad(n, path, "the steps reach %v here; want at most %v from the start", cursor, MaxOffset)
			cursor = MaxOffset
			return
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
			p.stepNodes = append(p.stepNodes, stepAt{n: n, path: path})
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
		p.stepNodes = append(p.stepNodes, stepAt{n: n, path: path})
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
