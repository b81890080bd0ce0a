package transcript

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// trickyStrings are values that YAML reads as something else, or that need quoting.
var trickyStrings = []string{"", "a", "bob", `\\ws01`, `\\10.0.0.5`, "10.0.0.5", "1.2", "1.2.3", "1.", "1..2", "12", "-1", "+1",
	"0x1F", "1e3", "1_000", "2001-12-14", "12:30", "1:20:30", ".inf", ".nan", "~", "null", "Null", "NULL", "true", "True",
	"false", "yes", "Yes", "no", "NO", "on", "off", "y", "n", "Y", "SESS_GUEST", "SESS_GUEST|SESS_NOENCRYPTION", "a|b",
	"|a", "-a", "a-", "_a", "a_", "a.b", "a$", "$a", "a b", " a", "a ", "a:b", "a: b", "a #b", "#a", "a#", "a,b", "[a]",
	"{a}", "a'b", `a"b`, "!a", "&a", "*a", "?a", "%a", "@a", "`a", "é", "a\nb", "a\tb", "DOMAIN\\user", "user@example.com",
	"<script>", "a&b", "ab\x7f", "\u2028", "Ø", strings.Repeat("x", 300)}

// randomString builds strings from the characters YAML and JSON treat specially.
func randomString(r *rand.Rand) string {
	const alpha = "aZ09._\\$|-:#,[]{}'\" !&*?%@`~+\ne<>/"
	n := r.IntN(8) + 1
	var b strings.Builder
	for range n {
		b.WriteByte(alpha[r.IntN(len(alpha))])
	}
	return b.String()
}

// yamlEntryLine is the line yaml.v3 writes for e inside a list of entries.
func yamlEntryLine(t *testing.T, e *Entry) string {
	t.Helper()
	m := block()
	add(m, "entries", entries([]Entry{*e}))
	root := block()
	add(root, "calls", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{m}})
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	require.NoError(t, enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}))
	require.NoError(t, enc.Close())
	lines := strings.SplitN(buf.String(), "\n", 3)
	return lines[2]
}

// TestFastPathsMatchLibraries holds the direct entry writers to yaml.v3 and encoding/json.
func TestFastPathsMatchLibraries(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := append([]string(nil), trickyStrings...)
	for range 3000 {
		values = append(values, randomString(r))
	}
	direct, cached := 0, 0
	cache := scalarCache{}
	for _, v := range values {
		j, _ := json.Marshal(v)
		assert.Equal(t, string(j), string(appendJSONString(nil, v)), "JSON string %q", v)
		for _, f := range []sessionapi.Field{sessionapi.FieldClientName, sessionapi.FieldUserName, sessionapi.FieldClientType} {
			e := Entry{Info: sessionapi.SessionInfo502{ClientName: "ws", UserName: "u", ClientType: "c", NumOpens: 3, UserFlags: 1},
				Fields: sessionapi.FieldsOf(sessionapi.Level502)}
			switch f {
			case sessionapi.FieldClientName:
				e.Info.ClientName = v
			case sessionapi.FieldUserName:
				e.Info.UserName = v
			default:
				e.Info.ClientType = v
			}
			if strings.ContainsRune(v, '\u2028') || strings.Contains(v, "\x7f") {
				continue // yaml.v3 refuses or reshapes these; the direct path never takes them
			}
			line, ok := appendYAMLEntry([]byte("      - "), &e)
			if ok {
				direct++
				assert.Equal(t, yamlEntryLine(t, &e), string(line)+"\n", "YAML entry with %q", v)
			}
			if line, ok := appendYAMLEntryCached([]byte("      - "), &e, cache); ok {
				cached++
				assert.Equal(t, yamlEntryLine(t, &e), string(line)+"\n", "YAML entry with %q, cached", v)
			}
			var a, b bytes.Buffer
			writeJSON(&a, e.node(), "      ")
			appendJSONEntry(&b, &e, "      ")
			assert.Equal(t, a.String(), b.String(), "JSON entry with %q", v)
		}
	}
	assert.Greater(t, direct, 100, "the direct path was hardly taken")
	assert.Greater(t, cached, direct, "the cache took no value the plain rule refuses")
	for _, v := range []string{"DOS LM 2.0", `\Device\NetbiosSmb`, "Windows 10 Enterprise 19045", "a: b", "yes"} {
		e := Entry{Info: sessionapi.SessionInfo502{ClientName: "ws", ClientType: v}, Fields: sessionapi.FieldsOf(sessionapi.Level502)}
		line, ok := appendYAMLEntryCached([]byte("      - "), &e, cache)
		if assert.True(t, ok, "appendYAMLEntryCached with client type %q: want the direct path", v) {
			assert.Equal(t, yamlEntryLine(t, &e), string(line)+"\n", "YAML entry with client type %q, cached", v)
		}
	}
	for _, v := range []string{"bob", `\\10.0.0.5`, "10.0.0.5", "SESS_GUEST|SESS_NOENCRYPTION", "DOMAIN\\user"} {
		assert.True(t, plainYAML(v), "plainYAML(%q): the common names must take the direct path", v)
	}
}

// FuzzFastPaths: for any value, the direct entry writers agree with yaml.v3 and
// encoding/json whenever they take a value, and Escape's output is printable.
func FuzzFastPaths(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, r := range Escape(v) {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
				t.Fatalf("Escape(%q) kept control character %U", v, r)
			}
		}
		j, _ := json.Marshal(v)
		if got := string(appendJSONString(nil, v)); got != string(j) {
			t.Fatalf("appendJSONString(%q) = %s; want %s", v, got, j)
		}
		e := Entry{Info: sessionapi.SessionInfo502{ClientName: v, UserName: "u"}, Fields: sessionapi.FieldsOf(sessionapi.Level10)}
		if line, ok := appendYAMLEntry([]byte("      - "), &e); ok {
			if want := yamlEntryLine(t, &e); string(line)+"\n" != want {
				t.Fatalf("YAML entry with %q = %q; want %q", v, line, want)
			}
		}
	})
}
