package transcript

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// WriteTable writes the transcript for people: one line per call, its entries as a table
// under it.
func (t *Transcript) WriteTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	if t.Scenario != "" {
		fmt.Fprintf(bw, "scenario %s (%s)\n", t.Scenario, t.Source)
	} else {
		fmt.Fprintf(bw, "%s\n", t.Source)
	}
	if t.Comment != "" {
		fmt.Fprintf(bw, "  %s\n", t.Comment)
	}
	for _, s := range t.Servers {
		fmt.Fprintf(bw, "server %s", s.Name)
		if s.Profile != "" {
			fmt.Fprintf(bw, " (profile %s)", s.Profile)
		}
		fmt.Fprintf(bw, " at %s, %d sessions\n", s.Time.UTC().Format(time.RFC3339), len(s.Sessions))
	}
	if len(t.Callers) > 0 {
		var cs []string
		for _, c := range t.Callers {
			cs = append(cs, c.Name+" ("+c.Role+")")
		}
		fmt.Fprintf(bw, "callers %s\n", strings.Join(cs, ", "))
	}
	for i := range t.Calls {
		c := &t.Calls[i]
		bw.WriteByte('\n')
		if c.IsEvent() {
			fmt.Fprintf(bw, "   +%-7s %s\n", c.At, c.Event)
			continue
		}
		who := ""
		if c.Caller != "" {
			who = c.Caller + ": "
		}
		fmt.Fprintf(bw, "#%-3d +%-7s %s%s\n", c.Seq, c.At, who, c.String())
		if len(c.Entries) > 0 {
			if err := writeEntries(bw, c.Entries, "     "); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// WriteEntries writes entries as an aligned table with a column per member that any of them
// carries, e.g. for `sessionsim enum`.
func WriteEntries(w io.Writer, entries []Entry) error {
	return writeEntries(w, entries, "")
}

func writeEntries(w io.Writer, entries []Entry, indent string) error {
	var cols sessionapi.Field
	for _, e := range entries {
		cols |= e.Fields
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var head []string
	for _, f := range fieldNames {
		if cols.Has(f.f) {
			head = append(head, strings.ToUpper(f.name))
		}
	}
	fmt.Fprintf(tw, "%s%s\n", indent, strings.Join(head, "\t"))
	for i := range entries {
		var row []string
		for _, f := range fieldNames {
			if !cols.Has(f.f) {
				continue
			}
			v := "-"
			if entries[i].Fields.Has(f.f) {
				v = entries[i].Value(f.f)
				if v == "" {
					v = `""`
				}
			}
			row = append(row, v)
		}
		fmt.Fprintf(tw, "%s%s\n", indent, strings.Join(row, "\t"))
	}
	return tw.Flush()
}
