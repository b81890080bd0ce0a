package smbserver_test

import (
	"io"
	"log/slog"
	"os"
)

// quietLogger logs nothing unless SMBSERVER_LOG is set (then: debug on stderr).
func quietLogger() *slog.Logger {
	if os.Getenv("SMBSERVER_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
