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
