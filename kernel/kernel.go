package kernel

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/stylelab/stylelab/kernel/display"
	"github.com/stylelab/stylelab/kernel/jupyter"
)

// Version is the kernel's implementation version.
const Version = "0.1.0"

// shutdownGrace is how long shutdown waits for an interrupted cell, so
// that a transfer is logged INTERRUPTED before the process ends.
const shutdownGrace = 5 * time.Second

// kernel is the state of one running kernel.
type kernel struct {
	ctx    context.Context // the kernel's life; cells' contexts derive from it
	socks  *jupyter.Sockets
	log    *log.Logger
	in     *interp
	out    *capture
	errs   *capture
	stdin  *stdinPipe
	inputs chan *jupyter.Message // input_reply messages from the stdin channel
	guard  guard                 // the bounds of stacks and memory cells are held to
	mon    *monitor              // the crash monitor's link

	// shell goroutine only
	count    int
	history  history
	failedAt time.Time // when the reply of the last failed cell went out

	mu      sync.Mutex
	parent  *jupyter.Message   // the request that streams belong to
	cell    string             // the name of the cell running, or that ran last
	cancel  context.CancelFunc // cancels the running cell; nil when idle
	quit    chan bool          // receives restart when shutdown is asked
	quitted bool
}

// Serve runs the kernel described by connectionFile, with settings, until
// it is asked to shut down (shutdown_request), ctx ends or the process
// that started it ends. The kernel's own log goes to logw. While it runs,
// os.Stdin, os.Stdout and os.Stderr are the cells' streams; they are
// restored when it returns.
func Serve(ctx context.Context, connectionFile string, settings Settings, logw io.Writer) error {
	parent := os.Getppid()
	info, err := jupyter.ReadConnectionFile(connectionFile)
	if err != nil {
		return err
	}
	settings = settings.withDefaults()
	logger := log.New(logw, "stylelab kernel: ", log.LstdFlags)
	sockCtx, closeSockets := context.WithCancel(context.WithoutCancel(ctx))
	socks, err := jupyter.Listen(sockCtx, info, settings.MaxMessageSize, logger)
	if err != nil {
		closeSockets()
		return err
	}
	defer func() {
		closeSockets()
		socks.Close()
	}()

	k := &kernel{ctx: ctx, socks: socks, log: logger, inputs: make(chan *jupyter.Message, 1), quit: make(chan bool, 1),
		guard: newGuard(settings)}
	stdin, stdout, stderr := os.Stdin, os.Stdout, os.Stderr
	if err := k.captureStreams(); err != nil {
		return err
	}
	defer k.restoreStreams(stdin, stdout, stderr)
	if k.in, err = newInterp(diagWriter{logger}, k.goroutinePanics); err != nil {
		return err
	}
	k.mon = newMonitor(socks.Session)
	defer k.mon.stop()
	if len(settings.MonitorCommand) > 0 {
		go func() {
			if err := k.mon.start(settings.MonitorCommand, connectionFile, stderr); err != nil {
				logger.Printf("no crash monitor: %v", err) // the kernel runs without
			}
		}()
	}

	go func() {
		if err := socks.Heartbeat(sockCtx); err != nil && sockCtx.Err() == nil {
			logger.Print(err)
		}
	}()
	go k.serve(jupyter.Control, k.handleControl)
	go k.serve(jupyter.Stdin, k.handleStdin)
	shellDone := make(chan struct{})
	go func() {
		defer close(shellDone)
		k.serveShell()
	}()

	sigint := make(chan os.Signal, 1)
	signal.Notify(sigint, os.Interrupt)
	defer signal.Stop(sigint)
	orphaned := watchParent(sockCtx, parent, settings.ParentPID)
	for {
		select {
		case <-sigint:
			k.interrupt()
			continue
		case restart := <-k.quit:
			logger.Printf("shutting down (restart %v)", restart)
		case <-ctx.Done():
			logger.Printf("stopping: %v", context.Cause(ctx))
		case <-shellDone:
			logger.Print("the shell channel closed")
		case why := <-orphaned:
			logger.Printf("stopping: %s", why)
		}
		break
	}
	k.interrupt()
	select { // cells, abandoned ones too, that watch ctx stop (a transfer is logged INTERRUPTED)
	case <-k.in.idle():
	case <-time.After(shutdownGrace):
		logger.Print("a cell did not stop; leaving it")
	}
	return nil
}

// serve hands every message received on ch to handle, in order.
func (k *kernel) serve(ch jupyter.Channel, handle func(*jupyter.Message)) {
	for {
		m, err := k.socks.Recv(ch)
		if err != nil {
			if k.ctx.Err() == nil && !k.stopping() {
				k.log.Print(err)
			}
			return
		}
		handle(m)
	}
}

