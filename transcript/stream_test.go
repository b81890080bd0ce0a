package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// wholeYAML and wholeJSON are the writers as they were before streaming: one node tree for
// the whole transcript. The streaming writers must match them byte for byte.
func wholeYAML(t *Transcript) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: header, Content: []*yaml.Node{t.node()}}
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func wholeJSON(t *Transcript) []byte {
	var buf bytes.Buffer
	writeJSON(&buf, t.node(), "")
	buf.WriteByte('\n')
	return buf.Bytes()
}

// wholeTable is the table writer as it was, on text/tabwriter, with the values escaped.
func wholeTable(t *Transcript) string {
	var b strings.Builder
	for i := range t.Calls {
		c := &t.Calls[i]
		if len(c.Entries) == 0 {
			continue
		}
		var cols sessionapi.Field
		for _, e := range c.Entries {
			cols |= e.Fields
		}
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		var head []string
		for _, f := range fieldNames {
			if cols.Has(f.f) {
				head = append(head, strings.ToUpper(f.name))
			}
		}
		fmt.Fprintf(tw, "     %s\n", strings.Join(head, "\t"))
		for j := range c.Entries {
			var row []string
			for _, f := range fieldNames {
				if cols.Has(f.f) {
					row = append(row, cell(&c.Entries[j], f.f))
				}
			}
			fmt.Fprintf(tw, "     %s\n", strings.Join(row, "\t"))
		}
		_ = tw.Flush()
	}
	return b.String()
}

func goldenTranscripts(t *testing.T) map[string]*Transcript {
	t.Helper()
	files, err := filepath.Glob("../golden/*/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string]*Transcript{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		tr, err := Parse(b)
		require.NoError(t, err, f)
		out[f] = tr
	}
	return out
}

// bigTranscript has what the golden files lack: many servers, sessions and entries over a
// batch, long values that YAML folds or quotes, control characters, an empty header.
func bigTranscript(n int) *Transcript {
	long := strings.Repeat("word ", 40)
	weird := "a\x1b[2J\r\nb: #c \"q\" 'x' \u202e\u0085 - ? {}[],&*!|>%@`"
	var sess []Entry
	for i := range n {
		name := fmt.Sprintf("WS%05d", i)
		switch i % 7 {
		case 3:
			name = long + name
		case 5:
			name = weird + name
		case 6:
			name = ""
		}
		sess = append(sess, FullEntry(sessionapi.SessionInfo502{ClientName: name, UserName: "u" + name, NumOpens: uint32(i),
			Time: uint32(i * 3), UserFlags: sessionapi.Flags(i % 3), ClientType: long[:i%50], Transport: string([]rune(weird)[:i%len([]rune(weird))])}))
	}
	var ents []Entry
	for i := range sess {
		e := sess[i]
		e.Fields = sessionapi.FieldsOf(sessionapi.Level(uint32([]int{0, 1, 2, 10, 502}[i%5])))
		ents = append(ents, e)
	}
	r := uint32(7)
	return &Transcript{Source: SourceReplay, Scenario: "big " + weird, Comment: long + "\n" + long,
		Servers: []Server{
			{Name: "FS01", Profile: "windows", Time: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), Sessions: sess},
			{Name: weird, Time: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)},
			{Name: "FS03", Sessions: sess[:3]},
		},
		Callers: []Caller{{Name: "admin", Role: "administrator"}, {Name: weird, Role: "user"}},
		Calls: []Call{
			{At: time.Second, Event: "event " + weird},
			{Seq: 1, At: 2 * time.Second, Caller: "admin", Op: OpEnum, ServerName: weird, Level: 10, PrefMaxLen: sessionapi.MaxPreferredLength,
				Status: sessionapi.ERROR_MORE_DATA, TotalEntries: uint32(len(ents)), ResumeIn: &r, ResumeOut: &r, Entries: ents},
			{Seq: 2, Op: OpDel, UserName: long, Err: "transport: " + weird},
			{Seq: 3, Op: OpGetInfo, Level: 2, Status: sessionapi.NERR_ClientNameNotFound},
		},
	}
}

