package transcript

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// WriteTable writes the transcript for people: one line per call, its entries as a table
// under it. Every name and value is shown through [Escape]: control characters escaped, long
// values cut at [MaxShown] bytes.
func (t *Transcript) WriteTable(w io.Writer) error {
	return writeWhole(NewTableWriter(w), t)
}

// writeWhole writes t through a stream writer: the whole-transcript writers and the
// streaming ones are one code path, so their output cannot drift apart.
func writeWhole(sw StreamWriter, t *Transcript) error {
	if err := sw.WriteHeader(t); err != nil {
		return err
	}
	for i := range t.Calls {
		if err := sw.WriteCall(&t.Calls[i]); err != nil {
			return err
		}
	}
	return sw.Close()
}

type tableWriter struct {
	bw     *bufio.Writer
	header bool
	closed bool
}

// NewTableWriter returns a [StreamWriter] that writes the table form of [Transcript.WriteTable]
// as calls arrive; it flushes after the header and after each call.
func NewTableWriter(w io.Writer) StreamWriter { return &tableWriter{bw: bufio.NewWriter(w)} }

func (tw *tableWriter) WriteHeader(t *Transcript) error {
	if tw.header {
		return errHeaderTwice
	}
	tw.header = true
	bw := tw.bw
	if t.Scenario != "" {
		fmt.Fprintf(bw, "scenario %s (%s)\n", Escape(t.Scenario), Escape(t.Source))
	} else {
		fmt.Fprintf(bw, "%s\n", Escape(t.Source))
	}
	if t.Comment != "" {
		fmt.Fprintf(bw, "  %s\n", Escape(t.Comment))
	}
	for _, s := range t.Servers {
		fmt.Fprintf(bw, "server %s", Escape(s.Name))
		if s.Profile != "" {
			fmt.Fprintf(bw, " (profile %s)", Escape(s.Profile))
		}
		fmt.Fprintf(bw, " at %s, %d sessions\n", s.Time.UTC().Format(time.RFC3339), len(s.Sessions))
	}
	if len(t.Callers) > 0 {
		var cs []string
		for _, c := range t.Callers {
			cs = append(cs, Escape(c.Name)+" ("+Escape(c.Role)+")")
		}
		fmt.Fprintf(bw, "callers %s\n", strings.Join(cs, ", "))
	}
	return bw.Flush()
}

func (tw *tableWriter) WriteCall(c *Call) error {
	if !tw.header {
		return errNoHeader
	}
	bw := tw.bw
	bw.WriteByte('\n')
	if c.IsEvent() {
		fmt.Fprintf(bw, "   +%-7s %s\n", c.At, Escape(c.Event))
		return bw.Flush()
	}
	who := ""
	if c.Caller != "" {
		who = Escape(c.Caller) + ": "
	}
	fmt.Fprintf(bw, "#%-3d +%-7s %s%s\n", c.Seq, c.At, who, c.SafeString())
	if len(c.Entries) > 0 {
		writeEntries(bw, c.Entries, "     ")
	}
	return bw.Flush()
}

func (tw *tableWriter) Close() error {
	if tw.closed {
		return nil
	}
	tw.closed = true
	return tw.bw.Flush()
}

// SafeString is [Call.String] with every name and error text shown through [Escape], for a
// terminal.
func (c *Call) SafeString() string {
	s := *c
	s.ServerName, s.UncClientName, s.UserName = Escape(c.ServerName), Escape(c.UncClientName), Escape(c.UserName)
	s.Err, s.Event = Escape(c.Err), Escape(c.Event)
	return s.String()
}

// WriteEntries writes entries as an aligned table with a column per member that any of them
// carries, e.g. for `sessionsim enum`. Values are shown through [Escape].
func WriteEntries(w io.Writer, entries []Entry) error {
	bw := bufio.NewWriter(w)
	writeEntries(bw, entries, "")
	return bw.Flush()
}

// EntryTable writes entries as they arrive, page by page, under one heading: the columns
// are those of the first page's members and only widen, so rows already written stay where
// they are. `sessionsim enum` prints each page with it.
type EntryTable struct {
	w      *bufio.Writer
	cols   []colSpec
	widths []int
	fields sessionapi.Field
	rows   int
}

type colSpec struct {
	f    sessionapi.Field
	name string
}

// NewEntryTable returns an EntryTable writing to w.
func NewEntryTable(w io.Writer) *EntryTable { return &EntryTable{w: bufio.NewWriter(w)} }

// Rows is how many entries have been written.
func (t *EntryTable) Rows() int { return t.rows }

// Write writes one page of entries (the heading first, the first time) and flushes.
func (t *EntryTable) Write(entries []Entry) error {
	if len(entries) == 0 {
		return t.w.Flush()
	}
	if t.cols == nil {
		for _, e := range entries {
			t.fields |= e.Fields
		}
		for _, f := range fieldNames {
			if t.fields.Has(f.f) {
				t.cols = append(t.cols, colSpec{f.f, f.name})
				t.widths = append(t.widths, len(f.name))
			}
		}
		widen(t.widths, t.cols, entries)
		writeRow(t.w, "", t.widths, func(i int) string { return strings.ToUpper(t.cols[i].name) })
	} else {
		widen(t.widths, t.cols, entries)
	}
	for i := range entries {
		e := &entries[i]
		writeRow(t.w, "", t.widths, func(j int) string { return cell(e, t.cols[j].f) })
	}
	t.rows += len(entries)
	return t.w.Flush()
}

// writeEntries lays out a table like text/tabwriter with padding 2, in two passes over the
// entries (widths, then rows) so that a call of millions of entries costs no more memory
// than the entries themselves.
func writeEntries(w *bufio.Writer, entries []Entry, indent string) {
	var fields sessionapi.Field
	for _, e := range entries {
		fields |= e.Fields
	}
	var cols []colSpec
	var widths []int
	for _, f := range fieldNames {
		if fields.Has(f.f) {
			cols = append(cols, colSpec{f.f, f.name})
			widths = append(widths, len(f.name))
		}
	}
	widen(widths, cols, entries)
	writeRow(w, indent, widths, func(i int) string { return strings.ToUpper(cols[i].name) })
	for i := range entries {
		e := &entries[i]
		writeRow(w, indent, widths, func(j int) string { return cell(e, cols[j].f) })
	}
}

func widen(widths []int, cols []colSpec, entries []Entry) {
	for i := range entries {
		for j, c := range cols {
			widths[j] = max(widths[j], utf8.RuneCountInString(cell(&entries[i], c.f)))
		}
	}
}

// cell is one member as a table shows it: escaped, "-" when the entry lacks it, `""` when empty.
func cell(e *Entry, f sessionapi.Field) string {
	if !e.Fields.Has(f) {
		return "-"
	}
	v := e.Value(f)
	if v == "" {
		return `""`
	}
	return Escape(v)
}

func writeRow(w *bufio.Writer, indent string, widths []int, cell func(int) string) {
	w.WriteString(indent)
	for j := range widths {
		v := cell(j)
		w.WriteString(v)
		if j+1 < len(widths) {
			for pad := widths[j] + 2 - utf8.RuneCountInString(v); pad > 0; pad-- {
				w.WriteByte(' ')
			}
		}
	}
	w.WriteByte('\n')
}
