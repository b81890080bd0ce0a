package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
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

// liveFlags declares the flags enum and record share.
func liveFlags(name, usageLine, about string, stdout io.Writer) (*LiveTarget, *cmdFlags) {
	fs := flags(name, usageLine, about, stdout)
	t := &LiveTarget{}
	fs.StringVar(&t.Server, "server", "", "the server, HOST or HOST:PORT (required)")
	fs.StringVar(&t.User, "user", "", "the account to log on with (required); the password comes from $SESSIONSIM_PASSWORD")
	fs.StringVar(&t.Domain, "domain", "", "the account's domain, if any")
	fs.StringVar(&t.Role, "role", "administrator", "the role --user has on the server (written into the transcript): "+roles())
	fs.StringVar(&t.API, "api", "srvsvc", "the client that makes the calls: srvsvc (MS-SRVS over SMB2, any system) or netapi\n"+
		"(netapi32.dll, Windows only; it connects \\\\HOST\\IPC$ as --user first, as net use does; port 445 only)")
	return t, fs
}

// checkAPI reports whether --api names a client this build has.
func (t *LiveTarget) checkAPI(name string, stderr io.Writer) bool {
	if _, ok := liveAPIs[t.API]; ok {
		return true
	}
	var names []string
	for _, a := range apiNames {
		if a.name == t.API {
			fmt.Fprintf(stderr, "sessionsim %s: --api %s: %s\n", name, t.API, a.missing)
			return false
		}
		names = append(names, a.name)
	}
	fmt.Fprintf(stderr, "sessionsim %s: --api: unknown client %q; want %s\n", name, t.API, strings.Join(names, " or "))
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
		fmt.Fprintf(stderr, "sessionsim %s: missing %s\nRun 'sessionsim %s --help' for usage.\n", name, strings.Join(missing, " and "), name)
		return false
	}
	if _, err := fake.ParseRole(t.Role); err != nil {
		fmt.Fprintf(stderr, "sessionsim %s: --role: %v\n", name, err)
		return false
	}
	if !t.checkAPI(name, stderr) {
		return false
	}
	t.Password, t.PasswordSet = os.LookupEnv("SESSIONSIM_PASSWORD")
	return true
}

func dial(ctx context.Context, name string, t *LiveTarget, stderr io.Writer) (sessionapi.SessionAPI, io.Closer, bool) {
	api, closer, err := dialLive(ctx, *t)
	if err != nil {
		fmt.Fprintf(stderr, "sessionsim %s: connect to %s as %s: %v\n", name, t.Server, t.User, err)
		return nil, nil, false
	}
	return api, closer, true
}

// serverName is the servername argument for calls to HOST[:PORT]: the host, `\\`-prefixed.
func serverName(server string) string {
	host := server
	if h, _, ok := strings.Cut(server, ":"); ok && !strings.Contains(h, "[") {
		host = h
	}
	return `\\` + strings.Trim(host, "[]")
}

