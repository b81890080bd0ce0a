package scenarios

import (
	"fmt"
	"strings"

	"github.com/sessionsim/sessionsim/transcript"
)

// maxExtraEntries is how many entries beyond those an expectation lists are kept to show in
// its diff; the rest are counted. It keeps a failed fields: check on a long enumeration small.
const maxExtraEntries = 20

// stepCheck gathers what a step's calls returned, call by call, for its expectation: counts,
// the first and the last call, and the entries only when the expectation lists fields. A
// streamed run keeps nothing else of a step.
type stepCheck struct {
	e          *Expect
	calls      int
	count      int
	firstTotal uint32
	last       transcript.Call
	entries    []transcript.Entry
	dropped    int
}

func newStepCheck(e *Expect) *stepCheck { return &stepCheck{e: e} }

func (c *stepCheck) add(call *transcript.Call) {
	if c.calls == 0 {
		c.firstTotal = call.TotalEntries
	}
	c.calls++
	c.count += len(call.Entries)
	c.last = *call
	if c.e == nil || c.e.Fields == nil {
		return
	}
	room := len(c.e.Fields) + maxExtraEntries - len(c.entries)
	keep := min(max(room, 0), len(call.Entries))
	c.entries = append(c.entries, call.Entries[:keep]...)
	c.dropped += len(call.Entries) - keep
}

// check compares what a step got with what it expected. Both are rendered in the same small
// text form, keys in the same order, and compared line by line; the diff is the failure
// report.
func (c *stepCheck) check(file string, i int, st *Step) (Failure, bool) {
	e := st.Expect
	if c.calls == 0 {
		return Failure{File: file, Line: st.Line, Step: i + 1, Call: st.Op + ": no call was made",
			Diff: "the step made no call (the context ended?)"}, true
	}
	last := &c.last
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
		line("entries", fmt.Sprint(*e.Entries), fmt.Sprint(c.count))
	}
	if e.TotalEntries != nil {
		line("totalentries", fmt.Sprint(*e.TotalEntries), fmt.Sprint(c.firstTotal))
	}
	if e.Resume != nil {
		h := "NULL"
		if last.ResumeOut != nil {
			h = fmt.Sprint(*last.ResumeOut)
		}
		line("resume", fmt.Sprint(*e.Resume), h)
	}
	if e.Pages != nil {
		line("pages", fmt.Sprint(*e.Pages), fmt.Sprint(c.calls))
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
		for k := range c.entries {
			var names []string
			if k < len(e.Fields) {
				names = e.Fields[k].Names
			} else {
				names = presentFields(&c.entries[k])
			}
			var kv []string
			for _, n := range names {
				f, _ := transcript.FieldByName(n)
				v := "(absent)"
				if c.entries[k].Fields.Has(f) {
					v = c.entries[k].Value(f)
				}
				kv = append(kv, n+": "+v)
			}
			have = append(have, "  - {"+strings.Join(kv, ", ")+"}")
		}
		if c.dropped > 0 {
			have = append(have, fmt.Sprintf("  … %d more entries", c.dropped))
		}
	}
	w, h := strings.Join(want, "\n")+"\n", strings.Join(have, "\n")+"\n"
	if w == h {
		return Failure{}, false
	}
	call := last.String()
	if c.calls > 1 {
		call = fmt.Sprintf("%d pages, last: %s", c.calls, call)
	}
	return Failure{File: file, Line: st.Line, Step: i + 1, Call: call,
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