// serveShell handles shell requests one at a time. When a cell fails and
// its request says stop_on_error, the execute requests that had arrived
// before its reply went out (queued behind it by a "run all") are aborted,
// as ipykernel does; a cell sent after the reply, in answer to it, runs.
func (k *kernel) serveShell() {
	queue := make(chan received, 1024)
	go func() {
		defer close(queue)
		k.serve(jupyter.Shell, func(m *jupyter.Message) { queue <- received{m, time.Now()} })
	}()
	for r := range queue {
		if k.handleShell(r.msg) {
			k.abortQueued(queue)
		}
	}
}

// received is a shell request and when it arrived.
type received struct {
	msg *jupyter.Message
	at  time.Time
}

// abortQueued answers "aborted" to the queued execute requests that arrived
// before the failed cell's reply; other requests are handled as usual.
func (k *kernel) abortQueued(queue <-chan received) {
	for {
		select {
		case r, ok := <-queue:
			if !ok {
				return
			}
			if r.msg.Header.MsgType != "execute_request" || !r.at.Before(k.failedAt) {
				k.handleShell(r.msg)
				continue
			}
			k.publish(r.msg, "status", map[string]any{"execution_state": "busy"})
			k.reply(jupyter.Shell, r.msg, "execute_reply", map[string]any{"status": "aborted", "execution_count": k.count})
			k.publish(r.msg, "status", map[string]any{"execution_state": "idle"})
		default:
			return
		}
	}
}

func (k *kernel) stopping() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.quitted
}

// captureStreams replaces os.Stdout, os.Stderr and os.Stdin with pipes, and
// makes the standard logger write to the new standard error.
func (k *kernel) captureStreams() error {
	var err error
	if k.out, err = newCapture("stdout", k.forward); err != nil {
		return err
	}
	if k.errs, err = newCapture("stderr", k.forward); err != nil {
		return err
	}
	if k.stdin, err = newStdinPipe(); err != nil {
		return err
	}
	os.Stdout, os.Stderr, os.Stdin = k.out.w, k.errs.w, k.stdin.File()
	log.SetOutput(k.errs.w) // the standard logger's output, as cells use it, is theirs
	return nil
}

func (k *kernel) restoreStreams(stdin, stdout, stderr *os.File) {
	log.SetOutput(stderr)
	os.Stdout, os.Stderr, os.Stdin = stdout, stderr, stdin
	k.out.Close()
	k.errs.Close()
}

// syncStreams forwards everything written so far to stdout and stderr.
func (k *kernel) syncStreams() {
	k.out.Sync()
	k.errs.Sync()
}

// forward publishes captured output as a stream message of the current request.
func (k *kernel) forward(name, text string) {
	k.mu.Lock()
	parent := k.parent
	k.mu.Unlock()
	if err := k.socks.Publish(parent, "stream", map[string]any{"name": name, "text": text}); err != nil {
		k.log.Print(err)
	}
}

// goroutinePanics returns what reports a panic of a goroutine that the
// running cell starts now: it goes to that cell's standard error, however
// late, and the kernel lives on.
func (k *kernel) goroutinePanics() func(value any, stack []byte) {
	k.mu.Lock()
	parent, cell := k.parent, k.cell
	k.mu.Unlock()
	return func(value any, stack []byte) {
		e := panicError("panic", value, stack)
		text := fmt.Sprintf("panic in a goroutine started by %s (the goroutine ended; the kernel goes on): %s\n", cell, e.Value)
		for _, line := range e.Traceback[1:] {
			text += line + "\n"
		}
		k.syncStreams() // what the goroutine wrote before comes first
		k.publish(parent, "stream", map[string]any{"name": "stderr", "text": text})
	}
}

// publish sends an iopub message, logging failures.
func (k *kernel) publish(parent *jupyter.Message, msgType string, content any) {
	if err := k.socks.Publish(parent, msgType, content); err != nil {
		k.log.Print(err)
	}
}

func (k *kernel) reply(ch jupyter.Channel, req *jupyter.Message, msgType string, content any) {
	if err := k.socks.Reply(ch, req, msgType, content); err != nil {
		k.log.Print(err)
	}
}

// interrupt cancels the running cell, if any, and reports whether one ran.
func (k *kernel) interrupt() bool {
	k.mu.Lock()
	cancel := k.cancel
	k.mu.Unlock()
	if cancel == nil {
		return false
	}
	cancel()
	k.in.interrupt()
	if k.stdin.Waiting() { // a read of standard input: end it
		k.renewStdin()
	}
	return true
}

func (k *kernel) renewStdin() {
	if err := k.stdin.renew(); err != nil {
		k.log.Print(err)
		return
	}
	os.Stdin = k.stdin.File()
}

func (k *kernel) requestShutdown(restart bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.quitted {
		k.quitted = true
		k.quit <- restart
	}
}

