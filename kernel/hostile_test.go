package kernel_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/stylelab/stylelab/kernel/jupyter"
)

// This file is the kernel's fault-injection suite at the wire: hostile
// peers on raw TCP, before and after the ZMTP handshake, on every socket,
// and replayed messages. After each, the kernel must still run and answer.

// ZMTP 3.0 pieces, written by hand so that they can be wrong on purpose.

func zmtpGreeting() []byte {
	g := make([]byte, 64)
	g[0], g[9], g[10] = 0xff, 0x7f, 3
	copy(g[12:], "NULL")
	return g
}

// zmtpHeader is a frame header declaring size bytes.
func zmtpHeader(more, command bool, size uint64) []byte {
	var fl byte
	if more {
		fl |= 1
	}
	if command {
		fl |= 4
	}
	if size > 255 {
		h := make([]byte, 9)
		h[0] = fl | 2
		binary.BigEndian.PutUint64(h[1:], size)
		return h
	}
	return []byte{fl, byte(size)}
}

func zmtpFrame(more bool, body []byte) []byte {
	return append(zmtpHeader(more, false, uint64(len(body))), body...)
}

func zmtpProperty(name, value string) []byte {
	p := append([]byte{byte(len(name))}, name...)
	p = binary.BigEndian.AppendUint32(p, uint32(len(value)))
	return append(p, value...)
}

func zmtpCommand(name string, body []byte) []byte {
	b := append(append([]byte{byte(len(name))}, name...), body...)
	return append(zmtpHeader(false, true, uint64(len(b))), b...)
}

