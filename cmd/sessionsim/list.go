package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sessionsim/sessionsim/scenarios"
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
			fmt.Fprintf(stderr, "sessionsim scenarios: %s\n", strings.TrimPrefix(err.Error(), "scenarios: "))
			return exitUsage
		}
		_, _ = stdout.Write(src)
		return exitOK
	default:
		fmt.Fprintf(stderr, "sessionsim scenarios: want at most one name, got %d\n", len(pos))
		return exitUsage
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDESCRIPTION")
	for _, name := range scenarios.BuiltinNames() {
		spec, err := scenarios.Builtin(name)
		if err != nil {
			fmt.Fprintf(stderr, "sessionsim scenarios: built-in %s does not load: %v\n", name, err)
			return exitUsage
		}
		fmt.Fprintf(tw, "%s\t%s\n", name, firstSentence(spec.Description))
	}
	_ = tw.Flush()
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
		"Checks scenario files (or built-in names) without running them. Each problem is printed\n"+
			"on stderr as file:line:column: field: what was expected. Exits 2 if any file is bad.", stdout)
	pos, code, stop := parse(fs, args, stderr)
	if stop {
		return code
	}
	if len(pos) == 0 {
		fmt.Fprintf(stderr, "sessionsim validate: want at least one file\nRun 'sessionsim validate --help' for usage.\n")
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
		sessions := 0
		for _, s := range spec.Servers {
			sessions += len(s.Sessions)
		}
		fmt.Fprintf(stdout, "ok %s: %s, %d server(s), %d session(s), %d timeline event(s), %d step(s)\n",
			arg, spec.Name, len(spec.Servers), sessions, len(spec.Timeline), len(spec.Steps))
	}
	return status
}
