package main

import (
	"bytes"
	"errors"
	"github.com/stylelab/stylelab/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

// TestReadOnlyStoreCanBeQueried: a store this user may not write (another
// user's, say) is listed, queried and shown; logging a run to it is
// refused with the reason.
func TestReadOnlyStoreCanBeQueried(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run the command as another user")
	}
	c := newCLI(t)
	dir, err := os.MkdirTemp("", "stylelab-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	db := filepath.Join(dir, "runs.db")
	c.ok("run", "-db", db, "-content", c.content, "-style", c.style, "-size", "32", "-iterations", "1", "-o", "one.png")
	bin := filepath.Join(dir, "stylelab")
	data, err := os.ReadFile(c.bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	nobody := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &out, &errOut
		cmd.Env = []string{"HOME=" + dir, "STYLELAB_DB=" + db, "STYLELAB_WEIGHTS=" + testenv.WeightsDir(t)}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		err := cmd.Run()
		return out.String(), errOut.String(), err
	}
	for _, args := range [][]string{{"runs", "ls"}, {"runs", "ls", "-q", `status = "FINISHED" and params.size = 32`}, {"runs", "show", "1"}} {
		out, errOut, err := nobody(args...)
		if err != nil || !strings.Contains(out, "FINISHED") {
			t.Errorf("stylelab %s as another user: %v\nstdout %s\nstderr %s", strings.Join(args, " "), err, out, errOut)
		}
	}
	if _, errOut, err := nobody("run", "-content", c.content, "-style", c.style, "-size", "32", "-iterations", "1", "-o", filepath.Join(os.TempDir(), "ro.png")); err == nil || !strings.Contains(errOut, "read-only") {
		t.Errorf("a run logged to a read-only store: %v, %s", err, errOut)
	}
}
