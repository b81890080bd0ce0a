package conformance

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// standardSeeds are the sessions most subtests start from. Client 2 holds sessions of two
// users and alice has sessions on two clients, so the client and the user qualifiers pick
// different sets; the open files tell sessions apart at the levels that report them.
var standardSeeds = []SeedSession{
	{Client: 1, User: Alice, OpenFiles: 2},
	{Client: 2, User: Bob},
	{Client: 2, User: Alice, OpenFiles: 1},
	{Client: 3, User: Bob, OpenFiles: 3},
}

// Indexes into the observations of standardSeeds.
const (
	seedC1Alice = 0
	seedC2Bob   = 1
	seedC2Alice = 2
)

// pagingSeeds are five sessions of alice from five clients and one of bob. Qualified by
// alice, the entries are all one size wherever the clients' names are (WS01..WS05, or
// addresses of one length), which makes every page's count exact.
var pagingSeeds = []SeedSession{
	{Client: 1, User: Alice}, {Client: 2, User: Alice}, {Client: 3, User: Alice},
	{Client: 4, User: Alice, OpenFiles: 1}, {Client: 5, User: Alice}, {Client: 6, User: Bob},
}

// guestSeed is a guest logon from its own client.
var guestSeed = SeedSession{Client: 4, User: GuestUser}

// invalidLevels are levels no server implements (spec rule 10).
var invalidLevels = []sessionapi.Level{3, 11, 501, 503, 0xFFFFFFFF}

// maxLen is MAX_PREFERRED_LENGTH, short for the many calls that use it.
const maxLen = sessionapi.MaxPreferredLength

// roleName spells a role for a subtest name: "domain-admin" becomes "DomainAdmin".
func roleName(r fake.Role) string {
	parts := strings.Split(r.String(), "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// swapCase turns upper case into lower and back, to test that names match regardless of case.
func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) {
			return unicode.ToLower(r)
		}
		return unicode.ToUpper(r)
	}, s)
}

// maxName is the longest name a server must accept: MaxNameLength UTF-16 units with the NUL
// (spec rule 5: 1,024).
func (e *env) maxName() int {
	if e.p.MaxNameLength > 0 {
		return e.p.MaxNameLength
	}
	return 1024
}

// longClient is a client name of n UTF-16 units with its `\\`.
func longClient(n int) string { return `\\` + strings.Repeat("C", n-2) }

// enumMaxCheck makes a call the model answers whole (MAX_PREFERRED_LENGTH, or a server that
// ignores prefmaxlen) and holds it to the model.
func (e *env) enumMaxCheck(r fake.Role, api sessionapi.SessionAPI, a enumArgs, resume *uint32) *enumCall {
	c := e.enum(r, api, a, resume, copyHandle(resume))
	e.checkEnum(c, e.m.enumMax(r, a.level, a.client, a.user, c.args.resume))
	return c
}

