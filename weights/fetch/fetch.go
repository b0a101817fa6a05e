package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Errors Download and Verify wrap, for errors.Is.
var (
	errUnreachable = errors.New("fetch: network unreachable")
	errChecksum    = errors.New("fetch: checksum mismatch")
)

// Options tunes Download; the zero value downloads from the model's URLs.
type Options struct {
	// BaseURL, when set, replaces the directory of every file's URL (a
	// mirror, or a test server). Default: $STYLELAB_WEIGHTS_URL.
	BaseURL string
	// Progress, when set, is called as bytes arrive; total is -1 while unknown.
	Progress func(done, total int64)
	// Client defaults to one without an overall timeout (files are large)
	// that gives up on a server silent for a minute before its headers.
	Client *http.Client
	// Attempts per file; each resumes the partial file. 0 means 3.
	Attempts int
}

// Download brings model m into dir: each file goes to NAME.part (resumed
// with an HTTP Range request when it exists), is checked against its
// published size and sha256, then renamed to NAME. Files already present
// and intact are kept. Cancel ctx to stop; the .part files stay for the
// next Download.
func Download(ctx context.Context, m Model, dir string, opts Options) error {
	if opts.BaseURL == "" {
		opts.BaseURL = os.Getenv("STYLELAB_WEIGHTS_URL")
	}
	if opts.Client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = time.Minute
		opts.Client = &http.Client{Transport: t}
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("fetch: weights directory: %w (pass a writable directory)", err)
	}
	p := &fetchProgress{report: opts.Progress}
	for _, f := range m.Files {
		if f.Size > 0 {
			p.total += f.Size
		} else {
			p.unknown++
		}
	}
	for _, f := range m.Files {
		url := f.URL
		if opts.BaseURL != "" {
			url = strings.TrimSuffix(opts.BaseURL, "/") + "/" + f.Name
		}
		if err := fetchFile(ctx, opts, url, filepath.Join(dir, f.Name), f, p); err != nil {
			if errors.Is(err, errUnreachable) {
				return fmt.Errorf("%w\nTo install %s by hand, download on a machine with internet:\n  %s\nplace the files in %s, then check them with `stylelab weights verify %s`. To use a mirror, pass -base-url or set STYLELAB_WEIGHTS_URL",
					err, m.Name, strings.Join(fileURLs(m), "\n  "), dir, dir)
			}
			return err
		}
	}
	return nil
}

func fileURLs(m Model) []string {
	urls := make([]string, 0, len(m.Files))
	for i, f := range m.Files {
		if i == 3 && len(m.Files) > 4 {
			urls = append(urls, fmt.Sprintf("... (%d files in all; `stylelab weights list` shows the base URL)", len(m.Files)))
			break
		}
		urls = append(urls, f.URL)
	}
	return urls
}

// fetchProgress adds up bytes across files for the Progress callback.
type fetchProgress struct {
	report      func(done, total int64)
	done, total int64
	unknown     int // files whose size is not known yet
}

func (p *fetchProgress) add(n int64) {
	p.done += n
	if p.report != nil {
		total := p.total
		if p.unknown > 0 {
			total = -1
		}
		p.report(p.done, total)
	}
}

// fetchFile brings one file to dest, verified.
func fetchFile(ctx context.Context, opts Options, url, dest string, f File, p *fetchProgress) error {
	if ok, size := intact(dest, f); ok {
		if f.Size <= 0 {
			p.unknown--
			p.total += size
		}
		p.add(size)
		return nil
	}
	part := dest + ".part"
	start, sized := p.done, f.Size > 0
	for attempt := 1; ; attempt++ {
		p.done = start
		retry, err := fetchOnce(ctx, opts.Client, url, part, f, p, &sized)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("fetch: download of %s stopped (%w); run fetch again to resume from %s", url, ctx.Err(), part)
		}
		if !retry || attempt >= opts.Attempts {
			return err
		}
		select {
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("fetch: download of %s stopped (%w); run fetch again to resume from %s", url, ctx.Err(), part)
		}
	}
	got, size, err := hashAndSize(part)
	if err != nil {
		return fmt.Errorf("fetch: checking %s: %w", part, err)
	}
	if f.Size > 0 && size != f.Size {
		os.Remove(part)
		return fmt.Errorf("fetch: %s: downloaded %d bytes from %s, want %d: %w (deleted it; fetch again)", dest, size, url, f.Size, errChecksum)
	}
	if !strings.HasPrefix(got, f.SHA256) {
		os.Remove(part)
		return fmt.Errorf("fetch: %s: sha256 %s, want %s: %w (the download from %s is corrupt or was changed upstream; deleted it)", dest, got, f.SHA256, errChecksum, url)
	}
	if err := os.Rename(part, dest); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	return nil
}

