package conformance

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

func copyHandle(p *uint32) *uint32 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func handle(v uint32) *uint32 { return &v }

// enumCall is one NetSessionEnum the suite made: its arguments and the harness's answer.
type enumCall struct {
	args enumArgs
	res  sessionapi.EnumResult
	err  error
	st   sessionapi.Status
	out  *uint32 // the resume handle after the call
	// matched says which of the candidate sessions checkEnum matched the entries to.
	matched []bool
}

// String renders the call and its answer:
// "NetSessionEnum(level=10, prefmaxlen=64, resume=0) = ERROR_MORE_DATA, read=1, total=3".
func (c *enumCall) String() string { return c.args.String() + " = " + enumOutcome(c.res, c.err) }

// returnsEntries reports whether the status is one that comes with entries and totalentries.
func returnsEntries(st sessionapi.Status) bool {
	return st == sessionapi.NERR_Success || st == sessionapi.ERROR_MORE_DATA
}

// enum makes a NetSessionEnum call as r on the harness, and the same call on the reference
// fake with the reference's own resume handle (handle values are each server's business, so
// in a paging loop each side follows its own), records how the two answers differ, and
// returns the harness's answer. An error that carries no status ends the subtest.
func (e *env) enum(r fake.Role, api sessionapi.SessionAPI, a enumArgs, resume, refResume *uint32) *enumCall {
	return e.enumPage(r, api, a, resume, refResume, nil)
}

// enumPage is enum for a call that may return part of the entries, drawn from entries whose
// sizes are sizes. When those differ, how many fit on a page depends on the server's order
// (S7), and so do the page's status and the pages that follow: then the page is not compared
// with the reference at all (the model's bounds are checked instead, and the paging subtests
// check that the pages together return every session once).
func (e *env) enumPage(r fake.Role, api sessionapi.SessionAPI, a enumArgs, resume, refResume *uint32, sizes []int) *enumCall {
	a.resume = copyHandle(resume)
	c := &enumCall{args: a}
	c.res, c.err = api.NetSessionEnum(e.ctx, "", a.client, a.user, a.level, a.prefMaxLen, resume)
	c.out = copyHandle(resume)
	st, ok := sessionapi.StatusOf(c.err)
	if !ok {
		e.fatalf("%s: %v", a, c.err)
	}
	c.st = st
	if c.err != nil && st == sessionapi.NERR_Success {
		e.errorf("%s: a non-nil error that carries NERR_Success (%#v); want nil", c, c.err)
	}
	if len(sizes) == 0 || slices.Min(sizes) == slices.Max(sizes) {
		e.compareEnum(r, c, refResume)
	}
	return c
}

// compareEnum is the differential check: same status, same entries read, same totalentries,
// and, when the answer is the whole enumeration, the same entries as a multiset of (cname,
// username) (S7: any order). Page contents are not compared: which sessions fill a page
// depends on the server's order; paging subtests compare the union of the pages instead.
// Time fields are never compared (see the package doc).
func (e *env) compareEnum(r fake.Role, c *enumCall, refResume *uint32) {
	a := c.args
	rres, rerr := e.ref.As(r).NetSessionEnum(e.ctx, "", a.client, a.user, a.level, a.prefMaxLen, refResume)
	rst, _ := sessionapi.StatusOf(rerr)
	var why []string
	if rst != c.st {
		why = append(why, "status")
	}
	if returnsEntries(c.st) && rst == c.st {
		if len(rres.Entries) != len(c.res.Entries) {
			why = append(why, "entries read")
		}
		if rres.TotalEntries != c.res.TotalEntries {
			why = append(why, "totalentries")
		}
		complete := c.st == sessionapi.NERR_Success && (a.resume == nil || *a.resume == 0)
		if complete {
			if d := countKeys(entryKeys(rres.Entries)).diff(countKeys(entryKeys(c.res.Entries))); d != "" {
				why = append(why, "entries: "+d)
			}
		}
	}
	if len(why) > 0 {
		e.errorf("%s; the reference fake (profile %q, the same %d sessions) answers %s (differs in %s)",
			c, e.p.Name, len(e.m.all), enumOutcome(rres, rerr), strings.Join(why, ", "))
	}
}

