package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostileServer serves one file through a handler that may misbehave;
// handle gets the request's number (1 for the first) and the file.
type hostileServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []string // the Range header of each request, "" when none
}

func newHostileServer(t *testing.T, data []byte, handle func(w http.ResponseWriter, r *http.Request, n int, data []byte)) *hostileServer {
	s := &hostileServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Header.Get("Range"))
		n := len(s.reqs)
		s.mu.Unlock()
		handle(w, r, n, data)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *hostileServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

// serve answers properly, with Range support.
func serve(w http.ResponseWriter, r *http.Request, data []byte) {
	http.ServeContent(w, r, "w.bin", time.Time{}, bytes.NewReader(data))
}

// hang waits until the client gives up (or 5 s pass, should it not).
func hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

// endless writes chunk again and again until the client goes away.
func endless(w http.ResponseWriter, chunk []byte) {
	for {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// raw writes a response by hand on the hijacked connection, then closes
// it; head is the status line and headers, which end the connection.
func raw(w http.ResponseWriter, head string, body []byte) {
	head = strings.Replace(head, "\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1)
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	buf.WriteString(head)
	buf.Write(body)
	buf.Flush()
}

// TestDownloadHostileServers: servers on 127.0.0.1 that stall, send
// endless data, more or less than they announce, wrong ranges, or close
// mid-body. Each download ends quickly, never writes past the published
// size, and never leaves a file in place that fails its checks.
func TestDownloadHostileServers(t *testing.T) {
	data := make([]byte, 64<<10+3)
	for i := range data {
		data[i] = byte(i*31/7 + i>>9)
	}
	sum := sha256.Sum256(data)
	published := File{Name: "w.bin", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	hashOnly := File{Name: "w.bin", SHA256: published.SHA256}
	garbage := bytes.Repeat([]byte("junk"), 1000)
	const stall = 150 * time.Millisecond
	for _, tc := range []struct {
		name     string
		file     File
		part     []byte // w.bin.part before the download
		attempts int
		maxSize  int64
		handle   func(w http.ResponseWriter, r *http.Request, n int, data []byte)
		err      error    // nil: the download succeeds
		want     []string // in the error
		reqs     []string // the Range headers, when checked
		keepPart int      // bytes of w.bin.part left after a failure, -1 for none
	}{
		{name: "stalls before the headers", file: published, attempts: 2,
			handle: func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) { hang(r) },
			err:    errStalled, want: []string{"sent nothing for 150ms", "-stall-timeout"}, reqs: []string{"", ""}, keepPart: -1},
		{name: "stalls mid-body", file: published, attempts: 1,
			handle: func(w http.ResponseWriter, r *http.Request, _ int, data []byte) {
				w.Header().Set("Content-Length", fmt.Sprint(len(data)))
				w.Write(data[:1000])
				w.(http.Flusher).Flush()
				hang(r)
			},
			err: errStalled, want: []string{"sent nothing for 150ms", "resume"}, keepPart: 1000},
		{name: "stalls, then resumes", file: published, attempts: 2,
			handle: func(w http.ResponseWriter, r *http.Request, n int, data []byte) {
				if n == 1 {
					w.Header().Set("Content-Length", fmt.Sprint(len(data)))
					w.Write(data[:1000])
					w.(http.Flusher).Flush()
					hang(r)
					return
				}
				serve(w, r, data)
			},
			reqs: []string{"", "bytes=1000-"}},
		{name: "endless junk, size published", file: published, attempts: 3,
			handle: func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) { endless(w, garbage) },
			err:    errChecksum, want: []string{"sha256", "corrupt", "deleted it"}, reqs: []string{""}, keepPart: -1},
		{name: "the file, then endless junk", file: published,
			handle: func(w http.ResponseWriter, _ *http.Request, _ int, data []byte) {
				w.Write(data)
				endless(w, garbage)
			}},
		{name: "endless data, size unpublished", file: hashOnly, maxSize: 1 << 20,
			handle: func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) { endless(w, garbage) },
			want:   []string{"sent more than 1048576 bytes", "Options.MaxSize", "deleted"}, keepPart: -1},
		{name: "announces more than the most accepted", file: hashOnly, maxSize: 1 << 10,
			handle: func(w http.ResponseWriter, r *http.Request, _ int, data []byte) { serve(w, r, data) },
			want:   []string{"announces 65539 bytes from byte 0, more than the 1024 accepted"}, keepPart: -1},
		{name: "more than its Content-Length", file: published,
			handle: func(w http.ResponseWriter, _ *http.Request, _ int, data []byte) {
				raw(w, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(data)), append(append([]byte(nil), data...), garbage...))
			}},
		{name: "Content-Length below the published size", file: published, attempts: 3,
			handle: func(w http.ResponseWriter, _ *http.Request, _ int, data []byte) {
				raw(w, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", data)
			},
			err: errChecksum, want: []string{"announces 1000 bytes from byte 0, the published size is 65539"}, reqs: []string{""}, keepPart: -1},
		{name: "Content-Length below the file, size unpublished", file: hashOnly,
			handle: func(w http.ResponseWriter, _ *http.Request, _ int, data []byte) {
				raw(w, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", data)
			},
			err: errChecksum, want: []string{"sha256", "deleted it"}, keepPart: -1},
		{name: "Content-Length above what it sends", file: published, attempts: 1,
			handle: func(w http.ResponseWriter, _ *http.Request, _ int, data []byte) {
				raw(w, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(data)), data[:5000])
			},
			want: []string{"broke off after 5000 bytes", "resume"}, keepPart: 5000},
		{name: "closes mid-body, then resumes", file: published, attempts: 2,
			handle: func(w http.ResponseWriter, r *http.Request, n int, data []byte) {
				if n == 1 {
					raw(w, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(data)), data[:5000])
					return
				}
				serve(w, r, data)
			},
			reqs: []string{"", "bytes=5000-"}},
		{name: "206 from the wrong byte", file: published, part: data[:1000], attempts: 2,
			handle: func(w http.ResponseWriter, r *http.Request, n int, data []byte) {
				if r.Header.Get("Range") != "" {
					w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(data)-1, len(data)))
					w.Header().Set("Content-Length", fmt.Sprint(len(data)))
					w.WriteHeader(http.StatusPartialContent)
					w.Write(data)
					return
				}
				serve(w, r, data)
			},
			reqs: []string{"bytes=1000-", ""}},
		{name: "206 of another file's size", file: published, part: data[:1000], attempts: 1,
			handle: func(w http.ResponseWriter, r *http.Request, n int, data []byte) {
				w.Header().Set("Content-Range", fmt.Sprintf("bytes 1000-%d/%d", len(data)+99, len(data)+100))
				w.Header().Set("Content-Length", fmt.Sprint(len(data)+100-1000))
				w.WriteHeader(http.StatusPartialContent)
				w.Write(append(data[1000:], make([]byte, 100)...))
			},
			want: []string{`range "bytes 1000-65638/65639"`, "want bytes 1000-65538/65539", "deleted"}, reqs: []string{"bytes=1000-"}, keepPart: -1},
		{name: "corrupt partial file restarts cleanly", file: published, part: garbage[:1000],
			handle: func(w http.ResponseWriter, r *http.Request, _ int, data []byte) { serve(w, r, data) },
			reqs:   []string{"bytes=1000-", ""}},
		{name: "complete but corrupt partial file restarts cleanly", file: published, part: bytes.Repeat([]byte{7}, len(data)),
			handle: func(w http.ResponseWriter, r *http.Request, _ int, data []byte) { serve(w, r, data) },
			reqs:   []string{""}},
		{name: "corrupt partial file, corrupt server", file: published, part: garbage[:1000],
			handle: func(w http.ResponseWriter, r *http.Request, _ int, data []byte) {
				serve(w, r, bytes.Repeat([]byte{1}, len(data)))
			},
			err: errChecksum, want: []string{"sha256", "deleted it"}, reqs: []string{"bytes=1000-", ""}, keepPart: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newHostileServer(t, data, tc.handle)
			dir := t.TempDir()
			dest := filepath.Join(dir, "w.bin")
			if tc.part != nil {
				if err := os.WriteFile(dest+".part", tc.part, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			m := Model{Name: "hostile", Files: []File{tc.file}}
			opts := Options{BaseURL: srv.URL, Attempts: tc.attempts, StallTimeout: stall, MaxSize: tc.maxSize}
			start := time.Now()
			err := Download(context.Background(), m, dir, opts)
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("Download took %v", elapsed)
			}
			failed := tc.err != nil || tc.want != nil
			switch {
			case !failed && err != nil:
				t.Fatalf("Download failed: %v", err)
			case failed && err == nil:
				t.Fatal("Download succeeded")
			case tc.err != nil && !errors.Is(err, tc.err):
				t.Errorf("error %v is not %v", err, tc.err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if tc.reqs != nil && !slices.Equal(srv.requests(), tc.reqs) {
				t.Errorf("requests with Range %q, want %q", srv.requests(), tc.reqs)
			}
			got, rerr := os.ReadFile(dest)
			if !failed {
				if rerr != nil || !bytes.Equal(got, data) {
					t.Fatalf("w.bin holds %d bytes (%v), want the file's %d", len(got), rerr, len(data))
				}
				if _, err := os.Stat(dest + ".part"); err == nil {
					t.Fatal("w.bin.part left beside the complete file")
				}
				return
			}
			if rerr == nil {
				t.Fatalf("a failed download left w.bin in place (%d bytes)", len(got))
			}
			st, perr := os.Stat(dest + ".part")
			switch {
			case tc.keepPart < 0 && perr == nil:
				t.Errorf("w.bin.part kept (%d bytes) after %v", st.Size(), err)
			case tc.keepPart >= 0 && (perr != nil || st.Size() != int64(tc.keepPart)):
				t.Errorf("w.bin.part: %v %v, want %d bytes kept to resume", st, perr, tc.keepPart)
			}
		})
	}
}

// TestDownloadUnverified: a file with neither a published size nor a
// sha256 is refused before anything is downloaded, unless asked for.
func TestDownloadUnverified(t *testing.T) {
	data := []byte("weights nobody published a hash for")
	srv := newHostileServer(t, data, func(w http.ResponseWriter, r *http.Request, _ int, data []byte) { serve(w, r, data) })
	m := Model{Name: "unpublished", Files: []File{{Name: "w.bin"}}}
	dir := filepath.Join(t.TempDir(), "m")
	err := Download(context.Background(), m, dir, Options{BaseURL: srv.URL})
	if !errors.Is(err, errUnverified) || !strings.Contains(err.Error(), "-allow-unverified") || !strings.Contains(err.Error(), "w.bin") {
		t.Fatalf("error %v, want a refusal naming w.bin and -allow-unverified", err)
	}
	if _, serr := os.Stat(dir); serr == nil || len(srv.requests()) != 0 {
		t.Fatalf("refused download created %s (%v) or made %d requests", dir, serr, len(srv.requests()))
	}
	if err := Download(context.Background(), m, dir, Options{BaseURL: srv.URL, AllowUnverified: true}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "w.bin")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("w.bin = %q, %v", got, err)
	}
}
