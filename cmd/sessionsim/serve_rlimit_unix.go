//go:build unix

package main

import "syscall"

// raiseFileLimit raises the soft open-file limit to at least n (up to the hard limit): a fleet
// of 1,000 servers needs a descriptor per listener and per connection.
func raiseFileLimit(n uint64) error {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return err
	}
	if r.Cur >= n {
		return nil
	}
	r.Cur = min(n, r.Max)
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r)
}
