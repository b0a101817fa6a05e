//go:build unix

package weights

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// lockConversion takes an exclusive lock (flock) on a lock file beside the
// cache file cp and returns its release. Processes that load the same
// source at once (the tasks of a sweep sharing a cache folder) convert it
// one at a time: the first converts and caches, the others wait and then
// find the cache. Where the lock cannot be taken (a read-only cache) it
// returns at once and each process converts for itself, as without a cache.
func lockConversion(cp string) (unlock func()) {
	noop := func() {}
	if err := os.MkdirAll(filepath.Dir(cp), 0o755); err != nil {
		return noop
	}
	f, err := os.OpenFile(strings.TrimSuffix(cp, cacheExt)+".lock", os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return noop
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return noop
	}
	// Closing the file releases the lock; the file stays, since removing
	// it would let a waiter lock a file that a newcomer no longer sees.
	return func() { f.Close() }
}
