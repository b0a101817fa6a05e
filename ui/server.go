package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stylelab/stylelab/store"
)

//go:embed assets
var assets embed.FS

// Options configure a Server.
type Options struct {
	// ReadOnly refuses every edit (tags, notes) and hides the forms.
	ReadOnly bool
	// AllowRemote accepts requests for any Host; without it only loopback
	// names (localhost, 127.0.0.1, [::1]) are answered.
	AllowRemote bool
	// Poll is how often live views look at the store; default one second.
	Poll time.Duration
	// ThumbDir caches thumbnails; default "<db>-thumbs" beside the store.
	ThumbDir string
	// Log receives errors the pages could not show; default standard error.
	Log *log.Logger
}

// Server is the web page of one store. It is an http.Handler.
type Server struct {
	st    *store.Store
	opt   Options
	csrf  string // the edit token: an HMAC of a per-process random secret
	mux   *http.ServeMux
	pages map[string]*template.Template
	files map[string]staticFile // embedded static files by name

	closeOnce sync.Once
	closing   chan struct{} // closed by Close: ends live streams
}

// staticFile is an embedded asset with its content hash (for cache busting).
type staticFile struct {
	data []byte
	hash string
	kind string
}

// New makes the web page of st.
func New(st *store.Store, opt Options) (*Server, error) {
	if st == nil {
		return nil, errors.New("ui: no store given; open one with store.Open")
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.ThumbDir == "" {
		opt.ThumbDir = st.Path() + "-thumbs"
	}
	if opt.Log == nil {
		opt.Log = log.New(os.Stderr, "stylelab ui: ", log.LstdFlags)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("ui: make a CSRF secret: %w", err)
	}
	s := &Server{st: st, opt: opt, csrf: csrfToken(secret), mux: http.NewServeMux(),
		files: map[string]staticFile{}, closing: make(chan struct{})}
	if err := s.loadStatic(); err != nil {
		return nil, err
	}
	if err := s.loadPages(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /{$}", s.handleRuns)
	m.HandleFunc("GET /events", s.handleRunsEvents)
	m.HandleFunc("GET /runs/{id}", s.handleRun)
	m.HandleFunc("GET /runs/{id}/events", s.handleRunEvents)
	m.HandleFunc("GET /runs/{id}/export.json", s.handleExport)
	m.HandleFunc("GET /runs/{id}/export.csv", s.handleExport)
	m.HandleFunc("GET /runs/{id}/losses.svg", s.handleLossPlot)
	m.HandleFunc("POST /runs/{id}/tags", s.edit(s.handleTag))
	m.HandleFunc("POST /runs/{id}/untag", s.edit(s.handleUntag))
	m.HandleFunc("POST /runs/{id}/notes", s.edit(s.handleNote))
	m.HandleFunc("GET /compare", s.handleCompare)
	m.HandleFunc("GET /grid", s.handleGrid)
	m.HandleFunc("GET /artifacts/{id}", s.handleArtifact)
	m.HandleFunc("GET /artifacts/{id}/thumb", s.handleThumb)
	m.HandleFunc("GET /static/{name}", s.handleStatic)
}

// contentPolicy allows only this origin's scripts, styles and images:
// no inline script or style, no framing, forms posting here only.
const contentPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP answers a request after the Host check, with security headers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	if !s.opt.AllowRemote && !loopbackHost(r.Host) {
		http.Error(w, fmt.Sprintf("stylelab ui answers only to localhost, 127.0.0.1 or [::1], not %q (start it with -allow-remote to serve other names)", r.Host), http.StatusMisdirectedRequest)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// loopbackHost reports whether a Host header names this machine's loopback.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Close ends the live streams, so that http.Server.Shutdown can finish.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
}

// Serve answers on l until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: s.opt.Log}
	hs.RegisterOnShutdown(s.Close)
	go s.sweep(ctx)
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- hs.Shutdown(sctx)
	}()
	if err := hs.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ui: serve: %w", err)
	}
	return <-done
}

// sweep marks runs whose process died INTERRUPTED every ten polls, as
// opening the store would: the page stays open for days while writers come
// and go.
func (s *Server) sweep(ctx context.Context) {
	t := time.NewTicker(10 * s.opt.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.st.SweepStale(ctx); err != nil && ctx.Err() == nil {
				s.opt.Log.Printf("look for runs whose process died: %v", err)
			}
		}
	}
}

