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
	errStalled     = errors.New("fetch: server stalled")
	errUnverified  = errors.New("fetch: no published size or sha256")
)

// Defaults of Options' limits.
const (
	DefaultStallTimeout = time.Minute
	DefaultMaxSize      = 4 << 30 // 4 GiB
)

// Options tunes Download; the zero value downloads from the model's URLs.
type Options struct {
	// BaseURL, when set, replaces the directory of every file's URL (a
	// mirror, or a test server). Default: $STYLELAB_WEIGHTS_URL.
	BaseURL string
	// Progress, when set, is called as bytes arrive; total is -1 while unknown.
	Progress func(done, total int64)
	// Client defaults to one without an overall timeout (files are large);
	// StallTimeout guards every attempt whatever the client.
	Client *http.Client
	// Attempts per file; each resumes the partial file. 0 means 3.
	Attempts int
	// StallTimeout abandons an attempt (which the next one resumes) when no
	// byte has arrived for this long: while connecting, waiting for the
	// headers or mid-body. 0 means DefaultStallTimeout.
	StallTimeout time.Duration
	// AllowUnverified saves files that have neither a published size nor a
	// published sha256, which nothing can check; without it Download refuses
	// them before downloading anything.
	AllowUnverified bool
	// MaxSize bounds a file whose size is not published, when the server
	// does not announce one either. 0 means DefaultMaxSize.
	MaxSize int64
}