func enumSubtests() []subtest {
	var ts []subtest
	add := func(name string, run func(*env)) { ts = append(ts, subtest{name: name, run: run}) }

	// Every level, every field (spec rules 10-11, 38-48; S2, S4-S6).
	for _, l := range sessionapi.Levels() {
		add(fmt.Sprintf("Enum/Level%d/AllSessions", l), func(e *env) {
			r, api := e.enumCaller(l)
			e.seed(standardSeeds...)
			e.observe()
			e.enumMaxCheck(r, api, enumArgs{level: l, prefMaxLen: maxLen}, handle(0))
		})
	}
	for _, l := range []sessionapi.Level{sessionapi.Level1, sessionapi.Level2, sessionapi.Level502} {
		add(fmt.Sprintf("Enum/Flags/Guest/Level%d", l), func(e *env) {
			r, api := e.enumCaller(l)
			e.seed(append(slices.Clone(standardSeeds), guestSeed)...)
			e.observe()
			e.enumMaxCheck(r, api, enumArgs{level: l, prefMaxLen: maxLen}, nil)
		})
	}
	for _, l := range invalidLevels {
		add(fmt.Sprintf("Enum/InvalidLevel/%d", l), func(e *env) {
			r, api := e.enumCaller(l)
			e.seed(standardSeeds...)
			e.observe()
			e.enumMaxCheck(r, api, enumArgs{level: l, prefMaxLen: maxLen}, handle(0))
		})
	}
	add("Enum/NoSeeds", func(e *env) {
		l, r, api := e.lister()
		e.observe()
		e.enumMaxCheck(r, api, enumArgs{level: l, prefMaxLen: maxLen}, handle(0)) // spec rule 15
	})

	// Access per caller and level (spec rules 33-37, S1).
	for _, r := range fake.Roles() {
		for _, l := range sessionapi.Levels() {
			add(fmt.Sprintf("Enum/Access/%s/Level%d", roleName(r), l), func(e *env) {
				api := e.api(r)
				e.seed(standardSeeds...)
				e.observe()
				e.enumMaxCheck(r, api, enumArgs{level: l, prefMaxLen: maxLen}, handle(0))
			})
		}
	}

	// The order of the checks (profile.AccessFirst; spec §12 Q3, S1).
	for _, r := range []fake.Role{fake.User, fake.Anonymous} {
		add(fmt.Sprintf("Enum/CheckOrder/InvalidLevel/%s", roleName(r)), func(e *env) {
			api := e.api(r)
			e.observe()
			e.enumMaxCheck(r, api, enumArgs{level: 3, prefMaxLen: maxLen}, nil)
		})
	}
	add("Enum/CheckOrder/NoPrefix/User", func(e *env) {
		api := e.api(fake.User)
		obs := e.seed(standardSeeds...)
		e.observe()
		e.enumMaxCheck(fake.User, api, enumArgs{client: obs[seedC2Bob].ClientName, level: 1, prefMaxLen: maxLen}, nil)
	})
	add("Enum/CheckOrder/TooLong/User", func(e *env) {
		api := e.api(fake.User)
		e.observe()
		e.enumMaxCheck(fake.User, api, enumArgs{user: strings.Repeat("u", e.maxName()), level: 1, prefMaxLen: maxLen}, nil)
	})
	add("Enum/CheckOrder/InvalidLevelBeforeNoPrefix", func(e *env) {
		r, api := e.enumCaller(3)
		obs := e.seed(standardSeeds...)
		e.observe()
		e.enumMaxCheck(r, api, enumArgs{client: obs[seedC2Bob].ClientName, level: 3, prefMaxLen: maxLen}, nil)
	})

	// Qualifiers (spec rules 3-5, 12-14, §12 Q3 and Q6; S8).
	filter := func(name string, client, user func(e *env, obs []Observed) string) {
		add("Enum/Filter/"+name, func(e *env) {
			l, r, api := e.lister()
			obs := e.seed(standardSeeds...)
			e.observe()
			e.enumMaxCheck(r, api, enumArgs{client: client(e, obs), user: user(e, obs), level: l, prefMaxLen: maxLen}, handle(0))
		})
	}
	filter("Client/Match", clientOf(seedC2Bob), none)
	filter("Client/CaseInsensitive", func(_ *env, obs []Observed) string { return `\\` + swapCase(obs[seedC2Bob].ClientName) }, none)
	filter("Client/NoPrefix", func(_ *env, obs []Observed) string { return obs[seedC2Bob].ClientName }, none)
	filter("Client/PrefixOnly", fixed(`\\`), none)
	filter("Client/NoMatch", fixed(`\\NO-SUCH-CLIENT`), none)
	filter("Client/MaxLength", func(e *env, _ []Observed) string { return longClient(e.maxName() - 1) }, none)
	filter("Client/TooLong", func(e *env, _ []Observed) string { return longClient(e.maxName()) }, none)
	filter("User/Match", none, userOf(seedC1Alice))
	filter("User/CaseInsensitive", none, func(_ *env, obs []Observed) string { return swapCase(obs[seedC1Alice].UserName) })
	filter("User/NoMatch", none, fixed("no-such-user"))
	filter("User/MaxLength", none, func(e *env, _ []Observed) string { return strings.Repeat("u", e.maxName()-1) })
	filter("User/TooLong", none, func(e *env, _ []Observed) string { return strings.Repeat("u", e.maxName()) })
	filter("Both/Match", clientOf(seedC2Alice), userOf(seedC2Alice))
	filter("Both/NoMatch", clientOf(seedC1Alice), userOf(seedC2Bob))
	filter("Both/UnknownClient", fixed(`\\NO-SUCH-CLIENT`), userOf(seedC1Alice))
	filter("Both/UnknownUser", clientOf(seedC1Alice), fixed("no-such-user"))

	// prefmaxlen, ERROR_MORE_DATA and the resume handle (spec rules 17-32, §12 Q4-Q5; S9-S11).
	for _, l := range sessionapi.Levels() {
		add(fmt.Sprintf("Enum/Level%d/MoreData/PartialResult", l), func(e *env) { partialResult(e, l) })
		add(fmt.Sprintf("Enum/Level%d/MoreData/ResumeAdvances", l), func(e *env) { resumeAdvances(e, l) })
	}
	add("Enum/PrefMaxLen/TooSmall", func(e *env) { prefMaxLenCase(e, func([]int) uint32 { return 1 }, false) })
	add("Enum/PrefMaxLen/ExactFit", func(e *env) { prefMaxLenCase(e, func(s []int) uint32 { return uint32(sum(s)) }, false) })
	add("Enum/PrefMaxLen/OneByteShort", func(e *env) { prefMaxLenCase(e, func(s []int) uint32 { return uint32(sum(s) - 1) }, true) })

	resumeAt := func(name string, h func(n int) uint32) {
		add("Enum/Resume/"+name, func(e *env) {
			l, r, api := e.lister()
			e.seed(standardSeeds...)
			e.observe()
			e.enumMaxCheck(r, api, enumArgs{level: l, prefMaxLen: maxLen}, handle(h(len(e.m.all))))
		})
	}
	add("Enum/Resume/Null", func(e *env) {
		l, r, api := e.lister()
		e.seed(standardSeeds...)
		e.observe()
		e.enumMaxCheck(r, api, enumArgs{level: l, prefMaxLen: maxLen}, nil)
	})
	add("Enum/Resume/Null/MoreData", nullMoreData)
	add("Enum/Resume/AfterSuccess", resumeAfterSuccess)
	resumeAt("Middle", func(int) uint32 { return 1 })
	resumeAt("AtEnd", func(n int) uint32 { return uint32(n) })
	resumeAt("PastEnd", func(n int) uint32 { return uint32(n) + 100 })
	resumeAt("Max", func(int) uint32 { return 0xFFFFFFFF })

	// sessionapi.All sees every session exactly once when nothing changes (spec rules 24-29).
	for _, perPage := range []int{1, 3} {
		add(fmt.Sprintf("Enum/Paging/EachOnce/%dPerPage", perPage), func(e *env) { eachOnce(e, perPage) })
	}
	add("Enum/Paging/EachOnce/MaxPrefMaxLen", func(e *env) { eachOnce(e, 0) })
	return ts
}

