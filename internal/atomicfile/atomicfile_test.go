package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeString is a write function that writes s.
func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// readFile returns a file's contents or fails the test.
func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// mode returns a file's mode (not following links) or fails the test.
func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode()
}

// names lists a folder's entries or fails the test.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestWriteReplaces writes new and existing regular files: the data
// arrives, an existing file keeps its mode, and the temporary file was in
// the target's folder while write ran.
func TestWriteReplaces(t *testing.T) {
	tests := []struct {
		name    string
		oldMode fs.FileMode // 0: no file before
	}{
		{"new file", 0},
		{"private file", 0o600},
		{"executable", 0o755},
		{"read-only", 0o444},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.txt")
			if tc.oldMode != 0 {
				if err := os.WriteFile(path, []byte("old contents, longer than the new"), tc.oldMode); err != nil {
					t.Fatal(err)
				}
			}
			var during []string
			err := Write(path, 0o600, func(w io.Writer) error {
				during = names(t, dir)
				_, err := io.WriteString(w, "new")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != "new" {
				t.Errorf("contents %q, want %q", got, "new")
			}
			temps := 0
			for _, n := range during {
				if strings.HasPrefix(n, ".out.txt.tmp-") {
					temps++
				}
			}
			if temps != 1 {
				t.Errorf("while writing the folder held %v, want one .out.txt.tmp-* file", during)
			}
			want := tc.oldMode
			if want == 0 {
				want = 0o600 // perm; a umask (022, 077) takes nothing from it
			}
			if m := mode(t, path); m != want {
				t.Errorf("mode %v, want %v", m, want)
			}
			if got := names(t, dir); !reflect.DeepEqual(got, []string{"out.txt"}) {
				t.Errorf("folder holds %v, want only out.txt", got)
			}
		})
	}
}

// TestWriteLargeData writes more than the buffer holds.
func TestWriteLargeData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big")
	data := strings.Repeat("0123456789abcdef", 50000)
	if err := Write(path, 0o644, writeString(data)); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != data {
		t.Errorf("read back %d bytes, want %d", len(got), len(data))
	}
}

// TestWriteFollowsLinks checks that a link stays a link and the file it
// leads to (through relative and absolute links, or not yet there) is
// written, keeping its mode.
func TestWriteFollowsLinks(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "data")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(sub, "real.txt")
	if err := os.WriteFile(real, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{ // link -> what it holds
		"rel":      "data/real.txt",
		"abs":      real,
		"chain":    "rel",
		"dangling": "data/later.txt",
	}
	for name, dest := range links {
		if err := os.Symlink(dest, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ link, file string }{
		{"rel", real},
		{"abs", real},
		{"chain", real},
		{"dangling", filepath.Join(sub, "later.txt")},
	}
	for _, tc := range tests {
		t.Run(tc.link, func(t *testing.T) {
			link := filepath.Join(dir, tc.link)
			if err := Write(link, 0o600, writeString("via "+tc.link)); err != nil {
				t.Fatal(err)
			}
			if m := mode(t, link); m&fs.ModeSymlink == 0 {
				t.Errorf("%s is no longer a link: %v", tc.link, m)
			}
			if dest, err := os.Readlink(link); err != nil || dest != links[tc.link] {
				t.Errorf("link now holds %q (%v), want %q", dest, err, links[tc.link])
			}
			if got := readFile(t, tc.file); got != "via "+tc.link {
				t.Errorf("%s holds %q, want %q", tc.file, got, "via "+tc.link)
			}
		})
	}
	if m := mode(t, real); m != 0o640 {
		t.Errorf("linked file mode %v, want 0640 kept", m)
	}
	if got := names(t, sub); !reflect.DeepEqual(got, []string{"later.txt", "real.txt"}) {
		t.Errorf("linked folder holds %v, want later.txt and real.txt", got)
	}
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink("loop", loop); err != nil {
		t.Fatal(err)
	}
	if err := Write(loop, 0o600, writeString("x")); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Errorf("Write through a link loop: %v, want an error about links", err)
	}
}

