package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stylelab/stylelab/internal/services"
)

// testPG is the PostgreSQL server of this test binary, started by the
// first test that needs it (fsync off: the tests kill clients, not the
// server) and stopped by TestMain.
var testPG = services.Shared{Settings: []string{"fsync=off", "full_page_writes=off"}}

func TestMain(m *testing.M) {
	code := m.Run()
	if err := testPG.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop PostgreSQL:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// testBackend hands out fresh, empty stores of one engine.
type testBackend struct {
	name string // "sqlite" or "postgres"
	pg   *services.Postgres

	mu   sync.Mutex
	arts map[string]string // artifacts folder of each PostgreSQL URL handed out
}

// eachBackend runs test once per engine, as the subtests "sqlite" and
// "postgres". Without a PostgreSQL server the postgres subtest fails with
// the reason; -short skips it.
func eachBackend(t *testing.T, test func(t *testing.T, be *testBackend)) {
	t.Helper()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			test(t, newBackend(t, name))
		})
	}
}

func newBackend(t testing.TB, name string) *testBackend {
	t.Helper()
	be := &testBackend{name: name, arts: map[string]string{}}
	if name == "postgres" {
		if testing.Short() {
			t.Skip("-short: no PostgreSQL server")
		}
		pg, err := testPG.Get()
		if err != nil {
			t.Fatalf("the PostgreSQL tests need a server: %v", err)
		}
		be.pg = pg
	}
	return be
}

// location is a new, empty store: an SQLite path in a temporary folder, or
// a new PostgreSQL database with its own artifacts folder.
func (be *testBackend) location(t testing.TB) string {
	t.Helper()
	if be.pg == nil {
		return filepath.Join(t.TempDir(), "db", "stylelab.db")
	}
	url, err := be.pg.CreateDatabase(context.Background(), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	be.mu.Lock()
	be.arts[url] = filepath.Join(t.TempDir(), "artifacts")
	be.mu.Unlock()
	return url
}

// options are the options a store at loc is opened with.
func (be *testBackend) options(loc string) Options {
	be.mu.Lock()
	defer be.mu.Unlock()
	return Options{Artifacts: be.arts[loc]}
}

// env is what a child process needs, besides the location, to open loc.
func (be *testBackend) env(loc string) []string {
	return []string{ArtifactsEnv + "=" + be.options(loc).Artifacts}
}

// open opens a fresh store, closed at cleanup (a failed Close fails the test).
func (be *testBackend) open(t testing.TB) *Store {
	t.Helper()
	s := be.openAt(t, be.location(t))
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// openAt opens the store at loc (again), closed at cleanup.
func (be *testBackend) openAt(t testing.TB, loc string) *Store {
	t.Helper()
	s, err := OpenWith(context.Background(), loc, be.options(loc))
	if err != nil {
		t.Fatalf("Open(%s): %v", loc, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openTemp opens a fresh SQLite store, closed at cleanup.
func openTemp(t testing.TB) *Store {
	t.Helper()
	return newBackend(t, "sqlite").open(t)
}

// openTemp2 opens an existing SQLite path, closed at cleanup.
func openTemp2(t testing.TB, path string) *Store {
	t.Helper()
	return newBackend(t, "sqlite").openAt(t, path)
}

// scan runs a one-row query (with ? placeholders) into dest or fails the test.
func scan(t testing.TB, s *Store, q string, args []any, dest ...any) {
	t.Helper()
	if err := s.db.QueryRow(s.q(q), args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// mustGet reads a run or fails the test.
func mustGet(t testing.TB, s *Store, id int64) *RunRecord {
	t.Helper()
	rec, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%d): %v", id, err)
	}
	return rec
}

// mustSave saves an artifact or fails the test.
func mustSave(t testing.TB, r *Run, kind, name string, step int, data []byte) string {
	t.Helper()
	p, err := r.SaveArtifact(kind, name, step, data)
	if err != nil {
		t.Fatalf("SaveArtifact(%s, %s): %v", kind, name, err)
	}
	return p
}

// mustStart starts a run or fails the test.
func mustStart(t testing.TB, s *Store, spec RunSpec) *Run {
	t.Helper()
	r, err := s.StartRun(context.Background(), spec)
	if err != nil {
		t.Fatalf("StartRun(%+v): %v", spec, err)
	}
	return r
}

// mustLog logs one step or fails the test.
func mustLog(t testing.TB, r *Run, step int, wall float64, m map[string]float64) {
	t.Helper()
	if err := r.LogStep(step, wall, m); err != nil {
		t.Fatalf("LogStep(%d): %v", step, err)
	}
}

// mustFinish finishes a run or fails the test.
func mustFinish(t testing.TB, r *Run, st Status, msg string) {
	t.Helper()
	if err := r.Finish(st, msg); err != nil {
		t.Fatalf("Finish(%s): %v", st, err)
	}
}