func (k *kernel) kernelInfo() map[string]any {
	return map[string]any{
		"status":                 "ok",
		"protocol_version":       jupyter.ProtocolVersion,
		"implementation":         "stylelab",
		"implementation_version": Version,
		"language_info": map[string]any{
			"name":               "go",
			"version":            strings.TrimPrefix(runtime.Version(), "go"),
			"mimetype":           "text/x-go",
			"file_extension":     ".go",
			"pygments_lexer":     "go",
			"codemirror_mode":    "go",
			"nbconvert_exporter": "script",
		},
		"banner": "Go (Stylelab): Go " + strings.TrimPrefix(runtime.Version(), "go") +
			" interpreted by gomacro, with Stylelab, gonum/plot and display linked in; ctx is the cell's context",
		"help_links": []map[string]string{
			{"text": "Go", "url": "https://go.dev/doc/"},
			{"text": "gomacro", "url": "https://github.com/cosmos72/gomacro"},
		},
		"debugger": false,
	}
}

func (k *kernel) handleControl(m *jupyter.Message) {
	switch m.Header.MsgType {
	case "interrupt_request":
		k.interrupt()
		k.reply(jupyter.Control, m, "interrupt_reply", map[string]any{"status": "ok"})
	case "shutdown_request":
		k.shutdown(jupyter.Control, m)
	case "kernel_info_request":
		k.reply(jupyter.Control, m, "kernel_info_reply", k.kernelInfo())
	default:
		k.log.Printf("ignored %q on control", m.Header.MsgType)
	}
}

func (k *kernel) shutdown(ch jupyter.Channel, m *jupyter.Message) {
	var c struct {
		Restart bool `json:"restart"`
	}
	_ = m.Decode(&c)
	k.reply(ch, m, "shutdown_reply", map[string]any{"status": "ok", "restart": c.Restart})
	k.requestShutdown(c.Restart)
}

func (k *kernel) handleStdin(m *jupyter.Message) {
	if m.Header.MsgType != "input_reply" {
		k.log.Printf("ignored %q on stdin", m.Header.MsgType)
		return
	}
	select {
	case k.inputs <- m:
	default:
		k.log.Print("ignored an input_reply nobody asked for")
	}
}

// handleShell answers one shell request. It reports whether it was a cell
// that failed and asked to stop on error.
func (k *kernel) handleShell(m *jupyter.Message) (stop bool) {
	k.publish(m, "status", map[string]any{"execution_state": "busy"})
	defer k.publish(m, "status", map[string]any{"execution_state": "idle"})
	switch m.Header.MsgType {
	case "kernel_info_request":
		k.reply(jupyter.Shell, m, "kernel_info_reply", k.kernelInfo())
	case "execute_request":
		return k.execute(m)
	case "complete_request":
		k.complete(m)
	case "inspect_request":
		k.inspect(m)
	case "is_complete_request":
		var c struct {
			Code string `json:"code"`
		}
		_ = m.Decode(&c)
		content := map[string]any{"status": isComplete(c.Code)}
		if content["status"] == "incomplete" {
			content["indent"] = nextIndent(c.Code)
		}
		k.reply(jupyter.Shell, m, "is_complete_reply", content)
	case "history_request":
		k.historyReply(m)
	case "comm_info_request":
		k.reply(jupyter.Shell, m, "comm_info_reply", map[string]any{"status": "ok", "comms": map[string]any{}})
	case "comm_open":
		// No comm targets: close it, as the protocol asks.
		var c struct {
			CommID string `json:"comm_id"`
		}
		_ = m.Decode(&c)
		k.publish(m, "comm_close", map[string]any{"comm_id": c.CommID, "data": map[string]any{}})
	case "comm_msg", "comm_close":
	case "shutdown_request":
		k.shutdown(jupyter.Shell, m)
	default:
		k.log.Printf("ignored %q on shell", m.Header.MsgType)
	}
	return false
}

// cellOutput is the display.Publisher of one cell.
type cellOutput struct {
	k   *kernel
	req *jupyter.Message
}

func (o cellOutput) Display(b display.Bundle, id string, update bool) error {
	o.k.syncStreams()
	content := map[string]any{"data": b.Data, "metadata": nonNil(b.Metadata), "transient": map[string]any{}}
	if id != "" {
		content["transient"] = map[string]any{"display_id": id}
	}
	msgType := "display_data"
	if update {
		msgType = "update_display_data"
	}
	return o.k.socks.Publish(o.req, msgType, content)
}

func (o cellOutput) Clear(wait bool) error {
	o.k.syncStreams()
	return o.k.socks.Publish(o.req, "clear_output", map[string]any{"wait": wait})
}

func nonNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// diagWriter sends gomacro's own messages to the kernel log.
type diagWriter struct{ log *log.Logger }

func (d diagWriter) Write(p []byte) (int, error) {
	// Redefining a name is what re-running a cell does: not worth a line.
	if s := strings.TrimSpace(string(p)); s != "" && !strings.Contains(s, "warning: redefined identifier") {
		d.log.Print("gomacro: ", s)
	}
	return len(p), nil
}