func sum(s []int) int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

func entrySizes(entries []sessionapi.Info, a sessionapi.Arch) []int {
	out := make([]int, len(entries))
	for i, e := range entries {
		out[i] = sessionapi.EntrySize(e, a)
	}
	return out
}

// paging seeds the paging sessions and makes the baseline: the enumeration of alice's
// sessions at MAX_PREFERRED_LENGTH, held to the model. ok is false when the baseline's
// status is not NERR_Success (the model's status, such as ERROR_INVALID_LEVEL, was checked).
func paging(e *env, l sessionapi.Level) (r fake.Role, api sessionapi.SessionAPI, base *enumCall, ok bool) {
	r, api = e.enumCaller(l)
	base, ok = pagingWith(e, l, r, api)
	return r, api, base, ok
}

// pagingWith is paging with the caller given.
func pagingWith(e *env, l sessionapi.Level, r fake.Role, api sessionapi.SessionAPI) (base *enumCall, ok bool) {
	e.seed(pagingSeeds...)
	e.observe()
	base = e.enumMaxCheck(r, api, enumArgs{user: string(Alice), level: l, prefMaxLen: maxLen}, handle(0))
	return base, base.st == sessionapi.NERR_Success && len(base.res.Entries) > 0
}

// checkPageSize holds a page to the byte budget (spec rules 18-20): it fits, and on
// ERROR_MORE_DATA the entries left include one that would not have fitted (the server stops
// at the first entry that does not fit, whatever the order).
func (e *env) checkPageSize(c *enumCall, rest []int) {
	b := c.args.prefMaxLen
	if !e.p.HonorPrefMaxLen || b == maxLen {
		return
	}
	used := int64(sessionapi.ResultSize(c.res.Entries, e.p.Arch))
	if used > int64(b) && !(e.p.TooSmall == fake.TooSmallOneEntry && len(c.res.Entries) == 1) {
		e.errorf("%s: the entries take %d bytes (%v); want at most prefmaxlen=%d (spec rule 18)", c, used, e.p.Arch, b)
	}
	if c.st == sessionapi.ERROR_MORE_DATA && len(c.res.Entries) > 0 && len(rest) > 0 && used+int64(slices.Max(rest)) <= int64(b) {
		e.errorf("%s: the entries take %d bytes and every entry left takes at most %d; want as many as fit in prefmaxlen=%d (spec rule 18)",
			c, used, slices.Max(rest), b)
	}
}

