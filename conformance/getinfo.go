package conformance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// getInfoLevels are the levels NetSessionGetInfo takes (spec rule 51).
var getInfoLevels = []sessionapi.Level{sessionapi.Level0, sessionapi.Level1, sessionapi.Level2, sessionapi.Level10}

// getInfoLister returns a level NetSessionGetInfo takes and the server implements (user
// names and flags first), and a caller that may use it.
func (e *env) getInfoLister() (sessionapi.Level, fake.Role, sessionapi.SessionAPI) {
	for _, l := range []sessionapi.Level{sessionapi.Level1, sessionapi.Level10, sessionapi.Level2, sessionapi.Level0} {
		if !e.m.implements(l) {
			continue
		}
		for _, r := range fake.Roles() {
			if !e.m.mayGetInfo(r, l) {
				continue
			}
			if api, err := e.tryAPI(r); err == nil {
				return l, r, api
			}
		}
	}
	e.skipf("the harness can act as no role that may call NetSessionGetInfo at a level profile %q implements", e.p.Name)
	return 0, 0, nil
}

func getInfoSubtests() []subtest {
	var ts []subtest
	add := func(name string, run func(*env)) { ts = append(ts, subtest{name: name, run: run}) }
	check := func(e *env, r fake.Role, api sessionapi.SessionAPI, client, user string, l sessionapi.Level) {
		e.checkGetInfo(e.getInfo(r, api, client, user, l), e.m.getInfo(r, l, client, user))
	}

	// Levels (spec rules 51, 54, 56).
	for _, l := range append(slices.Clone(getInfoLevels), sessionapi.Level502, 3, 11) {
		name := fmt.Sprintf("GetInfo/Level%d", l)
		if !l.ValidForEnum() {
			name = fmt.Sprintf("GetInfo/InvalidLevel/%d", l)
		}
		add(name, func(e *env) {
			r, api := e.enumCaller(l)
			obs := e.seed(standardSeeds...)
			e.observe()
			o := obs[seedC2Bob]
			check(e, r, api, `\\`+o.ClientName, o.UserName, l)
		})
	}

	// Names: both required (rule 52), then the enumeration's rules (rules 4-5, 13-14, 56; S8).
	names := func(name string, client, user func(e *env, obs []Observed) string) {
		add("GetInfo/"+name, func(e *env) {
			l, r, api := e.getInfoLister()
			obs := e.seed(standardSeeds...)
			e.observe()
			check(e, r, api, client(e, obs), user(e, obs), l)
		})
	}
	names("MissingClient", none, userOf(seedC2Bob))
	names("MissingUser", clientOf(seedC2Bob), none)
	names("MissingBoth", none, none)
	names("NoMatch/Client", fixed(`\\NO-SUCH-CLIENT`), userOf(seedC2Bob))
	names("NoMatch/User", clientOf(seedC2Bob), fixed("no-such-user"))
	names("NoMatch/Pair", clientOf(seedC1Alice), userOf(seedC2Bob))
	names("NoPrefix", func(_ *env, obs []Observed) string { return obs[seedC2Bob].ClientName }, userOf(seedC2Bob))
	names("CaseInsensitive", func(_ *env, obs []Observed) string { return `\\` + swapCase(obs[seedC2Bob].ClientName) },
		func(_ *env, obs []Observed) string { return swapCase(obs[seedC2Bob].UserName) })
	names("TooLong/Client", func(e *env, _ []Observed) string { return longClient(e.maxName()) }, userOf(seedC2Bob))
	names("TooLong/User", clientOf(seedC2Bob), func(e *env, _ []Observed) string { return strings.Repeat("u", e.maxName()) })

	// Two sessions of one client and user: one entry, the first (rules 54, 56).
	add("GetInfo/FirstEntry", func(e *env) {
		l, r, api := e.getInfoLister()
		obs := e.seed(SeedSession{Client: 1, User: Alice, OpenFiles: 1}, SeedSession{Client: 1, User: Alice, OpenFiles: 3},
			SeedSession{Client: 2, User: Bob})
		e.observe()
		check(e, r, api, `\\`+obs[0].ClientName, obs[0].UserName, l)
	})
	add("GetInfo/Guest", func(e *env) {
		l, r, api := e.getInfoLister()
		obs := e.seed(guestSeed, standardSeeds[seedC2Bob])
		e.observe()
		check(e, r, api, `\\`+obs[0].ClientName, obs[0].UserName, l)
	})
	// No session at all: a miss where names are honoured; where they are ignored (S8) the
	// server's own connections answer, or nothing does (sessionapi.ErrNoEntry).
	add("GetInfo/NoSessions", func(e *env) {
		l, r, api := e.getInfoLister()
		e.observe()
		check(e, r, api, `\\`+FakeClientName(1), string(Alice), l)
	})

	// Access per caller and level (spec rules 55-56).
	for _, r := range fake.Roles() {
		for _, l := range getInfoLevels {
			add(fmt.Sprintf("GetInfo/Access/%s/Level%d", roleName(r), l), func(e *env) {
				api := e.api(r)
				obs := e.seed(standardSeeds...)
				e.observe()
				o := obs[seedC2Alice]
				check(e, r, api, `\\`+o.ClientName, o.UserName, l)
			})
		}
	}
	// The level and the names are the client's checks, made before the server's access
	// check (spec rules 51-52, 75), whatever the profile's order.
	add("GetInfo/CheckOrder/Level502/Anonymous", func(e *env) {
		api := e.api(fake.Anonymous)
		obs := e.seed(standardSeeds...)
		e.observe()
		check(e, fake.Anonymous, api, `\\`+obs[seedC2Bob].ClientName, obs[seedC2Bob].UserName, sessionapi.Level502)
	})
	add("GetInfo/CheckOrder/MissingUser/Anonymous", func(e *env) {
		api := e.api(fake.Anonymous)
		obs := e.seed(standardSeeds...)
		e.observe()
		check(e, fake.Anonymous, api, `\\`+obs[seedC2Bob].ClientName, "", sessionapi.Level10)
	})
	return ts
}
