package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// mknod makes a private character device in dir with the given numbers,
// the same device as /dev/null (1, 3) or /dev/full (1, 7), so that the
// tests never touch the system's own nodes. Making one needs CAP_MKNOD.
func mknod(t *testing.T, dir, name string, major, minor uint32) string {
	t.Helper()
	path := filepath.Join(dir, name)
	err := unix.Mknod(path, unix.S_IFCHR|0o666, int(unix.Mkdev(major, minor)))
	if errors.Is(err, unix.EPERM) {
		t.Skipf("making a device node needs CAP_MKNOD (run as root): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWriteDevice checks that a device is written in place, never
// replaced by a regular file, and that a full disk's ENOSPC is returned.
func TestWriteDevice(t *testing.T) {
	tests := []struct {
		name         string
		minor        uint32
		size         int
		wantErr      error
		wantErrMatch string
	}{
		{"null, small", 3, 10, nil, ""},
		{"null, large", 3, 1 << 20, nil, ""},
		{"full, small", 7, 10, syscall.ENOSPC, "no space left on device"},
		{"full, large", 7, 1 << 20, syscall.ENOSPC, "no space left on device"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			dev := mknod(t, dir, "dev", 1, tc.minor)
			err := Write(dev, 0o644, writeString(strings.Repeat("x", tc.size)))
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tc.wantErrMatch) {
				t.Errorf("error %q does not say %q", err, tc.wantErrMatch)
			}
			if m := mode(t, dev); m&fs.ModeCharDevice == 0 {
				t.Errorf("the device became %v", m)
			}
			if got := names(t, dir); !reflect.DeepEqual(got, []string{"dev"}) {
				t.Errorf("folder holds %v, want only the device", got)
			}
		})
	}
}

// TestWriteFIFO checks that a FIFO is written in place, to its reader.
func TestWriteFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	data := strings.Repeat("through the pipe ", 10000) // more than a pipe buffers
	type result struct {
		data string
		err  error
	}
	read := make(chan result, 1)
	go func() {
		f, err := os.Open(fifo) // blocks until Write opens the other end
		if err != nil {
			read <- result{err: err}
			return
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		read <- result{string(b), err}
	}()
	if err := Write(fifo, 0o644, writeString(data)); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, fifo); m&fs.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO became %v", m)
	}
	r := <-read
	if r.err != nil || r.data != data {
		t.Errorf("reader got %d bytes (%v), want %d", len(r.data), r.err, len(data))
	}
	if got := names(t, dir); !reflect.DeepEqual(got, []string{"fifo"}) {
		t.Errorf("folder holds %v, want only the FIFO", got)
	}
}

// TestWriteUmask checks that a new file's mode is perm less the umask.
func TestWriteUmask(t *testing.T) {
	tests := []struct {
		umask, perm, want fs.FileMode
	}{
		{0o022, 0o666, 0o644},
		{0o027, 0o666, 0o640},
		{0o077, 0o666, 0o600},
		{0o002, 0o666, 0o664},
		{0o022, 0o600, 0o600},
		{0o022, 0o755, 0o755},
	}
	dir := t.TempDir()
	for i, tc := range tests {
		path := filepath.Join(dir, "f"+string(rune('a'+i)))
		old := syscall.Umask(int(tc.umask))
		err := Write(path, tc.perm, writeString("x"))
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		if m := mode(t, path); m != tc.want {
			t.Errorf("umask %03o, perm %03o: mode %03o, want %03o", tc.umask, tc.perm, m, tc.want)
		}
	}
}
