// Package conformance is the differential suite that holds every sessionapi.SessionAPI
// implementation, the fake included, to the same behaviour.
//
// Run(t, newHarness) runs subtests named after behaviours (Enum/Level10/MoreData/ResumeAdvances)
// against a server made fresh for each by a [Harness]. A harness says which fake profile the
// server claims; each subtest checks the spec's rule for that profile, and compares the answer
// with the fake's answer for the same sessions and the same call. A subtest that needs what the
// harness cannot do (a role, a guest session) is skipped with the reason, never passed.
//
// # Running it
//
// A test for a real server makes a harness per subtest and hands the constructor to Run:
//
//	func TestSambaConformance(t *testing.T) {
//		srv := startSamba(t) // fails when CI=true and there is no server
//		sum := conformance.Run(t, func(ctx context.Context) (conformance.Harness, error) {
//			return newSambaHarness(ctx, srv) // Profile() returns fake.Samba()
//		})
//		t.Log(sum)
//	}
//
// [FakeHarness] is a complete harness over the fake, and the smallest example of one. Run
// returns a [Summary] of what ran, passed, failed and was skipped; [Subtests] lists the names.
// Subtests run one after another, because a real server is shared by the harnesses made on it.
//
// # Where the expectations come from
//
// Each subtest computes what the server must answer from two things only: the fields of the
// profile the harness claims (which levels exist, who may call, the order of the checks, how
// prefmaxlen, the resume handle and totalentries behave, what NetSessionDel does with no match
// or no names) and the sessions the harness observed with Sessions. That model (model.go) is
// the rules of BEHAVIOUR.md (§4-§8, Samba's §13, Windows' §14) written as code; it does not
// call the fake.
//
// The sessions include the callers' own: a real server lists the caller's connection (S7,
// and W1 on Windows), and so does a fake with Profile.ListCallerSession. A harness reports
// them from Sessions with Observed.Seeded false (FakeHarness does), and the suite expects them
// like any other session.
//
// Beside the rules, every call is made a second time on a reference fake with the same profile,
// seeded from the harness's observations, and the two answers must agree: the same status, the
// same number of entries, the same totalentries, and, when the answer is the whole enumeration,
// the same entries as a multiset of (sesi*_cname, sesi*_username). What is not compared, and
// why:
//   - Order. Sessions come in any order (S7), so entries are compared as multisets, and the
//     entries on one ERROR_MORE_DATA page are not compared at all (which sessions fill a page
//     depends on the order); paging subtests check that the pages together return every
//     session exactly once. When entries differ in size, the number on a page (and with it
//     the page's status and the pages after it) depends on the order too: such pages are not
//     compared with the reference, and only the model's bounds are checked (the page fits in
//     prefmaxlen; the entries left include one that would not have fitted). The paging
//     subtests qualify by one user whose sessions' entries are all one size where client
//     names are, so that pages compare exactly.
//   - Resume handle values. Each server issues its own; the suite checks the rules (non-zero
//     and advancing on ERROR_MORE_DATA; after NERR_Success non-zero on Windows, as real
//     captures show (W6), 0 where the profile has ZeroResumeAfterSuccess, S11's values on
//     Samba; and a call with the handle a complete answer left gets NERR_Success and nothing,
//     rule 27) and lets the harness and the reference each follow their own handle.
//   - Time fields. sesi*_time and sesi*_idle_time move with each server's clock and cannot
//     agree with a reference. The suite checks them against rules instead: idle_time is 0
//     where the profile says so (S5), otherwise no more than time plus one second of rounding
//     (a session is not idle longer than it exists); a time of 4294967295 is Samba's quirk for
//     a brand-new session (S5) and is let through.
//   - sesi2/502_cltype_name and sesi502_transport. Their contents are unspecified (spec §12
//     Q9); they count only towards entry sizes, through Observed.ClientType and Transport.
//
// # Reading failures
//
// A subtest collects every problem it finds and reports them together, one per line, each
// naming the call as the standard library would:
//
//	NetSessionEnum(user=`alice`, level=0, prefmaxlen=55, resume=2) = ERROR_MORE_DATA, read=2, total=6; want total=3
//
// # What the subtests cover
//
// [RulesOf] says which rules of BEHAVIOUR.md each subtest checks, and [Rules] is the fidelity
// table of the README (FidelityTable renders it; a test fails when the README is stale and
// says how to regenerate it: go test ./conformance -run TestFidelityTable -update).
//
// By spec rule: 3-5 (empty names, the `\\` rule, 1,024-unit names), 10-11 (levels), 12-16
// (qualifiers, misses; Q3 by profile.BothFiltersMiss), 17-23 (prefmaxlen packing, no partial
// entries, ERROR_MORE_DATA with entries, totalentries; Q5 by Arch and TooSmall), 24-32 (resume
// handle: 0 and NULL, advance, at and past the end, NULL cannot continue, the handle after
// success; Q4, W6), 33-37 (access per role and level), 38-48 (fields per level, num_opens,
// flags, times), 51-56 (NetSessionGetInfo), 57-63 (NetSessionDel), Samba's S1-S11 and
// S13-S17, and the callers' own sessions (W1, S7). Not covered: servername (rules 1-2:
// the suite cannot know a real server's other names), S12 (a wire-level fault the portable API
// cannot send), lists that change while a client pages (rule 29: a real server's list cannot
// be changed between two pages from the suite; package sessionapi/pager tests a collector
// against a churning fake), and the wire (W4, W5: golden/windows-wire).
package conformance
