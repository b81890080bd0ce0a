package scenarios

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/fake"
)

// ---- callers ----

// MaxPasswordLength is the longest caller password, in characters: Windows accepts passwords
// of up to 256 characters.
const MaxPasswordLength = 256

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
			"password": func(n *yaml.Node, path string) {
				if v, ok := w.str(n, path); ok {
					switch {
					case v == "":
						w.bad(n, path, "empty; want a password, or no password: key for the server's default")
					case utf8.RuneCountInString(v) > MaxPasswordLength:
						w.bad(n, path, "%d characters; want at most %d", utf8.RuneCountInString(v), MaxPasswordLength)
					default:
						c.Password = v
					}
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
