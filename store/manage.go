package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// exists reports ErrNotFound (wrapped) for a missing run and returns its status.
func (s *Store) existsTx(ctx context.Context, tx *sql.Tx, id int64) (Status, error) {
	var st string
	err := tx.QueryRowContext(ctx, s.q("SELECT status FROM runs WHERE id = ?"), id).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("run %d: %w", id, ErrNotFound)
	}
	return Status(st), err
}

// Tag adds tags to run id (adding a tag twice is harmless).
func (s *Store) Tag(ctx context.Context, id int64, tags ...string) error {
	return s.editTags(ctx, "tag", id, tags, "INSERT INTO tags (run, tag) VALUES (?, ?) ON CONFLICT DO NOTHING")
}

// Untag removes tags from run id (removing an absent tag is harmless).
func (s *Store) Untag(ctx context.Context, id int64, tags ...string) error {
	return s.editTags(ctx, "untag", id, tags, "DELETE FROM tags WHERE run = ? AND tag = ?")
}

func (s *Store) editTags(ctx context.Context, verb string, id int64, tags []string, q string) error {
	if len(tags) == 0 {
		return fmt.Errorf("store: %s run %d: no tags given", verb, id)
	}
	for _, t := range tags {
		if err := checkTag(t); err != nil {
			return err
		}
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := s.existsTx(ctx, tx, id); err != nil {
			return err
		}
		for _, t := range tags {
			if _, err := tx.ExecContext(ctx, s.q(q), id, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", verb, err)
	}
	return nil
}

// Note adds a free-text note to run id.
func (s *Store) Note(ctx context.Context, id int64, text string) error {
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("store: note on run %d is empty; write some text", id)
	}
	if err := checkText("note", text); err != nil {
		return err
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := s.existsTx(ctx, tx, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO notes (run, created, text) VALUES (?, ?, ?)"), id, formatTime(time.Now()), text)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: note: %w", err)
	}
	return nil
}

// Delete removes run id with its metrics, params, tags, notes and artifact
// files. A RUNNING run is refused: its process may still be logging.
//
// In a shared store, whose files are named by content, a file is removed
// only when no other run uses it and it is older than five minutes; GC
// removes the younger ones later.
func (s *Store) Delete(ctx context.Context, id int64) error {
	var files []string
	err := s.write(ctx, func(tx *sql.Tx) error {
		st, err := s.existsTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if st == StatusRunning {
			return fmt.Errorf("run %d is RUNNING; finish or stop it first (runs of dead processes become INTERRUPTED on the next Open)", id)
		}
		rows, err := tx.QueryContext(ctx, s.q("SELECT file FROM artifacts WHERE run = ? AND file <> ''"), id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var f string
			if err := rows.Scan(&f); err != nil {
				rows.Close()
				return err
			}
			files = append(files, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q("DELETE FROM runs WHERE id = ?"), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete: %w", err)
	}
	err = os.RemoveAll(filepath.Join(s.artDir, strconv.FormatInt(id, 10)))
	if err == nil {
		err = s.removeUnused(ctx, files)
	}
	if err != nil {
		return fmt.Errorf("store: delete run %d: the run is gone but its files remain (run gc to retry): %w", id, err)
	}
	return nil
}

// Experiment summarises the runs of one experiment.
type Experiment struct {
	Name        string
	Created     time.Time
	Runs        int
	Running     int
	Finished    int
	Failed      int
	Interrupted int
	LastStarted time.Time // zero if it has no runs
}

// Experiments lists every experiment by name.
func (s *Store) Experiments(ctx context.Context) ([]Experiment, error) {
	var out []Experiment
	err := s.eachRow(ctx, `SELECT e.name, e.created, count(r.id),
		coalesce(sum(CASE WHEN r.status = 'RUNNING' THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN r.status = 'FINISHED' THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN r.status = 'FAILED' THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN r.status = 'INTERRUPTED' THEN 1 ELSE 0 END), 0), max(r.started)
		FROM experiments e LEFT JOIN runs r ON r.experiment = e.name GROUP BY e.name ORDER BY e.name`, nil,
		func(sc func(...any) error) error {
			var e Experiment
			var created, last sql.NullString
			err := sc(&e.Name, &created, &e.Runs, &e.Running, &e.Finished, &e.Failed, &e.Interrupted, &last)
			e.Created, e.LastStarted = parseTime(created), parseTime(last)
			out = append(out, e)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("store: list experiments: %w", err)
	}
	return out, nil
}

// FindFinished finds the newest FINISHED run of experiment whose params
// equal params (by ParamsHash: order-free, numbers compared by value), so
// a resumed sweep can skip the points it has done.
func (s *Store) FindFinished(ctx context.Context, experiment string, params []Param) (id int64, ok bool, err error) {
	hash, err := ParamsHash(params)
	if err != nil {
		return 0, false, err
	}
	return s.FindIdentity(ctx, experiment, hash)
}

// FindIdentity finds the newest FINISHED run of experiment with the given
// identity (RunSpec.Identity).
func (s *Store) FindIdentity(ctx context.Context, experiment, identity string) (id int64, ok bool, err error) {
	hash := identity
	err = s.db.QueryRowContext(ctx, s.q(`SELECT id FROM runs WHERE experiment = ? AND params_hash = ? AND status = 'FINISHED'
		ORDER BY id DESC LIMIT 1`), experiment, hash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: find finished run in %q: %w", experiment, err)
	}
	return id, true, nil
}