// TestWritePathErrors checks the errors that name a fix.
func TestWritePathErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, path, want string }{
		{"directory", dir, "is a directory"},
		{"missing folder", filepath.Join(dir, "no", "such", "x"), "create it first (os.MkdirAll)"},
		{"file as folder", filepath.Join(file, "x"), "is a file, not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			err := Write(tc.path, 0o644, func(io.Writer) error { called = true; return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Write(%s) = %v, want an error containing %q", tc.path, err, tc.want)
			}
			if called {
				t.Error("write was called")
			}
		})
	}
	if got := names(t, dir); !reflect.DeepEqual(got, []string{"file"}) {
		t.Errorf("folder holds %v, want only file", got)
	}
}

// recorder wraps a temporary file, recording the calls made on it and
// failing the one named in fail.
type recorder struct {
	*os.File
	calls *[]string
	fail  string
}

var errInjected = errors.New("injected failure")

func (r recorder) record(call string) error {
	*r.calls = append(*r.calls, call)
	if call == r.fail {
		return errInjected
	}
	return nil
}

func (r recorder) Write(p []byte) (int, error) {
	if err := r.record("write"); err != nil {
		return 0, err
	}
	return r.File.Write(p)
}

func (r recorder) Chmod(m fs.FileMode) error {
	if err := r.record("chmod"); err != nil {
		return err
	}
	return r.File.Chmod(m)
}

func (r recorder) Sync() error {
	if err := r.record("sync"); err != nil {
		return err
	}
	return r.File.Sync()
}

func (r recorder) Close() error {
	err := r.File.Close()
	if rerr := r.record("close"); rerr != nil {
		return rerr
	}
	return err
}

// TestWriteFailures checks that the data is synced before the file is
// closed and renamed, and that a failure of write, of the flush, of
// chmod, sync or close is returned, keeps the old file and leaves no
// temporary file.
func TestWriteFailures(t *testing.T) {
	errWrite := errors.New("the encoder failed")
	tests := []struct {
		name  string
		fail  string // the call that fails
		write func(io.Writer) error
		want  error
		calls []string
	}{
		{"success", "", writeString("new"), nil, []string{"write", "chmod", "sync", "close"}},
		{"write function fails", "", func(w io.Writer) error { io.WriteString(w, "part"); return errWrite }, errWrite, []string{"close"}},
		{"flush fails", "write", writeString("new"), errInjected, []string{"write", "close"}},
		{"chmod fails", "chmod", writeString("new"), errInjected, []string{"write", "chmod", "close"}},
		{"sync fails", "sync", writeString("new"), errInjected, []string{"write", "chmod", "sync", "close"}},
		{"close fails", "close", writeString("new"), errInjected, []string{"write", "chmod", "sync", "close", "close"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out")
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			var calls []string
			create := func(dir, base string, perm fs.FileMode) (tempFile, error) {
				f, err := createTemp(dir, base, perm)
				if err != nil {
					return nil, err
				}
				return recorder{File: f.(*os.File), calls: &calls, fail: tc.fail}, nil
			}
			err := writeFile(path, 0o644, tc.write, create)
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if !reflect.DeepEqual(calls, tc.calls) {
				t.Errorf("calls %v, want %v", calls, tc.calls)
			}
			want := "old"
			if tc.want == nil {
				want = "new"
			}
			if got := readFile(t, path); got != want {
				t.Errorf("file holds %q, want %q", got, want)
			}
			if got := names(t, dir); !reflect.DeepEqual(got, []string{"out"}) {
				t.Errorf("folder holds %v, want only out", got)
			}
		})
	}
}

// TestWritePanicLeavesNoTemp checks the clean-up when write panics.
func TestWritePanicLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		Write(filepath.Join(dir, "out"), 0o644, func(io.Writer) error { panic("bug") })
	}()
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("folder holds %v after a panic, want nothing", got)
	}
}
