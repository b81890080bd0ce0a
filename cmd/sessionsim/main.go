// Command sessionsim replays session-API scenarios on the in-memory fake and prints what a
// program calling NetSessionEnum, NetSessionGetInfo and NetSessionDel would see.
//
//	sessionsim replay guest-sessions        # a built-in scenario, as a table
//	sessionsim replay -o yaml my.yaml       # a file, as a transcript (the golden format)
//	sessionsim scenarios                    # the built-ins
//	sessionsim validate my.yaml other.yaml  # check files
//
// Exit status: 0 success, 1 an expectation failed (the diff is on stderr), 2 bad usage or a
// bad scenario file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
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
	exitOK     = 0
	exitFailed = 1 // an expectation was not met
	exitUsage  = 2 // bad usage, a bad file, an unknown name
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
		{"record", "run a fixed battery of calls against a live server and write a transcript", cmdRecord},
		{"serve", "serve a scenario's fake servers over SMB2 (\\PIPE\\srvsvc) for any client", cmdServe},
	}
}

// run is the whole command, minus the process: tests call it with buffers.
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			return runContext(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "sessionsim: unknown command %q\n\n", args[0])
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
		fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", fs.Name(), err, fs.Name())
		return nil, exitUsage, true
	}
	return pos, 0, false
}

// output is the -o flag.
type output string

func (o *output) String() string { return string(*o) }
func (o *output) Set(s string) error {
	switch s {
	case "table", "yaml", "json":
		*o = output(s)
		return nil
	}
	return fmt.Errorf("want table, yaml or json")
}
