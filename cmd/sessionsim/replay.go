package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/transcript"
)

func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("replay", "[-o table|yaml|json] FILE|NAME",
		"Runs a scenario (a file, or a built-in by name: see 'sessionsim scenarios') on the fake\n"+
			"server and prints the transcript of its calls. Exits 1 when a step's expectation is not\n"+
			"met, printing a diff from what was expected to what came back on stderr; 2 on a bad file.", stdout)
	out := output("table")
	fs.Var(&out, "o", "output: table, yaml (the golden transcript format) or json")
	pos, code, stop := parse(fs, args, stderr)
	if stop {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "sessionsim replay: want one scenario file or built-in name, got %d arguments\nRun 'sessionsim replay --help' for usage.\n", len(pos))
		return exitUsage
	}
	spec, err := loadSpec(pos[0])
	if err != nil {
		printLoadError(stderr, err)
		return exitUsage
	}
	sc, err := spec.Start()
	if err != nil {
		fmt.Fprintf(stderr, "sessionsim replay: %v\n", err)
		return exitUsage
	}
	res, err := sc.Run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "sessionsim replay: %v\n", err)
		return exitUsage
	}
	if err := writeTranscript(stdout, res.Transcript, out); err != nil {
		fmt.Fprintf(stderr, "sessionsim replay: %v\n", err)
		return exitUsage
	}
	if len(res.Failures) > 0 {
		fmt.Fprintf(stderr, "sessionsim replay: %s: %d expectation(s) not met\n", spec.Name, len(res.Failures))
		for _, f := range res.Failures {
			fmt.Fprintf(stderr, "\n%s", f.String())
		}
		return exitFailed
	}
	return exitOK
}

func writeTranscript(w io.Writer, tr *transcript.Transcript, out output) error {
	var b []byte
	var err error
	switch out {
	case "yaml":
		b, err = tr.YAML()
	case "json":
		b, err = tr.JSON()
	default:
		return tr.WriteTable(w)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// loadSpec reads a scenario by path, or a built-in by name. A name with a path separator or
// a YAML extension, or that names an existing file, is a path.
func loadSpec(arg string) (*scenarios.Spec, error) {
	if isPath(arg) {
		return scenarios.ParseFile(arg)
	}
	if !slices.Contains(scenarios.BuiltinNames(), arg) {
		return nil, fmt.Errorf("no built-in scenario %q and no such file; built-ins: %s",
			arg, strings.Join(scenarios.BuiltinNames(), ", "))
	}
	return scenarios.Builtin(arg)
}

func isPath(arg string) bool {
	if strings.ContainsRune(arg, filepath.Separator) || strings.ContainsRune(arg, '/') {
		return true
	}
	if ext := filepath.Ext(arg); ext == ".yaml" || ext == ".yml" {
		return true
	}
	_, err := os.Stat(arg)
	return err == nil
}

// printLoadError prints a scenario's problems one per line, or another error plainly.
func printLoadError(w io.Writer, err error) {
	var se *scenarios.Error
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			fmt.Fprintln(w, p.String())
		}
		return
	}
	fmt.Fprintf(w, "sessionsim: %s\n", strings.TrimPrefix(err.Error(), "scenarios: "))
}
