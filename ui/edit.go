package ui

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxForm bounds an edit's body.
const maxForm = 64 << 10

// csrfToken derives the edit token from the per-process secret: a page
// made by this process carries it, a page elsewhere cannot know it.
func csrfToken(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("stylelab ui edit"))
	return hex.EncodeToString(m.Sum(nil))
}

// edit wraps a POST handler: refused when read-only, from another origin,
// or without the CSRF token (form field csrf, or header X-CSRF-Token).
func (s *Server) edit(h func(w http.ResponseWriter, r *http.Request, id int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.opt.ReadOnly {
			http.Error(w, "stylelab ui is read-only (-read-only): tags and notes cannot be changed here; use stylelab runs tag|note", http.StatusForbidden)
			return
		}
		if err := sameOrigin(r); err != nil {
			http.Error(w, "refused: "+err.Error(), http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
			return
		}
		token := r.PostForm.Get("csrf")
		if token == "" {
			token = r.Header.Get("X-CSRF-Token")
		}
		if !hmac.Equal([]byte(token), []byte(s.csrf)) {
			http.Error(w, "refused: the form's token is missing or stale (this page may come from an earlier stylelab ui); reload the page and try again", http.StatusForbidden)
			return
		}
		id, err := pathID(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		if err := h(w, r, id); err != nil {
			status := storeError(err)
			if status != http.StatusNotFound {
				status = http.StatusBadRequest
			}
			http.Error(w, err.Error(), status)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/runs/%d", id), http.StatusSeeOther)
	}
}

// sameOrigin checks that a browser sent the request from one of this
// server's pages: Sec-Fetch-Site, Origin or Referer must name this host.
// A request with none of them (curl, a script) relies on the token alone.
func sameOrigin(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return fmt.Errorf("the request came from another site (%s)", site)
	}
	from := r.Header.Get("Origin")
	if from == "null" {
		return errors.New("the request came from an opaque origin (a sandboxed page or a file)")
	}
	if from == "" {
		from = r.Header.Get("Referer")
	}
	if from == "" {
		return nil
	}
	u, err := url.Parse(from)
	if err != nil || !strings.EqualFold(u.Host, r.Host) {
		return fmt.Errorf("the request came from %q, not from this page (%s)", from, r.Host)
	}
	return nil
}

func (s *Server) handleTag(w http.ResponseWriter, r *http.Request, id int64) error {
	tags := strings.Fields(r.PostForm.Get("tag"))
	if len(tags) == 0 {
		return errors.New("no tag given: write one word, such as fig3")
	}
	return s.st.Tag(r.Context(), id, tags...)
}

func (s *Server) handleUntag(w http.ResponseWriter, r *http.Request, id int64) error {
	tag := r.PostForm.Get("tag")
	if tag == "" {
		return errors.New("no tag given to remove")
	}
	return s.st.Untag(r.Context(), id, tag)
}

func (s *Server) handleNote(w http.ResponseWriter, r *http.Request, id int64) error {
	return s.st.Note(r.Context(), id, strings.ReplaceAll(r.PostForm.Get("text"), "\r\n", "\n"))
}
