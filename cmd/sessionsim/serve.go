package main

import (
	"context"
	"fmt"
	"io"
)

// cmdServe is `sessionsim serve` (CONTRACT: being implemented in smbserver).
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sessionsim serve: not written yet")
	return exitUsage
}
