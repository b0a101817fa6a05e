package store

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/stylelab/stylelab/store/query"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// createAt makes a database at loc at schema version v, as an older
// stylelab would have left it, with one run of data when v >= 1.
func createAt(t *testing.T, be *testBackend, loc string, v int) {
	t.Helper()
	ctx := context.Background()
	var db *sql.DB
	var b backend = sqliteBackend{}
	var err error
	if be.name == "postgres" {
		b = postgresBackend{}
		db, err = sql.Open("pgx", loc)
	} else {
		if err := os.MkdirAll(filepath.Dir(loc), 0o755); err != nil {
			t.Fatal(err)
		}
		db, err = sql.Open("sqlite3", dsn(loc))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	if err := migrate(ctx, db, b, v); err != nil {
		t.Fatalf("migrate to %d: %v", v, err)
	}
	if v == 0 {
		return
	}
	_, err = db.ExecContext(ctx, `
		INSERT INTO experiments VALUES ('old', '2024-01-01T00:00:00.000Z');
		INSERT INTO runs (id, name, experiment, status, started, ended, duration, params_hash)
			VALUES (1, 'legacy', 'old', 'FINISHED', '2024-01-01T00:00:00.000Z', '2024-01-01T00:01:00.000Z', 60, 'h');
		INSERT INTO params VALUES (1, 'ratio', '1e-3', 0.001);
		INSERT INTO tags VALUES (1, 'kept');
		INSERT INTO metrics VALUES (1, 'total', 0, 0.0, 9), (1, 'total', 1, 1.0, 4), (1, 'total', 2, 2.0, 6),
			(1, 'tv', 0, 0.0, NULL), (1, 'tv', 1, 1.0, 3);`)
	if err == nil && be.name == "postgres" { // an id given explicitly does not advance the sequence
		_, err = db.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence('runs', 'id'), 1)")
	}
	if err != nil {
		t.Fatalf("fill version %d: %v", v, err)
	}
}

// schemaVersion reads the store's schema version.
func schemaVersion(t *testing.T, s *Store) int {
	t.Helper()
	q := "PRAGMA user_version"
	if s.Backend() == "postgres" {
		q = "SELECT version FROM stylelab_schema"
	}
	var v int
	scan(t, s, q, nil, &v)
	return v
}

func TestMigrateFromEveryVersion(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		for v := 0; v <= SchemaVersion; v++ {
			t.Run(fmt.Sprintf("from v%d", v), func(t *testing.T) {
				loc := be.location(t)
				createAt(t, be, loc, v)
				s := be.openAt(t, loc)
				ctx := context.Background()
				if got := schemaVersion(t, s); got != SchemaVersion {
					t.Fatalf("schema version = %d; want %d", got, SchemaVersion)
				}
				if be.name == "sqlite" {
					var mode string
					if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
						t.Errorf("journal_mode = %q, %v", mode, err)
					}
				}
				if v == 0 {
					return
				}
				rec, err := s.Get(ctx, 1)
				if err != nil {
					t.Fatal(err)
				}
				if rec.Name != "legacy" || len(rec.Metrics) != 5 || rec.Tags[0] != "kept" || rec.Params[0].Value != "1e-3" {
					t.Errorf("data lost in migration: %+v", rec)
				}
				if v < 4 && len(rec.UUID) != 36 {
					t.Errorf("migrated run has UUID %q; want one made by the migration", rec.UUID)
				}
				// The summary is backfilled: last by step, min ignoring NULL.
				if rec.Last["total"] != 6 || rec.Min["total"] != 4 || rec.Last["tv"] != 3 || rec.Min["tv"] != 3 || rec.LastStep != 2 {
					t.Errorf("summary after migration: last %v min %v step %d", rec.Last, rec.Min, rec.LastStep)
				}
				var minStep int
				scan(t, s, "SELECT min_step FROM metric_summary WHERE run = 1 AND key = 'total'", nil, &minStep)
				if minStep != 1 {
					t.Errorf("min_step = %d, want 1", minStep)
				}
				var total float64
				scan(t, s, "SELECT total FROM run_overview WHERE id = 1", nil, &total)
				if total != 6 {
					t.Errorf("run_overview total = %v", total)
				}
				runs, err := s.Runs(ctx, `tag = "kept" and metrics.total.min = 4`)
				if err != nil || len(runs) != 1 {
					t.Errorf("query after migration: %v, %v", names(runs), err)
				}
				// New runs get new ids after the old ones.
				if r := mustStart(t, s, RunSpec{Experiment: "old"}); r.ID() != 2 {
					t.Errorf("a new run after migration has id %d, want 2", r.ID())
				}
			})
		}
	})
}