// intact reports whether dest exists and matches f's size and hash.
func intact(dest string, f File) (bool, int64) {
	st, err := os.Stat(dest)
	if err != nil || (f.Size > 0 && st.Size() != f.Size) {
		return false, 0
	}
	if f.SHA256 == "" {
		return st.Size() > 0, st.Size()
	}
	got, size, err := hashAndSize(dest)
	return err == nil && strings.HasPrefix(got, f.SHA256), size
}

// fetchOnce makes one request, appending to part; retry says whether a new
// attempt may help.
// sized is set once the file's total size has been added to p.
func fetchOnce(ctx context.Context, client *http.Client, url, part string, f File, p *fetchProgress, sized *bool) (retry bool, err error) {
	var offset int64
	if st, err := os.Stat(part); err == nil {
		offset = st.Size()
	}
	if f.Size > 0 && offset >= f.Size {
		if offset == f.Size {
			p.add(offset)
			return false, nil // complete: verified by the caller
		}
		offset = 0
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, fmt.Errorf("fetch: bad download URL %q: %w", url, err)
	}
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, fmt.Errorf("%w: cannot download %s (%w)", errUnreachable, url, err)
	}
	defer resp.Body.Close()
	flags := os.O_CREATE | os.O_WRONLY
	switch {
	case resp.StatusCode == http.StatusOK:
		offset, flags = 0, flags|os.O_TRUNC
	case resp.StatusCode == http.StatusPartialContent && contentRangeStart(resp.Header.Get("Content-Range")) == offset:
		flags |= os.O_APPEND
	case resp.StatusCode == http.StatusPartialContent:
		os.Remove(part)
		return true, fmt.Errorf("fetch: %s answered range %q to a request from byte %d", url, resp.Header.Get("Content-Range"), offset)
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0:
		p.add(offset)
		return false, nil // nothing past the end: the part is complete or corrupt; the hash decides
	default:
		return resp.StatusCode >= 500, fmt.Errorf("fetch: downloading %s: server answered %s (check the URL, -base-url or STYLELAB_WEIGHTS_URL)", url, resp.Status)
	}
	if !*sized && resp.ContentLength >= 0 {
		p.unknown--
		p.total += offset + resp.ContentLength
		*sized = true
	}
	out, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return false, fmt.Errorf("fetch: %w", err)
	}
	p.add(offset)
	n, err := io.Copy(out, io.TeeReader(resp.Body, progressWriter{p}))
	if cerr := out.Close(); err == nil && cerr != nil {
		return false, fmt.Errorf("fetch: %w", cerr)
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return true, fmt.Errorf("fetch: download of %s broke off after %d bytes (%w); run fetch again to resume", url, offset+n, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return true, fmt.Errorf("fetch: download of %s broke off after %d of %d bytes; run fetch again to resume", url, offset+n, offset+resp.ContentLength)
	}
	return false, nil
}

type progressWriter struct{ p *fetchProgress }

func (w progressWriter) Write(b []byte) (int, error) {
	w.p.add(int64(len(b)))
	return len(b), nil
}

// contentRangeStart parses "bytes START-END/TOTAL"; -1 when malformed.
func contentRangeStart(h string) int64 {
	h = strings.TrimPrefix(h, "bytes ")
	i := strings.IndexByte(h, '-')
	if i < 0 {
		return -1
	}
	v, err := strconv.ParseInt(h[:i], 10, 64)
	if err != nil {
		return -1
	}
	return v
}

func hashAndSize(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}