// checkEnum holds the answer to the model's. It reports whether the status was the expected
// one (later checks of a subtest usually make no sense otherwise).
func (e *env) checkEnum(c *enumCall, w enumWant) bool {
	if c.st != w.status {
		e.errorf("%s; want %s", c, w.status)
		return false
	}
	if !returnsEntries(c.st) {
		if len(c.res.Entries) != 0 {
			e.errorf("%s; want read=0 with %s", c, c.st)
		}
		return true
	}
	if c.res.Level != c.args.level {
		e.errorf("%s: result level %d; want %d", c, uint32(c.res.Level), uint32(c.args.level))
	}
	if w.read >= 0 && len(c.res.Entries) != w.read {
		e.errorf("%s; want read=%d", c, w.read)
	}
	if w.total >= 0 && int64(c.res.TotalEntries) != int64(w.total) {
		e.errorf("%s; want total=%d", c, w.total)
	}
	switch {
	case w.entries != nil:
		c.matched = e.checkEntries(c.String(), c.args.level, c.res.Entries, w.entries, true)
	case w.among != nil:
		c.matched = e.checkEntries(c.String(), c.args.level, c.res.Entries, w.among, false)
	default:
		c.matched = e.checkEntries(c.String(), c.args.level, c.res.Entries, e.m.all, false)
	}
	e.checkHandle(c, w.handle, w.value)
	return true
}

// checkHandle holds the resume handle after c to what the rule says.
func (e *env) checkHandle(c *enumCall, want handleWant, value uint32) {
	in, out := c.args.resume, c.out
	if in == nil || out == nil {
		return // a NULL handle has nothing to check: the API cannot make it non-NULL
	}
	switch want {
	case handleZero:
		if *out != 0 {
			e.errorf("%s: resume handle %d after the call; want 0", c, *out)
		}
	case handleUnchanged:
		if *out != *in {
			e.errorf("%s: resume handle %d after the call; want it unchanged (%d)", c, *out, *in)
		}
	case handleAdvanced:
		if *out == 0 || *out <= *in {
			e.errorf("%s: resume handle %d after the call; want a non-zero value past %d (spec rule 28: 0 would restart)", c, *out, *in)
		}
	case handleValue:
		if *out != value {
			e.errorf("%s: resume handle %d after the call; want %d", c, *out, value)
		}
	case handleNonZero:
		if *out == 0 {
			e.errorf("%s: resume handle 0 after the call; want non-zero (W6: Windows leaves a value of its own after NERR_Success, 18 in capture A; profile %q has ZeroResumeAfterSuccess=false)", c, e.p.Name)
		}
	}
}

// checkEntries checks entries against the sessions they may be: each entry of the level's
// type (spec §3, rules 38-42), each a different one of cands (with exact, every one of cands:
// nothing missing, nothing twice), and its fields as the session was observed. An entry with
// a missing string (a partial entry, spec rule 19) matches no session.
//
// It returns which of cands the entries were matched to.
func (e *env) checkEntries(what string, level sessionapi.Level, entries []sessionapi.Info, cands []Observed, exact bool) []bool {
	used := make([]bool, len(cands))
	var pending []int
	for i, info := range entries {
		if info == nil || info.Level() != level {
			e.errorf("%s: entry %d is %T; want a SESSION_INFO_%d", what, i, info, uint32(level))
			continue
		}
		if _, f := sessionapi.Widen(info); f != sessionapi.FieldsOf(level) {
			e.errorf("%s: entry %d carries fields %b; want %b (level %d)", what, i, f, sessionapi.FieldsOf(level), uint32(level))
		}
		// First pass: a session with the same key and the same details, so that two sessions
		// of one client and user are told apart by their open files and flags.
		if j := e.matchEntry(info, level, cands, used, true); j >= 0 {
			used[j] = true
			continue
		}
		pending = append(pending, i)
	}
	for _, i := range pending {
		info := entries[i]
		j := e.matchEntry(info, level, cands, used, false)
		if j < 0 {
			e.errorf("%s: entry %d %s is not one of the sessions it may be (%s)", what, i, keyOfInfo(info), e.keysText(cands, level))
			continue
		}
		used[j] = true
		for _, p := range e.fieldProblems(info, cands[j]) {
			e.errorf("%s: entry %d %s: %s", what, i, keyOfInfo(info), p)
		}
	}
	if exact {
		var missing []string
		for j, o := range cands {
			if !used[j] {
				missing = append(missing, e.m.keyOf(o, level).String())
			}
		}
		if len(missing) > 0 {
			e.errorf("%s: missing %s", what, strings.Join(missing, ", "))
		}
	}
	return used
}

func (e *env) matchEntry(info sessionapi.Info, level sessionapi.Level, cands []Observed, used []bool, details bool) int {
	k := keyOfInfo(info)
	for j, o := range cands {
		if used[j] || e.m.keyOf(o, level) != k {
			continue
		}
		if details && len(e.fieldProblems(info, o)) > 0 {
			continue
		}
		return j
	}
	return -1
}

