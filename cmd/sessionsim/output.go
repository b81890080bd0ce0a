package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/sessionsim/sessionsim/transcript"
)

// maxMessageLine is the most bytes of one line of an error message the command prints: a
// longer line (a message quoting a 7 MB scalar, or a whole file) keeps its first
// messageHead and last messageTail bytes, so that both the position and the "want ..." end
// of the message stay.
const (
	maxMessageLine = 512
	messageHead    = 300
	messageTail    = 150
)

// safeLine escapes one line of a message for a terminal (transcript.Escape's rule, without
// its limit) and cuts it to maxMessageLine bytes.
func safeLine(s string) string {
	s = transcript.EscapeN(s, 0)
	if len(s) <= maxMessageLine {
		return s
	}
	head, tail := messageHead, len(s)-messageTail
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	for tail < len(s) && !utf8.RuneStart(s[tail]) {
		tail++
	}
	return fmt.Sprintf("%s…(%d bytes cut)…%s", s[:head], tail-head, s[tail:])
}

// safeText is safeLine for every line of a multi-line text (a diff, a list of problems).
func safeText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = safeLine(l)
	}
	return strings.Join(lines, "\n")
}

// errorf prints a message on w, every line through safeLine, with a final newline. Every
// message the command prints goes through it: it may quote names from a server or a file.
func errorf(w io.Writer, format string, args ...any) {
	msg := strings.TrimSuffix(fmt.Sprintf(format, args...), "\n")
	fmt.Fprintln(w, safeText(msg))
}

// checkedWriter remembers the first write error (stdout redirected to a full disk, a closed
// pipe), so that the command can report it and fail even where a write's error is not
// looked at, and stops writing after it.
type checkedWriter struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

func (c *checkedWriter) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// writeFailed is the exit status of a command whose output could not be written, and
// reports err unless it is stdout's own failure: runContext reports that one, once, for
// every command (so `sessionsim replay x >/dev/full` says it once, not twice). An error of
// the writer itself (an encoding failure) is reported here.
func writeFailed(name string, stdout, stderr io.Writer, err error) int {
	if cw, ok := stdout.(*checkedWriter); ok && cw.Err() != nil {
		return exitFailed
	}
	errorf(stderr, "sessionsim %s: writing the output: %v", name, err)
	return exitFailed
}