// Download brings model m into dir: each file goes to NAME.part (resumed
// with an HTTP Range request when it exists), is checked against its
// published size and sha256, then renamed to NAME; a file is never in
// place unchecked. Files already present and intact are kept. A body
// longer than the published size, or a server that sends nothing for
// StallTimeout, ends the attempt; a resumed file that fails its checksum
// is downloaded once more from the start. Cancel ctx to stop; the .part
// files stay for the next Download.
func Download(ctx context.Context, m Model, dir string, opts Options) error {
	if opts.BaseURL == "" {
		opts.BaseURL = os.Getenv("STYLELAB_WEIGHTS_URL")
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = DefaultStallTimeout
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	for _, f := range m.Files {
		if f.Size <= 0 && f.SHA256 == "" && !opts.AllowUnverified {
			return fmt.Errorf("fetch: %s: %s has no published size or sha256, so its download could not be checked (%w); to save it anyway, pass -allow-unverified (Options.AllowUnverified); loading it will say its weights are unverified",
				m.Name, f.Name, errUnverified)
		}
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
	for fresh := false; ; fresh = true {
		resumed, err := download(ctx, opts, url, part, f, p, start, &sized)
		if err != nil {
			return err
		}
		got, size, err := hashAndSize(part)
		if err != nil {
			return fmt.Errorf("fetch: checking %s: %w", part, err)
		}
		var bad string
		if f.Size > 0 && size != f.Size {
			bad = fmt.Sprintf("downloaded %d bytes from %s, want %d", size, url, f.Size)
		} else if !strings.HasPrefix(got, f.SHA256) {
			bad = fmt.Sprintf("sha256 %s, want %s: the download from %s is corrupt or was changed upstream", got, f.SHA256, url)
		}
		if bad == "" {
			if err := os.Rename(part, dest); err != nil {
				return fmt.Errorf("fetch: %w", err)
			}
			return nil
		}
		if err := os.Remove(part); err != nil {
			return fmt.Errorf("fetch: %s: %s: %w; removing %s: %w", dest, bad, errChecksum, part, err)
		}
		if resumed && !fresh {
			continue // the bytes kept from before may be the bad ones: start over once
		}
		return fmt.Errorf("fetch: %s: %s: %w (deleted it; fetch again)", dest, bad, errChecksum)
	}
}

// download brings url into part within opts.Attempts attempts, each
// resuming where the last stopped; resumed says whether part holds bytes
// from before this call or from an attempt that broke off.
func download(ctx context.Context, opts Options, url, part string, f File, p *fetchProgress, start int64, sized *bool) (resumed bool, err error) {
	for attempt := 1; ; attempt++ {
		p.done = start
		r, retry, err := fetchOnce(ctx, opts, url, part, f, p, sized)
		resumed = resumed || r
		if err == nil {
			return resumed, nil
		}
		if ctx.Err() != nil {
			return resumed, fmt.Errorf("fetch: download of %s stopped (%w); run fetch again to resume from %s", url, ctx.Err(), part)
		}
		if !retry || attempt >= opts.Attempts {
			return resumed, err
		}
		select {
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		case <-ctx.Done():
			return resumed, fmt.Errorf("fetch: download of %s stopped (%w); run fetch again to resume from %s", url, ctx.Err(), part)
		}
	}
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

// fetchOnce makes one request, appending to part; resumed says whether it
// kept bytes already in part, retry whether a new attempt may help. sized
// is set once the file's total size has been added to p. The attempt ends
// when opts.StallTimeout passes without a byte, and never writes more than
// the published size (or, unpublished, the announced size or opts.MaxSize).
func fetchOnce(ctx context.Context, opts Options, url, part string, f File, p *fetchProgress, sized *bool) (resumed, retry bool, err error) {
	var offset int64
	if st, err := os.Stat(part); err == nil {
		offset = st.Size()
	}
	if f.Size > 0 && offset >= f.Size {
		if offset == f.Size {
			p.add(offset)
			return true, false, nil // complete: verified by the caller
		}
		if err := os.Remove(part); err != nil { // longer than the file: useless
			return false, false, fmt.Errorf("fetch: %w", err)
		}
		offset = 0
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := time.AfterFunc(opts.StallTimeout, func() { cancel(errStalled) })
	defer stall.Stop()
	stalled := func() bool { return context.Cause(actx) == errStalled }
	stallErr := fmt.Errorf("fetch: %s sent nothing for %v (%w); run fetch again to resume, or raise -stall-timeout", url, opts.StallTimeout, errStalled)

	req, err := http.NewRequestWithContext(actx, http.MethodGet, url, nil)
	if err != nil {
		return false, false, fmt.Errorf("fetch: bad download URL %q: %w", url, err)
	}
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := opts.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return false, false, ctx.Err()
		}
		if stalled() {
			return false, true, stallErr
		}
		return false, false, fmt.Errorf("%w: cannot download %s (%w)", errUnreachable, url, err)
	}
	defer resp.Body.Close()
	flags := os.O_CREATE | os.O_WRONLY
	switch {
	case resp.StatusCode == http.StatusOK:
		offset, flags = 0, flags|os.O_TRUNC
	case resp.StatusCode == http.StatusPartialContent:
		if err := checkRange(resp, offset, f.Size); err != nil {
			if rerr := os.Remove(part); rerr != nil {
				return false, false, fmt.Errorf("fetch: %w", rerr)
			}
			return false, true, fmt.Errorf("fetch: %s answered a request from byte %d with %w; deleted %s to start over", url, offset, err, part)
		}
		flags |= os.O_APPEND
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0:
		p.add(offset)
		return true, false, nil // nothing past the end: the part is complete or corrupt; the hash decides
	default:
		return false, resp.StatusCode >= 500, fmt.Errorf("fetch: downloading %s: server answered %s (check the URL, -base-url or STYLELAB_WEIGHTS_URL)", url, resp.Status)
	}
	if f.Size > 0 && resp.ContentLength >= 0 && offset+resp.ContentLength != f.Size {
		return false, false, fmt.Errorf("fetch: %s announces %d bytes from byte %d, the published size is %d: %w (the server holds another file; check -base-url)", url, resp.ContentLength, offset, f.Size, errChecksum)
	}
	// The most this attempt writes: the rest of the published size (the
	// sha256 then judges what came), else what the server announces, else
	// up to MaxSize, beyond which the body is refused.
	limit, capped := f.Size-offset, false
	if f.Size <= 0 {
		limit, capped = opts.MaxSize-offset, resp.ContentLength < 0
		if resp.ContentLength > limit {
			return false, false, fmt.Errorf("fetch: %s announces %d bytes from byte %d, more than the %d accepted for a file of unpublished size (Options.MaxSize)", url, resp.ContentLength, offset, opts.MaxSize)
		}
		if resp.ContentLength >= 0 {
			limit = resp.ContentLength
		}
	}
	if !*sized && resp.ContentLength >= 0 {
		p.unknown--
		p.total += offset + resp.ContentLength
		*sized = true
	}
	out, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return false, false, fmt.Errorf("fetch: %w", err)
	}
	p.add(offset)
	body := stallReader{resp.Body, stall, opts.StallTimeout}
	n, err := io.Copy(out, io.TeeReader(io.LimitReader(body, limit), progressWriter{p}))
	more := 0
	if err == nil && capped && n == limit {
		var b [1]byte
		more, _ = io.ReadFull(body, b[:])
	}
	if cerr := out.Close(); err == nil && cerr != nil {
		return offset > 0, false, fmt.Errorf("fetch: %w", cerr)
	}
	switch {
	case err != nil:
		kept := offset+n > 0
		if ctx.Err() != nil {
			return kept, false, ctx.Err()
		}
		if stalled() {
			return kept, true, stallErr
		}
		return kept, true, fmt.Errorf("fetch: download of %s broke off after %d bytes (%w); run fetch again to resume", url, offset+n, err)
	case more > 0:
		if err := os.Remove(part); err != nil {
			return false, false, fmt.Errorf("fetch: %w", err)
		}
		return false, false, fmt.Errorf("fetch: %s sent more than %d bytes, the most accepted for a file of unpublished size (Options.MaxSize): stopped reading and deleted %s", url, opts.MaxSize, part)
	case n < limit && !capped:
		return offset+n > 0, true, fmt.Errorf("fetch: download of %s broke off after %d of %d bytes; run fetch again to resume", url, offset+n, offset+limit)
	}
	return offset > 0, false, nil
}

// checkRange checks a 206 answer to a request from byte offset: its
// Content-Range must start there and, when the size is published, end at
// the file's end.
func checkRange(resp *http.Response, offset, size int64) error {
	h := resp.Header.Get("Content-Range")
	start, total := contentRange(h)
	if start != offset || size > 0 && total >= 0 && total != size {
		return fmt.Errorf("range %q (want bytes %d-%d/%d)", h, offset, size-1, size)
	}
	return nil
}

// stallReader postpones the stall timer whenever bytes arrive.
type stallReader struct {
	r     io.Reader
	timer *time.Timer
	d     time.Duration
}

func (s stallReader) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	if n > 0 {
		s.timer.Reset(s.d)
	}
	return n, err
}

type progressWriter struct{ p *fetchProgress }

func (w progressWriter) Write(b []byte) (int, error) {
	w.p.add(int64(len(b)))
	return len(b), nil
}

// contentRange parses "bytes START-END/TOTAL": START, or -1 when
// malformed, and TOTAL, or -1 when "*" or malformed.
func contentRange(h string) (start, total int64) {
	h, ok := strings.CutPrefix(h, "bytes ")
	rng, size, ok2 := strings.Cut(h, "/")
	first, _, ok3 := strings.Cut(rng, "-")
	if !ok || !ok2 || !ok3 {
		return -1, -1
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		start = -1
	}
	total, err = strconv.ParseInt(size, 10, 64)
	if err != nil {
		total = -1
	}
	return start, total
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