// Listen opens addr (host:port; port 0 picks a free one). An address that
// is not loopback is refused unless allowRemote; then warning says who can
// reach the page.
func Listen(addr string, allowRemote bool) (l net.Listener, warning string, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, "", fmt.Errorf("ui: address %q: %w; give host:port such as 127.0.0.1:8787", addr, err)
	}
	if !loopbackAddr(host) {
		if !allowRemote {
			return nil, "", fmt.Errorf("ui: %s is not a loopback address: other machines could read the store; "+
				"use 127.0.0.1:PORT, or pass -allow-remote to serve them on purpose", addr)
		}
		warning = fmt.Sprintf("warning: serving %s to other machines: anyone who can reach it reads every run", addr)
	}
	l, err = net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("ui: listen on %s: %w", addr, err)
	}
	if warning != "" {
		warning += " (pass -read-only to refuse edits)"
	}
	return l, warning, nil
}

// loopbackAddr reports whether a listen host binds to loopback only.
func loopbackAddr(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loadStatic reads the embedded static files and hashes them.
func (s *Server) loadStatic() error {
	return fs.WalkDir(assets, "assets/static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		name := strings.TrimPrefix(p, "assets/static/")
		s.files[name] = staticFile{data: data, hash: hex.EncodeToString(sum[:8]), kind: contentType(name)}
		return nil
	})
}

func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".css"):
		return "text/css; charset=utf-8"
	case strings.HasSuffix(name, ".js"):
		return "text/javascript; charset=utf-8"
	case strings.HasSuffix(name, ".svg"):
		return "image/svg+xml"
	case strings.HasSuffix(name, ".png"):
		return "image/png"
	}
	return "application/octet-stream"
}

// handleStatic serves an embedded file; with its hash as ?v= it is cached for good.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := s.files[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.kind)
	w.Header().Set("ETag", `"`+f.hash+`"`)
	if r.URL.Query().Get("v") == f.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.data))
}

// staticURL is a static file's URL with its hash.
func (s *Server) staticURL(name string) (string, error) {
	f, ok := s.files[name]
	if !ok {
		return "", fmt.Errorf("ui: no static file %q", name)
	}
	return "/static/" + name + "?v=" + f.hash, nil
}

// loadPages parses each page with the shared layout.
func (s *Server) loadPages() error {
	s.pages = map[string]*template.Template{}
	for _, name := range []string{"runs", "run", "compare", "grid", "error"} {
		t := template.New("layout.html").Funcs(s.funcs())
		t, err := t.ParseFS(assets, "assets/templates/layout.html", "assets/templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("ui: template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return nil
}

// page is what every template gets: the page's own data and the frame's.
type page struct {
	Title    string
	Nav      string // runs, compare or grid: the highlighted tab
	Store    string
	ReadOnly bool
	CSRF     string
	Script   string // the page's script, a static file name
	Data     any
}

// render writes a page, or a plain error if the template fails (before
// anything was written, since it renders into a buffer).
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	p.Store, p.ReadOnly, p.CSRF = s.st.Path(), s.opt.ReadOnly, s.csrf
	var buf bytes.Buffer
	if err := s.pages[name].Execute(&buf, p); err != nil {
		s.opt.Log.Printf("%s %s: render %s: %v", r.Method, r.URL, name, err)
		http.Error(w, "stylelab ui: the page could not be drawn: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if _, err := io.Copy(w, &buf); err != nil {
		s.opt.Log.Printf("%s %s: write: %v", r.Method, r.URL, err)
	}
}

// fail shows an error page with status and a message that says what to do.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	if status >= 500 {
		s.opt.Log.Printf("%s %s: %v", r.Method, r.URL, err)
	}
	s.render(w, r, status, "error", page{Title: http.StatusText(status), Data: err.Error()})
}

// storeError maps a store error to a status: 404 for a missing run or
// artifact, 500 otherwise.
func storeError(err error) int {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrNoArtifact) {
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

// pathID reads a positive id from the URL path.
func pathID(r *http.Request) (int64, error) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not an id: ids are positive whole numbers", v)
	}
	return id, nil
}
