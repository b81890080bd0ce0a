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
//
// # Writing
//
// [NewYAMLWriter], [NewJSONWriter] and [NewTableWriter] write a transcript as it is made
// (a [StreamWriter]: the header, then each call, then Close), so that a replay of millions of
// sessions is never held as text too; [Transcript.YAML], [Transcript.JSON] and
// [Transcript.WriteTable] are the same writers into a buffer, byte for byte. A write error
// is returned by the call that meets it and every call after.
//
// The table is for a terminal: every name and value in it goes through [Escape], which shows
// control characters (ESC, OSC and CSI introducers, CR, LF, C1 controls, bidi overrides, any
// rune unicode.IsPrint refuses, bytes that are not UTF-8) as Go escapes and cuts a value at
// [MaxShown] (256) bytes, so a name from a server cannot clear the screen, set a window title
// or forge a table line. YAML and JSON keep values exact.
//
// Golden files are stored with LF line endings (the repository's .gitattributes says
// `* text=auto eol=lf`); [Parse] accepts CRLF too.
package transcript
