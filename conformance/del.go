package conformance

import (
	"fmt"
	"strings"

	"github.com/sessionsim/sessionsim/fake"
)

func delSubtests() []subtest {
	var ts []subtest
	add := func(name string, run func(*env)) { ts = append(ts, subtest{name: name, run: run}) }

	// What is deleted (spec rules 57-61; S14-S17), as a caller who may delete.
	del := func(name string, seeds []SeedSession, client, user func(e *env, obs []Observed) string) {
		add("Del/"+name, func(e *env) {
			r, api := e.delCaller()
			lc := e.listCaller()
			obs := e.seed(seeds...)
			e.observe()
			e.checkDel(r, api, client(e, obs), user(e, obs), lc)
		})
	}
	del("ByClient", standardSeeds, clientOf(seedC2Bob), none)
	del("ByUser", standardSeeds, none, userOf(seedC1Alice))
	del("ByBoth", standardSeeds, clientOf(seedC2Alice), userOf(seedC2Alice))
	del("Neither", standardSeeds, none, none)
	del("NoMatch/Client", standardSeeds, fixed(`\\NO-SUCH-CLIENT`), none)
	del("NoMatch/User", standardSeeds, none, fixed("no-such-user"))
	del("NoMatch/Both", standardSeeds, clientOf(seedC1Alice), userOf(seedC2Bob))
	del("NoPrefix", standardSeeds, func(_ *env, obs []Observed) string { return obs[seedC2Bob].ClientName }, none)
	del("PrefixOnlyWithUser", standardSeeds, fixed(`\\`), userOf(seedC1Alice))
	del("CaseInsensitive", standardSeeds, func(_ *env, obs []Observed) string { return `\\` + swapCase(obs[seedC2Bob].ClientName) },
		func(_ *env, obs []Observed) string { return swapCase(obs[seedC2Bob].UserName) })
	del("TooLong/Client", standardSeeds, func(e *env, _ []Observed) string { return longClient(e.maxName()) }, none)
	del("TooLong/User", standardSeeds, none, func(e *env, _ []Observed) string { return strings.Repeat("u", e.maxName()) })
	del("MaxLength/User", standardSeeds, none, func(e *env, _ []Observed) string { return strings.Repeat("u", e.maxName()-1) })
	del("Guest", append([]SeedSession{guestSeed}, standardSeeds...), clientOf(0), none)
	del("EveryMatch", []SeedSession{{Client: 1, User: Alice}, {Client: 1, User: Alice, OpenFiles: 1}, {Client: 1, User: Bob}, {Client: 2, User: Alice}},
		clientOf(0), userOf(0))
	add("Del/Twice", func(e *env) {
		r, api := e.delCaller()
		lc := e.listCaller()
		obs := e.seed(standardSeeds...)
		e.observe()
		client := `\\` + obs[seedC2Bob].ClientName
		e.checkDel(r, api, client, "", lc)
		e.checkDel(r, api, client, "", lc) // gone: nothing left to match (S17)
	})

	// Access per caller (spec rule 63; S13).
	for _, r := range fake.Roles() {
		add(fmt.Sprintf("Del/Access/%s", roleName(r)), func(e *env) {
			api := e.api(r)
			lc := e.listCaller()
			obs := e.seed(standardSeeds...)
			e.observe()
			e.checkDel(r, api, `\\`+obs[seedC2Bob].ClientName, "", lc)
		})
	}
	// The order of the checks: the names before access where the profile says so, matching
	// always after access (S1, S14).
	add("Del/CheckOrder/NoPrefix/User", func(e *env) {
		api := e.api(fake.User)
		lc := e.listCaller()
		obs := e.seed(standardSeeds...)
		e.observe()
		e.checkDel(fake.User, api, obs[seedC2Bob].ClientName, "", lc)
	})
	add("Del/CheckOrder/NoMatch/User", func(e *env) {
		api := e.api(fake.User)
		lc := e.listCaller()
		e.seed(standardSeeds...)
		e.observe()
		e.checkDel(fake.User, api, `\\NO-SUCH-CLIENT`, "", lc)
	})
	return ts
}
