package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"golang.org/x/sys/unix"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// ErrNotFound is returned (wrapped) when a run id does not exist.
var ErrNotFound = errors.New("no such run")

// Store is an open experiment database. It is safe for concurrent use by
// many goroutines; several processes may open the same file.
type Store struct {
	db     *sql.DB
	path   string // absolute path of the database file
	artDir string // absolute path of the artifacts directory
	self   procID
	wmu    sync.Mutex    // serialises this process's writes (no busy-waiting)
	beat   time.Duration // heartbeat interval of live runs
	// readOnly: this process may not write the database (opened for reading)
	readOnly bool

	mu     sync.Mutex // guards the fields below
	closed bool
	live   map[int64]*Run    // runs started here and not yet finished
	logSQL map[int]*sql.Stmt // LogStep inserts by number of metrics
}

// DefaultPath is $STYLELAB_DB, else $XDG_DATA_HOME/stylelab/stylelab.db,
// else ~/.local/share/stylelab/stylelab.db.
func DefaultPath() (string, error) {
	if p := os.Getenv("STYLELAB_DB"); p != "" {
		return p, nil
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "stylelab", "stylelab.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("store: no database path: set STYLELAB_DB or HOME: %w", err)
	}
	return filepath.Join(home, ".local", "share", "stylelab", "stylelab.db"), nil
}

// Open opens (creating if needed) the database at path: it creates the
// directory, applies schema migrations, turns on WAL, a busy timeout and
// foreign keys, and marks RUNNING runs whose process is gone INTERRUPTED.
func Open(path string) (*Store, error) {
	return OpenContext(context.Background(), path)
}

// OpenContext is Open with a context for the migration and stale-run sweep.
func OpenContext(ctx context.Context, path string) (*Store, error) {
	if strings.TrimSpace(path) == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("store: database path %q: give a file path (artifacts are kept beside the database)", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: database path %q: %w", path, err)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("store: database path %s is a directory; give a file path such as %s", abs, filepath.Join(abs, "stylelab.db"))
	}
	if readOnly(abs) {
		return openReadOnly(ctx, abs)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("store: create database directory: %w", err)
	}
	db, err := sql.Open("sqlite3", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	s := &Store{
		db: db, path: abs, artDir: abs + "-artifacts", self: selfProc(), beat: heartbeatEvery,
		live: map[int64]*Run{}, logSQL: map[int]*sql.Stmt{},
	}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// dsn builds a file: URI (so any character in the path is safe) with the
// connection settings go-sqlite3 applies to every pooled connection.
func dsn(abs string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	q := url.Values{}
	q.Set("_busy_timeout", "15000")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	return u.String() + "?" + q.Encode()
}

// readOnly reports whether the database exists but this process may not
// write it or its folder (WAL needs both).
func readOnly(abs string) bool {
	if _, err := os.Stat(abs); err != nil {
		return false
	}
	return unix.Access(abs, unix.W_OK) != nil || unix.Access(filepath.Dir(abs), unix.W_OK) != nil
}

// openReadOnly opens a store this process may read but not write, for
// listing and queries: no migration, no sweep of stale runs; writes fail.
func openReadOnly(ctx context.Context, abs string) (*Store, error) {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	var db *sql.DB
	var err error
	// mode=ro works while a writer keeps the WAL files; immutable=1 reads a
	// store nobody is writing, without creating them.
	for _, q := range []string{"mode=ro&_busy_timeout=15000", "mode=ro&immutable=1"} {
		if db, err = sql.Open("sqlite3", u.String()+"?"+q); err != nil {
			continue
		}
		var version int
		if err = db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err == nil {
			if version != SchemaVersion {
				db.Close()
				return nil, fmt.Errorf("store: %s is read-only and has schema version %d, not %d: open it once with write access to migrate it", abs, version, SchemaVersion)
			}
			break
		}
		db.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s read-only: %w", abs, err)
	}
	return &Store{db: db, path: abs, artDir: abs + "-artifacts", self: selfProc(), beat: heartbeatEvery,
		live: map[int64]*Run{}, logSQL: map[int]*sql.Stmt{}, readOnly: true}, nil
}

func (s *Store) init(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: open %s: %w (is it an SQLite database, and writable?)", s.path, err)
	}
	if err := migrate(ctx, s.db, SchemaVersion); err != nil {
		return err
	}
	return s.sweepStale(ctx, time.Now())
}

// Path is the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// ArtifactDir is the directory that holds this database's artifact files.
func (s *Store) ArtifactDir() string { return s.artDir }

// Close marks runs started through this Store and not yet finished as
// INTERRUPTED, stops their heartbeats and closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	live := make([]*Run, 0, len(s.live))
	for _, r := range s.live {
		live = append(live, r)
	}
	s.mu.Unlock()
	var errs []error
	for _, r := range live {
		if err := r.Finish(StatusInterrupted, "store closed before the run finished"); err != nil {
			errs = append(errs, err)
		}
	}
	s.mu.Lock()
	s.closed = true
	for _, st := range s.logSQL {
		st.Close()
	}
	s.mu.Unlock()
	if err := s.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("store: close: %w", err))
	}
	return errors.Join(errs...)
}

// formatTime is a time as stored: UTC RFC 3339 with milliseconds.
func formatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func parseTime(s sql.NullString) time.Time {
	if !s.Valid {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s.String)
	if err != nil {
		return time.Time{}
	}
	return t
}
