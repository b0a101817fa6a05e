// Package atomicfile writes files so that a reader sees the old contents or
// the new, never a part: through a synced temporary file in the target's
// directory, renamed over the target.
package atomicfile
