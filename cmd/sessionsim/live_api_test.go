package main

import (
	"context"
	"io"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/sessionapi"
)

func TestLiveCommandsAPIDefaultsToSrvsvc(t *testing.T) {
	srv, _, err := scenarios.Load("legacy-windows")
	require.NoError(t, err)
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	for _, args := range [][]string{
		{"enum", "--server", "OLDSRV", "--user", "alice", "--role", "user"},
		{"enum", "--server", "OLDSRV", "--user", "alice", "--role", "user", "--api", "srvsvc"},
		{"enum", "--server", "OLDSRV", "--user", "alice", "--role", "user", "--api=srvsvc"},
		{"record", "--server", "OLDSRV", "--user", "alice", "--out", filepath.Join(t.TempDir(), "r.yaml")},
	} {
		target := withLive(t, srv.As(fake.User), srv.Now)
		code, _, errs := sessionsim(args...)
		require.Equal(t, exitOK, code, "sessionsim %q: %s", args, errs)
		assert.Equal(t, "srvsvc", target.API, "sessionsim %q dialled with", args)
	}
}

func TestLiveCommandsAPINetapi(t *testing.T) {
	srv, _, err := scenarios.Load("legacy-windows")
	require.NoError(t, err)
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	for _, cmd := range []string{"enum", "record"} {
		target := withLive(t, srv.As(fake.Administrator), srv.Now)
		args := []string{cmd, "--server", "OLDSRV", "--user", "admin", "--api", "netapi"}
		if cmd == "record" {
			args = append(args, "--out", filepath.Join(t.TempDir(), "r.yaml"))
		}
		code, out, errs := sessionsim(args...)
		if runtime.GOOS == "windows" {
			require.Equal(t, exitOK, code, "sessionsim %q: %s", args, errs)
			assert.Equal(t, "netapi", target.API, "sessionsim %q dialled with", args)
			continue
		}
		assert.Equal(t, exitUsage, code, "sessionsim %q exit status", args)
		assert.Empty(t, out)
		assert.Equal(t, "sessionsim "+cmd+": --api netapi: netapi32 exists only on Windows\n", errs)
		assert.Empty(t, target.Server, "sessionsim %q dialled anyway", args)
	}
}

func TestLiveCommandsAPIUnknown(t *testing.T) {
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	for _, cmd := range []string{"enum", "record"} {
		target := withLive(t, nil, nil)
		code, _, errs := sessionsim(cmd, "--server", "h", "--user", "u", "--api", "rpcclient")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errs, `--api: unknown client "rpcclient"; want srvsvc or netapi`)
		assert.Empty(t, target.Server, "dialled with an unknown --api")
	}
}

func TestLiveCommandsHelpNamesAPI(t *testing.T) {
	for _, cmd := range []string{"enum", "record"} {
		code, out, _ := sessionsim(cmd, "--help")
		require.Equal(t, exitOK, code)
		assert.Contains(t, out, "--api srvsvc|netapi")
		assert.Contains(t, out, "-api string")
		assert.Contains(t, out, `(default "srvsvc")`)
	}
}

// The real dialLive picks the client registered under --api; srvsvc is there on every
// system, netapi only on Windows.
func TestDialLiveDispatchesOnAPI(t *testing.T) {
	_, ok := liveAPIs["srvsvc"]
	assert.True(t, ok, "srvsvc is registered")
	_, ok = liveAPIs["netapi"]
	assert.Equal(t, runtime.GOOS == "windows", ok, "netapi registered on %s", runtime.GOOS)

	saved := liveAPIs["srvsvc"]
	t.Cleanup(func() { liveAPIs["srvsvc"] = saved })
	var got LiveTarget
	want := fake.New().As(fake.Administrator)
	liveAPIs["srvsvc"] = func(_ context.Context, lt LiveTarget) (sessionapi.SessionAPI, io.Closer, error) {
		got = lt
		return want, io.NopCloser(nil), nil
	}
	api, _, err := dialLive(t.Context(), LiveTarget{Server: "h", User: "u", API: "srvsvc"})
	require.NoError(t, err)
	assert.Equal(t, want, api)
	assert.Equal(t, "h", got.Server)

	_, _, err = dialLive(t.Context(), LiveTarget{Server: "h", User: "u", API: "nope"})
	assert.ErrorContains(t, err, "--api nope is not available")
}
