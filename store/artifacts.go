package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/stylelab/stylelab/internal/atomicfile"
)

// Artifact kinds.
const (
	KindFinal    = "final"    // the result image
	KindSnapshot = "snapshot" // an image part way, at a step
	KindPlot     = "plot"     // a chart of the run
	KindSource   = "source"   // code the run was defined by, such as a custom loss term's
)

// SaveArtifact writes data as a file of the run and records it; it returns
// the file's absolute path. kind is final, snapshot, plot or source; name
// is a plain file name such as "out.png"; step is the step it shows (0 for
// a source). Saving the same kind, name (and step, for snapshots) again
// replaces the file.
func (r *Run) SaveArtifact(kind, name string, step int, data []byte) (string, error) {
	rel, err := artifactPath(r.id, kind, name, step)
	if err != nil {
		return "", err
	}
	abs := filepath.Join(r.s.artDir, filepath.FromSlash(rel))
	// Atomic, so a reader never sees half a file; a crash leaves at most
	// a temporary file, which gc removes.
	err = os.MkdirAll(filepath.Dir(abs), 0o755)
	if err == nil {
		err = atomicfile.Write(abs, 0o666, func(w io.Writer) error {
			_, err := w.Write(data)
			return err
		})
	}
	if err != nil {
		return "", fmt.Errorf("store: run %d: save %s %q: %w", r.id, kind, name, err)
	}
	sum := sha256.Sum256(data)
	r.s.wmu.Lock()
	_, err = r.s.db.Exec(`INSERT INTO artifacts (run, kind, name, step, path, sha256, size, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET step = excluded.step, sha256 = excluded.sha256, size = excluded.size, created = excluded.created`,
		r.id, kind, name, step, rel, hex.EncodeToString(sum[:]), len(data), formatTime(time.Now()))
	r.s.wmu.Unlock()
	if err != nil {
		return "", fmt.Errorf("store: run %d: record %s %q (the file is at %s; gc removes it if unrecorded): %w", r.id, kind, name, abs, err)
	}
	return abs, nil
}

// artifactPath is "<run>/<kind>/<name>", snapshots "<run>/snapshot/step-NNNNNN-<name>",
// relative to the artifacts directory, with '/' separators.
func artifactPath(run int64, kind, name string, step int) (string, error) {
	switch kind {
	case KindFinal, KindSnapshot, KindPlot, KindSource:
	default:
		return "", fmt.Errorf("store: artifact kind %q; use %s, %s, %s or %s", kind, KindFinal, KindSnapshot, KindPlot, KindSource)
	}
	if step < 0 {
		return "", fmt.Errorf("store: artifact %q: step %d is negative", name, step)
	}
	if err := checkKey("artifact name", name); err != nil {
		return "", err
	}
	if name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".tmp-") {
		return "", fmt.Errorf("store: artifact name %q must be a plain file name such as \"final.png\" (no slashes, not . or ..)", name)
	}
	if kind == KindSnapshot {
		name = fmt.Sprintf("step-%06d-%s", step, name)
	}
	return path.Join(strconv.FormatInt(run, 10), kind, name), nil
}

// gcGrace is how old an unreferenced file must be before GC removes it:
// younger ones may belong to a SaveArtifact between file and row.
const gcGrace = 5 * time.Minute

// GC removes artifact files that no run references: the directories of
// deleted runs and files left by a crash between writing and recording.
// Directories of RUNNING runs, files younger than five minutes (a writer
// may be between file and row) and names that are not run ids are left
// alone. It returns the removed files.
func (s *Store) GC(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(s.artDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: gc: %w", err)
	}
	var removed []string
	for _, e := range entries {
		id, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || !e.IsDir() || strconv.FormatInt(id, 10) != e.Name() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("store: gc: %w", err)
		}
		keep, running, err := s.referenced(ctx, id)
		if err != nil {
			return removed, fmt.Errorf("store: gc run %d: %w", id, err)
		}
		if running {
			continue
		}
		rm, err := sweepDir(s.artDir, e.Name(), keep, time.Now().Add(-gcGrace))
		removed = append(removed, rm...)
		if err != nil {
			return removed, fmt.Errorf("store: gc run %d: %w", id, err)
		}
	}
	return removed, nil
}

// referenced returns the recorded artifact paths of run id and whether it
// is RUNNING.
func (s *Store) referenced(ctx context.Context, id int64) (map[string]bool, bool, error) {
	var status string
	err := s.db.QueryRowContext(ctx, "SELECT status FROM runs WHERE id = ?", id).Scan(&status)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, false, err
	}
	if status == string(StatusRunning) {
		return nil, true, nil
	}
	keep := map[string]bool{}
	err = s.eachRow(ctx, "SELECT path FROM artifacts WHERE run = ?", []any{id}, func(sc func(...any) error) error {
		var p string
		err := sc(&p)
		keep[p] = true
		return err
	})
	return keep, false, err
}

// sweepDir removes files under root/dir whose slash path is not in keep
// and that were modified before cutoff, then directories left empty.
func sweepDir(root, dir string, keep map[string]bool, cutoff time.Time) ([]string, error) {
	var removed, dirs []string
	err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if keep[filepath.ToSlash(rel)] {
			return nil
		}
		if fi, err := d.Info(); err != nil || fi.ModTime().After(cutoff) {
			return err // too young to judge, or vanished meanwhile
		}
		if err := os.Remove(p); err != nil {
			return err
		}
		removed = append(removed, p)
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i]) // fails, harmlessly, unless empty
	}
	return removed, err
}
