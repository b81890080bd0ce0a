// Command sessionsim replays session-API scenarios on the in-memory fake and prints what a
// program calling NetSessionEnum, NetSessionGetInfo and NetSessionDel would see.
//
//	sessionsim replay guest-sessions        # a built-in scenario, as a table
//	sessionsim replay -o yaml my.yaml       # a file, as a transcript (the golden format)
//	sessionsim scenarios                    # the built-ins
//	sessionsim validate my.yaml other.yaml  # check files
//
//	sessionsim enum --server HOST --user NAME           # the sessions of a live server
//	sessionsim enum --servers-file hosts.txt -o jsonl ... # a sweep of many servers
//	sessionsim sweep large-fleet                        # a sweep of a scenario's fleet, in-process
//
// # Exit status
//
//	0  success
//	1  an expectation was not met (replay; the diff is on stderr), a server refused a call
//	   (a status such as ERROR_ACCESS_DENIED (5), by name and number on stderr) or the
//	   logon, more entries than --max-entries, a sweep in which some server did not answer
//	   (unless none was reached: 3), or the output could not be written (stdout on a full
//	   disk, a closed pipe; said once on stderr)
//	2  bad usage: an unknown command or flag, a value out of range, a bad scenario file,
//	   an unknown built-in name
//	3  a server could not be reached or the transport failed: connection refused, a name
//	   that does not resolve, a connection the server closed, no answer before --timeout
//	   or a stage limit, a broken SMB2 or DCE/RPC exchange; a sweep in which no server
//	   answered and every one was such a case (so a sweep of one server exits as enum does)
//
// -o takes what each command can print: replay table, yaml or json; enum table, yaml, json
// or jsonl (jsonl is always the sweep format: one JSON object per server, then a summary,
// even for a single --server); sweep table or jsonl.
//
// Every command that dials (enum, record) takes --timeout (default 30s) for the whole run;
// besides, each stage of a connection has its own limit (srvsvc.DefaultStageTimeout, 15 s).
//
// Names and values from a server or a scenario file are shown with control characters
// escaped (`\x1b`, `\r`, `\u202e`) and cut at 256 bytes in tables, and messages are cut at
// 512 bytes a line; -o yaml, -o json and -o jsonl keep values exact.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := runContext(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1 // an expectation was not met, a call failed with a status, output not written
	exitUsage       = 2 // bad usage, a bad file, an unknown name
	exitUnreachable = 3 // a server not reached, a transport failure, a timeout
)

// command is one subcommand. run gets the arguments after the command's name.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order help shows them. The live ones (enum, record)
// are in live.go.
func commands() []command {
	return []command{
		{"replay", "run a scenario on the fake and print its transcript", cmdReplay},
		{"scenarios", "list the built-in scenarios, or print one's source", cmdScenarios},
		{"validate", "check scenario files", cmdValidate},
		{"enum", "enumerate the sessions of a live server (MS-SRVS over SMB2)", cmdEnum},
		{"sweep", "enumerate every server of a scenario's fleet concurrently, in-process", cmdSweep},
		{"record", "run a fixed battery of calls against a live server and write a transcript", cmdRecord},
		{"serve", "serve a scenario's fake servers over SMB2 (\\PIPE\\srvsvc) for any client", cmdServe},
	}
}

// run is the whole command, minus the process: tests call it with buffers.
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

// runContext runs the command line args. A failed write to stdout, whether the command
// noticed it or not, is reported on stderr and makes the exit status at least 1.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	out := &checkedWriter{w: stdout}
	code := dispatch(ctx, args, out, stderr)
	if err := out.Err(); err != nil {
		name := "sessionsim"
		if len(args) > 0 {
			name += " " + args[0]
		}
		errorf(stderr, "%s: writing the output: %v", name, err)
		if code == exitOK {
			code = exitFailed
		}
	}
	return code
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			return dispatch(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	errorf(stderr, "sessionsim: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "sessionsim replays NetSessionEnum/GetInfo/Del scenarios on an in-memory fake server.\n\n")
	fmt.Fprintf(w, "Usage:\n  sessionsim <command> [flags] [arguments]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'sessionsim <command> --help' for a command's flags.\n")
	fmt.Fprintf(w, "\nExit status: 0 ok; 1 an expectation not met, a call or logon refused with a status, a\n"+
		"sweep with servers that did not answer, or output that could not be written; 2 bad usage\n"+
		"or a bad scenario file; 3 a server not reached, a connection broken, a transport failure\n"+
		"or a timeout (--timeout), or a sweep in which no server answered and none was reached.\n")
}

// cmdFlags is a command's flag set with its help text.
type cmdFlags struct {
	*flag.FlagSet
	help func()
}

// flags makes a flag set that stays quiet on errors (parse reports them on stderr, once) and
// prints its help on stdout when asked.
func flags(name, usageLine, about string, stdout io.Writer) *cmdFlags {
	fs := flag.NewFlagSet("sessionsim "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	help := func() {
		fmt.Fprintf(stdout, "Usage: sessionsim %s %s\n\n%s\n", name, usageLine, about)
		var hasFlags bool
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(stdout, "\nFlags:")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
		}
	}
	return &cmdFlags{FlagSet: fs, help: help}
}

// parse parses flags given before, between or after the positional arguments. It returns the
// positional arguments, and an exit status when the command should stop (help, a bad flag).
func parse(fs *cmdFlags, args []string, stderr io.Writer) ([]string, int, bool) {
	var flagArgs, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flagArgs = append(flagArgs, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				continue
			}
			if i+1 < len(args) {
				i++
				flagArgs = append(flagArgs, args[i])
			}
		}
	}
	if err := fs.Parse(flagArgs); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.help()
			return nil, exitOK, true
		}
		errorf(stderr, "%s: %v\nRun '%s --help' for usage.", fs.Name(), err, fs.Name())
		return nil, exitUsage, true
	}
	return pos, 0, false
}

// output is an -o value: table, yaml, json or jsonl.
type output string

func (o output) String() string { return string(o) }

// outputFlag is one command's -o flag: it accepts only the formats that command can print,
// and its error lists exactly those (replay does not offer jsonl, sweep does not offer yaml).
type outputFlag struct {
	out     *output
	allowed []string
	// hints say where a format refused here is accepted instead.
	hints map[string]string
}

// outputVar declares -o on fs, defaulting to allowed[0].
func outputVar(fs *cmdFlags, usage string, hints map[string]string, allowed ...string) *output {
	out := output(allowed[0])
	fs.Var(&outputFlag{out: &out, allowed: allowed, hints: hints}, "o", usage)
	return &out
}

func (f *outputFlag) String() string {
	if f.out == nil {
		return ""
	}
	return string(*f.out)
}

func (f *outputFlag) Set(s string) error {
	if slices.Contains(f.allowed, s) {
		*f.out = output(s)
		return nil
	}
	msg := "want " + orList(f.allowed)
	if h, ok := f.hints[s]; ok {
		msg += " (" + h + ")"
	}
	return errors.New(msg)
}

// orList is "a", "a or b", "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
