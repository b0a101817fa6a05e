package kernel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/stylelab/stylelab/kernel/jupyter"
)

// client is a minimal Jupyter client in Go: a kernel process of its own
// and a DEALER on its shell channel.
type client struct {
	proc    *exec.Cmd
	exited  chan struct{} // closed when the kernel process has ended
	file    string        // the connection file
	info    jupyter.ConnectionInfo
	log     *syncBuffer
	signer  jupyter.Signer
	session string
	shell   zmq4.Socket
	replies chan *jupyter.Message
	cancel  context.CancelFunc
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePorts(tb testing.TB, n int) []int {
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// startKernel starts `stylelab kernel -f` on a fresh connection file, with
// env added to the test's environment, and connects to its shell channel.
func startKernel(tb testing.TB, bin, dir string, env ...string) *client {
	tb.Helper()
	ports := freePorts(tb, 5)
	key := jupyter.NewID()
	info := jupyter.ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: ports[0], IOPubPort: ports[1],
		StdinPort: ports[2], ControlPort: ports[3], HBPort: ports[4], SignatureScheme: "hmac-sha256", Key: key}
	data, _ := json.Marshal(info)
	file := filepath.Join(dir, "kernel-"+key+".json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	c := &client{log: &syncBuffer{}, session: jupyter.NewID(), replies: make(chan *jupyter.Message, 16),
		file: file, info: info, exited: make(chan struct{})}
	c.signer, _ = jupyter.NewSigner("hmac-sha256", key)
	c.proc = exec.Command(bin, "kernel", "-f", file)
	c.proc.Env = append(os.Environ(), env...)
	c.proc.Stderr = c.log
	if err := c.proc.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() {
		// The process, not its standard error: the kernel's crash monitor
		// holds that a little longer.
		c.proc.Process.Wait()
		close(c.exited)
	}()
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.shell = zmq4.NewDealer(ctx, zmq4.WithID(zmq4.SocketIdentity(c.session)),
		zmq4.WithDialerRetry(5*time.Millisecond), zmq4.WithDialerMaxRetries(2000))
	if err := c.shell.Dial(info.Endpoint(info.ShellPort)); err != nil {
		c.close()
		tb.Fatalf("dialing the kernel: %v\n%s", err, c.log)
	}
	go func() {
		for {
			m, err := c.shell.Recv()
			if err != nil {
				close(c.replies)
				return
			}
			if msg, err := c.signer.Decode(m.Frames); err == nil {
				c.replies <- msg
			}
		}
	}()
	return c
}

func (c *client) close() {
	c.proc.Process.Kill()
	<-c.exited
	c.cancel()
	c.shell.Close()
}

// logged waits up to 10s for the kernel's log to hold want: the log
// reaches the test through the kernel's crash monitor, a little later.
func (c *client) logged(want string) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(c.log.String(), want) {
			return true
		}
	}
	return false
}

// alive reports whether the kernel process still runs.
func (c *client) alive() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// send sends a request on shell signed by signer and returns its id.
func (c *client) send(tb testing.TB, signer jupyter.Signer, msgType string, content any) string {
	tb.Helper()
	m := &jupyter.Message{Header: jupyter.NewHeader(msgType, c.session, "test"), Content: content}
	frames, err := signer.Encode(m)
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.shell.Send(zmq4.NewMsgFrom(frames...)); err != nil {
		tb.Fatal(err)
	}
	return m.Header.MsgID
}

// reply waits for the next shell reply.
func (c *client) reply(timeout time.Duration) (*jupyter.Message, error) {
	select {
	case m, ok := <-c.replies:
		if !ok {
			return nil, fmt.Errorf("the shell channel closed")
		}
		return m, nil
	case <-time.After(timeout):
		return nil, fmt.Errorf("no reply in %v", timeout)
	}
}

// TestBadSignatureDropped sends a kernel_info_request signed with the
// wrong key, then a good one: only the good one is answered, and the bad
// one is logged.
func TestBadSignatureDropped(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the kernel process; skipped with -short")
	}
	c := startKernel(t, stylelabBinary(t), t.TempDir())
	defer c.close()
	bad, _ := jupyter.NewSigner("hmac-sha256", "not-the-key")
	c.send(t, bad, "kernel_info_request", map[string]any{})
	if m, err := c.reply(time.Second); err == nil {
		t.Fatalf("the kernel answered a badly signed message: %s", m.Header.MsgType)
	}
	id := c.send(t, c.signer, "kernel_info_request", map[string]any{})
	m, err := c.reply(10 * time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, c.log)
	}
	if m.Parent.MsgID != id || m.Header.MsgType != "kernel_info_reply" {
		t.Fatalf("got %s to %s, want kernel_info_reply to %s", m.Header.MsgType, m.Parent.MsgID, id)
	}
	if !c.logged(`dropped a badly signed "kernel_info_request"`) {
		t.Errorf("the bad message was not logged:\n%s", c.log)
	}
}

// BenchmarkStartToFirstResult measures a notebook's wait for its first
// cell: from starting the kernel process to the result of 1+1 (the
// execute_reply with its user expression), as a Jupyter client sees it.
func BenchmarkStartToFirstResult(b *testing.B) {
	bin := stylelabBinary(b)
	dir := b.TempDir()
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		c := startKernel(b, bin, dir)
		c.send(b, c.signer, "execute_request", map[string]any{"code": "1+1", "silent": false, "store_history": true,
			"user_expressions": map[string]string{"r": "1+1"}, "allow_stdin": false, "stop_on_error": true})
		m, err := c.reply(30 * time.Second)
		elapsed := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatalf("%v\n%s", err, c.log)
		}
		var content struct {
			Status          string `json:"status"`
			UserExpressions map[string]struct {
				Data map[string]string `json:"data"`
			} `json:"user_expressions"`
		}
		_ = m.Decode(&content)
		if got := content.UserExpressions["r"].Data["text/plain"]; content.Status != "ok" || got != "2" {
			b.Fatalf("1+1 gave %q (%s)", got, content.Status)
		}
		total += elapsed
		c.close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/first-result")
}