func (e *env) keysText(obs []Observed, level sessionapi.Level) string {
	if len(obs) == 0 {
		return "none"
	}
	var ks []string
	for _, o := range obs {
		ks = append(ks, e.m.keyOf(o, level).String())
	}
	return strings.Join(ks, ", ")
}

// fieldProblems compares an entry's fields with the session it is. Time and idle time are
// checked against rules, not values: they move with the server's clock.
func (e *env) fieldProblems(info sessionapi.Info, o Observed) []string {
	w, f := sessionapi.Widen(info)
	var out []string
	if f.Has(sessionapi.FieldNumOpens) && uint64(w.NumOpens) != uint64(max(o.OpenFiles, 0)) {
		out = append(out, fmt.Sprintf("num_opens=%d; want %d (spec rule 45)", w.NumOpens, o.OpenFiles))
	}
	if f.Has(sessionapi.FieldUserFlags) {
		if guest := w.UserFlags&sessionapi.SessGuest != 0; guest != o.Guest {
			want := "0"
			if o.Guest {
				want = "SESS_GUEST"
			}
			out = append(out, fmt.Sprintf("user_flags=%v; want %s (spec rule 48, S6)", w.UserFlags, want))
		}
		if !e.p.ReportNoEncryption && w.UserFlags&sessionapi.SessNoEncryption != 0 {
			out = append(out, fmt.Sprintf("user_flags=%v; want no SESS_NOENCRYPTION (S6)", w.UserFlags))
		}
		if w.UserFlags&^(sessionapi.SessGuest|sessionapi.SessNoEncryption) != 0 {
			out = append(out, fmt.Sprintf("user_flags=%v has bits no server sets (spec rule 48)", w.UserFlags))
		}
	}
	if f.Has(sessionapi.FieldIdleTime) {
		switch {
		case e.p.IdleAlwaysZero && w.IdleTime != 0:
			out = append(out, fmt.Sprintf("idle_time=%d; want 0 (S5)", w.IdleTime))
		case !e.p.IdleAlwaysZero && w.Time != math.MaxUint32 && uint64(w.IdleTime) > uint64(w.Time)+1:
			// One second of slack: the two are rounded separately.
			out = append(out, fmt.Sprintf("idle_time=%d > time=%d: idle for longer than the session exists (spec rules 46-47)", w.IdleTime, w.Time))
		}
	}
	return out
}

// getInfoCall is one NetSessionGetInfo the suite made.
type getInfoCall struct {
	client, user string
	level        sessionapi.Level
	info         sessionapi.Info
	err          error
}

func (c *getInfoCall) String() string {
	out := getInfoText(c.client, c.user, c.level) + " = " + statusText(c.err)
	if c.err == nil && c.info != nil {
		out += ", entry " + keyOfInfo(c.info).String()
	}
	return out
}

// getInfo makes a NetSessionGetInfo call as r on the harness and on the reference, and
// records how they differ: the status (or sessionapi.ErrNoEntry), and the entry's key where
// the profile honours the names (with them ignored, S8, the first entry depends on the order).
func (e *env) getInfo(r fake.Role, api sessionapi.SessionAPI, client, user string, l sessionapi.Level) *getInfoCall {
	c := &getInfoCall{client: client, user: user, level: l}
	c.info, c.err = api.NetSessionGetInfo(e.ctx, "", client, user, l)
	st, ok := sessionapi.StatusOf(c.err)
	if !ok && !errors.Is(c.err, sessionapi.ErrNoEntry) {
		e.fatalf("%s: %v", getInfoText(client, user, l), c.err)
	}
	if c.err != nil && ok && st == sessionapi.NERR_Success {
		e.errorf("%s: a non-nil error that carries NERR_Success (%#v); want nil and an entry", c, c.err)
	}
	rinfo, rerr := e.ref.As(r).NetSessionGetInfo(e.ctx, "", client, user, l)
	rc := &getInfoCall{client: client, user: user, level: l, info: rinfo, err: rerr}
	same := statusText(c.err) == statusText(rerr)
	if same && c.err == nil && e.p.HonorFilters && keyOfInfo(c.info) != keyOfInfo(rinfo) {
		same = false
	}
	if !same {
		e.errorf("%s; the reference fake (profile %q, the same %d sessions) answers %s", c, e.p.Name, len(e.m.all),
			strings.TrimPrefix(rc.String(), getInfoText(client, user, l)+" = "))
	}
	return c
}