func streamed(t *testing.T, newW func(w io.Writer) StreamWriter, tr *Transcript) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := newW(&buf)
	require.NoError(t, w.WriteHeader(tr))
	for i := range tr.Calls {
		require.NoError(t, w.WriteCall(&tr.Calls[i]))
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// TestStreamWritersMatchWholeWriters holds the streaming writers to the node-tree writers
// they replaced, on every golden file and on transcripts built to be awkward.
func TestStreamWritersMatchWholeWriters(t *testing.T) {
	cases := goldenTranscripts(t)
	cases["big"] = bigTranscript(3*entryBatch + 17)
	cases["small"] = bigTranscript(5)
	cases["empty"] = &Transcript{Source: SourceRecording}
	cases["no calls"] = &Transcript{Source: SourceReplay, Servers: []Server{{Name: "A"}}}
	cases["no servers"] = &Transcript{Source: SourceReplay, Calls: []Call{{Seq: 1, Op: OpDel, Status: 0}}}
	for name, tr := range cases {
		t.Run(filepath.Base(name), func(t *testing.T) {
			want, err := wholeYAML(tr)
			require.NoError(t, err)
			got := streamed(t, NewYAMLWriter, tr)
			assert.Equal(t, string(want), string(got), "NewYAMLWriter differs from the whole-transcript YAML")
			assert.Equal(t, string(wholeJSON(tr)), string(streamed(t, NewJSONWriter, tr)), "NewJSONWriter differs from the whole-transcript JSON")
			y, err := tr.YAML()
			require.NoError(t, err)
			assert.Equal(t, string(want), string(y))
			back, err := Parse(y)
			require.NoError(t, err)
			assert.Equal(t, len(tr.Calls), len(back.Calls))
			var tbl bytes.Buffer
			require.NoError(t, tr.WriteTable(&tbl))
			assert.Equal(t, string(streamed(t, NewTableWriter, tr)), tbl.String())
			var rows strings.Builder
			for _, l := range strings.SplitAfter(tbl.String(), "\n") {
				if strings.HasPrefix(l, "     ") {
					rows.WriteString(l)
				}
			}
			assert.Equal(t, wholeTable(tr), rows.String(), "entry tables differ from text/tabwriter's layout")
		})
	}
}

// TestTableEscapesControlCharacters: names from a server or a file cannot move the cursor,
// clear the screen, set a window title or forge table lines.
func TestTableEscapesControlCharacters(t *testing.T) {
	evil := "x\x1b[2J\x1b]0;owned\x07\r\nforged line\u202e\u0085\u009b"
	tr := &Transcript{Source: SourceRecording, Servers: []Server{{Name: evil}}, Callers: []Caller{{Name: evil, Role: "user"}},
		Calls: []Call{{Seq: 1, Op: OpEnum, ServerName: evil, Caller: evil, Level: 10, Status: 0,
			Entries: []Entry{EntryOf(&sessionapi.SessionInfo10{ClientName: evil, UserName: strings.Repeat("u", 5000)})}}, {Event: evil}}}
	var buf bytes.Buffer
	require.NoError(t, tr.WriteTable(&buf))
	out := buf.String()
	for _, r := range out {
		if r != '\n' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x202e) {
			t.Fatalf("WriteTable wrote control character %U:\n%q", r, out)
		}
	}
	assert.Contains(t, out, `x\x1b[2J\x1b]0;owned\x07\r\nforged line\u202e\u0085`)
	assert.NotContains(t, out, strings.Repeat("u", MaxShown+1), "a long value must be cut")
	assert.Contains(t, out, fmt.Sprintf("…(+%d bytes)", 5000-MaxShown))
	// JSON keeps values exact.
	j, err := tr.JSON()
	require.NoError(t, err)
	var back struct {
		Calls []struct{ Entries []struct{ Cname string } }
	}
	require.NoError(t, json.Unmarshal(j, &back))
	assert.Equal(t, evil, back.Calls[0].Entries[0].Cname, "-o json must keep values exact")
}

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain", "plain"},
		{`\\10.0.0.5`, `\\10.0.0.5`},
		{"Müller 日本", "Müller 日本"},
		{"a\x1b[8mb", `a\x1b[8mb`},
		{"\r\n\t\x00\x7f", `\r\n\t\x00\x7f`},
		{"\u0085\u009b", `\u0085\u009b`},
		{"\u202a\u202e\u2066\u2069\u200b\u2028", `\u202a\u202e\u2066\u2069\u200b\u2028`},
		{"\xff\xfe", `\xff\xfe`},
		{"\U000e0001", `\U000e0001`},
	} {
		assert.Equal(t, c.want, Escape(c.in), "Escape(%q)", c.in)
	}
	long := strings.Repeat("é", MaxShown) // 2 bytes each
	got := Escape(long)
	assert.Equal(t, strings.Repeat("é", MaxShown/2)+fmt.Sprintf("…(+%d bytes)", MaxShown), got)
	assert.Equal(t, "ab…(+1 bytes)", EscapeN("abc", 2))
	assert.Equal(t, "abc", EscapeN("abc", 0))
}

// errWriter fails every write, like stdout redirected to /dev/full.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestStreamWritersReportWriteErrors: a failed write is an error, not a silent loss.
func TestStreamWritersReportWriteErrors(t *testing.T) {
	tr := bigTranscript(2 * entryBatch)
	for name, newW := range map[string]func(io.Writer) StreamWriter{"table": NewTableWriter, "yaml": NewYAMLWriter, "json": NewJSONWriter} {
		w := newW(errWriter{})
		err := w.WriteHeader(tr)
		for i := range tr.Calls {
			err = errors.Join(err, w.WriteCall(&tr.Calls[i]))
		}
		err = errors.Join(err, w.Close())
		assert.ErrorContains(t, err, "no space left", name)
	}
	assert.Error(t, WriteEntries(errWriter{}, bigTranscript(3).Calls[1].Entries))
}

func TestStreamWriterOrder(t *testing.T) {
	for name, newW := range map[string]func(io.Writer) StreamWriter{"table": NewTableWriter, "yaml": NewYAMLWriter, "json": NewJSONWriter} {
		w := newW(io.Discard)
		assert.Error(t, w.WriteCall(&Call{Seq: 1, Op: OpDel}), name)
		require.NoError(t, w.WriteHeader(&Transcript{}), name)
		assert.Error(t, w.WriteHeader(&Transcript{}), name)
	}
}