func TestSummaryTrigger(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		r := mustStart(t, s, RunSpec{Experiment: "e"})
		nan := math.NaN()
		// Steps out of order, NaN first: last follows the highest step, min
		// ignores NaN, max likewise.
		for _, p := range []struct {
			step int
			v    float64
		}{{0, nan}, {5, 3}, {2, 1}, {7, nan}, {6, 8}} {
			mustLog(t, r, p.step, 0, map[string]float64{"x": p.v})
		}
		var last sql.NullFloat64
		var lastStep, minStep, count int
		var lo, hi float64
		err := s.db.QueryRow(s.q("SELECT last, last_step, min, min_step, max, count FROM metric_summary WHERE run = ? AND key = 'x'"), r.ID()).
			Scan(&last, &lastStep, &lo, &minStep, &hi, &count)
		if err != nil || last.Valid || lastStep != 7 || lo != 1 || minStep != 2 || hi != 8 || count != 5 {
			t.Errorf("summary = last %v@%d min %v@%d max %v count %d, %v", last, lastStep, lo, minStep, hi, count, err)
		}
		// Several rows of one key in one statement give what the same rows
		// one by one would.
		if _, err := s.db.Exec(s.q("INSERT INTO metrics (run, key, step, wall, value) VALUES (?, 'x', 9, 0, 0.5), (?, 'x', 8, 0, NULL), (?, 'x', 11, 0, 9), (?, 'x', 10, 0, 0.5), (?, 'y', 1, 0, 2)"),
			r.ID(), r.ID(), r.ID(), r.ID(), r.ID()); err != nil {
			t.Fatal(err)
		}
		err = s.db.QueryRow(s.q("SELECT last, last_step, min, min_step, max, count FROM metric_summary WHERE run = ? AND key = 'x'"), r.ID()).
			Scan(&last, &lastStep, &lo, &minStep, &hi, &count)
		if err != nil || last.Float64 != 9 || lastStep != 11 || lo != 0.5 || minStep != 9 || hi != 9 || count != 9 {
			t.Errorf("after one statement of four rows: summary = last %v@%d min %v@%d max %v count %d, %v", last, lastStep, lo, minStep, hi, count, err)
		}
	})
}

func TestOpenRejects(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer.db")
	db, err := sql.Open("sqlite3", dsn(newer))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, want string
	}{
		{"", "give a file path"},
		{":memory:", "give a file path"},
		{dir, "is a directory"},
		{garbage, "is it an SQLite database"},
		{newer, fmt.Sprintf("schema version 99 is newer than this stylelab understands (%d); upgrade stylelab", SchemaVersion)},
	}
	for _, tc := range tests {
		s, err := Open(tc.path)
		if err == nil {
			if cerr := s.Close(); cerr != nil {
				t.Error(cerr)
			}
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "store: ") {
			t.Errorf("Open(%q) error = %v, want one containing %q", tc.path, err, tc.want)
		}
	}
}

func TestOpenOddPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "my runs?#%", "a b.db")
	s := openTemp2(t, path)
	r := mustStart(t, s, RunSpec{Experiment: "e"})
	mustFinish(t, r, StatusFinished, "")
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %s: %v", path, err)
	}
}

// TestReadableBySQLiteCLI checks the file opens in the sqlite3 shell.
func TestReadableBySQLiteCLI(t *testing.T) {
	bin, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Fatal("the sqlite3 shell is needed for this check: apt-get install sqlite3 (scripts/install-deps.sh does)")
	}
	s := openTemp(t)
	loadFixture(t, s)
	out, err := exec.Command(bin, "-readonly", s.Path(), "SELECT name, status, total FROM run_overview ORDER BY id LIMIT 2").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "a|FINISHED|100000.0\nb|FINISHED|50000.0" {
		t.Errorf("sqlite3 said %q, %v", out, err)
	}
}

