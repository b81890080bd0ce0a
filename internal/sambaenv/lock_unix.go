//go:build unix

package sambaenv

import (
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes an exclusive flock on DIR/live-tests.lock, waiting for any other holder: the
// live tests of several packages (which go test runs as parallel processes) share one Samba,
// and a NetSessionDel in one would end another's sessions. It returns the release function.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "live-tests.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
