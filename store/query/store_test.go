package query_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stylelab/stylelab/internal/services"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/store/query"
)

// FuzzQuery checks that no query panics, that every rejected query gets a
// positioned *query.Error with a caret, that every accepted query compiles
// with one argument per placeholder and runs without an SQL error against
// a real store, and that SQLite and PostgreSQL stores holding the same runs
// answer it with the same runs in the same order. The committed corpus in
// testdata/fuzz/FuzzQuery runs as a normal test.
func FuzzQuery(f *testing.F) {
	for _, q := range []string{
		``,
		`params.ratio <= 1e-3 and params.style_layers = "conv1_1,conv2_1" and metrics.style < 1e4 order by metrics.style`,
		`tag = "fig3" or not (status = "FAILED")`,
		`metrics.style/conv1_1.min < 0.5 order by started desc limit 3`,
	} {
		f.Add(q)
	}
	stores := testStores(f)
	f.Fuzz(func(t *testing.T, q string) {
		var first []store.RunSummary
		for i, s := range stores {
			runs, err := s.Runs(context.Background(), q)
			if err == nil {
				pq, perr := query.Parse(q)
				if perr != nil {
					t.Fatalf("query %q ran but does not parse: %v", q, perr)
				}
				if sql, args := pq.SQL(query.SQLite{}, "r.id"); strings.Count(sql, "?") != len(args) {
					t.Fatalf("query %q compiles to %d placeholders and %d arguments: %s", q, strings.Count(sql, "?"), len(args), sql)
				}
				if len(runs) > 3 {
					t.Fatalf("query %q returned %d runs from 3", q, len(runs))
				}
				if i == 0 {
					first = runs
				} else if a, b := runNames(first), runNames(runs); a != b {
					t.Fatalf("query %q: SQLite gives runs %s, %s gives %s", q, a, s.Backend(), b)
				}
				continue
			}
			var qe *query.Error
			if !errors.As(err, &qe) {
				t.Fatalf("query %q parsed but failed to execute on %s: %v", q, s.Backend(), err)
			}
			if qe.Offset < 0 || qe.Offset > len(q) || qe.Line < 1 || qe.Column < 1 || qe.Column > utf8.RuneCountInString(q)+1 || qe.Msg == "" {
				t.Fatalf("query %q: bad error position %+v", q, qe)
			}
			if !strings.Contains(err.Error(), "^") {
				t.Fatalf("query %q: error without caret: %v", q, err)
			}
		}
	})
}

func runNames(runs []store.RunSummary) string {
	var names []string
	for _, r := range runs {
		names = append(names, r.Name)
	}
	return "[" + strings.Join(names, " ") + "]"
}

// TestBindsValues checks that user text reaches SQL only as bound
// arguments: hostile strings neither break nor change the statement.
func TestBindsValues(t *testing.T) {
	hostile := `x' OR 1=1; DROP TABLE runs; --`
	for _, s := range testStores(t) {
		for _, text := range []string{
			`name = "` + hostile + `"`,
			`params."` + hostile + `" = 1`,
			`metrics."` + hostile + `" < 1 order by params."` + hostile + `"`,
			`tag like "` + hostile + `"`,
			`name like "\\%"`,
		} {
			q, err := query.Parse(text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", text, err)
			}
			for _, d := range []query.Dialect{query.SQLite{}, query.Postgres{}} {
				sql, args := q.SQL(d, "r.id")
				if strings.Contains(sql, "DROP") || strings.Contains(sql, "'x'") {
					t.Errorf("user text leaked into SQL: %s", sql)
				}
				if n := strings.Count(sql, "?") + strings.Count(sql, "$"); n != len(args) {
					t.Errorf("%d placeholders, %d args in %s", n, len(args), sql)
				}
			}
			if runs, err := s.Runs(context.Background(), text); err != nil || len(runs) != 0 {
				t.Errorf("%s: Runs(%q) = %d runs, %v; want none, no error", s.Backend(), text, len(runs), err)
			}
		}
		if all, err := s.Runs(context.Background(), ""); err != nil || len(all) != 3 {
			t.Fatalf("%s: runs table damaged: %d runs, %v", s.Backend(), len(all), err)
		}
	}
}

// TestLikeMeansTheSame checks that a pattern matches the same runs in
// both engines: ASCII letters in any case, other letters as written, _ one
// character, and a backslash an ordinary character.
func TestLikeMeansTheSame(t *testing.T) {
	stores := testStores(t)
	for _, c := range []struct {
		query string
		want  string
	}{
		{`name like "DONE"`, "[done]"},
		{`name like "dO%"`, "[done]"},
		{`name like "ÉTÉ%"`, "[]"},         // PostgreSQL's ILIKE would fold É to é
		{`name like "été\\%"`, "[été\\x]"}, // no escape character
		{`name like "_t_\\_"`, "[été\\x]"},
		{`name not like "%\\%"`, "[live done]"},
		{`experiment like "SW%" and params.ratio like "1E%"`, "[done]"},
	} {
		for _, s := range stores {
			runs, err := s.Runs(context.Background(), c.query)
			if err != nil {
				t.Fatalf("%s: %q: %v", s.Backend(), c.query, err)
			}
			if got := runNames(runs); got != c.want {
				t.Errorf("%s: %q gives %s, want %s", s.Backend(), c.query, got, c.want)
			}
		}
	}
}

// testPG is this test binary's PostgreSQL server, stopped by TestMain.
var testPG = services.Shared{Settings: []string{"fsync=off"}}

func TestMain(m *testing.M) {
	code := m.Run()
	if err := testPG.Stop(); err != nil && code == 0 {
		code = 1
	}
	os.Exit(code)
}

// testStores are an SQLite and (unless -short) a PostgreSQL store, each
// with the same three runs: a finished one with numeric and textual
// params, tags and metrics (a NaN, a '/' in a key), a live one, and one
// whose name holds non-ASCII letters and a backslash.
func testStores(f testing.TB) []*store.Store {
	f.Helper()
	ctx := context.Background()
	locs := []string{filepath.Join(f.TempDir(), "stylelab.db")}
	if !testing.Short() {
		pg, err := testPG.Get()
		if err != nil {
			f.Fatalf("the PostgreSQL half of this test needs a server: %v", err)
		}
		url, err := pg.CreateDatabase(ctx, "query")
		if err != nil {
			f.Fatal(err)
		}
		locs = append(locs, url)
	}
	var stores []*store.Store
	for _, loc := range locs {
		var opts store.Options
		if store.IsURL(loc) {
			opts.Artifacts = filepath.Join(f.TempDir(), "artifacts")
		}
		s, err := store.OpenWith(ctx, loc, opts)
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() {
			if err := s.Close(); err != nil {
				f.Errorf("Close: %v", err)
			}
		})
		done, err := s.StartRun(ctx, store.RunSpec{Name: "done", Experiment: "sweep", Seed: 7, Tags: []string{"fig3"},
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
		if _, err := s.StartRun(ctx, store.RunSpec{Name: "live", Experiment: "ablation", Params: []store.Param{{Key: "ratio", Value: "abc"}}}); err != nil {
			f.Fatal(err)
		}
		odd, err := s.StartRun(ctx, store.RunSpec{Name: "été\\x", Experiment: "ablation", Params: []store.Param{{Key: "ratio", Value: "2"}}})
		if err != nil {
			f.Fatal(err)
		}
		if err := odd.Finish(store.StatusFailed, "Ünïcode"); err != nil {
			f.Fatal(err)
		}
		stores = append(stores, s)
	}
	return stores
}
