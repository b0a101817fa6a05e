package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Copied is what CopyFrom did with one run of the source store.
type Copied struct {
	From    int64  // the run's id in the source
	To      int64  // its id in this store (the earlier copy's, when skipped)
	Name    string // the run's name
	Skipped string // why it was not copied: "" when it was
}

// CopyFrom copies the runs of src that query selects (oldest first) into
// s, each whole: its fields, params, inputs, tags, notes, every step, and
// its artifact files, checked against their sha256 and written under s's
// layout. A run already in s is skipped, so copying twice copies once: it
// is found by its UUID, or for a run without one by its identity hash,
// start time, host and pid. RUNNING runs are skipped (copy them once they
// end). Each run is copied in one transaction of s after its files are
// written; a run that fails to copy stops the copy with its error, the
// runs before it staying copied.
func (s *Store) CopyFrom(ctx context.Context, src *Store, query string) ([]Copied, error) {
	if s.readOnly {
		return nil, fmt.Errorf("store: %s is read-only for this user: copy runs into a store you may write", s.location)
	}
	runs, err := src.exportRuns(ctx, query)
	if err != nil {
		return nil, err
	}
	var out []Copied
	for _, sum := range runs {
		c := Copied{From: sum.ID, Name: sum.Name}
		if sum.Status == StatusRunning {
			c.Skipped = "RUNNING: copy it once it ends"
			out = append(out, c)
			continue
		}
		id, found, err := s.findCopy(ctx, &sum)
		if err != nil {
			return out, fmt.Errorf("store: copy run %d: %w", sum.ID, err)
		}
		if found {
			c.To, c.Skipped = id, "already there"
			out = append(out, c)
			continue
		}
		rec := &RunRecord{RunSummary: sum}
		if err := src.fillRecord(ctx, rec); err != nil {
			return out, fmt.Errorf("store: copy run %d: read it: %w", sum.ID, err)
		}
		if c.To, err = s.insertCopy(ctx, rec); err != nil {
			return out, fmt.Errorf("store: copy run %d (%s) from %s: %w", sum.ID, sum.Name, src.location, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// findCopy looks for run r in s: by UUID, else by what names a run where
// no UUID does (identity, start, host and pid).
func (s *Store) findCopy(ctx context.Context, r *RunSummary) (int64, bool, error) {
	q, args := "SELECT id FROM runs WHERE uuid = ?", []any{r.UUID}
	if r.UUID == "" {
		q, args = "SELECT id FROM runs WHERE params_hash = ? AND started = ? AND host = ? AND pid = ?",
			[]any{r.ParamsHash, formatTime(r.Started), r.Host, r.PID}
	}
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(q+" ORDER BY id LIMIT 1"), args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// insertCopy writes rec's artifact files into s, then inserts the run and
// everything of it in one transaction, and returns its new id.
func (s *Store) insertCopy(ctx context.Context, rec *RunRecord) (int64, error) {
	// The run's id is needed for the slots of its artifacts (their paths),
	// so the files are read and checked first and written once it is known.
	type artData struct {
		a    Artifact
		data []byte
	}
	var arts []artData
	for _, a := range rec.Artifacts {
		data, err := os.ReadFile(a.Path)
		if err != nil {
			return 0, fmt.Errorf("artifact %s %q: %w", a.Kind, a.Name, err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != a.SHA256 {
			return 0, fmt.Errorf("artifact %s %q: the file %s has sha256 %s, but %s was recorded: it changed after it was saved; not copied", a.Kind, a.Name, a.Path, hex.EncodeToString(sum[:]), a.SHA256)
		}
		arts = append(arts, artData{a, data})
	}
	uuid := rec.UUID
	if uuid == "" {
		var err error
		if uuid, err = newUUID(); err != nil {
			return 0, err
		}
	}
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO experiments (name, created) VALUES (?, ?) ON CONFLICT DO NOTHING`), rec.Experiment, formatTime(time.Now())); err != nil {
			return err
		}
		var ended, duration any
		if !rec.Ended.IsZero() {
			ended, duration = formatTime(rec.Ended), rec.Duration.Seconds()
		}
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO runs (name, experiment, status, started, ended, duration, version, git_commit,
			host, pid, seed, weights_sha256, params_hash, message, uuid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			rec.Name, rec.Experiment, rec.Status, formatTime(rec.Started), ended, duration, rec.Version, rec.Commit,
			rec.Host, rec.PID, rec.Seed, rec.WeightsSHA256, rec.ParamsHash, cleanText(rec.Message), uuid).Scan(&id)
		if err != nil {
			return err
		}
		spec := RunSpec{Inputs: rec.Inputs, Params: rec.Params, Tags: rec.Tags}
		if err := s.insertDetails(ctx, tx, id, spec); err != nil {
			return err
		}
		for _, n := range rec.Notes {
			if _, err := tx.ExecContext(ctx, s.q("INSERT INTO notes (run, created, text) VALUES (?, ?, ?)"), id, formatTime(n.Created), n.Text); err != nil {
				return err
			}
		}
		if err := s.insertMetrics(ctx, tx, id, rec.Metrics); err != nil {
			return err
		}
		for _, ad := range arts {
			a := ad.a
			rel, err := artifactPath(id, a.Kind, a.Name, a.Step)
			if err != nil {
				return err
			}
			hexSum, file, _, err := s.writeArtifact(rel, a.Name, ad.data)
			if err != nil {
				return fmt.Errorf("artifact %s %q: %w", a.Kind, a.Name, err)
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO artifacts (run, kind, name, step, path, sha256, size, created, file)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), id, a.Kind, a.Name, a.Step, rel, hexSum, len(ad.data), formatTime(a.Created), file); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}

// insertMetrics inserts a run's metric points, many rows per statement.
func (s *Store) insertMetrics(ctx context.Context, tx *sql.Tx, id int64, points []MetricPoint) error {
	const perStatement = 200 // 1,000 arguments: within every engine's limit
	for len(points) > 0 {
		n := min(len(points), perStatement)
		args := make([]any, 0, 5*n)
		for _, m := range points[:n] {
			var v any = m.Value
			if m.Value != m.Value { // NaN is stored as NULL
				v = nil
			}
			args = append(args, id, m.Key, m.Step, m.Wall, v)
		}
		q := "INSERT INTO metrics (run, key, step, wall, value) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", n), ", ")
		if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
			return err
		}
		points = points[n:]
	}
	return nil
}
