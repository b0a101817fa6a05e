package jupyter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/go-zeromq/zmq4"
)

// ConnectionInfo is the connection file Jupyter writes for a kernel.
type ConnectionInfo struct {
	Transport       string `json:"transport"`
	IP              string `json:"ip"`
	ShellPort       int    `json:"shell_port"`
	ControlPort     int    `json:"control_port"`
	IOPubPort       int    `json:"iopub_port"`
	StdinPort       int    `json:"stdin_port"`
	HBPort          int    `json:"hb_port"`
	SignatureScheme string `json:"signature_scheme"`
	Key             string `json:"key"`
	KernelName      string `json:"kernel_name,omitempty"`
}

// ReadConnectionFile reads and checks a connection file. An empty ip means
// the loopback address; tcp is the default transport.
func ReadConnectionFile(path string) (ConnectionInfo, error) {
	var c ConnectionInfo
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("jupyter: %w", err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("jupyter: connection file %s: %w", path, err)
	}
	if c.Transport == "" {
		c.Transport = "tcp"
	}
	if c.IP == "" {
		c.IP = "127.0.0.1"
	}
	if c.Transport != "tcp" && c.Transport != "ipc" {
		return c, fmt.Errorf("jupyter: connection file %s: transport %q is not tcp or ipc", path, c.Transport)
	}
	for name, p := range map[string]int{"shell": c.ShellPort, "control": c.ControlPort, "iopub": c.IOPubPort, "stdin": c.StdinPort, "hb": c.HBPort} {
		if p <= 0 || p > 65535 {
			return c, fmt.Errorf("jupyter: connection file %s: %s_port %d is not a port number", path, name, p)
		}
	}
	return c, nil
}

// Endpoint is the ZeroMQ address of port.
func (c ConnectionInfo) Endpoint(port int) string {
	if c.Transport == "ipc" {
		return "ipc://" + c.IP + "-" + strconv.Itoa(port)
	}
	return "tcp://" + net.JoinHostPort(c.IP, strconv.Itoa(port))
}

// Channel names one of the kernel's sockets.
type Channel int

// The kernel's channels.
const (
	Shell Channel = iota
	Control
	Stdin
	IOPub
	Heartbeat
	numChannels
)

var channelNames = [...]string{"shell", "control", "stdin", "iopub", "hb"}

func (c Channel) String() string { return channelNames[c] }

// Sockets are a kernel's bound sockets. Send and Publish may be called from
// any goroutine; each channel is received from by one goroutine.
type Sockets struct {
	Session string // this kernel's session id, in every header it sends
	signer  Signer
	seen    *digests // signatures received, to drop replays
	log     *log.Logger
	socks   [numChannels]zmq4.Socket
	mu      [numChannels]sync.Mutex
}

