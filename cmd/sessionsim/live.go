package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
	"github.com/sessionsim/sessionsim/sweep"
	"github.com/sessionsim/sessionsim/transcript"
)

// LiveTarget is the server and account the live commands (enum, record) connect with.
type LiveTarget struct {
	Server   string // HOST or HOST:PORT
	User     string
	Domain   string
	Password string // from $SESSIONSIM_PASSWORD or a prompt, never a flag (it would show in ps)
	// PasswordSet is true when $SESSIONSIM_PASSWORD was set (even to ""): the dialer asks for
	// a password only when it was not.
	PasswordSet bool
	// Role is the fake role the account has on the server, written into transcripts so that
	// a fake seeded from them calls as the same kind of caller.
	Role string
	// API is the client that makes the calls (--api): "srvsvc" or "netapi".
	API string
	// Timeout is --timeout: the dialer bounds each stage by it too (never more than the
	// stage default).
	Timeout time.Duration
}

// dialer connects to a live server with one client.
type dialer func(ctx context.Context, t LiveTarget) (sessionapi.SessionAPI, io.Closer, error)

// liveAPIs are the clients --api can pick, by name: live_srvsvc.go registers srvsvc (MS-SRVS
// over SMB2, every system), live_netapi_windows.go registers netapi (netapi32.dll, Windows).
var liveAPIs = map[string]dialer{}

// apiNames are the --api values, with why one may be missing from liveAPIs on this system.
var apiNames = []struct{ name, missing string }{
	{"srvsvc", "the MS-SRVS client is not built in"},
	{"netapi", "netapi32 exists only on Windows"},
}

// dialLive connects to a live server with the client t.API names. Tests set it to a fake;
// everything else about enum and record (flags, the battery, the output) is here.
var dialLive dialer = func(ctx context.Context, t LiveTarget) (sessionapi.SessionAPI, io.Closer, error) {
	d, ok := liveAPIs[t.API]
	if !ok {
		return nil, nil, fmt.Errorf("--api %s is not available", t.API)
	}
	return d(ctx, t)
}

// now is the clock the live commands stamp calls with; tests set it to a fake's clock.
var now = time.Now

// defaultTimeout is --timeout's default: the whole run of enum or record, or each server of
// a sweep.
const defaultTimeout = 30 * time.Second

// serverList is --server, which may be given more than once (a sweep).
type serverList []string

func (l *serverList) String() string { return strings.Join(*l, ",") }
func (l *serverList) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("empty server")
	}
	*l = append(*l, s)
	return nil
}

// liveFlags declares the flags enum and record share.
func liveFlags(name, usageLine, about string, stdout io.Writer) (*LiveTarget, *serverList, *time.Duration, *cmdFlags) {
	fs := flags(name, usageLine, about, stdout)
	t := &LiveTarget{}
	servers := &serverList{}
	if name == "enum" {
		fs.Var(servers, "server", "a server, HOST or HOST:PORT (required unless --servers-file); give it more than once to sweep several")
	} else {
		fs.StringVar(&t.Server, "server", "", "the server, HOST or HOST:PORT (required)")
	}
	fs.StringVar(&t.User, "user", "", "the account to log on with (required); the password comes from $SESSIONSIM_PASSWORD")
	fs.StringVar(&t.Domain, "domain", "", "the account's domain, if any")
	fs.StringVar(&t.Role, "role", "administrator", "the role --user has on the server (written into the transcript): "+roles())
	fs.StringVar(&t.API, "api", "srvsvc", "the client that makes the calls: srvsvc (MS-SRVS over SMB2, any system) or netapi\n"+
		"(netapi32.dll, Windows only; it connects \\\\HOST\\IPC$ as --user first, as net use does; port 445 only)")
	timeout := fs.Duration("timeout", defaultTimeout, "give up after this long (the whole run; in a sweep, each server); besides, each\n"+
		"stage of a connection (TCP connect, SMB2 negotiate, session setup, tree connect, pipe open,\n"+
		"bind, each call) has its own limit of "+srvsvc.DefaultStageTimeout.String()+" (srvsvc.DefaultStageTimeout)")
	return t, servers, timeout, fs
}

