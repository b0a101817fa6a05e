package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// Status is the state of a run: one of the Status constants. It is a
// plain string (an alias), so that a notebook cell can compare it with a
// literal (rec.Status == "FINISHED"): the kernel's interpreter does not
// convert untyped constants to compiled named types.
type Status = string

// The states of a run. A run starts RUNNING and Finish moves it to one of
// the others; Open moves RUNNING runs whose process died to INTERRUPTED.
const (
	StatusRunning     Status = "RUNNING"
	StatusFinished    Status = "FINISHED"
	StatusFailed      Status = "FAILED"
	StatusInterrupted Status = "INTERRUPTED"
)

func validStatus(s Status) bool {
	switch s {
	case StatusRunning, StatusFinished, StatusFailed, StatusInterrupted:
		return true
	}
	return false
}

// Input is one input image of a run; Role is content, style or init.
type Input struct {
	Role   string
	Path   string
	SHA256 string
}

// Param is one hyper-parameter. Values that parse as numbers are also
// stored as REAL, so queries compare them numerically.
type Param struct {
	Key   string
	Value string
}

// RunSpec describes a run as it starts. The store itself records the
// host, pid, process identity and start time.
type RunSpec struct {
	Name          string // defaults to "<experiment>-<id>"
	Experiment    string // required
	Seed          int64
	Version       string // stylelab version
	Commit        string // git commit of the code
	WeightsSHA256 string // of the VGG-19 weights file
	Inputs        []Input
	Params        []Param
	Tags          []string
	// Identity is what makes two runs the same run (sweeps skip a point
	// whose identity already FINISHED): the caller's hash of the settings
	// that change the result. Empty means ParamsHash(Params).
	Identity string
}

// Run is a live run being logged by this process.
type Run struct {
	s       *Store
	id      int64
	started time.Time

	mu   sync.Mutex // guards done
	done bool
	stop chan struct{} // closed by Finish: ends the heartbeat
}

// ID is the run's id in the database.
func (r *Run) ID() int64 { return r.id }

// StartRun records a new RUNNING run and starts its heartbeat. ctx bounds
// the insert only; the run lives until Finish or Store.Close.
func (s *Store) StartRun(ctx context.Context, spec RunSpec) (*Run, error) {
	if s.readOnly {
		return nil, fmt.Errorf("store: %s is read-only for this user: log runs to a store you may write (-db or STYLELAB_DB)", s.path)
	}
	if err := spec.validate(); err != nil {
		return nil, err
	}
	hash, err := ParamsHash(spec.Params)
	if err != nil {
		return nil, err
	}
	if spec.Identity != "" {
		hash = spec.Identity
	}
	now := time.Now()
	var id int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO experiments (name, created) VALUES (?, ?)`, spec.Experiment, formatTime(now)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO runs (name, experiment, status, started, version, git_commit, host, pid,
			proc_start, heartbeat, seed, weights_sha256, params_hash) VALUES (?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			spec.Name, spec.Experiment, formatTime(now), spec.Version, spec.Commit, s.self.host, s.self.pid,
			s.self.start, formatTime(now), spec.Seed, spec.WeightsSHA256, hash)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if spec.Name == "" {
			if _, err := tx.ExecContext(ctx, `UPDATE runs SET name = ? WHERE id = ?`, fmt.Sprintf("%s-%d", spec.Experiment, id), id); err != nil {
				return err
			}
		}
		return insertDetails(ctx, tx, id, spec)
	})
	if err != nil {
		return nil, fmt.Errorf("store: start run in %q: %w", spec.Experiment, err)
	}
	r := &Run{s: s, id: id, started: now, stop: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, fmt.Errorf("store: start run: the store is closed")
	}
	s.live[id] = r
	s.mu.Unlock()
	go r.heartbeat()
	return r, nil
}

func insertDetails(ctx context.Context, tx *sql.Tx, id int64, spec RunSpec) error {
	for _, in := range spec.Inputs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO inputs (run, role, path, sha256) VALUES (?, ?, ?, ?)`, id, in.Role, in.Path, in.SHA256); err != nil {
			return err
		}
	}
	for _, p := range spec.Params {
		if _, err := tx.ExecContext(ctx, `INSERT INTO params (run, key, text, num) VALUES (?, ?, ?, ?)`, id, p.Key, p.Value, paramNum(p.Value)); err != nil {
			return err
		}
	}
	for _, t := range spec.Tags {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO tags (run, tag) VALUES (?, ?)`, id, t); err != nil {
			return err
		}
	}
	return nil
}

// write runs fn in one write transaction; writes from this process are
// serialised here, writes from other processes by SQLite's busy timeout.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// heartbeat refreshes runs.heartbeat until Finish, so other hosts can tell
// a live run from a dead one.
func (r *Run) heartbeat() {
	t := time.NewTicker(r.s.beat)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case now := <-t.C:
			// Best effort: a missed beat only matters after staleAfter.
			r.s.wmu.Lock()
			r.s.db.Exec(`UPDATE runs SET heartbeat = ? WHERE id = ? AND status = 'RUNNING'`, formatTime(now), r.id)
			r.s.wmu.Unlock()
		}
	}
}

// Finish ends the run: FINISHED, FAILED (message is the error) or
// INTERRUPTED. A run can be finished once.
func (r *Run) Finish(status Status, message string) error {
	if status == StatusRunning || !validStatus(status) {
		return fmt.Errorf("store: finish run %d: status %q; use FINISHED, FAILED or INTERRUPTED", r.id, status)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return fmt.Errorf("store: finish run %d: already finished; Finish is called once", r.id)
	}
	now := time.Now()
	r.s.wmu.Lock()
	defer r.s.wmu.Unlock()
	// INTERRUPTED too: another process may have judged this live run dead.
	res, err := r.s.db.Exec(`UPDATE runs SET status = ?, ended = ?, duration = ?, message = ?
		WHERE id = ? AND status IN ('RUNNING', 'INTERRUPTED')`,
		string(status), formatTime(now), now.Sub(r.started).Seconds(), message, r.id)
	if err != nil {
		return fmt.Errorf("store: finish run %d: %w", r.id, err)
	}
	r.done = true
	close(r.stop)
	r.s.mu.Lock()
	delete(r.s.live, r.id)
	r.s.mu.Unlock()
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: finish run %d: the run was deleted or already finished elsewhere", r.id)
	}
	return nil
}
