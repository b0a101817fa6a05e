package store

import (
	"context"
	"path/filepath"
	"testing"
)

// openTemp opens a fresh store in a temporary directory, closed at cleanup.
func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "db", "stylelab.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// scan runs a one-row query into dest or fails the test.
func scan(t testing.TB, s *Store, q string, args []any, dest ...any) {
	t.Helper()
	if err := s.db.QueryRow(q, args...).Scan(dest...); err != nil {
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