// checkAPI reports whether --api names a client this build has.
func (t *LiveTarget) checkAPI(name string, stderr io.Writer) bool {
	if _, ok := liveAPIs[t.API]; ok {
		return true
	}
	var names []string
	for _, a := range apiNames {
		if a.name == t.API {
			errorf(stderr, "sessionsim %s: --api %s: %s", name, t.API, a.missing)
			return false
		}
		names = append(names, a.name)
	}
	errorf(stderr, "sessionsim %s: --api: unknown client %q; want %s", name, t.API, strings.Join(names, " or "))
	return false
}

func (t *LiveTarget) check(name string, stderr io.Writer) bool {
	var missing []string
	if t.Server == "" {
		missing = append(missing, "--server")
	}
	if t.User == "" {
		missing = append(missing, "--user")
	}
	if len(missing) > 0 {
		errorf(stderr, "sessionsim %s: missing %s\nRun 'sessionsim %s --help' for usage.", name, strings.Join(missing, " and "), name)
		return false
	}
	if _, err := fake.ParseRole(t.Role); err != nil {
		errorf(stderr, "sessionsim %s: --role: %v", name, err)
		return false
	}
	if !t.checkAPI(name, stderr) {
		return false
	}
	t.Password, t.PasswordSet = os.LookupEnv("SESSIONSIM_PASSWORD")
	return true
}

// checkTimeout refuses a --timeout that is not positive.
func checkTimeout(name string, d time.Duration, stderr io.Writer) bool {
	if d <= 0 {
		errorf(stderr, "sessionsim %s: --timeout %v: want a positive duration such as 30s or 2m", name, d)
		return false
	}
	return true
}

// dial connects; on failure it prints why and returns the exit status.
func dial(ctx context.Context, name string, t *LiveTarget, stderr io.Writer) (sessionapi.SessionAPI, io.Closer, int) {
	api, closer, err := dialLive(ctx, *t)
	if err != nil {
		errorf(stderr, "sessionsim %s: connect to %s as %s: %v", name, t.Server, t.User, explain(err))
		switch {
		case errors.Is(err, errNoPassword):
			return nil, nil, exitUsage
		case errors.Is(err, srvsvc.ErrLogonFailure):
			return nil, nil, exitFailed // the server was reached and refused the account
		}
		return nil, nil, exitUnreachable
	}
	return api, closer, exitOK
}

// explain adds to a deadline error what the user can change.
func explain(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w (see --timeout)", err)
	}
	return err
}

// callStatus is the exit status for a call that failed with err: 1 when the server answered
// with a status (or the collection bound was hit), 3 for a transport failure or a timeout.
func callStatus(err error) int {
	if _, ok := sessionapi.StatusOf(err); ok || errors.Is(err, sessionapi.ErrTooManyEntries) || errors.Is(err, sessionapi.ErrNoProgress) {
		return exitFailed
	}
	return exitUnreachable
}

// serverName is the servername argument for calls to HOST[:PORT]: the host, `\\`-prefixed.
func serverName(server string) string {
	host := server
	if h, _, ok := strings.Cut(server, ":"); ok && !strings.Contains(h, "[") {
		host = h
	}
	return `\\` + strings.Trim(host, "[]")
}

// readServersFile reads one server a line; blank lines and # comments are skipped.
func readServersFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(io.LimitReader(f, maxServersFile+1))
	sc.Buffer(make([]byte, 0, 4096), maxServerLine)
	line := 0
	read := 0
	for sc.Scan() {
		line++
		read += len(sc.Bytes()) + 1
		if read > maxServersFile {
			return nil, fmt.Errorf("%s: larger than %d bytes", path, maxServersFile)
		}
		s := sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.ContainsAny(s, " \t") {
			return nil, fmt.Errorf("%s:%d: %q: want one HOST or HOST:PORT a line", path, line, s)
		}
		if _, _, err := srvsvc.SplitServer(s); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", path, line+1, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no servers in it", path)
	}
	return out, nil
}

// Limits of --servers-file.
const (
	maxServersFile = 64 << 20 // bytes
	maxServerLine  = 1024     // bytes in one line
)

