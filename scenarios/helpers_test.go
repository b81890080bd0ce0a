package scenarios_test

import (
	"errors"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/scenarios"
)

// requireProblem parses src and requires a problem at line with field whose message
// contains msg, rendered as "bad.yaml:LINE:COL: FIELD: ".
func requireProblem(t *testing.T, src string, line int, field, msg string) {
	t.Helper()
	_, err := scenarios.Parse("bad.yaml", []byte(src))
	require.Error(t, err, "Parse accepted:\n%s", clipText(src))
	var se *scenarios.Error
	require.True(t, errors.As(err, &se), "want a *scenarios.Error, got %T: %v", err, err)
	for _, p := range se.Problems {
		if p.Line == line && p.Field == field && strings.Contains(p.Msg, msg) {
			return
		}
	}
	t.Errorf("Parse problems:\n%v\nwant one at line %d, field %s, containing %q", err, line, field, msg)
}

func clipText(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

// unsafeData is the address of a string's bytes, to tell shared copies from equal ones.
func unsafeData(s string) *byte { return unsafe.StringData(s) }