// zmtpHello is a well-formed greeting and READY for a socket type.
func zmtpHello(sockType string) []byte {
	ready := zmtpCommand("READY", append(zmtpProperty("Socket-Type", sockType), zmtpProperty("Identity", "")...))
	return append(zmtpGreeting(), ready...)
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// hostile is one attack: bytes sent to one of the kernel's sockets.
type hostile struct {
	name    string
	channel jupyter.Channel
	payload []byte
	// closed: the kernel must close the connection (it read enough to
	// refuse it); otherwise the test closes it after sending.
	closed bool
	// open: the connection stays open while the kernel is checked.
	open bool
}

const testMaxMessage = 1 << 20 // STYLELAB_KERNEL_MAX_MESSAGE for these tests

func hostilePeers() []hostile {
	manyEmpty := bytes.Repeat(zmtpFrame(true, nil), 100000) // 3.2 MB counted, 200 kB sent
	return []hostile{
		{name: "garbage greeting", channel: jupyter.Shell, payload: bytes.Repeat([]byte("GARBAGE!"), 8), closed: true},
		{name: "greeting of another protocol version", channel: jupyter.Shell, payload: append(zmtpGreeting()[:10], bytes.Repeat([]byte{1}, 54)...), closed: true},
		{name: "half a greeting, then silence", channel: jupyter.Shell, payload: zmtpGreeting()[:20], open: true},
		{name: "nothing at all", channel: jupyter.Control, payload: nil, open: true},
		{name: "READY with a property past its end", channel: jupyter.Shell,
			payload: concat(zmtpGreeting(), zmtpCommand("READY", []byte{11, 'S', 'o', 'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e', 0, 0})), closed: true},
		{name: "2^62-byte command in the handshake", channel: jupyter.Control, payload: concat(zmtpGreeting(), zmtpHeader(false, true, 1<<62)), closed: true},
		{name: "2^62-byte frame on shell", channel: jupyter.Shell, payload: concat(zmtpHello("DEALER"), zmtpHeader(false, false, 1<<62)), closed: true},
		{name: "2^40-byte frame on control", channel: jupyter.Control, payload: concat(zmtpHello("DEALER"), zmtpHeader(false, false, 1<<40)), closed: true},
		{name: "2^62-byte frame on stdin", channel: jupyter.Stdin, payload: concat(zmtpHello("DEALER"), zmtpHeader(false, false, 1<<62)), closed: true},
		{name: "2^62-byte frame on iopub", channel: jupyter.IOPub, payload: concat(zmtpHello("SUB"), zmtpHeader(false, false, 1<<62)), closed: true},
		{name: "2^62-byte frame on heartbeat", channel: jupyter.Heartbeat, payload: concat(zmtpHello("REQ"), zmtpHeader(false, false, 1<<62)), closed: true},
		{name: "frame just over the bound", channel: jupyter.Shell, payload: concat(zmtpHello("DEALER"), zmtpHeader(false, false, testMaxMessage+1)), closed: true},
		{name: "frames summing over the bound", channel: jupyter.Shell,
			payload: concat(zmtpHello("DEALER"), zmtpFrame(true, make([]byte, 600<<10)), zmtpFrame(false, make([]byte, 600<<10))), closed: true},
		{name: "100000 empty frames", channel: jupyter.Shell, payload: concat(zmtpHello("DEALER"), manyEmpty), closed: true},
		{name: "truncated frame, then hang-up", channel: jupyter.Shell, payload: concat(zmtpHello("DEALER"), zmtpHeader(false, false, 1000), []byte("0123456789"))},
		{name: "truncated frame, then silence", channel: jupyter.Control, payload: concat(zmtpHello("DEALER"), zmtpHeader(false, false, 1<<19), make([]byte, 100)), open: true},
		{name: "frames that are no Jupyter message", channel: jupyter.Shell,
			payload: concat(zmtpHello("DEALER"), zmtpFrame(true, []byte("<IDS|MSG>")), zmtpFrame(true, []byte("sig")), zmtpFrame(false, []byte("{")))},
		{name: "ping without an envelope on heartbeat", channel: jupyter.Heartbeat, payload: concat(zmtpHello("REQ"), zmtpFrame(false, []byte("ping")))},
		{name: "messages to a PUB socket", channel: jupyter.IOPub,
			payload: concat(zmtpHello("SUB"), bytes.Repeat(zmtpFrame(false, []byte("not a subscription")), 100), zmtpFrame(false, nil))},
	}
}

// TestHostilePeers sends each hostile peer's bytes to the running kernel
// over raw TCP, then checks that the kernel process still runs, answers a
// new client on shell, and echoes heartbeats; finally a message under the
// bound is served and a real Jupyter client runs a cell.
func TestHostilePeers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the kernel process; skipped with -short")
	}
	c := startKernel(t, stylelabBinary(t), t.TempDir(), "STYLELAB_KERNEL_MAX_MESSAGE="+strconv.Itoa(testMaxMessage))
	defer c.close()
	checkServing(t, c)
	ports := map[jupyter.Channel]int{jupyter.Shell: c.info.ShellPort, jupyter.Control: c.info.ControlPort,
		jupyter.Stdin: c.info.StdinPort, jupyter.IOPub: c.info.IOPubPort, jupyter.Heartbeat: c.info.HBPort}
	for _, h := range hostilePeers() {
		t.Run(h.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", net.JoinHostPort(c.info.IP, strconv.Itoa(ports[h.channel])))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// The kernel may close the connection while this is written.
			_, _ = conn.Write(h.payload)
			if h.closed {
				conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, err := io.Copy(io.Discard, conn) // its greeting, then EOF
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Errorf("the kernel did not close the connection")
				}
			} else if !h.open {
				conn.Close()
			}
			checkServing(t, c)
		})
	}
	if !c.alive() {
		t.Fatalf("the kernel died:\n%s", c.log)
	}
	if strings.Contains(c.log.String(), "panic") {
		t.Errorf("the kernel's log shows a panic:\n%s", c.log)
	}

	// A message under the bound is served: a cell of 600 kB.
	code := fmt.Sprintf("s := %q\nlen(s)", strings.Repeat("x", 600<<10))
	id := c.send(t, c.signer, "execute_request", map[string]any{"code": code, "silent": false, "store_history": true,
		"user_expressions": map[string]string{}, "allow_stdin": false, "stop_on_error": true})
	r := c.replyTo(t, id)
	var content struct {
		Status string `json:"status"`
	}
	if err := r.Decode(&content); err != nil || content.Status != "ok" {
		t.Errorf("a 600 kB cell: %s %v", content.Status, err)
	}

	requireJupyter(t)
	out, err := exec.Command(python, "-c", realClient, c.file).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "42" {
		t.Fatalf("jupyter_client after the hostile peers: %v\n%s\nkernel log:\n%s", err, out, c.log)
	}
}

// realClient runs 6*7 through jupyter_client on a connection file.
const realClient = `
import sys
from jupyter_client import BlockingKernelClient
kc = BlockingKernelClient(connection_file=sys.argv[1])
kc.load_connection_file()
kc.start_channels()
kc.wait_for_ready(timeout=30)
out = []
reply = kc.execute_interactive("6*7", timeout=30, output_hook=out.append)
assert reply["content"]["status"] == "ok", reply["content"]
print([m["content"]["data"]["text/plain"] for m in out if m["msg_type"] == "execute_result"][0])
kc.stop_channels()
`

