package fetch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FileCheck is Verify's verdict on one file.
type FileCheck struct {
	Path   string
	Model  string
	Want   string // published sha256 (or prefix); "" when none is published
	Got    string // sha256 of the file; "" when missing
	Status string // one of the Check constants
}

// Verify verdicts.
const (
	CheckOK       = "ok"           // matches the published sha256
	CheckPrefix   = "ok-prefix"    // matches the published sha256 prefix (all that is known)
	CheckUnknown  = "unverifiable" // no sha256 is published for this file
	CheckMismatch = "MISMATCH"
	CheckMissing  = "MISSING"
)

// Verify checks a downloaded model against the published sha256s: path is a
// model directory (every file of the model found in it is checked and none
// may be missing) or a single file. The error is non-nil when a file is
// missing or differs, or when path holds no known model file.
func Verify(ctx context.Context, path string) ([]FileCheck, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("fetch: verify: %w", err)
	}
	models := Models()
	var m Model
	var files []File
	dir := path
	if st.IsDir() {
		best := 0
		for _, cand := range models {
			n := 0
			for _, f := range cand.Files {
				if _, err := os.Stat(filepath.Join(path, f.Name)); err == nil {
					n++
				}
			}
			if n > best {
				best, m, files = n, cand, cand.Files
			}
		}
	} else {
		dir = filepath.Dir(path)
		for _, cand := range models {
			for _, f := range cand.Files {
				if f.Name == filepath.Base(path) {
					m, files = cand, []File{f}
				}
			}
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("fetch: %s holds no file of a known model (%s); `stylelab weights list` shows their files", path, strings.Join(modelNames(models), ", "))
	}
	var checks []FileCheck
	var bad []string
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return checks, fmt.Errorf("fetch: verify %s: %w", path, err)
		}
		c := FileCheck{Path: filepath.Join(dir, f.Name), Model: m.Name, Want: f.SHA256}
		got, _, err := hashAndSize(c.Path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			c.Status = CheckMissing
		case err != nil:
			return checks, fmt.Errorf("fetch: verify: %w", err)
		case f.SHA256 == "":
			c.Got, c.Status = got, CheckUnknown
		case got == f.SHA256:
			c.Got, c.Status = got, CheckOK
		case len(f.SHA256) < len(got) && strings.HasPrefix(got, f.SHA256):
			c.Got, c.Status = got, CheckPrefix
		default:
			c.Got, c.Status = got, CheckMismatch
		}
		if c.Status == CheckMissing || c.Status == CheckMismatch {
			bad = append(bad, f.Name+" "+c.Status)
		}
		checks = append(checks, c)
	}
	if nbad := len(bad); nbad > 0 {
		if nbad > 5 {
			bad = append(bad[:5], fmt.Sprintf("and %d more", len(bad)-5))
		}
		return checks, fmt.Errorf("fetch: verify %s (model %s): %d of %d files missing or corrupt: %s; fetch them again with `stylelab weights fetch -dir %s %s` (%w)",
			path, m.Name, nbad, len(files), strings.Join(bad, ", "), dir, m.Name, errChecksum)
	}
	return checks, nil
}
