package kernel

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Settings are a kernel's limits and its link to the process that started
// it. SettingsFromEnv reads them from the environment; the zero value of a
// field means its default.
type Settings struct {
	// MaxMessageSize bounds a message a peer sends on any socket, in bytes
	// (frames plus 32 bytes each); a larger one closes its connection
	// before it is read. STYLELAB_KERNEL_MAX_MESSAGE, default 256 MiB.
	MaxMessageSize int64

	// ParentPID is the process whose end ends the kernel, as ipykernel's
	// parent poller: JPY_PARENT_PID, which Jupyter sets. Whether or not it
	// is set, the kernel also ends when it is orphaned (its parent
	// process changes).
	ParentPID int
}

// DefaultMaxMessageSize is the default of Settings.MaxMessageSize.
const DefaultMaxMessageSize = 256 << 20

// The environment variables SettingsFromEnv reads.
const (
	EnvMaxMessage = "STYLELAB_KERNEL_MAX_MESSAGE"
	EnvParentPID  = "JPY_PARENT_PID"
)

// SettingsFromEnv reads the kernel's settings from the environment. Sizes
// are bytes, or a number with a KiB, MiB or GiB suffix.
func SettingsFromEnv() (Settings, error) {
	var s Settings
	var err error
	if v := os.Getenv(EnvMaxMessage); v != "" {
		if s.MaxMessageSize, err = parseSize(v); err != nil {
			return s, fmt.Errorf("kernel: %s: %w", EnvMaxMessage, err)
		}
	}
	if v := os.Getenv(EnvParentPID); v != "" {
		// Jupyter's own kernels ignore a malformed value; so does this one,
		// and watches for being orphaned instead.
		if pid, err := strconv.Atoi(v); err == nil && pid > 1 {
			s.ParentPID = pid
		}
	}
	return s, nil
}

// withDefaults fills the zero fields of s with their defaults.
func (s Settings) withDefaults() Settings {
	if s.MaxMessageSize <= 0 {
		s.MaxMessageSize = DefaultMaxMessageSize
	}
	return s
}

// parseSize reads "1048576", "512KiB", "256MiB" or "2GiB".
func parseSize(v string) (int64, error) {
	num, unit := strings.TrimSpace(v), int64(1)
	for _, u := range []struct {
		suffix string
		scale  int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if s, ok := strings.CutSuffix(num, u.suffix); ok {
			num, unit = strings.TrimSpace(s), u.scale
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/unit {
		return 0, fmt.Errorf("size %q: give a positive number of bytes, or one with a KiB, MiB or GiB suffix (256MiB)", v)
	}
	return n * unit, nil
}
