package transcript

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// StreamWriter writes a transcript piece by piece, so that a run of millions of entries is
// never held twice (once as calls, once as text): the header (everything but the calls:
// Servers with their sessions, Callers) first, then each call or event as it happens, then
// Close. The bytes are exactly those of the whole-transcript writers ([Transcript.YAML],
// [Transcript.JSON], [Transcript.WriteTable]) for the same transcript.
//
// A StreamWriter buffers; a write error (a full disk, a closed pipe) is returned by the call
// that meets it and by every call after it. Close flushes and must be called; it does not
// close the underlying writer.
type StreamWriter interface {
	WriteHeader(t *Transcript) error
	WriteCall(c *Call) error
	Close() error
}

var (
	errHeaderTwice = errors.New("transcript: WriteHeader called twice")
	errNoHeader    = errors.New("transcript: WriteCall before WriteHeader")
)

// entryBatch is a size the tests use to build calls of several hundred entries.
const entryBatch = 512

// yamlWriter encodes pieces of the document with yaml.v3, each inside the same enclosing
// structure as in the whole document (a call inside `calls:`, an entry inside `entries:` of
// an item of `calls:`), so that indentation and quoting come out the same, and drops the
// enclosing lines it did not want; entries with plainly safe strings it writes itself.
type yamlWriter struct {
	bw     *bufio.Writer
	buf    bytes.Buffer
	err    error
	header bool
	calls  int
	closed bool
	// scalars: how yaml.v3 writes the entry strings the direct path cannot judge.
	scalars scalarCache
}

// NewYAMLWriter returns a [StreamWriter] for the YAML form ([Transcript.YAML]).
func NewYAMLWriter(w io.Writer) StreamWriter {
	return &yamlWriter{bw: bufio.NewWriterSize(w, 64<<10), scalars: scalarCache{}}
}

// encode encodes root (a mapping) as a document, with the file's head comment when asked,
// and writes it without its first skip lines.
func (y *yamlWriter) encode(root *yaml.Node, comment bool, skip int) {
	if y.err != nil {
		return
	}
	y.buf.Reset()
	enc := yaml.NewEncoder(&y.buf)
	enc.SetIndent(2)
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	if comment {
		doc.HeadComment = header
	}
	if err := enc.Encode(doc); err != nil {
		y.err = fmt.Errorf("transcript: encode: %w", err)
		return
	}
	if err := enc.Close(); err != nil {
		y.err = fmt.Errorf("transcript: encode: %w", err)
		return
	}
	b := y.buf.Bytes()
	for ; skip > 0; skip-- {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			y.err = errors.New("transcript: encode: unexpected YAML layout")
			return
		}
		b = b[i+1:]
	}
	if _, err := y.bw.Write(b); err != nil {
		y.err = err
	}
}

// entries writes item (a server or a call, without its entries) as an item of the
// top-level list `list`, then es under its key `key`, one entry a line: directly when
// appendYAMLEntry can, else through yaml.v3 inside the same enclosing structure.
func (y *yamlWriter) entries(list string, item *yaml.Node, key string, es []Entry) {
	root := block()
	add(root, list, &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{item}})
	y.encode(root, false, 1)
	if len(es) == 0 || y.err != nil {
		return
	}
	y.write("    " + key + ":\n")
	line := make([]byte, 0, 256)
	for i := range es {
		if y.err != nil {
			return
		}
		line = append(line[:0], "      - "...)
		var ok bool
		if line, ok = appendYAMLEntryCached(line, &es[i], y.scalars); ok {
			line = append(line, '\n')
			if _, err := y.bw.Write(line); err != nil {
				y.err = err
			}
			continue
		}
		m := block()
		add(m, key, entries(es[i:i+1]))
		root := block()
		add(root, list, &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{m}})
		y.encode(root, false, 2)
	}
}

func (y *yamlWriter) WriteHeader(t *Transcript) error {
	if y.header {
		return errHeaderTwice
	}
	y.header = true
	top := t.headNode()
	y.encode(top, true, 0)
	if len(t.Servers) == 0 {
		y.write("servers: []\n")
	} else {
		y.write("servers:\n")
	}
	for _, s := range t.Servers {
		sm := s.serverNode()
		y.entries("servers", sm, "sessions", s.Sessions)
	}
	if len(t.Callers) > 0 {
		m := block()
		callers := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, c := range t.Callers {
			cm := flow()
			add(cm, "name", str(c.Name))
			add(cm, "role", str(c.Role))
			callers.Content = append(callers.Content, cm)
		}
		add(m, "callers", callers)
		y.encode(m, false, 0)
	}
	return y.err
}

func (y *yamlWriter) write(s string) {
	if y.err == nil {
		if _, err := y.bw.WriteString(s); err != nil {
			y.err = err
		}
	}
}

func (y *yamlWriter) WriteCall(c *Call) error {
	if !y.header {
		return errNoHeader
	}
	if y.calls == 0 {
		y.write("calls:\n")
	}
	y.calls++
	y.entries("calls", c.nodeWithout(), "entries", c.Entries)
	return y.err
}

func (y *yamlWriter) Close() error {
	if y.closed {
		return y.err
	}
	y.closed = true
	if !y.header {
		return errNoHeader
	}
	if y.calls == 0 {
		y.write("calls: []\n")
	}
	if y.err == nil {
		y.err = y.bw.Flush()
	}
	return y.err
}

