package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// LogStep records the metrics of one optimisation step (keys such as
// total, content, style, tv, style/conv1_1) with the wall-clock seconds
// since the run started. It is one small transaction: once it returns the
// step survives a SIGKILL of this process. NaN values are kept (as NULL).
func (r *Run) LogStep(step int, wallSeconds float64, metrics map[string]float64) error {
	keys, args, err := r.stepArgs(step, wallSeconds, metrics)
	if err != nil {
		return err
	}
	r.mu.Lock() // held to the end: Finish cannot slip between check and insert
	defer r.mu.Unlock()
	if r.done {
		return fmt.Errorf("store: run %d step %d: the run is finished; start a new run to log more", r.id, step)
	}
	st, err := r.s.logStmt(len(keys))
	if err != nil {
		return fmt.Errorf("store: run %d step %d: %w", r.id, step, err)
	}
	unlock := r.s.lockWrites()
	_, err = st.Exec(args...)
	unlock()
	return r.stepError(step, keys, err)
}

// StepMetrics is one step's metrics, for LogSteps.
type StepMetrics struct {
	Step    int
	Wall    float64 // seconds since the run started
	Metrics map[string]float64
}

// LogSteps records several steps in one transaction, as LogStep would one
// by one, but all or none: for writers that batch (an import, a remote
// worker, a benchmark that fills a store).
func (r *Run) LogSteps(steps []StepMetrics) error {
	type row struct {
		step int
		keys []string
		args []any
	}
	rows := make([]row, len(steps))
	for i, s := range steps {
		keys, args, err := r.stepArgs(s.Step, s.Wall, s.Metrics)
		if err != nil {
			return err
		}
		rows[i] = row{s.Step, keys, args}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return fmt.Errorf("store: run %d: the run is finished; start a new run to log more", r.id)
	}
	var failed row
	err := r.s.write(context.Background(), func(tx *sql.Tx) error {
		stmts := map[int]*sql.Stmt{} // by number of metrics, bound to tx
		for _, rw := range rows {
			st := stmts[len(rw.keys)]
			if st == nil {
				prepared, err := r.s.logStmt(len(rw.keys))
				if err != nil {
					return err
				}
				st = tx.Stmt(prepared)
				stmts[len(rw.keys)] = st
			}
			if _, err := st.Exec(rw.args...); err != nil {
				failed = rw
				return err
			}
		}
		return nil
	})
	if err != nil && failed.keys != nil {
		return r.stepError(failed.step, failed.keys, err)
	}
	if err != nil {
		return fmt.Errorf("store: run %d: log %d steps: %w", r.id, len(steps), err)
	}
	return nil
}

// stepArgs checks one step and returns its sorted metric keys and the
// insert's arguments (run, key, step, wall, value per key).
func (r *Run) stepArgs(step int, wallSeconds float64, metrics map[string]float64) ([]string, []any, error) {
	if step < 0 {
		return nil, nil, fmt.Errorf("store: run %d: step %d is negative; steps count from 0", r.id, step)
	}
	if math.IsNaN(wallSeconds) || math.IsInf(wallSeconds, 0) {
		return nil, nil, fmt.Errorf("store: run %d step %d: wall time %v is not a finite number of seconds", r.id, step, wallSeconds)
	}
	if len(metrics) == 0 {
		return nil, nil, fmt.Errorf("store: run %d step %d: no metrics; pass at least one, e.g. total", r.id, step)
	}
	keys := make([]string, 0, len(metrics))
	for k := range metrics {
		if err := checkKey("metric key", k); err != nil {
			return nil, nil, fmt.Errorf("store: run %d step %d: %w", r.id, step, err)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	args := make([]any, 0, 5*len(keys))
	for _, k := range keys {
		var v any = metrics[k]
		if math.IsNaN(metrics[k]) {
			v = nil
		}
		args = append(args, r.id, k, step, wallSeconds, v)
	}
	return keys, args, nil
}

// stepError explains a failed insert of a step (nil stays nil).
func (r *Run) stepError(step int, keys []string, err error) error {
	if err == nil {
		return nil
	}
	switch r.s.b.violation(err) {
	case "unique":
		return fmt.Errorf("store: run %d step %d: already logged for one of %v; log each step once: %w", r.id, step, keys, err)
	case "foreign key":
		return fmt.Errorf("store: run %d step %d: the run was deleted: %w", r.id, step, err)
	}
	return fmt.Errorf("store: run %d step %d: %w", r.id, step, err)
}

// logStmt is the prepared multi-row insert for n metrics, made once.
func (s *Store) logStmt(n int) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("the store is closed")
	}
	if st, ok := s.logSQL[n]; ok {
		return st, nil
	}
	q := "INSERT INTO metrics (run, key, step, wall, value) VALUES " +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", n), ", ")
	st, err := s.db.Prepare(s.q(q))
	if err != nil {
		return nil, err
	}
	s.logSQL[n] = st
	return st, nil
}