// removeSizes takes the sizes of entries out of rest.
func removeSizes(rest []int, entries []sessionapi.Info, a sessionapi.Arch) []int {
	rest = slices.Clone(rest)
	for _, s := range entrySizes(entries, a) {
		if i := slices.Index(rest, s); i >= 0 {
			rest = slices.Delete(rest, i, i+1)
		}
	}
	return rest
}

func partialResult(e *env, l sessionapi.Level) {
	r, api, base, ok := paging(e, l)
	if !ok {
		return
	}
	sizes := entrySizes(base.res.Entries, e.p.Arch)
	big := slices.Max(sizes)
	b := uint32(2*big + big/2) // two entries of the largest size, and half of one
	c := e.enumPage(r, api, enumArgs{user: base.args.user, level: l, prefMaxLen: b}, handle(0), handle(0), sizes)
	matches, _ := e.m.enumMatch("", base.args.user)
	w := e.m.enumPage(sizes, b)
	w.among = matches
	if e.checkEnum(c, w) {
		e.checkPageSize(c, removeSizes(sizes, c.res.Entries, e.p.Arch))
	}
}

func resumeAdvances(e *env, l sessionapi.Level) {
	r, api, base, ok := paging(e, l)
	if !ok {
		return
	}
	sizes := entrySizes(base.res.Entries, e.p.Arch)
	rest := sizes
	b := uint32(2*slices.Max(rest) + slices.Max(rest)/2)
	restObs, _ := e.m.enumMatch("", base.args.user)
	a := enumArgs{user: base.args.user, level: l, prefMaxLen: b}
	var h, rh uint32
	for page := 1; ; page++ {
		if page > len(base.res.Entries)+1 {
			e.errorf("%s: still ERROR_MORE_DATA after %d pages for %d entries", a, page-1, len(base.res.Entries))
			return
		}
		w := e.m.enumPage(rest, b)
		w.among = restObs
		c := e.enumPage(r, api, a, &h, &rh, sizes)
		if !e.checkEnum(c, w) {
			return
		}
		rest = removeSizes(rest, c.res.Entries, e.p.Arch)
		e.checkPageSize(c, rest)
		var left []Observed
		for i, o := range restObs {
			if i >= len(c.matched) || !c.matched[i] {
				left = append(left, o)
			}
		}
		restObs = left
		if c.st != sessionapi.ERROR_MORE_DATA {
			break
		}
		if len(c.res.Entries) == 0 {
			e.errorf("%s: ERROR_MORE_DATA without entries though prefmaxlen holds the largest entry", c)
			return
		}
	}
	if len(restObs) > 0 {
		e.errorf("%s: paging to the end never returned %s", a, e.keysText(restObs, l))
	}
	// The handle the last page left: a client that made one call more with it must get
	// nothing more (spec rule 27, W6; S11), or, with a handle of 0, everything again.
	e.afterCompleteCheck(r, api, a, h)
}

// afterCompleteCheck makes the call a client would make with the handle h a complete answer
// left, and holds it to the model. The reference fake is asked with the handle its own
// complete pass leaves.
func (e *env) afterCompleteCheck(r fake.Role, api sessionapi.SessionAPI, a enumArgs, h uint32) {
	rh := e.refCompleteHandle(r, a)
	c := e.enum(r, api, a, &h, &rh)
	e.checkEnum(c, e.m.afterComplete(r, a.level, a.client, a.user, *c.args.resume))
}

// refCompleteHandle pages the reference fake through a from handle 0 to NERR_Success and
// returns the handle it leaves.
func (e *env) refCompleteHandle(r fake.Role, a enumArgs) uint32 {
	var h uint32
	for range len(e.m.all) + 2 {
		_, err := e.ref.As(r).NetSessionEnum(e.ctx, "", a.client, a.user, a.level, a.prefMaxLen, &h)
		if !errors.Is(err, sessionapi.ERROR_MORE_DATA) {
			return h
		}
	}
	e.fatalf("conformance: internal error: the reference fake still answers ERROR_MORE_DATA after %d pages for %s", len(e.m.all)+2, a)
	return 0
}

