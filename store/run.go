package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
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
	// Exclusive claims the point (Experiment, identity) for this run:
	// StartRun fails with a *ClaimError when a run of the point is
	// FINISHED, or RUNNING in a process that is alive (on this host or,
	// by its heartbeat, on another), so that two sweeps, or two tasks of
	// one, never run a point twice at once. A RUNNING run whose process
	// is gone is marked INTERRUPTED and the claim succeeds.
	Exclusive bool
}

// ClaimError is why an exclusive StartRun was refused: the run that holds
// the point.
type ClaimError struct {
	Experiment string
	RunID      int64  // the run that holds the point
	Status     Status // FINISHED, or RUNNING elsewhere
	Host       string // where the holder runs
	PID        int
}

func (e *ClaimError) Error() string {
	if e.Status == StatusFinished {
		return fmt.Sprintf("store: the point already FINISHED in %q as run %d", e.Experiment, e.RunID)
	}
	return fmt.Sprintf("store: the point is running elsewhere in %q: run %d, process %d on %s", e.Experiment, e.RunID, e.PID, e.Host)
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
// the insert only; the run lives until Finish or Store.Close. With
// spec.Exclusive the run is started only if it may claim its point (see
// RunSpec.Exclusive); the check and the insert are one transaction.
func (s *Store) StartRun(ctx context.Context, spec RunSpec) (*Run, error) {
	if s.readOnly {
		return nil, fmt.Errorf("store: %s is read-only for this user: log runs to a store you may write (-db or STYLELAB_DB)", s.location)
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
	uuid, err := newUUID()
	if err != nil {
		return nil, fmt.Errorf("store: start run: %w", err)
	}
	now := time.Now()
	var id int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		if spec.Exclusive {
			if err := s.b.lockPoint(ctx, tx, spec.Experiment, hash); err != nil {
				return err
			}
			if err := s.claim(ctx, tx, spec.Experiment, hash, now); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO experiments (name, created) VALUES (?, ?) ON CONFLICT DO NOTHING`), spec.Experiment, formatTime(now)); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO runs (name, experiment, status, started, version, git_commit, host, pid,
			proc_start, heartbeat, seed, weights_sha256, params_hash, uuid) VALUES (?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			spec.Name, spec.Experiment, formatTime(now), spec.Version, spec.Commit, s.self.host, s.self.pid,
			s.self.start, formatTime(now), spec.Seed, spec.WeightsSHA256, hash, uuid).Scan(&id)
		if err != nil {
			return err
		}
		if spec.Name == "" {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE runs SET name = ? WHERE id = ?`), fmt.Sprintf("%s-%d", spec.Experiment, id), id); err != nil {
				return err
			}
		}
		return s.insertDetails(ctx, tx, id, spec)
	})
	var ce *ClaimError
	if errors.As(err, &ce) {
		return nil, ce
	}
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

// claim returns a *ClaimError if a run of (experiment, identity) is
// FINISHED or RUNNING in a live process; runs of dead processes it finds
// are marked INTERRUPTED on the way. It runs inside StartRun's transaction,
// after lockPoint.
func (s *Store) claim(ctx context.Context, tx *sql.Tx, experiment, identity string, now time.Time) error {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id, status, host, pid, proc_start, started, heartbeat,
		(SELECT max(wall) FROM metrics m WHERE m.run = runs.id)
		FROM runs WHERE experiment = ? AND params_hash = ? AND status IN ('RUNNING', 'FINISHED')
		ORDER BY CASE status WHEN 'FINISHED' THEN 0 ELSE 1 END, id DESC`), experiment, identity)
	if err != nil {
		return err
	}
	var held *ClaimError
	var dead []runningRun
	for rows.Next() && held == nil {
		var r runningRun
		var status string
		if err := rows.Scan(&r.id, &status, &r.host, &r.pid, &r.start, &r.started, &r.heartbeat, &r.wall); err != nil {
			rows.Close()
			return err
		}
		switch {
		case status == StatusFinished:
			held = &ClaimError{Experiment: experiment, RunID: r.id, Status: StatusFinished, Host: r.host, PID: r.pid}
		case isStale(s.self, r.host, r.pid, r.start, r.last(), now):
			dead = append(dead, r)
		default:
			held = &ClaimError{Experiment: experiment, RunID: r.id, Status: StatusRunning, Host: r.host, PID: r.pid}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if held != nil {
		return held
	}
	for _, r := range dead {
		if err := s.markInterrupted(ctx, tx, r, now); err != nil {
			return err
		}
	}
	return nil
}

// newUUID is a random (version 4) UUID.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

func (s *Store) insertDetails(ctx context.Context, tx *sql.Tx, id int64, spec RunSpec) error {
	for _, in := range spec.Inputs {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO inputs (run, role, path, sha256) VALUES (?, ?, ?, ?)`), id, in.Role, in.Path, in.SHA256); err != nil {
			return err
		}
	}
	for _, p := range spec.Params {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO params (run, key, text, num) VALUES (?, ?, ?, ?)`), id, p.Key, p.Value, paramNum(p.Value)); err != nil {
			return err
		}
	}
	for _, t := range spec.Tags {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO tags (run, tag) VALUES (?, ?) ON CONFLICT DO NOTHING`), id, t); err != nil {
			return err
		}
	}
	return nil
}

// write runs fn in one write transaction. SQLite writes from this process
// are serialised here, writes from other processes by SQLite's busy
// timeout; PostgreSQL's run side by side.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	unlock := s.lockWrites()
	defer unlock()
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

// lockWrites takes the process's write lock where the backend needs one
// and returns its release.
func (s *Store) lockWrites() (unlock func()) {
	if !s.b.serialWrites() {
		return func() {}
	}
	s.wmu.Lock()
	return s.wmu.Unlock
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
			unlock := r.s.lockWrites()
			r.s.db.Exec(r.s.q(`UPDATE runs SET heartbeat = ? WHERE id = ? AND status = 'RUNNING'`), formatTime(now), r.id)
			unlock()
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
	unlock := r.s.lockWrites()
	defer unlock()
	// INTERRUPTED too: another process may have judged this live run dead.
	res, err := r.s.db.Exec(r.s.q(`UPDATE runs SET status = ?, ended = ?, duration = ?, message = ?
		WHERE id = ? AND status IN ('RUNNING', 'INTERRUPTED')`),
		string(status), formatTime(now), now.Sub(r.started).Seconds(), cleanText(message), r.id)
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
