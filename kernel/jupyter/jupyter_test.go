package jupyter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSignAndDecode(t *testing.T) {
	s, err := NewSigner("hmac-sha256", "secret")
	if err != nil {
		t.Fatal(err)
	}
	m := &Message{Identities: [][]byte{[]byte("peer")}, Header: NewHeader("execute_request", "sess", "me"),
		Content: map[string]any{"code": "1+1"}}
	frames, err := s.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Decode(frames)
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Code string }
	if err := got.Decode(&c); err != nil || c.Code != "1+1" || got.Header.MsgType != "execute_request" ||
		string(got.Identities[0]) != "peer" || got.Parent != (Header{}) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if string(frames[4]) != "{}" {
		t.Errorf("empty parent header encodes as %s", frames[4])
	}
	other, _ := NewSigner("hmac-sha256", "other")
	if _, err := other.Decode(frames); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong key: %v", err)
	}
	frames[5] = []byte(`{"tampered":1}`)
	if _, err := s.Decode(frames); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered: %v", err)
	}
	if _, err := s.Decode([][]byte{[]byte("x")}); err == nil {
		t.Error("no delimiter: no error")
	}
	if _, err := NewSigner("hmac-md5", "k"); err == nil {
		t.Error("hmac-md5 accepted")
	}
}

func TestReadConnectionFile(t *testing.T) {
	dir := t.TempDir()
	write := func(v any) string {
		data, _ := json.Marshal(v)
		p := filepath.Join(dir, "c.json")
		os.WriteFile(p, data, 0o600)
		return p
	}
	c, err := ReadConnectionFile(write(map[string]any{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5, "key": "k", "signature_scheme": "hmac-sha256"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.IP != "127.0.0.1" || c.Transport != "tcp" || c.Endpoint(c.ShellPort) != "tcp://127.0.0.1:1" {
		t.Errorf("defaults: %+v", c)
	}
	c.IP = "::1"
	if c.Endpoint(5) != "tcp://[::1]:5" {
		t.Errorf("IPv6 endpoint %s", c.Endpoint(5))
	}
	if _, err := ReadConnectionFile(write(map[string]any{"shell_port": 0})); err == nil {
		t.Error("missing ports accepted")
	}
}

// TestDigests checks the replay memory: a signature is new once, and the
// oldest is forgotten once the memory is full.
func TestDigests(t *testing.T) {
	s, _ := NewSigner("hmac-sha256", "secret")
	sig := func(i int) []byte {
		return s.sign([][]byte{[]byte(fmt.Sprint(i))})
	}
	d := newDigests(3)
	for i := range 3 {
		if !d.add(sig(i)) {
			t.Fatalf("signature %d is not new", i)
		}
	}
	for i := range 3 {
		if d.add(sig(i)) {
			t.Errorf("signature %d seen twice is new", i)
		}
	}
	if !d.add(sig(3)) || !d.add(sig(0)) {
		t.Error("after two more, the oldest was not forgotten")
	}
	if d.add(sig(3)) || d.add(sig(2)) || len(d.set) != 3 {
		t.Errorf("the memory holds %d signatures, want the last 3", len(d.set))
	}
	if !d.add([]byte("not hex")) || !d.add([]byte("not hex")) {
		t.Error("a malformed signature counts as a replay")
	}
}

// TestDecodeKeepsSignature checks that a verified message carries the
// signature the replay memory compares.
func TestDecodeKeepsSignature(t *testing.T) {
	s, _ := NewSigner("hmac-sha256", "secret")
	frames, err := s.Encode(&Message{Header: NewHeader("execute_request", "sess", "me"), Content: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Decode(frames)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.signature) != string(frames[1]) {
		t.Errorf("signature %q, want %q", m.signature, frames[1])
	}
	unsigned, _ := NewSigner("", "")
	if m, err := unsigned.Decode(frames); err != nil || m.signature != nil {
		t.Errorf("without a key: signature %q, %v", m.signature, err)
	}
}

// TestListenWaitsForPort binds the sockets while another process's socket
// still holds one of the ports, released a moment later.
func TestListenWaitsForPort(t *testing.T) {
	var ports []int
	var holders []net.Listener
	for range 5 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		holders = append(holders, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range holders[:4] {
		l.Close()
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		holders[4].Close() // the iopub port
	}()
	c := ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: ports[0], ControlPort: ports[1], StdinPort: ports[2],
		HBPort: ports[3], IOPubPort: ports[4], SignatureScheme: "hmac-sha256", Key: "k"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := Listen(ctx, c, 1<<20, log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	s.Close()
}
