package scenarios

import (
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/transcript"
)

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
