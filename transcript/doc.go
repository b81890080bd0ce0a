// Package transcript is the record of a conversation with a session server: which calls were
// made, as whom, with which arguments, and what came back (status by name, entries with the
// fields their level carries, totalentries, the resume handle in and out).
//
// One format serves two purposes. A replay of a scenario on the fake writes it (package
// scenarios), and so does a recording of the same calls against a live server (sessionsim
// record), so the two can be compared line by line with [Diff]. The golden files under
// golden/testdata are transcripts.
//
// A transcript can also carry the sessions the server held when it started (Server.Sessions):
// that is what lets a fake be seeded from a recording and asked the same questions
// (scenarios.ReplayTranscript).
//
// [Recorder] wraps any sessionapi.SessionAPI, so the writer does not care whether the answers
// come from the fake, netapi32 or MS-SRVS over SMB2. The text form is YAML with one call per
// item and one entry per line; it is deterministic for a deterministic server (the fake's clock).
// Golden files are stored with LF line endings (the repository's .gitattributes says
// `* text=auto eol=lf`); [Parse] accepts CRLF too.
package transcript
