// Package scenarios describes session-server situations in small YAML files and makes them
// real on the fake: servers with their sessions, callers, a timeline of connects, disconnects
// and file activity on the fake clock, injected faults, and steps (calls made as a caller, each
// with expectations).
//
// One line in a test gives a ready fake server:
//
//	srv, sc, err := scenarios.Load("guest-sessions")      // a built-in
//	srv, sc, err := scenarios.LoadFile("testdata/my.yaml") // a file of one's own
//
// and sc.Run plays the timeline and the steps, returning the transcript (package transcript)
// and the unmet expectations. The format is documented with a complete example in README.md
// beside this file, and scenario.schema.json gives editors completion.
//
// Loading is strict: unknown keys, wrong types, unknown flag, status, role or profile names
// and impossible values (a negative count, idle longer than age, a client name with a
// backslash) are refused, every problem reported as "file:line:column: field: what was
// expected". A scenario that loads is one the fake can hold.
//
// A scenario may describe a fleet (servers:) instead of one server; [Fleet] routes each
// call by its servername, and a name no server answers to gets the first server's
// profile's UnknownServer status and is kept in [Fleet.Misses]. A server entry with count:
// generates a fleet — name templates, a mix of profiles, sessions drawn per server, and
// unreachable, refusing, slow, flapping and churning servers by share — from a seed
// (the built-in large-fleet: 10,000 servers, about a million sessions).
//
// Every file the loader accepts replays in bounded memory and time: totals, string lengths
// and the work the steps could do are checked when the file loads, before a session is
// generated (the limits are the Max* constants, and listed in README.md). Generated sessions
// are made only by [Spec.Start], straight into the servers. [Scenario.RunStream] hands out the
// calls as they happen instead of keeping them; [Scenario.AdvanceTo] plays the timeline from
// the caller's own code.
package scenarios
