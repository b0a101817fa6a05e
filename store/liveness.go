package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	heartbeatEvery = 10 * time.Second
	// staleAfter is how old a heartbeat must be before a run whose process
	// cannot be checked directly (another host, no /proc) counts as dead.
	staleAfter = 2 * time.Minute
)

// procID identifies a process robustly: pid alone is recycled, so on
// Linux the boot id and the process start time (in clock ticks since boot)
// are recorded as start; the triple names one process ever.
type procID struct {
	host  string
	pid   int
	start string // "" where /proc is not available
}

func selfProc() procID {
	host, _ := os.Hostname()
	pid := os.Getpid()
	start, _, _ := procStart(pid)
	return procID{host: host, pid: pid, start: start}
}

// procStart reads "<boot id>/<start ticks>" and the state letter of pid
// from /proc. known is false when /proc cannot answer at all.
func procStart(pid int) (start string, state byte, err error) {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", 0, err
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, err
	}
	// The command name (field 2) may hold spaces and parentheses; fields
	// after the last ')' start with state (field 3); starttime is field 22.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return "", 0, fmt.Errorf("unexpected /proc/%d/stat format", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 || len(f[0]) != 1 {
		return "", 0, fmt.Errorf("unexpected /proc/%d/stat format", pid)
	}
	return strings.TrimSpace(string(boot)) + "/" + f[19], f[0][0], nil
}

// procAlive says whether the process recorded as (pid, start) on this host
// still runs. known is false when it cannot tell (no /proc).
func procAlive(self procID, pid int, start string) (alive, known bool) {
	if pid == self.pid && start == self.start {
		return true, true
	}
	if self.start == "" {
		return false, false // no /proc here: only the heartbeat can tell
	}
	cur, state, err := procStart(pid)
	if err != nil {
		if os.IsNotExist(err) {
			return false, true
		}
		return false, false
	}
	if state == 'Z' || state == 'X' {
		return false, true // exited, not yet reaped
	}
	if start == "" {
		return true, true // recorded without identity: the pid must do
	}
	return cur == start, true
}

// isStale decides whether a RUNNING run's owner is gone.
func isStale(self procID, host string, pid int, start string, heartbeat, now time.Time) bool {
	if host == self.host && pid > 0 {
		if alive, known := procAlive(self, pid, start); known {
			return !alive
		}
	}
	return now.Sub(heartbeat) > staleAfter
}

// runningRun is what liveness needs of a RUNNING run.
type runningRun struct {
	id                    int64
	host, start           string
	pid                   int
	started               string
	heartbeat             sql.NullString
	wall                  sql.NullFloat64 // seconds of the last step logged
	startedAt, lastSignAt time.Time       // set by last
}

// last is the latest sign of life: the heartbeat, or the last step if
// that is later news, or else the start.
func (r *runningRun) last() time.Time {
	r.startedAt = parseTime(sql.NullString{String: r.started, Valid: true})
	last := parseTime(r.heartbeat)
	if last.IsZero() {
		last = r.startedAt
	}
	if w := r.startedAt.Add(time.Duration(r.wall.Float64 * float64(time.Second))); r.wall.Valid && w.After(last) {
		last = w
	}
	r.lastSignAt = last
	return last
}

// markInterrupted ends a RUNNING run whose process is gone at its last
// sign of life (r.last must have been called). The update re-checks the
// status, so concurrent sweeps are harmless.
func (s *Store) markInterrupted(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, r runningRun, now time.Time) error {
	why := fmt.Sprintf("process %d on %s ended without finishing the run (found by process %d on %s at %s)",
		r.pid, r.host, s.self.pid, s.self.host, formatTime(now))
	_, err := db.ExecContext(ctx, s.q(`UPDATE runs SET status = 'INTERRUPTED', ended = ?, duration = ?, message = ?
		WHERE id = ? AND status = 'RUNNING'`), formatTime(r.lastSignAt), r.lastSignAt.Sub(r.startedAt).Seconds(), why, r.id)
	if err != nil {
		return fmt.Errorf("store: mark run %d interrupted: %w", r.id, err)
	}
	return nil
}

// SweepStale marks RUNNING runs whose process is gone as INTERRUPTED, as
// Open does: a reader that stays open for long (the web page) calls it now
// and then, so that a run whose process was killed does not look RUNNING
// for ever.
func (s *Store) SweepStale(ctx context.Context) error {
	return s.sweepStale(ctx, time.Now())
}

// sweepStale marks RUNNING runs whose process is gone as INTERRUPTED.
func (s *Store) sweepStale(ctx context.Context, now time.Time) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, host, pid, proc_start, started, heartbeat,
		(SELECT max(wall) FROM metrics m WHERE m.run = runs.id) FROM runs WHERE status = 'RUNNING'`)
	if err != nil {
		return fmt.Errorf("store: find running runs: %w", err)
	}
	var found []runningRun
	for rows.Next() {
		var r runningRun
		if err := rows.Scan(&r.id, &r.host, &r.pid, &r.start, &r.started, &r.heartbeat, &r.wall); err != nil {
			rows.Close()
			return fmt.Errorf("store: read running runs: %w", err)
		}
		if isStale(s.self, r.host, r.pid, r.start, r.last(), now) {
			found = append(found, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: read running runs: %w", err)
	}
	for _, r := range found {
		if err := s.markInterrupted(ctx, s.db, r, now); err != nil {
			return err
		}
	}
	return nil
}
