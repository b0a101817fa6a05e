package ui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/store"
)

// thumbSize is the longest side of a thumbnail in pixels (shown at half
// that, sharp on high-density screens).
const thumbSize = 128

// openArtifact reads an artifact's file, opened inside the store's
// artifact folder: a path in the database that leads elsewhere (.., an
// absolute path, a symbolic link out) is refused.
func (s *Server) openArtifact(a *store.Artifact) ([]byte, error) {
	var data []byte
	err := s.inArtifacts(a, func(root *os.Root, rel string) error {
		f, err := root.Open(rel)
		if err != nil {
			return err
		}
		defer f.Close()
		data, err = io.ReadAll(f)
		return err
	})
	return data, err
}

// checkArtifact reports why an artifact's file cannot be read, or nil.
func (s *Server) checkArtifact(a *store.Artifact) error {
	return s.inArtifacts(a, func(root *os.Root, rel string) error {
		fi, err := root.Stat(rel)
		if err == nil && !fi.Mode().IsRegular() {
			err = errors.New("not a regular file")
		}
		return err
	})
}

// inArtifacts calls fn with the artifact folder as a root and the
// artifact's path inside it.
func (s *Server) inArtifacts(a *store.Artifact, fn func(root *os.Root, rel string) error) error {
	root, err := os.OpenRoot(s.st.ArtifactDir())
	if err != nil {
		return fmt.Errorf("open the artifact folder: %w", err)
	}
	defer root.Close()
	rel, err := filepath.Rel(s.st.ArtifactDir(), a.Path)
	if err != nil {
		return fmt.Errorf("artifact %d: %w", a.ID, err)
	}
	if err := fn(root, rel); err != nil {
		return fmt.Errorf("artifact %d (%s): %w", a.ID, filepath.ToSlash(rel), err)
	}
	return nil
}

// artifact looks up the artifact named by the URL.
func (s *Server) artifact(w http.ResponseWriter, r *http.Request) (*store.Artifact, bool) {
	id, err := pathID(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return nil, false
	}
	a, err := s.st.Artifact(r.Context(), id)
	if err != nil {
		if storeError(err) == http.StatusNotFound {
			s.missing(w, r, err)
		} else {
			s.opt.Log.Printf("%s: %v", r.URL, err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
		return nil, false
	}
	return a, true
}

// handleArtifact serves an artifact's file by its id, cached for good when
// the URL carries its content's version; ?download=1 saves it.
func (s *Server) handleArtifact(w http.ResponseWriter, r *http.Request) {
	a, ok := s.artifact(w, r)
	if !ok {
		return
	}
	data, err := s.openArtifact(a)
	if err != nil {
		s.missing(w, r, err)
		return
	}
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="run-%d-%s"`, a.Run, safeName(a.Name)))
	}
	s.serveImage(w, r, data, a.SHA256, version(*a))
}

// handleThumb serves an image artifact's thumbnail, made once and kept in
// the thumbnail folder under the image's sha256.
func (s *Server) handleThumb(w http.ResponseWriter, r *http.Request) {
	a, ok := s.artifact(w, r)
	if !ok {
		return
	}
	tag := fmt.Sprintf("%s-%d", a.SHA256, thumbSize)
	cached := filepath.Join(s.opt.ThumbDir, tag+".png")
	if data, err := os.ReadFile(cached); err == nil && validSHA(a.SHA256) {
		s.serveImage(w, r, data, tag, version(*a))
		return
	}
	data, err := s.openArtifact(a)
	if err != nil {
		s.missing(w, r, err)
		return
	}
	img, err := imaging.LoadBytes(a.Name, data)
	if err != nil {
		s.missing(w, r, fmt.Errorf("artifact %d is not an image: %w", a.ID, err))
		return
	}
	thumb, err := imaging.EncodePNG(imaging.FitLongest(img, thumbSize), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if validSHA(a.SHA256) {
		if err := writeAtomic(cached, thumb); err != nil {
			s.opt.Log.Printf("thumbnail cache: %v (thumbnails are made again each time)", err)
		}
	}
	s.serveImage(w, r, thumb, tag, version(*a))
}

// serveImage writes image bytes with an ETag; a URL whose ?v= matches
// the content's version is immutable.
func (s *Server) serveImage(w http.ResponseWriter, r *http.Request, data []byte, etag, v string) {
	h := w.Header()
	h.Set("Content-Type", sniffImage(data))
	h.Set("ETag", `"`+etag+`"`)
	if q := r.URL.Query().Get("v"); q != "" && q == v {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

// sniffImage names a raster image's type; anything else is served as
// bytes to download, never as HTML or SVG that could run script.
func sniffImage(data []byte) string {
	switch t := http.DetectContentType(data); t {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp":
		return t
	}
	return "application/octet-stream"
}

// missing answers for an image that cannot be shown: 404 with a picture
// that says so, not cached.
func (s *Server) missing(w http.ResponseWriter, r *http.Request, err error) {
	f := s.files["missing.svg"]
	w.Header().Set("Content-Type", f.kind)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Stylelab-Missing", strings.ReplaceAll(err.Error(), "\n", " "))
	w.WriteHeader(http.StatusNotFound)
	w.Write(f.data)
}

// validSHA reports whether s is a hex sha256, safe in a file name.
func validSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// safeName keeps a file name to letters, digits and ._- for a download.
func safeName(name string) string {
	var b strings.Builder
	for _, c := range name {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// writeAtomic writes a file through a temp file and a rename.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return errors.Join(err, fmt.Errorf("write %s", path))
	}
	return nil
}
