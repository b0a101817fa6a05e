package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestFullDiskFailsTheCommand: every command that writes to standard output
// fails with the reason when the output cannot be written. Standard output
// is a private full device (the same as /dev/full, made in a temp dir).
func TestFullDiskFailsTheCommand(t *testing.T) {
	c := newCLI(t)
	full := filepath.Join(t.TempDir(), "full")
	if err := unix.Mknod(full, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 7))); err != nil {
		if errors.Is(err, unix.EPERM) {
			t.Skipf("making a device node needs CAP_MKNOD (run as root): %v", err)
		}
		t.Fatal(err)
	}
	c.ok("run", "-content", c.content, "-style", c.style, "-size", "32", "-iterations", "1", "-o", "one.png")
	for _, args := range [][]string{{"version"}, {"runs", "ls"}, {"runs", "show", "1"}, {"runs", "export", "-format", "csv"}, {"weights", "list"}} {
		f, err := os.OpenFile(full, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd := c.cmd(args...)
		cmd.Stdout, cmd.Stderr = f, &stderr
		err = cmd.Run()
		f.Close()
		if err == nil || !strings.Contains(stderr.String(), "no space left on device") {
			t.Errorf("stylelab %s on a full disk: %v, stderr %q; want a failure that says so", strings.Join(args, " "), err, stderr.String())
		}
	}
}
