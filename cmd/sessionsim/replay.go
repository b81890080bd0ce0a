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
			"server and prints the transcript of its calls as they happen (streamed: memory does not\n"+
			"grow with the output). Exits 1 when a step's expectation is not met, printing a diff from\n"+
			"what was expected to what came back on stderr, or when the output cannot be written;\n"+
			"2 on a bad file.", stdout)
	outp := outputVar(fs, "output `FORMAT`: table, yaml (the golden transcript format) or json",
		map[string]string{"jsonl": "jsonl is the format of sweeps: sessionsim sweep, sessionsim enum"}, "table", "yaml", "json")
	pos, code, stop := parse(fs, args, stderr)
	if stop {
		return code
	}
	out := *outp
	if len(pos) != 1 {
		errorf(stderr, "sessionsim replay: want one scenario file or built-in name, got %d arguments\nRun 'sessionsim replay --help' for usage.", len(pos))
		return exitUsage
	}
	sc, ok := startScenario("replay", pos[0], stderr)
	if !ok {
		return exitUsage
	}
	spec := sc.Spec()
	sw := streamWriter(stdout, out)
	if err := sw.WriteHeader(sc.Header()); err != nil {
		return writeFailed("replay", stdout, stderr, err)
	}
	var werr error
	res, err := sc.RunStream(ctx, func(c *transcript.Call) error {
		if werr = sw.WriteCall(c); werr != nil {
			return werr
		}
		return nil
	})
	if werr == nil {
		werr = sw.Close()
	}
	if werr != nil {
		return writeFailed("replay", stdout, stderr, werr)
	}
	if err != nil {
		errorf(stderr, "sessionsim replay: %v", err)
		return exitUsage
	}
	if len(res.Failures) > 0 {
		errorf(stderr, "sessionsim replay: %s: %d expectation(s) not met", spec.Name, len(res.Failures))
		for _, f := range res.Failures {
			errorf(stderr, "\n%s", f.String())
		}
		return exitFailed
	}
	return exitOK
}

// streamWriter is the transcript writer for -o.
func streamWriter(w io.Writer, out output) transcript.StreamWriter {
	switch out {
	case "yaml":
		return transcript.NewYAMLWriter(w)
	case "json":
		return transcript.NewJSONWriter(w)
	}
	return transcript.NewTableWriter(w)
}

// writeTranscript writes a whole transcript as -o says.
func writeTranscript(w io.Writer, tr *transcript.Transcript, out output) error {
	sw := streamWriter(w, out)
	if err := sw.WriteHeader(tr); err != nil {
		return err
	}
	for i := range tr.Calls {
		if err := sw.WriteCall(&tr.Calls[i]); err != nil {
			return err
		}
	}
	return sw.Close()
}

// loadSpec reads a scenario by path, or a built-in by name. A name with a path separator or
// a YAML extension, or that names an existing file, is a path.
// startScenario loads a scenario by file or built-in name and starts its servers, reporting a
// problem on stderr (ok false: bad usage) as the command named cmd.
func startScenario(cmd, arg string, stderr io.Writer) (sc *scenarios.Scenario, ok bool) {
	spec, err := loadSpec(arg)
	if err != nil {
		printLoadError(stderr, err)
		return nil, false
	}
	sc, err = spec.Start()
	if err != nil {
		errorf(stderr, "sessionsim %s: %v", cmd, err)
		return nil, false
	}
	return sc, true
}

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

// printLoadError prints a scenario's problems one per line, or another error plainly, each
// line escaped and cut (a problem may quote the file's content).
func printLoadError(w io.Writer, err error) {
	var se *scenarios.Error
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			errorf(w, "%s", p.String())
		}
		return
	}
	errorf(w, "sessionsim: %s", strings.TrimPrefix(err.Error(), "scenarios: "))
}