// maxLevel is the largest --level (a DWORD).
const maxLevel = 0xFFFFFFFF

func cmdEnum(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	t, servers, timeout, fs := liveFlags("enum", "--server HOST[:PORT]... | --servers-file FILE  --user NAME [--api srvsvc|netapi] [--level N] [-o table|json|yaml|jsonl]",
		"Enumerates the sessions of a live server (NetSessionEnum, all pages) and prints them as each\n"+
			"page arrives, then, when every call succeeded, a line 'N session(s) at level L from SERVER\n"+
			"in C call(s)' (N is the rows printed). A call that fails prints no such line: the status\n"+
			"goes to stderr by name and number (ERROR_ACCESS_DENIED (5)), after the rows of the pages\n"+
			"before it. -o yaml and -o json print the calls as a transcript, the format of\n"+
			"'sessionsim replay -o yaml', each call as the server answered it. At most --max-entries\n"+
			"entries are read (default sessionapi.DefaultMaxEntries, 1,000,000; -1: no bound): the\n"+
			"table prints at most that many rows, and a server that sends more ends with an error\n"+
			"(exit status 1) after them.\n\n"+
			"With several --server flags, --servers-file, or -o jsonl (even for one server), it\n"+
			"sweeps: the servers are enumerated --concurrency at a time, each within --timeout, and\n"+
			"it prints one line per server as it finishes (-o table, or -o jsonl: a JSON object per\n"+
			"line with the server, outcome, session count and error; no entries), then a summary\n"+
			"line (answered, refused, unreachable, timed out, errors; sessions found). A progress bar\n"+
			"goes to stderr when it is a terminal. A sweep exits 0 when every server answered, 3 when\n"+
			"none did and each was unreachable, timed out or broke the exchange (so a sweep of one\n"+
			"server exits as enumerating it alone does), and 1 otherwise.\n\n"+
			"Exit status: 0 ok; 1 the server refused the call (a status such as ERROR_ACCESS_DENIED)\n"+
			"or the logon, more entries than --max-entries, or output not written; 2 usage; 3 the\n"+
			"server was not reached, the connection broke, the exchange was not SMB2 or DCE/RPC as\n"+
			"specified, or --timeout ran out.", stdout)
	level := fs.Uint64("level", 10, "the information level: 0, 1, 2, 10 or 502 (any DWORD is sent as given)")
	client := fs.String("client", "", `only sessions from this client (\\NAME)`)
	user := fs.String("filter-user", "", "only sessions of this user")
	prefMax := fs.String("prefmaxlen", "MAX_PREFERRED_LENGTH", "preferred maximum bytes per call")
	maxEntries := fs.Int("max-entries", sessionapi.DefaultMaxEntries, "read at most this many entries from a server (-1: no bound)")
	serversFile := fs.String("servers-file", "", "sweep the servers listed in FILE, one HOST or HOST:PORT a line (# comments)")
	concurrency := fs.Int("concurrency", sweep.DefaultConcurrency, fmt.Sprintf("in a sweep, servers enumerated at once (1 to %d)", sweep.MaxConcurrency))
	outp := outputVar(fs, "output `FORMAT`: table, yaml or json (one server); table or jsonl (a sweep; -o jsonl always sweeps)",
		nil, "table", "yaml", "json", "jsonl")
	pos, code, stop := parse(fs, args, stderr)
	if stop {
		return code
	}
	out := *outp
	if len(pos) > 0 {
		errorf(stderr, "sessionsim enum: unexpected argument %q", pos[0])
		return exitUsage
	}
	if *level > maxLevel {
		errorf(stderr, "sessionsim enum: --level %d: out of range; the level is a DWORD, 0 to %d (0, 1, 2, 10 and 502 are the levels servers know)", *level, uint64(maxLevel))
		return exitUsage
	}
	pml, err := parsePrefMaxLen(*prefMax)
	if err != nil {
		errorf(stderr, "sessionsim enum: --prefmaxlen: %v", err)
		return exitUsage
	}
	if *maxEntries == 0 || *maxEntries < -1 {
		errorf(stderr, "sessionsim enum: --max-entries %d: want a positive count, or -1 for no bound", *maxEntries)
		return exitUsage
	}
	if !checkTimeout("enum", *timeout, stderr) {
		return exitUsage
	}
	hosts := []string(*servers)
	if *serversFile != "" {
		more, err := readServersFile(*serversFile)
		if err != nil {
			errorf(stderr, "sessionsim enum: --servers-file: %v", err)
			return exitUsage
		}
		hosts = append(hosts, more...)
	}
	if len(hosts) > 0 {
		t.Server = hosts[0]
	}
	if !t.check("enum", stderr) {
		return exitUsage
	}
	req := sessionapi.EnumRequest{UncClientName: *client, UserName: *user,
		Level: sessionapi.Level(*level), PrefMaxLen: pml, MaxEntries: *maxEntries}
	if len(hosts) > 1 || *serversFile != "" || out == "jsonl" {
		if out != "table" && out != "jsonl" {
			errorf(stderr, "sessionsim enum: -o %s is for one server; a sweep prints table or jsonl", out)
			return exitUsage
		}
		if *concurrency < 1 || *concurrency > sweep.MaxConcurrency {
			errorf(stderr, "sessionsim enum: --concurrency %d: want 1 to %d", *concurrency, sweep.MaxConcurrency)
			return exitUsage
		}
		return sweepHosts(ctx, t, hosts, req, sweep.Config{Concurrency: *concurrency, Timeout: *timeout, Request: req}, out, stdout, stderr)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	t.Timeout = *timeout
	return enumOne(ctx, t, req, out, stdout, stderr)
}

// enumOne enumerates one server, printing each page as it arrives.
func enumOne(ctx context.Context, t *LiveTarget, req sessionapi.EnumRequest, out output, stdout, stderr io.Writer) int {
	api, closer, code := dial(ctx, "enum", t, stderr)
	if code != exitOK {
		return code
	}
	defer closer.Close()
	start := now()
	tr := &transcript.Transcript{Source: transcript.SourceRecording, Servers: []transcript.Server{{Name: t.Server, Time: start.UTC().Truncate(time.Second)}},
		Callers: []transcript.Caller{{Name: t.User, Role: t.Role}}}
	rec := transcript.NewRecorder(tr, tr.Servers[0].Time, now)
	var sw transcript.StreamWriter
	var table *transcript.EntryTable
	if out == "table" {
		table = transcript.NewEntryTable(stdout)
	} else {
		sw = streamWriter(stdout, out)
		if err := sw.WriteHeader(tr); err != nil {
			return writeFailed("enum", stdout, stderr, err)
		}
	}
	// The table prints at most the entries All yields: a page past --max-entries is cut there,
	// so that the rows and the count agree. A transcript keeps each call as it was answered.
	rowsLeft := req.MaxEntries
	if rowsLeft == 0 {
		rowsLeft = sessionapi.DefaultMaxEntries
	}
	calls := 0
	var werr error
	// Each page is written as soon as its call returns: the recorder appends the call, and
	// it leaves the transcript again at once, so memory holds one page.
	flush := func() {
		for i := range tr.Calls {
			c := &tr.Calls[i]
			calls++
			if werr != nil {
				continue
			}
			if table != nil {
				rows := c.Entries
				if rowsLeft >= 0 {
					rows = rows[:min(len(rows), rowsLeft)]
					rowsLeft -= len(rows)
				}
				werr = table.Write(rows)
			} else {
				werr = sw.WriteCall(c)
			}
		}
		tr.Calls = tr.Calls[:0]
	}
	req.ServerName = serverName(t.Server)
	var err error
	n := 0
	for _, e := range sessionapi.All(ctx, &afterCall{SessionAPI: rec.As(t.User, api), after: flush}, req) {
		if e != nil {
			err = e
			break
		}
		n++
	}
	flush()
	if werr == nil {
		switch {
		case sw != nil:
			werr = sw.Close()
		case err == nil:
			// Only a complete enumeration gets the summary: after a failed call, a count on
			// stdout would read as the server's answer.
			_, werr = fmt.Fprintf(stdout, "%d session(s) at level %d from %s in %d call(s)\n", table.Rows(), req.Level, transcript.Escape(t.Server), calls)
		}
	}
	if werr != nil {
		return writeFailed("enum", stdout, stderr, werr)
	}
	if err != nil {
		errorf(stderr, "sessionsim enum: %s: %v (after %d session(s) in %d call(s))", t.Server, explain(err), n, calls)
		return callStatus(err)
	}
	return exitOK
}

// afterCall runs after once each NetSessionEnum returns, before its entries are used.
type afterCall struct {
	sessionapi.SessionAPI
	after func()
}

func (a *afterCall) NetSessionEnum(ctx context.Context, serverName, uncClientName, userName string, level sessionapi.Level,
	prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	res, err := a.SessionAPI.NetSessionEnum(ctx, serverName, uncClientName, userName, level, prefMaxLen, resume)
	a.after()
	return res, err
}

func parsePrefMaxLen(s string) (uint32, error) {
	if s == "MAX_PREFERRED_LENGTH" || s == "max" {
		return sessionapi.MaxPreferredLength, nil
	}
	n, err := strconv.ParseUint(s, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("%q: want a byte count or MAX_PREFERRED_LENGTH", s)
	}
	return uint32(n), nil
}

func cmdRecord(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	t, _, timeout, fs := liveFlags("record", "--server HOST[:PORT] --user NAME [--api srvsvc|netapi] [--role ROLE] [--profile NAME] [--out FILE]",
		"Runs a fixed, read-only battery of calls against a live server (enumerations at every\n"+
			"level, paging with a small prefmaxlen, filters that match and that miss, invalid levels,\n"+
			"GetInfo) and writes the transcript in the golden format, with the sessions the server\n"+
			"reported first, so that a fake can be seeded from it and compared line by line\n"+
			"(scenarios.ReplayTranscript). It never deletes a session.\n\n"+
			"Exit status: 0 ok; 1 a call failed or the output was not written; 2 usage; 3 the server\n"+
			"was not reached, the transport failed, or --timeout ran out.", stdout)
	profile := fs.String("profile", "windows", "the fake profile the server should answer like: "+strings.Join(fake.ProfileNames(), ", "))
	outFile := fs.String("out", "", "write the transcript to this file instead of stdout")
	comment := fs.String("comment", "", "a note to keep in the transcript (server build, setup)")
	pos, code, stop := parse(fs, args, stderr)
	if stop {
		return code
	}
	if len(pos) > 0 {
		errorf(stderr, "sessionsim record: unexpected argument %q", pos[0])
		return exitUsage
	}
	if _, err := fake.ProfileByName(*profile); err != nil {
		errorf(stderr, "sessionsim record: --profile: %v", err)
		return exitUsage
	}
	if !checkTimeout("record", *timeout, stderr) || !t.check("record", stderr) {
		return exitUsage
	}
	t.Timeout = *timeout
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	api, closer, code := dial(ctx, "record", t, stderr)
	if code != exitOK {
		return code
	}
	defer closer.Close()
	tr, err := transcript.RecordBattery(ctx, api, transcript.BatteryConfig{Server: t.Server, ServerName: serverName(t.Server),
		Caller: t.User, Role: t.Role, Profile: *profile, Comment: *comment, Now: now})
	if err != nil {
		errorf(stderr, "sessionsim record: %v", explain(err))
		return callStatus(err)
	}
	b, err := tr.YAML()
	if err != nil {
		errorf(stderr, "sessionsim record: %v", err)
		return exitFailed
	}
	if *outFile == "" {
		if _, err := stdout.Write(b); err != nil {
			return exitFailed // reported by runContext
		}
		return exitOK
	}
	if err := os.WriteFile(*outFile, b, 0o644); err != nil {
		errorf(stderr, "sessionsim record: %v", err)
		return exitFailed
	}
	errorf(stderr, "sessionsim record: %d calls written to %s", len(tr.Calls), *outFile)
	return exitOK
}

func roles() string {
	var names []string
	for _, r := range fake.Roles() {
		names = append(names, r.String())
	}
	return strings.Join(names, ", ")
}
