package jupyter

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"time"
)

// ProtocolVersion is the version of the messaging protocol spoken.
const ProtocolVersion = "5.3"

// delimiter separates the routing identities from the message proper.
var delimiter = []byte("<IDS|MSG>")

// Header identifies a message. The zero Header encodes as {}, the parent of
// a message that answers nothing.
type Header struct {
	MsgID    string `json:"msg_id,omitempty"`
	Session  string `json:"session,omitempty"`
	Username string `json:"username,omitempty"`
	Date     string `json:"date,omitempty"`
	MsgType  string `json:"msg_type,omitempty"`
	Version  string `json:"version,omitempty"`
}

// Message is one Jupyter message. Content is the raw JSON received; for a
// message to send, Content is marshalled as given.
type Message struct {
	Identities [][]byte // ZeroMQ routing prefix (ROUTER sockets) or topic (iopub)
	Header     Header
	Parent     Header
	Metadata   map[string]any
	Content    any // json.RawMessage when received
	Buffers    [][]byte

	signature []byte // the HMAC received, hex; nil when unsigned or sent
}

// Decode unmarshals the content of a received message into v.
func (m *Message) Decode(v any) error {
	raw, ok := m.Content.(json.RawMessage)
	if !ok {
		b, err := json.Marshal(m.Content)
		if err != nil {
			return fmt.Errorf("jupyter: %w", err)
		}
		raw = b
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("jupyter: decoding %s content: %w", m.Header.MsgType, err)
	}
	return nil
}

// ErrBadSignature reports a message whose HMAC did not verify.
var ErrBadSignature = errors.New("jupyter: bad message signature")

// Signer signs and verifies messages with a connection's key; an empty key
// disables signing, as the protocol allows.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer for scheme (only hmac-sha256, or "" with no key).
func NewSigner(scheme, key string) (Signer, error) {
	if key != "" && scheme != "hmac-sha256" {
		return Signer{}, fmt.Errorf("jupyter: signature scheme %q is not supported; use hmac-sha256", scheme)
	}
	return Signer{key: []byte(key)}, nil
}

func (s Signer) mac() hash.Hash { return hmac.New(sha256.New, s.key) }

func (s Signer) sign(parts [][]byte) []byte {
	if len(s.key) == 0 {
		return nil
	}
	m := s.mac()
	for _, p := range parts {
		m.Write(p)
	}
	sum := m.Sum(nil)
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum)
	return out
}

// Encode returns the wire frames of m, signed.
func (s Signer) Encode(m *Message) ([][]byte, error) {
	parts := make([][]byte, 4)
	var err error
	for i, v := range []any{m.Header, m.Parent, m.Metadata, m.Content} {
		if v == nil || (i == 2 && len(m.Metadata) == 0) {
			parts[i] = []byte("{}")
			continue
		}
		if parts[i], err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("jupyter: encoding %s: %w", m.Header.MsgType, err)
		}
	}
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, delimiter, s.sign(parts))
	frames = append(frames, parts...)
	frames = append(frames, m.Buffers...)
	return frames, nil
}

// Decode parses wire frames, verifying the signature. A bad signature
// returns ErrBadSignature with the message's identities and header as far
// as they could be read, for logging.
func (s Signer) Decode(frames [][]byte) (*Message, error) {
	i := 0
	for i < len(frames) && !bytes.Equal(frames[i], delimiter) {
		i++
	}
	if i == len(frames) || len(frames) < i+6 {
		return nil, fmt.Errorf("jupyter: malformed message of %d frames", len(frames))
	}
	m := &Message{Identities: frames[:i]}
	sig, parts := frames[i+1], frames[i+2:i+6]
	if len(s.key) > 0 {
		want := s.sign(parts)
		if !hmac.Equal(want, bytes.ToLower(sig)) {
			_ = json.Unmarshal(parts[0], &m.Header)
			return m, ErrBadSignature
		}
		m.signature = want
	}
	if err := json.Unmarshal(parts[0], &m.Header); err != nil {
		return nil, fmt.Errorf("jupyter: bad header: %w", err)
	}
	if err := json.Unmarshal(parts[1], &m.Parent); err != nil {
		return nil, fmt.Errorf("jupyter: bad parent header: %w", err)
	}
	if err := json.Unmarshal(parts[2], &m.Metadata); err != nil {
		return nil, fmt.Errorf("jupyter: bad metadata: %w", err)
	}
	m.Content = json.RawMessage(parts[3])
	m.Buffers = frames[i+6:]
	return m, nil
}

// NewHeader returns the header of a new message of msgType in session.
func NewHeader(msgType, session, username string) Header {
	return Header{
		MsgID:    NewID(),
		Session:  session,
		Username: username,
		Date:     time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"),
		MsgType:  msgType,
		Version:  ProtocolVersion,
	}
}

// NewID returns a random UUID (version 4) string.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