// Listen binds the five sockets at the connection's address. A peer's
// message larger than maxMessage bytes (frames plus 32 bytes each) closes
// its connection before it is read; 0 means no bound.
func Listen(ctx context.Context, c ConnectionInfo, maxMessage int64, logger *log.Logger) (*Sockets, error) {
	signer, err := NewSigner(c.SignatureScheme, c.Key)
	if err != nil {
		return nil, err
	}
	s := &Sockets{Session: NewID(), signer: signer, seen: newDigests(DigestHistory), log: logger}
	opts := []zmq4.Option{zmq4.WithLogger(logger), zmq4.WithMaxMessageSize(maxMessage)}
	s.socks[Shell] = zmq4.NewRouter(ctx, opts...)
	s.socks[Control] = zmq4.NewRouter(ctx, opts...)
	s.socks[Stdin] = zmq4.NewRouter(ctx, opts...)
	s.socks[IOPub] = zmq4.NewPub(ctx, opts...)
	s.socks[Heartbeat] = zmq4.NewRep(ctx, opts...)
	ports := [numChannels]int{c.ShellPort, c.ControlPort, c.StdinPort, c.IOPubPort, c.HBPort}
	deadline := time.Now().Add(bindWait)
	for ch, sock := range s.socks {
		for {
			err := sock.Listen(c.Endpoint(ports[ch]))
			if err == nil {
				break
			}
			if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
				s.Close()
				return nil, fmt.Errorf("jupyter: binding %s at %s: %w", Channel(ch), c.Endpoint(ports[ch]), err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return s, nil
}

// bindWait is how long Listen waits for a port in use to be freed: a
// kernel restarted on the ports of one that died may find its crash
// monitor still publishing on iopub.
const bindWait = 3 * time.Second

// Close closes every socket.
func (s *Sockets) Close() error {
	var errs []error
	for _, sock := range s.socks {
		if sock != nil {
			errs = append(errs, sock.Close())
		}
	}
	return errors.Join(errs...)
}

// Recv returns the next correctly signed message on ch. Messages that fail
// to verify or parse, and replays of a message received before (same
// signature, on any channel), are logged and dropped.
func (s *Sockets) Recv(ch Channel) (*Message, error) {
	for {
		raw, err := s.socks[ch].Recv()
		if err != nil {
			return nil, fmt.Errorf("jupyter: receiving on %s: %w", ch, err)
		}
		m, err := s.signer.Decode(raw.Frames)
		if errors.Is(err, ErrBadSignature) {
			s.log.Printf("dropped a badly signed %q message on %s (msg_id %q)", m.Header.MsgType, ch, m.Header.MsgID)
			continue
		}
		if err != nil {
			s.log.Printf("dropped a malformed message on %s: %v", ch, err)
			continue
		}
		if m.signature != nil && !s.seen.add(m.signature) {
			s.log.Printf("dropped a replayed %q message on %s (msg_id %q)", m.Header.MsgType, ch, m.Header.MsgID)
			continue
		}
		return m, nil
	}
}

// Send signs m and sends it on ch.
func (s *Sockets) Send(ch Channel, m *Message) error {
	frames, err := s.signer.Encode(m)
	if err != nil {
		return err
	}
	s.mu[ch].Lock()
	defer s.mu[ch].Unlock()
	if err := s.socks[ch].Send(zmq4.NewMsgFrom(frames...)); err != nil {
		return fmt.Errorf("jupyter: sending %s on %s: %w", m.Header.MsgType, ch, err)
	}
	return nil
}

// New returns a message of msgType answering parent (nil: none).
func (s *Sockets) New(msgType string, parent *Message, content any) *Message {
	m := &Message{Header: NewHeader(msgType, s.Session, "kernel"), Content: content}
	if parent != nil {
		m.Parent = parent.Header
		m.Header.Username = parent.Header.Username
	}
	return m
}

// Reply sends the reply of msgType to req on ch, routed to its sender.
func (s *Sockets) Reply(ch Channel, req *Message, msgType string, content any) error {
	m := s.New(msgType, req, content)
	m.Identities = req.Identities
	return s.Send(ch, m)
}

// Publish broadcasts a message of msgType on iopub, as a child of parent.
func (s *Sockets) Publish(parent *Message, msgType string, content any) error {
	m := s.New(msgType, parent, content)
	m.Identities = [][]byte{[]byte("kernel." + s.Session + "." + msgType)}
	return s.Send(IOPub, m)
}

// Heartbeat echoes every ping until the socket closes or ctx ends. A
// malformed ping (no envelope) is logged and dropped.
func (s *Sockets) Heartbeat(ctx context.Context) error {
	for ctx.Err() == nil {
		msg, err := s.socks[Heartbeat].Recv()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				break
			}
			s.log.Printf("dropped a heartbeat: %v", err)
			continue
		}
		if err := s.socks[Heartbeat].Send(msg); err != nil {
			return fmt.Errorf("jupyter: heartbeat: %w", err)
		}
	}
	return ctx.Err()
}

// PublishAlone publishes one message on the connection's iopub port with
// no kernel running: it binds the port (retrying until wait has passed,
// while the kernel that held it ends), waits up to wait for a front end to
// subscribe again, sends the message as a child of parent, signed, and
// closes. A crash monitor uses it to say why a kernel died.
func PublishAlone(ctx context.Context, c ConnectionInfo, session string, parent Header, msgType string, content any, wait time.Duration, logger *log.Logger) error {
	signer, err := NewSigner(c.SignatureScheme, c.Key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*wait)
	defer cancel()
	pub := zmq4.NewPub(ctx, zmq4.WithLogger(logger))
	defer pub.Close()
	deadline := time.Now().Add(wait)
	for {
		err := pub.Listen(c.Endpoint(c.IOPubPort))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("jupyter: binding iopub at %s: %w", c.Endpoint(c.IOPubPort), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Subscribers reconnect on their own (ZeroMQ retries every 100 ms) and
	// subscribe again; a message sent before would be lost.
	topics, _ := pub.(zmq4.Topics)
	for topics != nil && len(topics.Topics()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the other front ends of the kernel
	m := &Message{Header: NewHeader(msgType, session, "kernel"), Parent: parent, Content: content}
	m.Identities = [][]byte{[]byte("kernel." + session + "." + msgType)}
	frames, err := signer.Encode(m)
	if err != nil {
		return err
	}
	if err := pub.Send(zmq4.NewMsgFrom(frames...)); err != nil {
		return fmt.Errorf("jupyter: publishing %s: %w", msgType, err)
	}
	time.Sleep(200 * time.Millisecond) // the PUB socket sends on its own goroutine
	return nil
}
