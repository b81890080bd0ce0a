// Package conformance is the differential suite that holds every sessionapi.SessionAPI
// implementation, the fake included, to the same behaviour.
//
// Run(t, newHarness) runs subtests named after behaviours (Enum/Level10/MoreData/ResumeAdvances)
// against a server made fresh for each by a [Harness]. A harness says which fake profile the
// server claims; each subtest checks the spec's rule for that profile, and compares the answer
// with the fake's answer for the same sessions and the same call. A subtest that needs what the
// harness cannot do (a role, a guest session) is skipped with the reason, never passed.
package conformance
