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
// replaces the artifact.
//
// An SQLite store writes "<run>/<kind>/<name>" beside the database; a
// PostgreSQL store, whose folder is shared by many writers, writes
// "sha256/<2 hex>/<sha256><ext>", named by the content, so that writers
// never collide and identical images are kept once.
func (r *Run) SaveArtifact(kind, name string, step int, data []byte) (string, error) {
	rel, err := artifactPath(r.id, kind, name, step)
	if err != nil {
		return "", err
	}
	hexSum, file, abs, err := r.s.writeArtifact(rel, name, data)
	if err != nil {
		return "", fmt.Errorf("store: run %d: save %s %q: %w", r.id, kind, name, err)
	}
	unlock := r.s.lockWrites()
	_, err = r.s.db.Exec(r.s.q(`INSERT INTO artifacts (run, kind, name, step, path, sha256, size, created, file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET step = excluded.step, sha256 = excluded.sha256, size = excluded.size, created = excluded.created, file = excluded.file`),
		r.id, kind, name, step, rel, hexSum, len(data), formatTime(time.Now()), file)
	unlock()
	if err != nil {
		return "", fmt.Errorf("store: run %d: record %s %q (the file is at %s; gc removes it if unrecorded): %w", r.id, kind, name, abs, err)
	}
	return abs, nil
}

// writeArtifact writes the file of an artifact whose slot is rel and
// returns its sha256, its file column ("" for rel itself) and its absolute
// path. It is written atomically, so a reader never sees half a file; a
// crash leaves at most a temporary file, which gc removes. A content-named
// file is written again even if it is there, which renews its time: gc
// spares young files, so a file another run just stopped using is not
// removed between this write and the row that records it.
func (s *Store) writeArtifact(rel, name string, data []byte) (hexSum, file, abs string, err error) {
	sum := sha256.Sum256(data)
	hexSum = hex.EncodeToString(sum[:])
	if s.cas {
		file = contentPath(hexSum, name)
	}
	abs = s.artifactFile(rel, file)
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return "", "", "", err
	}
	err = atomicfile.Write(abs, 0o666, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	return hexSum, file, abs, err
}

// contentPath is where a shared store keeps a file by its content:
// "sha256/<first two hex digits>/<sha256><the name's extension>".
func contentPath(hexSum, name string) string {
	ext := strings.ToLower(path.Ext(name))
	if len(ext) > 16 || strings.ContainsAny(ext, `/\`) {
		ext = ""
	}
	return path.Join(contentDir, hexSum[:2], hexSum+ext)
}

// contentDir is the folder of content-named files in a shared store's artifacts folder.
const contentDir = "sha256"

// artifactFile is the absolute path of an artifact's file from its row:
// file when the content names it, else its path.
func (s *Store) artifactFile(rel, file string) string {
	if file != "" {
		rel = file
	}
	return filepath.Join(s.artDir, filepath.FromSlash(rel))
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
// deleted runs and files left by a crash between writing and recording,
// and in a shared store the content-named files no artifact uses any more.
// Directories of RUNNING runs, files younger than five minutes (a writer
// may be between file and row) and names that are not run ids are left
// alone. It returns the removed files.
func (s *Store) GC(ctx context.Context) ([]string, error) {
	removed, err := s.gcRunDirs(ctx)
	if err != nil || !s.cas {
		return removed, err
	}
	keep := map[string]bool{}
	err = s.eachRow(ctx, "SELECT DISTINCT file FROM artifacts WHERE file <> ''", nil, func(sc func(...any) error) error {
		var f string
		err := sc(&f)
		keep[f] = true
		return err
	})
	if err != nil {
		return removed, fmt.Errorf("store: gc: %w", err)
	}
	if _, err := os.Stat(filepath.Join(s.artDir, contentDir)); errors.Is(err, fs.ErrNotExist) {
		return removed, nil
	}
	rm, err := sweepDir(s.artDir, contentDir, keep, time.Now().Add(-gcGrace))
	removed = append(removed, rm...)
	if err != nil {
		return removed, fmt.Errorf("store: gc: %w", err)
	}
	return removed, nil
}

// gcRunDirs sweeps the per-run directories of the artifacts folder.
func (s *Store) gcRunDirs(ctx context.Context) ([]string, error) {
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

// removeUnused removes content-named files (relative paths) that no
// artifact uses and that are older than the gc grace; younger ones may be
// on their way into another run and are left for GC.
func (s *Store) removeUnused(ctx context.Context, files []string) error {
	cutoff := time.Now().Add(-gcGrace)
	var errs []error
	for _, f := range files {
		var n int
		if err := s.db.QueryRowContext(ctx, s.q("SELECT count(*) FROM artifacts WHERE file = ?"), f).Scan(&n); err != nil {
			return err
		}
		p := filepath.Join(s.artDir, filepath.FromSlash(f))
		if fi, err := os.Stat(p); n > 0 || err != nil || fi.ModTime().After(cutoff) {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// referenced returns the recorded artifact paths of run id and whether it
// is RUNNING.
func (s *Store) referenced(ctx context.Context, id int64) (map[string]bool, bool, error) {
	var status string
	err := s.db.QueryRowContext(ctx, s.q("SELECT status FROM runs WHERE id = ?"), id).Scan(&status)
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