// checkServing checks that the kernel runs, that a new DEALER gets a
// kernel_info_reply on shell, and that a new REQ gets its heartbeat back.
func checkServing(t *testing.T, c *client) {
	t.Helper()
	if !c.alive() {
		t.Fatalf("the kernel died:\n%s", c.log)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	session := jupyter.NewID()
	// A handshake the kernel does not answer fails the check, not the suite.
	shell := zmq4.NewDealer(ctx, zmq4.WithID(zmq4.SocketIdentity(session)), zmq4.WithHandshakeTimeout(10*time.Second))
	defer shell.Close()
	if err := shell.Dial(c.info.Endpoint(c.info.ShellPort)); err != nil {
		t.Fatalf("dialing shell: %v", err)
	}
	m := &jupyter.Message{Header: jupyter.NewHeader("kernel_info_request", session, "test"), Content: map[string]any{}}
	frames, err := c.signer.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := shell.Send(zmq4.NewMsgFrom(frames...)); err != nil {
		t.Fatalf("sending on shell: %v", err)
	}
	got := make(chan error, 1)
	go func() {
		for {
			raw, err := shell.Recv()
			if err != nil {
				got <- err
				return
			}
			if r, err := c.signer.Decode(raw.Frames); err == nil && r.Parent.MsgID == m.Header.MsgID {
				got <- nil
				return
			}
		}
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("no kernel_info_reply: %v\n%s", err, c.log)
		}
	case <-ctx.Done():
		t.Fatalf("no kernel_info_reply in 15s\n%s", c.log)
	}

	hb := zmq4.NewReq(ctx, zmq4.WithHandshakeTimeout(10*time.Second))
	defer hb.Close()
	if err := hb.Dial(c.info.Endpoint(c.info.HBPort)); err != nil {
		t.Fatalf("dialing heartbeat: %v", err)
	}
	if err := hb.Send(zmq4.NewMsgString("ping")); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	echo := make(chan string, 1)
	go func() {
		msg, err := hb.Recv()
		if err != nil || len(msg.Frames) == 0 {
			echo <- fmt.Sprint(err)
			return
		}
		echo <- string(msg.Frames[0])
	}()
	select {
	case e := <-echo:
		if e != "ping" {
			t.Fatalf("heartbeat echoed %q", e)
		}
	case <-ctx.Done():
		t.Fatalf("no heartbeat in 15s\n%s", c.log)
	}
}

// TestReplayDropped runs a cell that counts, captures its execute_request
// and sends the very same frames again: the replay is dropped and logged,
// and the count stays 1.
func TestReplayDropped(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the kernel process; skipped with -short")
	}
	c := startKernel(t, stylelabBinary(t), t.TempDir())
	defer c.close()
	run := func(code string) *jupyter.Message {
		id := c.send(t, c.signer, "execute_request", map[string]any{"code": code, "silent": false, "store_history": true,
			"user_expressions": map[string]string{"n": "n"}, "allow_stdin": false, "stop_on_error": true})
		return c.replyTo(t, id)
	}
	run("n := 0")
	m := &jupyter.Message{Header: jupyter.NewHeader("execute_request", c.session, "test"), Content: map[string]any{
		"code": "n++", "silent": false, "store_history": true, "user_expressions": map[string]string{}, "allow_stdin": false, "stop_on_error": true}}
	frames, err := c.signer.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the original, then its replay
		if err := c.shell.Send(zmq4.NewMsgFrom(frames...)); err != nil {
			t.Fatal(err)
		}
	}
	c.replyTo(t, m.Header.MsgID)
	r := run("n")
	var content struct {
		UserExpressions map[string]struct {
			Data map[string]string `json:"data"`
		} `json:"user_expressions"`
	}
	if err := r.Decode(&content); err != nil {
		t.Fatal(err)
	}
	if got := content.UserExpressions["n"].Data["text/plain"]; got != "1" {
		t.Errorf("after a cell n++ and its replay, n = %q, want 1\n%s", got, c.log)
	}
	if !c.logged(`dropped a replayed "execute_request" message on shell`) {
		t.Errorf("the replay was not logged:\n%s", c.log)
	}
}

// replyTo waits for the shell reply to the request id, skipping others.
func (c *client) replyTo(tb testing.TB, id string) *jupyter.Message {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		m, err := c.reply(time.Until(deadline))
		if err != nil {
			tb.Fatalf("waiting for the reply to %s: %v\n%s", id, err, c.log)
		}
		if m.Parent.MsgID == id {
			return m
		}
	}
	tb.Fatalf("no reply to %s\n%s", id, c.log)
	return nil
}
