// Package golden holds the golden transcripts of the built-in scenarios (testdata/NAME.yaml)
// and the tests that replay every scenario and compare. The transcript format is package
// transcript's, the one live recordings use: recordings from a real server (samba-4.17/*.yaml,
// written by `sessionsim record`) seed a fake that must give the same answers, compared line
// by line with the clock readings left out (a live clock ticks between the calls).
// testdata/recording-like/ holds a hand-made recording-like file with exact times.
//
// After an intended change of behaviour, rewrite the files and review the diff:
//
//	go test ./golden -update
//
// Golden files are LF-only text (.gitattributes: `* text=auto eol=lf`); a checkout that turned
// them into CRLF would still compare equal, since [Check] ignores CR before LF.
package golden
