package scenarios

import (
	"fmt"
	"strings"

	"github.com/sessionsim/sessionsim/transcript"
)

// check compares what a step got (its calls in the transcript) with what it expected. Both
// are rendered in the same small text form, keys in the same order, and compared line by
// line; the diff is the failure report.
func (sc *Scenario) check(i int, st *Step, calls []transcript.Call) (Failure, bool) {
	e := st.Expect
	var got []*transcript.Call
	for k := range calls {
		if !calls[k].IsEvent() {
			got = append(got, &calls[k])
		}
	}
	if len(got) == 0 {
		return Failure{File: sc.spec.File, Line: st.Line, Step: i + 1, Call: st.Op + ": no call was made",
			Diff: "the step made no call (the context ended?)"}, true
	}
	last := got[len(got)-1]
	count := 0
	for _, c := range got {
		count += len(c.Entries)
	}
	var entries []transcript.Entry
	if e.Fields != nil { // only then are the entries themselves compared
		entries = make([]transcript.Entry, 0, count)
		for _, c := range got {
			entries = append(entries, c.Entries...)
		}
	}

	var want, have []string
	line := func(key, w, h string) {
		want = append(want, key+": "+w)
		have = append(have, key+": "+h)
	}
	outcome := "status: " + transcript.StatusText(last.Status)
	if last.Err != "" {
		outcome = "error: " + last.Err
	}
	switch {
	case e.Status != nil:
		want = append(want, "status: "+transcript.StatusText(*e.Status))
		have = append(have, outcome)
	case e.Error != "":
		want = append(want, "error: …"+e.Error+"…")
		if last.Err != "" && strings.Contains(last.Err, e.Error) {
			have = append(have, "error: …"+e.Error+"…")
		} else {
			have = append(have, outcome)
		}
	}
	if e.Entries != nil {
		line("entries", fmt.Sprint(*e.Entries), fmt.Sprint(count))
	}
	if e.TotalEntries != nil {
		line("totalentries", fmt.Sprint(*e.TotalEntries), fmt.Sprint(got[0].TotalEntries))
	}
	if e.Resume != nil {
		h := "NULL"
		if last.ResumeOut != nil {
			h = fmt.Sprint(*last.ResumeOut)
		}
		line("resume", fmt.Sprint(*e.Resume), h)
	}
	if e.Pages != nil {
		line("pages", fmt.Sprint(*e.Pages), fmt.Sprint(len(got)))
	}
	if e.Fields != nil {
		want = append(want, "fields:")
		have = append(have, "fields:")
		for _, fe := range e.Fields {
			var kv []string
			for k, n := range fe.Names {
				kv = append(kv, n+": "+fe.Values[k])
			}
			want = append(want, "  - {"+strings.Join(kv, ", ")+"}")
		}
		for k := range entries {
			var names []string
			if k < len(e.Fields) {
				names = e.Fields[k].Names
			} else {
				names = presentFields(&entries[k])
			}
			var kv []string
			for _, n := range names {
				f, _ := transcript.FieldByName(n)
				v := "(absent)"
				if entries[k].Fields.Has(f) {
					v = entries[k].Value(f)
				}
				kv = append(kv, n+": "+v)
			}
			have = append(have, "  - {"+strings.Join(kv, ", ")+"}")
		}
	}
	w, h := strings.Join(want, "\n")+"\n", strings.Join(have, "\n")+"\n"
	if w == h {
		return Failure{}, false
	}
	call := last.String()
	if len(got) > 1 {
		call = fmt.Sprintf("%d pages, last: %s", len(got), call)
	}
	return Failure{File: sc.spec.File, Line: st.Line, Step: i + 1, Call: call,
		Diff: transcript.Diff("want", w, "got", h)}, true
}

func presentFields(e *transcript.Entry) []string {
	var out []string
	for _, n := range transcript.FieldNames() {
		f, _ := transcript.FieldByName(n)
		if e.Fields.Has(f) {
			out = append(out, n)
		}
	}
	return out
}
