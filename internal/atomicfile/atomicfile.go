package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// maxLinks bounds the symbolic links followed to the file written.
const maxLinks = 40

// Write writes path with what write produces. A regular file (or a new
// one) is replaced atomically: write fills a temporary file beside it,
// which is synced, closed and renamed over it; a new file gets perm less
// the umask, an existing one keeps its mode. A symbolic link stays a link:
// the file it points to is written. A device, FIFO or other special file is
// written in place, without a temporary file. Every failure, of write or
// of the file system, is returned, and leaves no temporary file behind.
func Write(path string, perm fs.FileMode, write func(io.Writer) error) error {
	return writeFile(path, perm, write, createTemp)
}

// tempFile is the part of *os.File that Write uses.
type tempFile interface {
	io.Writer
	Name() string
	Chmod(fs.FileMode) error
	Sync() error
	Close() error
}

// createFunc creates a new temporary file in dir for the file named base.
type createFunc func(dir, base string, perm fs.FileMode) (tempFile, error)

func writeFile(path string, perm fs.FileMode, write func(io.Writer) error, create createFunc) error {
	target, info, err := resolve(path)
	if err != nil {
		return err
	}
	switch {
	case info == nil || info.Mode().IsRegular():
		return replace(target, info, perm, write, create)
	case info.IsDir():
		return fmt.Errorf("%s is a directory; name a file in it", target)
	}
	return writeInPlace(target, write)
}

// resolve follows symbolic links from path to the file to write and
// returns it with its information, nil when it does not exist yet.
func resolve(path string) (string, fs.FileInfo, error) {
	for range maxLinks {
		info, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil, nil
		}
		if err != nil {
			return "", nil, explain(filepath.Dir(path), err)
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			return path, info, nil
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", nil, err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return "", nil, fmt.Errorf("%s: more than %d symbolic links in a row (a loop?)", path, maxLinks)
}

// replace writes a temporary file beside target and renames it over target.
func replace(target string, old fs.FileInfo, perm fs.FileMode, write func(io.Writer) error, create createFunc) error {
	dir := filepath.Dir(target)
	f, err := create(dir, filepath.Base(target), perm)
	if err != nil {
		return explain(dir, err)
	}
	done := false
	defer func() {
		if !done {
			f.Close() // after a failed Close this fails too, harmlessly
			os.Remove(f.Name())
		}
	}()
	if err := fill(f, write); err != nil {
		return err
	}
	if old != nil {
		if err := f.Chmod(old.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), target); err != nil {
		return err
	}
	done = true
	return nil
}

// writeInPlace writes into an existing special file: a device, a FIFO.
func writeInPlace(target string, write func(io.Writer) error) error {
	f, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := fill(f, write); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fill runs write through a buffer and flushes it.
func fill(w io.Writer, write func(io.Writer) error) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := write(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// createTemp creates ".<base>.tmp-<random>" in dir with mode perm less the
// umask (the kernel applies it, as it does for any new file).
func createTemp(dir, base string, perm fs.FileMode) (tempFile, error) {
	var err error
	for range 100 {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		var f *os.File
		if f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm); err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	return nil, err
}

// explain adds the fix to an error caused by a missing folder or by a
// file where a folder should be.
func explain(dir string, err error) error {
	info, serr := os.Stat(dir)
	switch {
	case errors.Is(serr, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist; create it first (os.MkdirAll): %w", dir, err)
	case serr == nil && !info.IsDir():
		return fmt.Errorf("%s is a file, not a directory; choose another path: %w", dir, err)
	}
	return err
}
