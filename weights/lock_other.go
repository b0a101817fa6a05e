//go:build !unix

package weights

// lockConversion does not lock where flock is not available: concurrent
// processes may each convert the same source, which costs only time.
func lockConversion(string) (unlock func()) { return func() {} }
