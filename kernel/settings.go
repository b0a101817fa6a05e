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

	// MaxStack is Go's maximum stack per goroutine, in bytes; a running
	// cell is interrupted when the goroutines' stacks pass a quarter of it.
	// STYLELAB_KERNEL_MAX_STACK, default 1 GiB (Go's own).
	MaxStack int64

	// MemoryLimit is the process's memory limit, in bytes: the garbage
	// collector works harder near it (debug.SetMemoryLimit), and a running
	// cell is interrupted when memory passes it and has grown during the
	// cell. STYLELAB_KERNEL_MEMORY_LIMIT, default three quarters of the
	// physical memory or of the cgroup's limit (GOMEMLIMIT if set).
	MemoryLimit int64

	// MonitorCommand starts the crash monitor (see monitor.go) with the
	// connection file as its last argument; none if empty.
	MonitorCommand []string

	// ParentPID is the process whose end ends the kernel, as ipykernel's
	// parent poller: JPY_PARENT_PID, which Jupyter sets. Whether or not it
	// is set, the kernel also ends when it is orphaned (its parent
	// process changes).
	ParentPID int
}

// Defaults of Settings.
const (
	DefaultMaxMessageSize = 256 << 20
	DefaultMaxStack       = 1 << 30
)

// The environment variables SettingsFromEnv reads.
const (
	EnvMaxMessage  = "STYLELAB_KERNEL_MAX_MESSAGE"
	EnvMaxStack    = "STYLELAB_KERNEL_MAX_STACK"
	EnvMemoryLimit = "STYLELAB_KERNEL_MEMORY_LIMIT"
	EnvParentPID   = "JPY_PARENT_PID"
)

// SettingsFromEnv reads the kernel's settings from the environment. Sizes
// are bytes, or a number with a KiB, MiB or GiB suffix.
func SettingsFromEnv() (Settings, error) {
	var s Settings
	for _, size := range []struct {
		env string
		to  *int64
	}{{EnvMaxMessage, &s.MaxMessageSize}, {EnvMaxStack, &s.MaxStack}, {EnvMemoryLimit, &s.MemoryLimit}} {
		if v := os.Getenv(size.env); v != "" {
			n, err := parseSize(v)
			if err != nil {
				return s, fmt.Errorf("kernel: %s: %w", size.env, err)
			}
			*size.to = n
		}
	}
	if s.MaxStack != 0 && s.MaxStack < 1<<20 {
		return s, fmt.Errorf("kernel: %s: %d bytes is too small a stack for the interpreter; give at least 1MiB", EnvMaxStack, s.MaxStack)
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
	if s.MaxStack <= 0 {
		s.MaxStack = DefaultMaxStack
	}
	if s.MemoryLimit <= 0 {
		s.MemoryLimit = defaultMemoryLimit()
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