// jsonWriter writes the JSON form ([Transcript.JSON]) piece by piece with the same writer
// of nodes, keeping its layout: two-space indentation, one member per line.
type jsonWriter struct {
	bw     *bufio.Writer
	buf    bytes.Buffer
	err    error
	header bool
	calls  int
	closed bool
}

// NewJSONWriter returns a [StreamWriter] for the JSON form ([Transcript.JSON]).
func NewJSONWriter(w io.Writer) StreamWriter {
	return &jsonWriter{bw: bufio.NewWriterSize(w, 64<<10)}
}

func (j *jsonWriter) flushBuf() {
	if j.err == nil {
		if _, err := j.bw.Write(j.buf.Bytes()); err != nil {
			j.err = err
		}
	}
	j.buf.Reset()
}

// pairs writes the members of a mapping node at indent, each followed by a comma (more
// members follow them).
func (j *jsonWriter) pairs(m *yaml.Node, indent string) {
	for i := 0; i < len(m.Content); i += 2 {
		j.buf.WriteString(indent)
		writeJSONString(&j.buf, m.Content[i].Value)
		j.buf.WriteString(": ")
		writeJSON(&j.buf, m.Content[i+1], indent)
		j.buf.WriteString(",\n")
	}
}

// list writes the entries es as the value of key inside an object already open at indent,
// as the last member when last.
func (j *jsonWriter) list(key string, es []Entry, indent string) {
	j.buf.WriteString(indent)
	writeJSONString(&j.buf, key)
	if len(es) == 0 {
		j.buf.WriteString(": []")
		return
	}
	j.buf.WriteString(": [\n")
	for i := range es {
		j.buf.WriteString(indent + "  ")
		appendJSONEntry(&j.buf, &es[i], indent+"  ")
		if i+1 < len(es) {
			j.buf.WriteByte(',')
		}
		j.buf.WriteByte('\n')
		if j.buf.Len() >= 32<<10 {
			j.flushBuf()
		}
	}
	j.buf.WriteString(indent + "]")
}

func (j *jsonWriter) WriteHeader(t *Transcript) error {
	if j.header {
		return errHeaderTwice
	}
	j.header = true
	top := t.headNode()
	j.buf.WriteString("{\n")
	j.pairs(top, "  ")
	if len(t.Servers) == 0 {
		j.buf.WriteString(`  "servers": [],` + "\n")
	} else {
		j.buf.WriteString(`  "servers": [` + "\n")
		for i, s := range t.Servers {
			sm := s.serverNode()
			j.buf.WriteString("    {\n")
			if len(s.Sessions) == 0 {
				j.lastPairs(sm, "      ")
			} else {
				j.pairs(sm, "      ")
				j.list("sessions", s.Sessions, "      ")
				j.buf.WriteByte('\n')
			}
			j.buf.WriteString("    }")
			if i+1 < len(t.Servers) {
				j.buf.WriteByte(',')
			}
			j.buf.WriteByte('\n')
		}
		j.buf.WriteString("  ],\n")
	}
	if len(t.Callers) > 0 {
		callers := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, c := range t.Callers {
			cm := flow()
			add(cm, "name", str(c.Name))
			add(cm, "role", str(c.Role))
			callers.Content = append(callers.Content, cm)
		}
		j.buf.WriteString(`  "callers": `)
		writeJSON(&j.buf, callers, "  ")
		j.buf.WriteString(",\n")
	}
	j.flushBuf()
	return j.err
}

// lastPairs is pairs with no comma after the last member.
func (j *jsonWriter) lastPairs(m *yaml.Node, indent string) {
	for i := 0; i < len(m.Content); i += 2 {
		j.buf.WriteString(indent)
		writeJSONString(&j.buf, m.Content[i].Value)
		j.buf.WriteString(": ")
		writeJSON(&j.buf, m.Content[i+1], indent)
		if i+2 < len(m.Content) {
			j.buf.WriteByte(',')
		}
		j.buf.WriteByte('\n')
	}
}

func (j *jsonWriter) WriteCall(c *Call) error {
	if !j.header {
		return errNoHeader
	}
	if j.calls == 0 {
		j.buf.WriteString(`  "calls": [` + "\n")
	} else {
		j.buf.WriteString(",\n")
	}
	j.calls++
	m := c.nodeWithout()
	j.buf.WriteString("    {\n")
	if len(c.Entries) == 0 {
		j.lastPairs(m, "      ")
	} else {
		j.pairs(m, "      ")
		j.list("entries", c.Entries, "      ")
		j.buf.WriteByte('\n')
	}
	j.buf.WriteString("    }")
	j.flushBuf()
	return j.err
}

func (j *jsonWriter) Close() error {
	if j.closed {
		return j.err
	}
	j.closed = true
	if !j.header {
		return errNoHeader
	}
	if j.calls == 0 {
		j.buf.WriteString(`  "calls": []` + "\n}\n")
	} else {
		j.buf.WriteString("\n  ]\n}\n")
	}
	j.flushBuf()
	if j.err == nil {
		j.err = j.bw.Flush()
	}
	return j.err
}
