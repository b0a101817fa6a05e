package kernel

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stylelab/stylelab/kernel/jupyter"
)

// Some ends of a Go process cannot be caught in it: a fatal error (stack
// overflow, out of memory, concurrent map writes), a panic on a goroutine
// that compiled code started, a kill by the system's out-of-memory killer.
// So that the notebook learns why its kernel died, the kernel starts a
// crash monitor, a small process of its own, and hands it two pipes. The
// kernel's standard error (file descriptor 2, where the Go runtime writes
// its crash reports, and where the kernel logs) becomes the first: the
// monitor copies it to the standard error the kernel had and keeps its
// tail. On the second the kernel writes the session's id, the header of
// each cell it runs, and "bye" when it ends normally. When both close
// without a "bye", the kernel died: the monitor binds the kernel's iopub
// port, now free, and publishes an error (ename KernelDied) with the
// runtime's report, as a child of the cell that ran last; front ends
// reconnect to iopub on their own. Then it exits, before Jupyter restarts
// the kernel on the same ports.

// monitorWait bounds the monitor's wait for the iopub port and for a
// subscriber; Jupyter notices a dead kernel after about three seconds.
const monitorWait = 1500 * time.Millisecond

// stderrTail is how much of the kernel's standard error the monitor keeps.
const stderrTail = 256 << 10

// monitor is the kernel's end of the control pipe to its crash monitor.
type monitor struct {
	mu sync.Mutex
	w  *os.File
}

// startMonitor starts command (with the connection file as its last
// argument) as the crash monitor of the kernel of session, and makes it
// the reader of the process's standard error; the monitor writes to the
// standard error the process had.
func startMonitor(command []string, connectionFile, session string) (*monitor, error) {
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("kernel: crash monitor: %w", err)
	}
	defer ctlR.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		ctlW.Close()
		return nil, fmt.Errorf("kernel: crash monitor: %w", err)
	}
	defer errR.Close()
	defer errW.Close()
	cmd := exec.Command(command[0], append(command[1:], connectionFile)...)
	cmd.Stdin, cmd.Stderr = ctlR, os.Stderr
	cmd.ExtraFiles = []*os.File{errR} // its file descriptor 3
	if err := cmd.Start(); err != nil {
		ctlW.Close()
		return nil, fmt.Errorf("kernel: starting the crash monitor: %w", err)
	}
	go cmd.Wait() // should it end first, it is no zombie
	// Were the monitor to end, writes to standard error would fail (EPIPE)
	// rather than end the process: a handled SIGPIPE does not kill.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	m := &monitor{w: ctlW}
	if err := syscall.Dup3(int(errW.Fd()), 2, 0); err != nil {
		m.stop() // the monitor ends quietly
		return nil, fmt.Errorf("kernel: crash monitor: redirecting standard error: %w", err)
	}
	m.send("session", session)
	return m, nil
}

func (m *monitor) send(kind, value string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.w != nil {
		// One write per line: the pipe keeps it whole (less than PIPE_BUF).
		m.w.WriteString(kind + " " + value + "\n")
	}
}

// cell tells the monitor which request is running.
func (m *monitor) cell(h jupyter.Header) {
	data, err := json.Marshal(h)
	if err == nil {
		m.send("parent", string(data))
	}
}

// stop tells the monitor that the kernel ends normally.
func (m *monitor) stop() {
	if m == nil {
		return
	}
	m.send("bye", "")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.w.Close()
	m.w = nil
}

// Monitor is the crash monitor of the kernel of connectionFile: it reads
// the kernel's control lines from control and its standard error from
// kernelStderr, copying the latter to logw, until the kernel ends; if it
// died, it publishes why on the kernel's iopub channel. It ignores SIGINT,
// which Jupyter may send to the kernel's whole process group.
func Monitor(ctx context.Context, connectionFile string, control, kernelStderr io.Reader, logw io.Writer) error {
	signal.Ignore(os.Interrupt)
	info, err := jupyter.ReadConnectionFile(connectionFile)
	if err != nil {
		return err
	}
	logger := log.New(logw, "stylelab kernel crash monitor: ", log.LstdFlags)
	tail := &tailBuffer{max: stderrTail}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		io.Copy(io.MultiWriter(logw, tail), kernelStderr)
	}()
	var session string
	var parent jupyter.Header
	bye := false
	sc := bufio.NewScanner(control)
	for sc.Scan() {
		kind, value, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "session":
			session = value
		case "parent":
			_ = json.Unmarshal([]byte(value), &parent)
		case "bye":
			bye = true
		}
	}
	<-copied
	if bye {
		return nil
	}
	reason, traceback := crashReport(tail.String())
	logger.Printf("the kernel died: %s", reason)
	content := map[string]any{"ename": "KernelDied", "evalue": reason, "traceback": traceback}
	if err := jupyter.PublishAlone(ctx, info, session, parent, "error", content, monitorWait, logger); err != nil {
		return fmt.Errorf("kernel: crash monitor: telling the notebook: %w", err)
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.buf) }

// crashReportLines bounds the lines of a crash report sent to the notebook.
const crashReportLines = 60

// crashReport finds the runtime's crash report at the end of the kernel's
// standard error: from its last "panic: " or "fatal error: " line (with
// the "runtime: " lines just before it) to the end. It returns the
// report's reason line and a traceback for the notebook; with no report,
// the last lines the kernel wrote.
func crashReport(stderr string) (reason string, traceback []string) {
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	head := -1
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "panic: ") || strings.HasPrefix(lines[i], "fatal error: ") {
			head = i
			break
		}
	}
	var report []string
	if head >= 0 {
		reason = lines[head]
		start := head
		for start > 0 && strings.HasPrefix(lines[start-1], "runtime: ") {
			start--
		}
		report = lines[start:]
	} else {
		reason = "the kernel process ended without a crash report: it was killed by a signal " +
			"(such as the out-of-memory killer's SIGKILL) or compiled code made it exit"
		if n := len(lines); n > 0 && lines[n-1] != "" {
			report = append([]string{"The kernel's last words:"}, lines[max(0, n-5):]...)
		}
	}
	traceback = []string{"KernelDied: " + reason,
		"The kernel process ended; Jupyter restarts it, and the session's variables are lost."}
	if len(report) > 0 {
		if len(report) > crashReportLines {
			report = append(report[:crashReportLines:crashReportLines], fmt.Sprintf("... (%d more lines in the kernel's log)", len(report)-crashReportLines))
		}
		traceback = append(append(traceback, ""), report...)
	}
	return reason, traceback
}