// checkGetInfo holds the answer to the model's.
func (e *env) checkGetInfo(c *getInfoCall, w getInfoWant) {
	switch {
	case w.noEntry:
		if !errors.Is(c.err, sessionapi.ErrNoEntry) {
			e.errorf("%s; want sessionapi.ErrNoEntry (success with no entry)", c)
		}
		return
	case c.err != nil:
		if st, ok := sessionapi.StatusOf(c.err); !ok || st != w.status {
			e.errorf("%s; want %s", c, w.status)
		}
		return
	case w.status != sessionapi.NERR_Success:
		e.errorf("%s; want %s", c, w.status)
		return
	}
	if c.info == nil {
		e.errorf("%s: no entry; want one (spec rule 54)", c)
		return
	}
	e.checkEntries(c.String(), c.level, []sessionapi.Info{c.info}, w.candidates, false)
}

// listCaller is a caller that may enumerate at level, for checking what a call left behind.
type listCaller struct {
	level sessionapi.Level
	role  fake.Role
	api   sessionapi.SessionAPI
}

// lister returns a listCaller (see env.lister); ask for it before observe.
func (e *env) listCaller() *listCaller {
	l, r, api := e.lister()
	return &listCaller{level: l, role: r, api: api}
}

func observedKeys(obs []Observed, seededOnly bool) keyCounts {
	c := keyCounts{}
	for _, o := range obs {
		if !seededOnly || o.Seeded {
			c[key{cname: o.ClientName, user: o.UserName}]++
		}
	}
	return c
}

// checkDel makes a NetSessionDel call as r and holds it to the model: the status (spec §8,
// S13-S16); the sessions it ends are gone and no other is, in Harness.Sessions and in an
// enumeration made right after (S17); and the reference fake answers and keeps the same.
//
// A call that ends the caller's own connection (Samba with both names empty, S16) may get no
// reply: then a transport error is accepted, and only the seeded sessions are compared
// afterwards (the harness reconnects, which makes new sessions of its own).
func (e *env) checkDel(r fake.Role, api sessionapi.SessionAPI, client, user string, lc *listCaller) {
	want, gone := e.m.del(r, client, user)
	call := delText(client, user)
	ownGone := false
	var left []Observed
	for i, o := range e.m.all {
		if !gone[i] {
			left = append(left, o)
		} else if !o.Seeded {
			ownGone = true
		}
	}
	err := api.NetSessionDel(e.ctx, "", client, user)
	st, ok := sessionapi.StatusOf(err)
	if err != nil && ok && st == sessionapi.NERR_Success {
		e.errorf("%s: a non-nil error that carries NERR_Success (%#v); want nil", call, err)
	}
	switch {
	case !ok && want == sessionapi.NERR_Success && ownGone:
		e.t.Logf("%s: %v (accepted: the call ended the caller's own connection, S16)", call, err)
	case !ok:
		e.fatalf("%s: %v", call, err)
	case st != want:
		e.errorf("%s = %s; want %s", call, st, want)
	}
	rerr := e.ref.As(r).NetSessionDel(e.ctx, "", client, user)
	if ok && statusText(rerr) != statusText(err) {
		e.errorf("%s = %s; the reference fake (profile %q, the same %d sessions) answers %s", call, statusText(err), e.p.Name, len(e.m.all), statusText(rerr))
	}

	after := e.sessions()
	if d := observedKeys(left, ownGone).diff(observedKeys(after, ownGone)); d != "" {
		e.errorf("after %s = %s, Harness.Sessions: %s (spec rule 60, S16, S17)", call, statusText(err), d)
	}
	if ownGone {
		e.m.all = after
		if e.ref, err = newReference(e.p, after); err != nil {
			e.fatalf("reference fake: %v", err)
		}
		return
	}
	// From here on the model holds what should be left; the reference has made the same call.
	e.m.all = left
	var refAfter []Observed
	for _, s := range e.ref.Sessions() {
		refAfter = append(refAfter, Observed{ClientName: s.ClientName, UserName: s.UserName})
	}
	if d := observedKeys(refAfter, false).diff(observedKeys(after, false)); d != "" {
		e.errorf("after %s, the harness's sessions differ from the reference fake's: %s", call, d)
	}
	if lc == nil {
		return
	}
	// S17: an enumeration right after the reply no longer lists them.
	e.after = call
	defer func() { e.after = "" }()
	c := e.enum(lc.role, lc.api, enumArgs{level: lc.level, prefMaxLen: sessionapi.MaxPreferredLength}, nil, nil)
	e.checkEnum(c, e.m.enumMax(lc.role, lc.level, "", "", nil))
}