func cmdEnum(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	t, fs := liveFlags("enum", "--server HOST[:PORT] --user NAME [--api srvsvc|netapi] [--level N] [-o table|json|yaml]",
		"Enumerates the sessions of a live server (NetSessionEnum, all pages) and prints them.\n"+
			"-o yaml and -o json print the calls as a transcript, the format of 'sessionsim replay -o yaml'.", stdout)
	level := fs.Uint("level", 10, "the information level: 0, 1, 2, 10 or 502")
	client := fs.String("client", "", `only sessions from this client (\\NAME)`)
	user := fs.String("filter-user", "", "only sessions of this user")
	prefMax := fs.String("prefmaxlen", "MAX_PREFERRED_LENGTH", "preferred maximum bytes per call")
	out := output("table")
	fs.Var(&out, "o", "output: table, yaml or json")
	pos, code, stop := parse(fs, args, stderr)
	if stop {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "sessionsim enum: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	pml, err := parsePrefMaxLen(*prefMax)
	if err != nil || *level > 0xFFFFFFFF || !t.check("enum", stderr) {
		if err != nil {
			fmt.Fprintf(stderr, "sessionsim enum: --prefmaxlen: %v\n", err)
		}
		return exitUsage
	}
	api, closer, ok := dial(ctx, "enum", t, stderr)
	if !ok {
		return exitUsage
	}
	defer closer.Close()
	start := now()
	tr := &transcript.Transcript{Source: transcript.SourceRecording, Servers: []transcript.Server{{Name: t.Server, Time: start.UTC().Truncate(time.Second)}},
		Callers: []transcript.Caller{{Name: t.User, Role: t.Role}}}
	rec := transcript.NewRecorder(tr, tr.Servers[0].Time, now)
	req := sessionapi.EnumRequest{ServerName: serverName(t.Server), UncClientName: *client, UserName: *user,
		Level: sessionapi.Level(*level), PrefMaxLen: pml}
	entries, err := sessionapi.Collect(ctx, rec.As(t.User, api), req)
	if out != "table" {
		if werr := writeTranscript(stdout, tr, out); werr != nil {
			fmt.Fprintf(stderr, "sessionsim enum: %v\n", werr)
			return exitUsage
		}
	} else {
		var es []transcript.Entry
		for _, e := range entries {
			es = append(es, transcript.EntryOf(e))
		}
		if len(es) > 0 {
			_ = transcript.WriteEntries(stdout, es)
		}
		fmt.Fprintf(stdout, "%d session(s) at level %d from %s in %d call(s)\n", len(es), *level, t.Server, len(tr.Calls))
	}
	if err != nil {
		fmt.Fprintf(stderr, "sessionsim enum: %v\n", err)
		return exitFailed
	}
	return exitOK
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
	t, fs := liveFlags("record", "--server HOST[:PORT] --user NAME [--api srvsvc|netapi] [--role ROLE] [--profile NAME] [--out FILE]",
		"Runs a fixed, read-only battery of calls against a live server (enumerations at every\n"+
			"level, paging with a small prefmaxlen, filters that match and that miss, invalid levels,\n"+
			"GetInfo) and writes the transcript in the golden format, with the sessions the server\n"+
			"reported first, so that a fake can be seeded from it and compared line by line\n"+
			"(scenarios.ReplayTranscript). It never deletes a session.", stdout)
	profile := fs.String("profile", "windows", "the fake profile the server should answer like: "+strings.Join(fake.ProfileNames(), ", "))
	outFile := fs.String("out", "", "write the transcript to this file instead of stdout")
	comment := fs.String("comment", "", "a note to keep in the transcript (server build, setup)")
	pos, code, stop := parse(fs, args, stderr)
	if stop {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "sessionsim record: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	if _, err := fake.ProfileByName(*profile); err != nil {
		fmt.Fprintf(stderr, "sessionsim record: --profile: %v\n", err)
		return exitUsage
	}
	if !t.check("record", stderr) {
		return exitUsage
	}
	api, closer, ok := dial(ctx, "record", t, stderr)
	if !ok {
		return exitUsage
	}
	defer closer.Close()
	tr, err := transcript.RecordBattery(ctx, api, transcript.BatteryConfig{Server: t.Server, ServerName: serverName(t.Server),
		Caller: t.User, Role: t.Role, Profile: *profile, Comment: *comment, Now: now})
	if err != nil {
		fmt.Fprintf(stderr, "sessionsim record: %v\n", err)
		return exitFailed
	}
	b, err := tr.YAML()
	if err != nil {
		fmt.Fprintf(stderr, "sessionsim record: %v\n", err)
		return exitFailed
	}
	if *outFile == "" {
		_, _ = stdout.Write(b)
		return exitOK
	}
	if err := os.WriteFile(*outFile, b, 0o644); err != nil {
		fmt.Fprintf(stderr, "sessionsim record: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stderr, "sessionsim record: %d calls written to %s\n", len(tr.Calls), *outFile)
	return exitOK
}

func roles() string {
	var names []string
	for _, r := range fake.Roles() {
		names = append(names, r.String())
	}
	return strings.Join(names, ", ")
}
