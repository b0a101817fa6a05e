// Copyright 2018 The go-zeromq Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package zmq4

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"
)

// frameBytes encodes one frame header declaring size bytes, and body.
func frameBytes(more bool, size uint64, body []byte) []byte {
	var fl byte
	if more {
		fl |= hasMoreBitFlag
	}
	if size > 255 {
		hdr := make([]byte, 9)
		hdr[0] = fl | isLongBitFlag
		binary.BigEndian.PutUint64(hdr[1:], size)
		return append(hdr, body...)
	}
	return append([]byte{fl, byte(size)}, body...)
}

// readConn returns a Conn reading data (then EOF), bounded by max.
func readConn(data []byte, max int64) *Conn {
	client, server := net.Pipe()
	go func() {
		client.Write(data)
		client.Close()
	}()
	return &Conn{rw: server, sec: nullSecurity{}, maxMsgSize: max}
}

func TestReadBounds(t *testing.T) {
	manyEmpty := bytes.Repeat(frameBytes(true, 0, nil), 100000)
	for _, c := range []struct {
		name   string
		data   []byte
		max    int64
		want   error // nil: the message reads
		frames int
	}{
		{"declared 2^62, 10 bytes sent", frameBytes(false, 1<<62, []byte("0123456789")), 0, io.ErrUnexpectedEOF, 0},
		{"declared 2^62, bounded", frameBytes(false, 1<<62, nil), 1 << 20, ErrMsgTooLarge, 0},
		{"declared 2^63+1", frameBytes(false, 1<<63+1, nil), 0, errOverflow, 0},
		{"declared 1 MiB, 100 bytes sent", frameBytes(false, 1<<20, make([]byte, 100)), 0, io.ErrUnexpectedEOF, 0},
		{"truncated long header", []byte{isLongBitFlag, 0, 0}, 0, io.ErrUnexpectedEOF, 0},
		{"100000 empty frames, bounded", manyEmpty, 1 << 20, ErrMsgTooLarge, 0},
		{"frames summing past the bound", append(frameBytes(true, 600, make([]byte, 600)), frameBytes(false, 600, make([]byte, 600))...), 1000, ErrMsgTooLarge, 0},
		{"two frames within the bound", append(frameBytes(true, 3, []byte("abc")), frameBytes(false, 300000, make([]byte, 300000))...), 1 << 20, nil, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := readConn(c.data, c.max).read()
			if c.want == nil {
				if msg.err != nil || len(msg.Frames) != c.frames {
					t.Fatalf("err %v, %d frames; want %d frames", msg.err, len(msg.Frames), c.frames)
				}
				return
			}
			if !errors.Is(msg.err, c.want) {
				t.Fatalf("err %v, want %v", msg.err, c.want)
			}
		})
	}
}

// TestReadFrameAllocatesWhatArrived declares a 1 TiB frame and sends 1 MiB:
// the reader must not allocate much more than what arrived.
func TestReadFrameAllocatesWhatArrived(t *testing.T) {
	const sent = 1 << 20
	r := io.MultiReader(bytes.NewReader(make([]byte, sent)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := readFrame(r, 1<<40)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v, want unexpected EOF", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 4*sent+readChunk {
		t.Errorf("allocated %d bytes for %d that arrived", got, sent)
	}
	body, err := readFrame(bytes.NewReader(bytes.Repeat([]byte("x"), 3*readChunk+5)), 3*readChunk+5)
	if err != nil || len(body) != 3*readChunk+5 || body[len(body)-1] != 'x' {
		t.Errorf("a whole frame: %d bytes, %v", len(body), err)
	}
}

func TestMetadataTruncated(t *testing.T) {
	for _, data := range [][]byte{
		{3, 'a', 'b', 'c'},                  // no value length
		{3, 'a', 'b', 'c', 0, 0},            // half a value length
		{3, 'a', 'b', 'c', 0, 0, 0, 9, 'x'}, // value past the end
		{200, 'a'},                          // name past the end
		{0, 0xff, 0xff, 0xff, 0xff},         // 4 GiB value
	} {
		md := make(Metadata)
		if err := md.UnmarshalZMTP(data); err == nil {
			t.Errorf("%q: no error", data)
		}
	}
}

// TestSilentPeerDoesNotBlockAccept connects a peer that never greets, then
// a real one, which must get through; the silent one is dropped after the
// handshake timeout.
func TestSilentPeerDoesNotBlockAccept(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	router := NewRouter(ctx, WithHandshakeTimeout(500*time.Millisecond), WithMaxMessageSize(1<<20))
	defer router.Close()
	if err := router.Listen("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	addr := router.Addr().String()
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	dealer := NewDealer(ctx, WithID(SocketIdentity("real")))
	defer dealer.Close()
	if err := dealer.Dial("tcp://" + addr); err != nil {
		t.Fatal(err)
	}
	if err := dealer.Send(NewMsgString("hello")); err != nil {
		t.Fatal(err)
	}
	msg, err := router.Recv()
	if err != nil || len(msg.Frames) != 2 || string(msg.Frames[1]) != "hello" {
		t.Fatalf("recv: %v %v", msg, err)
	}
	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(silent); err != nil {
		t.Fatalf("the silent peer was not dropped: %v", err)
	}
}

// FuzzRead feeds arbitrary bytes to the frame reader: it returns a message
// or an error, and never panics.
func FuzzRead(f *testing.F) {
	f.Add(frameBytes(false, 3, []byte("abc")))
	f.Add(frameBytes(true, 1<<62, nil))
	f.Add([]byte{isLongBitFlag | isCommandBitFlag, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		msg := readConn(data, 1<<16).read()
		if msg.err == nil && msg.isCmd() {
			var cmd Cmd
			if cmd.unmarshalZMTP(msg.Frames[0]) == nil {
				md := make(Metadata)
				_ = md.UnmarshalZMTP(cmd.Body)
			}
		}
	})
}
