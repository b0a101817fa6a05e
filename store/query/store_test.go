package query_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/store/query"
)

// FuzzQuery checks that no query panics, that every rejected query gets a
// positioned *query.Error with a caret, and that every accepted query
// compiles with one argument per placeholder and runs without an SQL error
// against a real store. The committed corpus in testdata/fuzz/FuzzQuery
// runs as a normal test.
func FuzzQuery(f *testing.F) {
	for _, q := range []string{
		``,
		`params.ratio <= 1e-3 and params.style_layers = "conv1_1,conv2_1" and metrics.style < 1e4 order by metrics.style`,
		`tag = "fig3" or not (status = "FAILED")`,
		`metrics.style/conv1_1.min < 0.5 order by started desc limit 3`,
	} {
		f.Add(q)
	}
	s := testStore(f)
	f.Fuzz(func(t *testing.T, q string) {
		runs, err := s.Runs(context.Background(), q)
		if err == nil {
			pq, perr := query.Parse(q)
			if perr != nil {
				t.Fatalf("query %q ran but does not parse: %v", q, perr)
			}
			if sql, args := pq.SQL(query.SQLite{}, "r.id"); strings.Count(sql, "?") != len(args) {
				t.Fatalf("query %q compiles to %d placeholders and %d arguments: %s", q, strings.Count(sql, "?"), len(args), sql)
			}
			if len(runs) > 2 {
				t.Fatalf("query %q returned %d runs from 2", q, len(runs))
			}
			return
		}
		var qe *query.Error
		if !errors.As(err, &qe) {
			t.Fatalf("query %q parsed but failed to execute: %v", q, err)
		}
		if qe.Offset < 0 || qe.Offset > len(q) || qe.Line < 1 || qe.Column < 1 || qe.Column > utf8.RuneCountInString(q)+1 || qe.Msg == "" {
			t.Fatalf("query %q: bad error position %+v", q, qe)
		}
		if !strings.Contains(err.Error(), "^") {
			t.Fatalf("query %q: error without caret: %v", q, err)
		}
	})
}

// TestBindsValues checks that user text reaches SQL only as bound
// arguments: hostile strings neither break nor change the statement.
func TestBindsValues(t *testing.T) {
	s := testStore(t)
	hostile := `x' OR 1=1; DROP TABLE runs; --`
	for _, text := range []string{
		`name = "` + hostile + `"`,
		`params."` + hostile + `" = 1`,
		`metrics."` + hostile + `" < 1 order by params."` + hostile + `"`,
		`tag like "` + hostile + `"`,
	} {
		q, err := query.Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q): %v", text, err)
		}
		sql, args := q.SQL(query.SQLite{}, "r.id")
		if strings.Contains(sql, "DROP") || strings.Contains(sql, "'x'") {
			t.Errorf("user text leaked into SQL: %s", sql)
		}
		if n := strings.Count(sql, "?"); n != len(args) {
			t.Errorf("%d placeholders, %d args in %s", n, len(args), sql)
		}
		if runs, err := s.Runs(context.Background(), text); err != nil || len(runs) != 0 {
			t.Errorf("Runs(%q) = %d runs, %v; want none, no error", text, len(runs), err)
		}
	}
	if all, err := s.Runs(context.Background(), ""); err != nil || len(all) != 2 {
		t.Fatalf("runs table damaged: %d runs, %v", len(all), err)
	}
}

// testStore is a store with two runs: a finished one with numeric and
// textual params, tags and metrics (a NaN, a '/' in a key), and a live one.
func testStore(f testing.TB) *store.Store {
	f.Helper()
	ctx := context.Background()
	s, err := store.Open(filepath.Join(f.TempDir(), "stylelab.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		if err := s.Close(); err != nil {
			f.Errorf("Close: %v", err)
		}
	})
	done, err := s.StartRun(ctx, store.RunSpec{Experiment: "sweep", Seed: 7, Tags: []string{"fig3"},
		Params: []store.Param{{Key: "ratio", Value: "1e-3"}, {Key: "style_layers", Value: "conv1_1,conv2_1"}, {Key: "a.b", Value: "x"}}})
	if err != nil {
		f.Fatal(err)
	}
	for step, m := range []map[string]float64{
		{"total": 3e5, "style": 4e3, "style/conv1_1": 0.9},
		{"total": math.NaN(), "style": 5e3, "style/conv1_1": 0.4},
	} {
		if err := done.LogStep(step, float64(step), m); err != nil {
			f.Fatal(err)
		}
	}
	if err := done.Finish(store.StatusFinished, ""); err != nil {
		f.Fatal(err)
	}
	if _, err := s.StartRun(ctx, store.RunSpec{Experiment: "ablation", Params: []store.Param{{Key: "ratio", Value: "abc"}}}); err != nil {
		f.Fatal(err)
	}
	return s
}
