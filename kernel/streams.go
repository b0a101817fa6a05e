package kernel

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"
)

// syncMarker is written into a captured stream to learn when everything
// written before it has been forwarded. NUL bytes do not occur in text.
var syncMarker = []byte("\x00stylelab:sync\x00")

// capture forwards what the process writes to one of os.Stdout and
// os.Stderr (replaced by a pipe) as Jupyter stream messages.
type capture struct {
	name    string // stdout or stderr
	w       *os.File
	r       *os.File
	forward func(name, text string)
	mu      sync.Mutex    // serialises Sync
	synced  chan struct{} // the reader passed a marker
	done    chan struct{} // the reader ended
}

func newCapture(name string, forward func(name, text string)) (*capture, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("kernel: capturing %s: %w", name, err)
	}
	c := &capture{name: name, r: r, w: w, forward: forward, synced: make(chan struct{}, 1), done: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *capture) read() {
	defer close(c.done)
	buf := make([]byte, 64<<10)
	var pending []byte
	for {
		n, err := c.r.Read(buf)
		pending = append(pending, buf[:n]...)
		for {
			i := bytes.Index(pending, syncMarker)
			if i < 0 {
				break
			}
			c.emit(pending[:i])
			pending = append(pending[:0], pending[i+len(syncMarker):]...)
			c.synced <- struct{}{}
		}
		keep := heldBack(pending)
		c.emit(pending[:len(pending)-keep])
		pending = append(pending[:0], pending[len(pending)-keep:]...)
		if err != nil {
			c.emit(pending)
			return
		}
	}
}

// heldBack is how many trailing bytes of p to keep for the next read: a
// partial marker or an incomplete UTF-8 sequence.
func heldBack(p []byte) int {
	for k := min(len(syncMarker)-1, len(p)); k > 0; k-- {
		if bytes.HasPrefix(syncMarker, p[len(p)-k:]) {
			return k
		}
	}
	for k := 1; k <= min(utf8.UTFMax-1, len(p)); k++ {
		if utf8.RuneStart(p[len(p)-k]) {
			if !utf8.FullRune(p[len(p)-k:]) {
				return k
			}
			break
		}
	}
	return 0
}

func (c *capture) emit(p []byte) {
	if len(p) > 0 {
		c.forward(c.name, string(p))
	}
}

// Sync returns once everything written so far has been forwarded.
func (c *capture) Sync() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.w.Write(syncMarker); err != nil {
		return
	}
	select {
	case <-c.synced:
	case <-c.done:
	}
}

// Close stops the capture after forwarding what was written.
func (c *capture) Close() {
	c.w.Close()
	<-c.done
	c.r.Close()
}

// stdinPipe is the standard input of cells: a blocking pipe, so that a
// thread waiting for input can be seen in /proc (the read system call on
// the pipe's descriptor) and the kernel can ask the notebook for a line.
type stdinPipe struct {
	mu sync.Mutex
	r  *os.File
	w  *os.File
}

func newStdinPipe() (*stdinPipe, error) {
	s := &stdinPipe{}
	return s, s.renew()
}

// renew replaces the pipe; readers of the old one see end of file.
func (s *stdinPipe) renew() error {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return fmt.Errorf("kernel: stdin pipe: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w != nil {
		s.w.Close()
	}
	// The old read end stays open: a cell may still hold it, and reads EOF.
	s.r = os.NewFile(uintptr(fds[0]), "stdin")
	s.w = os.NewFile(uintptr(fds[1]), "stdin-writer")
	return nil
}

// File is the read end cells see as os.Stdin.
func (s *stdinPipe) File() *os.File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r
}

// Waiting reports whether some thread of the process is blocked reading
// the pipe.
func (s *stdinPipe) Waiting() bool {
	fd := s.File().Fd()
	want := strconv.Itoa(syscall.SYS_READ) + " 0x" + strconv.FormatUint(uint64(fd), 16) + " "
	tasks, _ := filepath.Glob("/proc/self/task/*/syscall")
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err == nil && strings.HasPrefix(string(b), want) {
			return true
		}
	}
	return false
}

// Pending is how many bytes wait unread in the pipe.
func (s *stdinPipe) Pending() int {
	n, err := ioctlInt(s.File().Fd(), syscall.TIOCINQ) // FIONREAD
	if err != nil {
		return 0
	}
	return n
}

// Send writes a line to the pipe.
func (s *stdinPipe) Send(line string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.w.WriteString(line + "\n")
	return err
}
