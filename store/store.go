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

// Store is an open experiment database: an SQLite file, or a PostgreSQL
// database that many machines log to. It is safe for concurrent use by many
// goroutines; several processes (on several hosts, for PostgreSQL) may open
// the same store.
type Store struct {
	db       *sql.DB
	b        backend
	location string // absolute path of the SQLite file, or the URL without its password
	artDir   string // absolute path of the artifacts directory
	cas      bool   // artifacts are named by their content's sha256 (shared stores)
	self     procID
	wmu      sync.Mutex    // serialises this process's SQLite writes (no busy-waiting)
	beat     time.Duration // heartbeat interval of live runs
	readOnly bool          // this process may not write the database (opened for reading)

	mu     sync.Mutex // guards the fields below
	closed bool
	live   map[int64]*Run    // runs started here and not yet finished
	logSQL map[int]*sql.Stmt // LogStep inserts by number of metrics
}

// Options are the settings of a store beyond its location.
type Options struct {
	// Artifacts is the folder that holds a PostgreSQL store's images and
	// plots: one that every machine logging to the store reaches at the
	// same path (a shared file system). Open takes it from
	// $STYLELAB_ARTIFACTS. An SQLite store keeps its files beside the
	// database and takes no other folder.
	Artifacts string
}

// ArtifactsEnv is the environment variable that names a PostgreSQL
// store's artifacts folder.
const ArtifactsEnv = "STYLELAB_ARTIFACTS"

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

// IsURL reports whether location names a PostgreSQL database
// (postgres://... or postgresql://...) rather than an SQLite file.
func IsURL(location string) bool {
	l := strings.ToLower(strings.TrimSpace(location))
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// Open opens the store at location: a PostgreSQL URL (postgres://... or
// postgresql://...), with its artifacts folder from $STYLELAB_ARTIFACTS, or
// else the path of an SQLite file, created if needed. It applies schema
// migrations and marks RUNNING runs whose process is gone INTERRUPTED.
func Open(location string) (*Store, error) {
	return OpenContext(context.Background(), location)
}

// OpenContext is Open with a context for the migration and stale-run sweep.
func OpenContext(ctx context.Context, location string) (*Store, error) {
	return OpenWith(ctx, location, Options{Artifacts: os.Getenv(ArtifactsEnv)})
}

// OpenWith is Open with explicit options.
func OpenWith(ctx context.Context, location string, opts Options) (*Store, error) {
	if IsURL(location) {
		return openPostgres(ctx, location, opts)
	}
	return openSQLite(ctx, location, opts)
}

func openSQLite(ctx context.Context, path string, opts Options) (*Store, error) {
	if strings.TrimSpace(path) == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("store: database path %q: give a file path (artifacts are kept beside the database) or a postgres:// URL", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: database path %q: %w", path, err)
	}
	if opts.Artifacts != "" {
		if a, err := filepath.Abs(opts.Artifacts); err != nil || a != abs+"-artifacts" {
			return nil, fmt.Errorf("store: an SQLite store keeps its artifacts beside the database (%s-artifacts); an artifacts folder is for PostgreSQL stores: leave it out", abs)
		}
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
	s := newStore(db, sqliteBackend{}, abs, abs+"-artifacts")
	if err := s.init(ctx, "is it an SQLite database, and writable?"); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func newStore(db *sql.DB, b backend, location, artDir string) *Store {
	return &Store{
		db: db, b: b, location: location, artDir: artDir, self: selfProc(), beat: heartbeatEvery,
		live: map[int64]*Run{}, logSQL: map[int]*sql.Stmt{},
	}
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
	s := newStore(db, sqliteBackend{}, abs, abs+"-artifacts")
	s.readOnly = true
	return s, nil
}

func (s *Store) init(ctx context.Context, hint string) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: open %s: %w (%s)", s.location, err, hint)
	}
	if err := migrate(ctx, s.db, s.b, SchemaVersion); err != nil {
		return err
	}
	return s.sweepStale(ctx, time.Now())
}

// q rewrites a statement written with ? placeholders for the backend.
func (s *Store) q(query string) string { return s.b.rebind(query) }

// Path is where the store is: the absolute path of an SQLite file, or a
// PostgreSQL URL without its password.
func (s *Store) Path() string { return s.location }

// Backend is "sqlite" or "postgres".
func (s *Store) Backend() string { return s.b.name() }

// ArtifactDir is the directory that holds this store's artifact files.
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