// resumeAfterSuccess: a complete answer from handle 0 leaves the handle the profile says (0
// under the old rule, Samba's total, or a Windows server's own non-zero value), and the call
// made with it gets NERR_Success and nothing (spec rules 24, 27; W6; S11).
func resumeAfterSuccess(e *env) {
	l, r, api := e.lister()
	e.seed(standardSeeds...)
	e.observe()
	a := enumArgs{level: l, prefMaxLen: maxLen}
	c := e.enumMaxCheck(r, api, a, handle(0))
	if c.st != sessionapi.NERR_Success {
		return
	}
	e.afterCompleteCheck(r, api, a, *c.out)
}

// prefMaxLenCase makes one call at the lister's level with the budget budget(sizes of every
// entry), unqualified, from handle 0. With allButOne the model's count is exact even with
// entries of several sizes: a budget one byte short of all of them holds all but the last.
func prefMaxLenCase(e *env, budget func(sizes []int) uint32, allButOne bool) {
	l, r, api := e.lister()
	e.seed(standardSeeds...)
	e.observe()
	base := e.enumMaxCheck(r, api, enumArgs{level: l, prefMaxLen: maxLen}, handle(0))
	if base.st != sessionapi.NERR_Success {
		return
	}
	sizes := entrySizes(base.res.Entries, e.p.Arch)
	b := budget(sizes)
	c := e.enum(r, api, enumArgs{level: l, prefMaxLen: b}, handle(0), handle(0))
	w := e.m.enumPage(sizes, b)
	if allButOne && w.status == sessionapi.ERROR_MORE_DATA {
		w.read = len(sizes) - 1
	}
	if e.checkEnum(c, w) {
		e.checkPageSize(c, removeSizes(sizes, c.res.Entries, e.p.Arch))
	}
}

// nullMoreData: with a NULL handle an enumeration cannot be continued (spec rule 30): asking
// twice gives the first page twice.
func nullMoreData(e *env) {
	l, r, api := e.lister()
	base, ok := pagingWith(e, l, r, api)
	if !ok {
		return
	}
	sizes := entrySizes(base.res.Entries, e.p.Arch)
	b := uint32(2 * slices.Max(sizes))
	var first *enumCall
	for range 2 {
		c := e.enumPage(r, api, enumArgs{user: base.args.user, level: l, prefMaxLen: b}, nil, nil, sizes)
		w := e.m.enumPage(sizes, b)
		w.handle = handleAny
		if !e.checkEnum(c, w) {
			return
		}
		e.checkPageSize(c, removeSizes(sizes, c.res.Entries, e.p.Arch))
		if first == nil {
			first = c
		} else if c.st != first.st || len(c.res.Entries) != len(first.res.Entries) || c.res.TotalEntries != first.res.TotalEntries {
			e.errorf("%s, then %s; want the same answer twice (spec rule 30)", first, c)
		}
	}
}

// eachOnce pages with sessionapi.All with a budget of perPage largest entries (0: the
// default, MAX_PREFERRED_LENGTH) and checks every session comes back exactly once.
func eachOnce(e *env, perPage int) {
	l, r, api := e.lister()
	e.seed(append(slices.Clone(standardSeeds), pagingSeeds...)...)
	e.observe()
	base := e.enumMaxCheck(r, api, enumArgs{level: l, prefMaxLen: maxLen}, nil)
	if base.st != sessionapi.NERR_Success || len(base.res.Entries) == 0 {
		return
	}
	req := sessionapi.EnumRequest{Level: l}
	if perPage > 0 {
		req.PrefMaxLen = uint32(perPage * slices.Max(entrySizes(base.res.Entries, e.p.Arch)))
	}
	shown := req.PrefMaxLen
	if shown == 0 {
		shown = maxLen
	}
	what := fmt.Sprintf("sessionapi.All(%s)", enumArgs{level: l, prefMaxLen: shown})
	got, err := sessionapi.Collect(e.ctx, api, req)
	if err != nil {
		e.errorf("%s after %d entries: %v", what, len(got), err)
		return
	}
	e.checkEntries(what, l, got, e.m.all, true)
	ref, err := sessionapi.Collect(e.ctx, e.ref.As(r), req)
	if err != nil {
		e.errorf("%s on the reference fake: %v", what, err)
		return
	}
	if d := countKeys(entryKeys(ref)).diff(countKeys(entryKeys(got))); d != "" {
		e.errorf("%s: %d entries; the reference fake (profile %q, the same %d sessions) gives %d: %s", what, len(got), e.p.Name, len(e.m.all), len(ref), d)
	}
}