func TestOpenPostgresRejects(t *testing.T) {
	be := newBackend(t, "postgres")
	ctx := context.Background()
	newer := be.location(t)
	db, err := sql.Open("pgx", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE stylelab_schema (version INTEGER NOT NULL); INSERT INTO stylelab_schema VALUES (99)"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	good := be.location(t)
	arts := t.TempDir()
	dead := fmt.Sprintf("postgres://stylelab@127.0.0.1:%d/x?sslmode=disable&connect_timeout=5", be.pg.Port+1)
	tests := []struct {
		name, loc, artifacts, want string
	}{
		{"no artifacts folder", good, "", "name one with -artifacts DIR or STYLELAB_ARTIFACTS=DIR"},
		{"no such database", be.pg.URL("nosuch"), arts, "does the database exist"},
		{"no server", dead, arts, "is the server running"},
		{"bad URL", "postgres://a:b@[::1", arts, "PostgreSQL URL"},
		{"newer schema", newer, arts, fmt.Sprintf("schema version 99 is newer than this stylelab understands (%d)", SchemaVersion)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := OpenWith(ctx, tc.loc, Options{Artifacts: tc.artifacts})
			if err == nil {
				if cerr := s.Close(); cerr != nil {
					t.Error(cerr)
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "store: ") {
				t.Errorf("Open(%q) error = %v, want one containing %q", tc.loc, err, tc.want)
			}
		})
	}
	// An SQLite store takes no artifacts folder of its own.
	if _, err := OpenWith(ctx, filepath.Join(t.TempDir(), "s.db"), Options{Artifacts: arts}); err == nil || !strings.Contains(err.Error(), "for PostgreSQL stores") {
		t.Errorf("SQLite with an artifacts folder: %v", err)
	}
	// Open takes the folder from the environment, and hides the password.
	t.Setenv(ArtifactsEnv, arts)
	withPassword := strings.Replace(good, "stylelab@", "stylelab:secret@", 1)
	s, err := Open(withPassword)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.ArtifactDir() != arts || strings.Contains(s.Path(), "secret") || s.Backend() != "postgres" {
		t.Errorf("store at %s (artifacts %s, backend %s)", s.Path(), s.ArtifactDir(), s.Backend())
	}
}

// TestReadableByPsql checks that psql reads a PostgreSQL store's overview.
func TestReadableByPsql(t *testing.T) {
	be := newBackend(t, "postgres")
	bin, err := exec.LookPath("psql")
	if err != nil {
		t.Fatal("psql is needed for this check: apt-get install postgresql-client (scripts/install-deps.sh installs postgresql)")
	}
	loc := be.location(t)
	s := be.openAt(t, loc)
	loadFixture(t, s)
	out, err := exec.Command(bin, "-At", "-d", loc, "-c", "SELECT name, status, total FROM run_overview ORDER BY id LIMIT 2").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "a|FINISHED|100000\nb|FINISHED|50000" {
		t.Errorf("psql said %q, %v", out, err)
	}
}

// TestQueryPlans: every lookup of a run's params, metrics and tags is a
// point lookup by run (and key or tag), whatever the filter and order (an index by key
// once made a filtered, ordered query quadratic in the number of runs).
func TestQueryPlans(t *testing.T) {
	s := openTemp(t)
	loadFixture(t, s)
	for _, q := range []string{
		`params.ratio <= 1e-3 and status = "FINISHED" and metrics.style < 1e6 order by params.style_layers`,
		`metrics.total.min > 1 and tag = "fig3" order by metrics.style desc, started`,
		`params.style_layers like "conv%" order by metrics.total limit 10`,
	} {
		pq, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		stmt, args := pq.SQL(query.SQLite{}, runColumns)
		rows, err := s.db.Query("EXPLAIN QUERY PLAN "+stmt, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		for _, step := range plan {
			if strings.HasPrefix(step, "SEARCH ") && !strings.Contains(step, "run=?") {
				t.Errorf("%s:\nplan step %q does not look the run up by its id\n%s", q, step, strings.Join(plan, "\n"))
			}
			if strings.HasPrefix(step, "SCAN ") && !strings.HasPrefix(step, "SCAN r") {
				t.Errorf("%s:\nplan step %q scans a table per run", q, step)
			}
		}
	}
}
