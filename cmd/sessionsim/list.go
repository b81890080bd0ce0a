package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/transcript"
)

func cmdScenarios(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("scenarios", "[NAME]",
		"Lists the built-in scenarios with their descriptions. With a NAME, prints that scenario's\n"+
			"file, a starting point for one of your own.", stdout)
	pos, code, stop := parse(fs, args, stderr)
	if stop {
		return code
	}
	switch len(pos) {
	case 0:
	case 1:
		src, err := scenarios.BuiltinSource(pos[0])
		if err != nil {
			errorf(stderr, "sessionsim scenarios: %s", strings.TrimPrefix(err.Error(), "scenarios: "))
			return exitUsage
		}
		if _, err := stdout.Write(src); err != nil {
			return exitFailed // reported by runContext
		}
		return exitOK
	default:
		errorf(stderr, "sessionsim scenarios: want at most one name, got %d", len(pos))
		return exitUsage
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDESCRIPTION")
	for _, name := range scenarios.BuiltinNames() {
		spec, err := scenarios.Builtin(name)
		if err != nil {
			errorf(stderr, "sessionsim scenarios: built-in %s does not load: %v", name, err)
			return exitUsage
		}
		fmt.Fprintf(tw, "%s\t%s\n", name, transcript.Escape(firstSentence(spec.Description)))
	}
	if err := tw.Flush(); err != nil {
		return exitFailed // reported by runContext
	}
	return exitOK
}

// firstSentence keeps a listing to one line per scenario.
func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

func cmdValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("validate", "FILE...",
		"Checks scenario files (or built-in names) without running them, and prints for each good\n"+
			"one its server and session counts (sessions the servers start with, generators counted\n"+
			"without generating them). Each problem is printed on stderr as\n"+
			"file:line:column: field: what was expected. Exits 2 if any file is bad.", stdout)
	pos, code, stop := parse(fs, args, stderr)
	if stop {
		return code
	}
	if len(pos) == 0 {
		errorf(stderr, "sessionsim validate: want at least one file\nRun 'sessionsim validate --help' for usage.")
		return exitUsage
	}
	status := exitOK
	for _, arg := range pos {
		spec, err := loadSpec(arg)
		if err != nil {
			printLoadError(stderr, err)
			status = exitUsage
			continue
		}
		servers, sessions := spec.Counts()
		if _, err := fmt.Fprintf(stdout, "ok %s: %s, %d server(s), %d session(s), %d timeline event(s), %d step(s)\n",
			transcript.Escape(arg), transcript.Escape(spec.Name), servers, sessions, len(spec.Timeline), len(spec.Steps)); err != nil {
			return exitFailed // reported by runContext
		}
	}
	return status
}
