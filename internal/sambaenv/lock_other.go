//go:build !unix

package sambaenv

// lockDir is a no-op where flock does not exist: start.sh, and so the live tests, need a
// Unix host anyway.
func lockDir(string) (func(), error) { return func() {}, nil }
