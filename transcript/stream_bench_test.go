package transcript

import (
	"fmt"
	"io"
	"testing"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// benchCall is one page of 1,000 level-10 entries, as a paged replay emits.
func benchCall() *Call {
	c := &Call{Seq: 1, Op: OpEnum, Level: 10, PrefMaxLen: 65536, Status: sessionapi.ERROR_MORE_DATA, TotalEntries: 2_000_000}
	for i := range 1000 {
		c.Entries = append(c.Entries, EntryOf(&sessionapi.SessionInfo10{ClientName: fmt.Sprintf(`\\ws%d`, i), UserName: fmt.Sprintf("user%d", i), Time: 3600, IdleTime: 60}))
	}
	return c
}

// BenchmarkStreamWriters writes pages of 1,000 entries; ns/op divided by 1,000 is the cost
// of one entry. Compare the three writers (same run):
//
//	go test -run '^$' -bench BenchmarkStreamWriters -benchmem ./transcript
func BenchmarkStreamWriters(b *testing.B) {
	c := benchCall()
	for name, newW := range map[string]func(io.Writer) StreamWriter{"table": NewTableWriter, "yaml": NewYAMLWriter, "json": NewJSONWriter} {
		b.Run(name, func(b *testing.B) {
			w := newW(io.Discard)
			if err := w.WriteHeader(&Transcript{Source: SourceReplay}); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := w.WriteCall(c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(c.Entries)), "ns/entry")
		})
	}
}

// BenchmarkYAMLWholeVsStream writes a transcript of 100 pages of 1,000 entries with the
// node-tree writer this package had (wholeYAML, kept in the tests) and with NewYAMLWriter:
// the ratio of the two is the gain.
//
//	go test -run '^$' -bench BenchmarkYAMLWholeVsStream -benchmem ./transcript
func BenchmarkYAMLWholeVsStream(b *testing.B) {
	c := benchCall()
	tr := &Transcript{Source: SourceReplay}
	for range 100 {
		tr.Calls = append(tr.Calls, *c)
	}
	b.Run("whole", func(b *testing.B) {
		for b.Loop() {
			if _, err := wholeYAML(tr); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stream", func(b *testing.B) {
		for b.Loop() {
			if err := writeWhole(NewYAMLWriter(io.Discard), tr); err != nil {
				b.Fatal(err)
			}
		}
	})
}
