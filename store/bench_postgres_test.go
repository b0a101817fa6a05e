package store

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stylelab/stylelab/internal/services"
)

// benchServer starts a PostgreSQL server of its own for a benchmark, with
// the server's default durability (fsync on) and settings a database
// server would have; it is stopped at the end.
func benchServer(b *testing.B, settings ...string) *services.Postgres {
	b.Helper()
	pg, err := services.StartPostgres(append([]string{"shared_buffers=512MB", "max_wal_size=8GB"}, settings...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := pg.Stop(); err != nil {
			b.Error(err)
		}
	})
	return pg
}

// BenchmarkPostgresWriters: 64 writers log steps of 8 metrics into one
// PostgreSQL store at once, each b.N steps, one every interval: goroutines
// each with a Store (so a connection pool) of its own, and processes. It
// reports the latency of LogStep (p50, p99, max) and checks that no step is
// lost; the select-1 cases are the same schedules without a step's work.
//
//	go test ./store -run '^$' -bench PostgresWriters -benchtime 200x
func BenchmarkPostgresWriters(b *testing.B) {
	pg := benchServer(b)
	for _, interval := range []time.Duration{100 * time.Millisecond, 10 * time.Millisecond, 0} {
		b.Run(fmt.Sprintf("every-%v", interval), func(b *testing.B) {
			benchWriters(b, pg, 64, interval)
		})
	}
	// The writers as processes, one Store and connection each, as the
	// tasks of a sweep on a cluster are.
	b.Run("processes/every-100ms", func(b *testing.B) { benchWriterProcesses(b, pg, 64, 100*time.Millisecond, "schedule") })
	// The floors the 64 writers are measured against: one writer alone, and
	// the same 64 connections on the same schedule sending SELECT 1, which
	// is what waking an idle client and server costs on this machine.
	b.Run("one-writer/every-10ms", func(b *testing.B) { benchWriters(b, pg, 1, 10*time.Millisecond) })
	b.Run("select-1/every-100ms", func(b *testing.B) { benchRoundTrips(b, pg, 64, 100*time.Millisecond) })
	b.Run("processes/select-1/every-100ms", func(b *testing.B) {
		benchWriterProcesses(b, pg, 64, 100*time.Millisecond, "schedule-select-1")
	})
}

// BenchmarkPostgresRoundTrip measures the machine's floor for any
// statement: SELECT 1 on an open connection, back to back and after a 10 ms
// pause (a writer's steps arrive that far apart or more, so each wakes an
// idle server process and client).
//
//	go test ./store -run '^$' -bench PostgresRoundTrip -benchtime 500x
func BenchmarkPostgresRoundTrip(b *testing.B) {
	pg := benchServer(b)
	url, err := pg.CreateDatabase(context.Background(), "roundtrip")
	if err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, pause := range []time.Duration{0, 10 * time.Millisecond} {
		b.Run(fmt.Sprintf("select-1/pause-%v", pause), func(b *testing.B) {
			if _, err := db.Exec("SELECT 1"); err != nil { // the connection, before the clock starts
				b.Fatal(err)
			}
			latencies := make([]time.Duration, 0, b.N)
			for range b.N {
				time.Sleep(pause)
				t0 := time.Now()
				if _, err := db.Exec("SELECT 1"); err != nil {
					b.Fatal(err)
				}
				latencies = append(latencies, time.Since(t0))
			}
			reportLatencies(b, latencies)
		})
	}
}

// reportLatencies reports the median, 99th percentile and maximum of
// latencies in milliseconds.
func reportLatencies(b *testing.B, latencies []time.Duration) {
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	pct := func(p float64) float64 { return ms(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]) }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(ms(latencies[len(latencies)-1]), "max-ms")
}

func benchWriters(b *testing.B, pg *services.Postgres, writers int, interval time.Duration) {
	ctx := context.Background()
	url, err := pg.CreateDatabase(ctx, "writers")
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Artifacts: filepath.Join(b.TempDir(), "artifacts")}
	stores := make([]*Store, writers)
	runs := make([]*Run, writers)
	for i := range stores {
		if stores[i], err = OpenWith(ctx, url, opts); err != nil {
			b.Fatal(err)
		}
		defer stores[i].Close()
		runs[i] = mustStart(b, stores[i], RunSpec{Experiment: "writers", Name: fmt.Sprintf("w%d", i)})
		mustLog(b, runs[i], 0, 0, eightMetrics(0)) // a connection each, before the clock starts
	}
	all, elapsed := onSchedule(b, writers, interval, func(w, step int, since time.Duration) error {
		return runs[w].LogStep(step, since.Seconds(), eightMetrics(step))
	})
	for _, r := range runs {
		mustFinish(b, r, StatusFinished, "")
	}
	var points int
	scan(b, stores[0], "SELECT count(*) FROM metrics", nil, &points)
	if want := writers * (b.N + 1) * 8; points != want {
		b.Fatalf("%d metric points in the store; %d writers logged %d", points, writers, want)
	}
	for _, r := range runs {
		if sum, err := stores[0].Summary(ctx, r.ID()); err != nil || sum.LastStep != b.N {
			b.Fatalf("run %d: last step %d, %v; want %d", r.ID(), sum.LastStep, err, b.N)
		}
	}
	reportLatencies(b, all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "steps/s")
}

// benchWriterProcesses is benchWriters with each writer a process of its
// own: this test binary in the helper mode "schedule" (LogStep) or
// "schedule-select-1" (SELECT 1, the floor).
func benchWriterProcesses(b *testing.B, pg *services.Postgres, writers int, interval time.Duration, mode string) {
	ctx := context.Background()
	url, err := pg.CreateDatabase(ctx, "processes")
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Artifacts: filepath.Join(b.TempDir(), "artifacts")}
	s, err := OpenWith(ctx, url, opts) // the schema, made once before the writers start
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	type writer struct {
		cmd    *exec.Cmd
		stdin  io.WriteCloser
		stdout *bufio.Scanner
		stderr strings.Builder
	}
	ws := make([]*writer, writers)
	for i := range ws {
		w := &writer{cmd: exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")}
		w.cmd.Env = append(os.Environ(), ArtifactsEnv+"="+opts.Artifacts, helperEnv+"="+mode, "STYLELAB_STORE_DB="+url,
			fmt.Sprintf("STYLELAB_STORE_NAME=p%d", i), fmt.Sprintf("STYLELAB_STORE_STEPS=%d", b.N))
		w.cmd.Stderr = &w.stderr
		if w.stdin, err = w.cmd.StdinPipe(); err != nil {
			b.Fatal(err)
		}
		out, err := w.cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		w.stdout = bufio.NewScanner(out)
		w.stdout.Buffer(nil, 1<<26)
		if err := w.cmd.Start(); err != nil {
			b.Fatal(err)
		}
		defer func() {
			if w.cmd.ProcessState == nil {
				w.cmd.Process.Kill()
				w.cmd.Wait()
			}
		}()
		ws[i] = w
	}
	fail := func(i int, what string) {
		b.Helper()
		ws[i].cmd.Process.Kill()
		ws[i].cmd.Wait()
		b.Fatalf("writer process %d: %s: %s", i, what, ws[i].stderr.String())
	}
	for i, w := range ws {
		if !w.stdout.Scan() || w.stdout.Text() != "ready" {
			fail(i, "not ready")
		}
	}
	b.ResetTimer()
	first := time.Now().Add(20 * time.Millisecond)
	for i, w := range ws { // spread the writers over an interval
		fmt.Fprintln(w.stdin, first.Add(time.Duration(i)*interval/time.Duration(writers)).UnixNano(), int64(interval))
	}
	var all []time.Duration
	for i, w := range ws {
		if !w.stdout.Scan() {
			fail(i, "no latencies")
		}
		for _, f := range strings.Fields(w.stdout.Text()) {
			ns, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				fail(i, err.Error())
			}
			all = append(all, time.Duration(ns))
		}
		if err := w.cmd.Wait(); err != nil {
			b.Fatalf("writer process %d: %v: %s", i, err, w.stderr.String())
		}
	}
	elapsed := time.Since(first)
	b.StopTimer()
	if len(all) != writers*b.N {
		b.Fatalf("%d latencies from %d writers of %d steps", len(all), writers, b.N)
	}
	reportLatencies(b, all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "steps/s")
	if mode != "schedule" {
		return
	}
	var points int
	scan(b, s, "SELECT count(*) FROM metrics", nil, &points)
	if want := writers * (b.N + 1) * 8; points != want {
		b.Fatalf("%d metric points in the store; %d writers logged %d", points, writers, want)
	}
	runs, err := s.Runs(ctx, `status = "FINISHED"`)
	if err != nil || len(runs) != writers {
		b.Fatalf("%d finished runs, %v; want %d", len(runs), err, writers)
	}
	for _, r := range runs {
		if r.LastStep != b.N {
			b.Fatalf("run %s: last step %d; want %d", r.Name, r.LastStep, b.N)
		}
	}
}

// benchRoundTrips is benchWriters with SELECT 1 for LogStep: the same
// connections, schedule and clocks, and none of a step's work.
func benchRoundTrips(b *testing.B, pg *services.Postgres, writers int, interval time.Duration) {
	ctx := context.Background()
	url, err := pg.CreateDatabase(ctx, "roundtrips")
	if err != nil {
		b.Fatal(err)
	}
	dbs := make([]*sql.DB, writers)
	for i := range dbs {
		if dbs[i], err = sql.Open("pgx", url); err != nil {
			b.Fatal(err)
		}
		defer dbs[i].Close()
		if _, err := dbs[i].Exec("SELECT 1"); err != nil { // a connection each, before the clock starts
			b.Fatal(err)
		}
	}
	all, elapsed := onSchedule(b, writers, interval, func(w, _ int, _ time.Duration) error {
		_, err := dbs[w].Exec("SELECT 1")
		return err
	})
	reportLatencies(b, all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "steps/s")
}

// onSchedule runs op b.N times in each of writers goroutines, each every
// interval (or back to back for 0), the writers spread over the interval,
// and returns every op's latency and the time it all took. op gets the
// writer, the step (from 1) and the time since the start.
func onSchedule(b *testing.B, writers int, interval time.Duration, op func(w, step int, since time.Duration) error) ([]time.Duration, time.Duration) {
	latencies := make([][]time.Duration, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := start.Add(time.Duration(w) * interval / time.Duration(writers)) // spread the writers over an interval
			latencies[w], errs[w] = timedSteps(first, interval, b.N, func(step int) error { return op(w, step, time.Since(start)) })
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	var all []time.Duration
	for w := range writers {
		if errs[w] != nil {
			b.Fatalf("writer %d: %v", w, errs[w])
		}
		all = append(all, latencies[w]...)
	}
	return all, elapsed
}

// timedSteps calls op for steps 1 to steps, the first at first and then
// one every interval (back to back for 0), and returns each call's latency.
func timedSteps(first time.Time, interval time.Duration, steps int, op func(step int) error) ([]time.Duration, error) {
	latencies := make([]time.Duration, 0, steps)
	next := first
	for step := 1; step <= steps; step++ {
		if interval > 0 {
			time.Sleep(time.Until(next))
			next = next.Add(interval)
		}
		t0 := time.Now()
		if err := op(step); err != nil {
			return latencies, err
		}
		latencies = append(latencies, time.Since(t0))
	}
	return latencies, nil
}

// BenchmarkPostgresQuery100k runs queries over 100,000 runs of 500 steps
// (two metric keys per step: 100 million points), bulk-loaded with COPY.
// STYLELAB_BENCH_RUNS and STYLELAB_BENCH_STEPS change the size.
//
//	go test ./store -run '^$' -bench PostgresQuery100k -benchtime 20x -timeout 2h
func BenchmarkPostgresQuery100k(b *testing.B) {
	nRuns, steps := envInt(b, "STYLELAB_BENCH_RUNS", 100_000), envInt(b, "STYLELAB_BENCH_STEPS", 500)
	pg := benchServer(b, "maintenance_work_mem=1GB", "max_parallel_maintenance_workers=2")
	ctx := context.Background()
	url, err := pg.CreateDatabase(ctx, "query100k")
	if err != nil {
		b.Fatal(err)
	}
	s, err := OpenWith(ctx, url, Options{Artifacts: filepath.Join(b.TempDir(), "artifacts")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	if err := bulkLoad(ctx, url, nRuns, steps); err != nil {
		b.Fatal(err)
	}
	var points int64
	scan(b, s, "SELECT count(*) FROM metrics", nil, &points)
	b.Logf("loaded %d runs, %d metric points with COPY in %v", nRuns, points, time.Since(start).Round(time.Second))
	queries := []struct{ name, q string }{
		{"example-limit-20", `params.ratio <= 1e-3 and params.style_layers = "conv1_1,conv2_1" and metrics.style < 1e4 order by metrics.style limit 20`},
		{"tag-min-limit-20", `tag = "fig3" and metrics.style.min < 1e4 order by metrics.total desc limit 20`},
		{"or-not-limit-20", `(experiment = "sweep-1" or experiment like "sweep-3") and not params.lr > 3 order by params.ratio limit 20`},
		{"one-experiment-newest-50", `experiment = "sweep-2" and status = "FINISHED" limit 50`},
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runs, err := s.Runs(ctx, q.q)
				if err != nil {
					b.Fatal(err)
				}
				if len(runs) == 0 {
					b.Fatalf("%s selects no runs", q.q)
				}
			}
		})
	}
	b.Run("page-50-by-metric", func(b *testing.B) { // the web page's table
		for i := 0; i < b.N; i++ {
			p, err := s.RunsPage(ctx, `experiment = "sweep-2"`, "metrics.total", 100, 50)
			if err != nil || len(p.Runs) != 50 {
				b.Fatalf("page: %v", err)
			}
		}
	})
	b.Run("get-one-run-history", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rec, err := s.Get(ctx, int64(1+i*7919%nRuns))
			if err != nil || len(rec.Metrics) != 2*steps {
				b.Fatalf("get: %d points, %v", len(rec.Metrics), err)
			}
		}
	})
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// bulkLoad fills an empty store with generated runs through COPY: the runs
// with their params, tags, metric history (total and style per step) and
// metric summaries. The history's key and trigger are set aside while it
// loads, and made again after, as a bulk load does.
func bulkLoad(ctx context.Context, url string, nRuns, steps int) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	exec := func(q string) error {
		_, err := conn.Exec(ctx, q)
		return err
	}
	ratios := []string{"1e-4", "5e-4", "1e-3", "5e-3", "1e-2"}
	layers := []string{"conv1_1,conv2_1", "conv1_1,conv2_1,conv3_1", "conv1_1,conv2_1,conv3_1,conv4_1,conv5_1"}
	// value is the metric k of run i at step n: falling with the step.
	value := func(i, k, n int) float64 {
		w := []float64{1, 0.1}[k]
		return w * 1e6 * float64(1+i%97) / float64(n+1)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	copyRows := func(table string, cols []string, n int, row func(i int) []any) error {
		_, err := conn.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				if i >= n {
					return nil, nil
				}
				i++
				return row(i - 1), nil
			}
		}()))
		if err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		return nil
	}
	for e := 0; e < 4; e++ {
		if err := exec(fmt.Sprintf("INSERT INTO experiments VALUES ('sweep-%d', '2026-01-01T00:00:00.000Z')", e)); err != nil {
			return err
		}
	}
	err = copyRows("runs", []string{"id", "name", "experiment", "status", "started", "ended", "duration", "host", "pid", "seed", "params_hash", "uuid"}, nRuns,
		func(i int) []any {
			started := t0.Add(time.Duration(i) * time.Minute)
			status := StatusFinished
			if i%50 == 7 {
				status = StatusFailed
			}
			return []any{int64(i + 1), fmt.Sprintf("run-%d", i+1), fmt.Sprintf("sweep-%d", i%4), status, formatTime(started),
				formatTime(started.Add(time.Minute)), 60.0, "bench", int32(1000 + i%5000), int64(i), fmt.Sprintf("h%d", i), fmt.Sprintf("u-%d", i)}
		})
	if err != nil {
		return err
	}
	if err := exec("SELECT setval(pg_get_serial_sequence('runs', 'id'), (SELECT max(id) FROM runs))"); err != nil {
		return err
	}
	const nParams = 5
	err = copyRows("params", []string{"run", "key", "text", "num"}, nRuns*nParams, func(j int) []any {
		i, k := j/nParams, j%nParams
		var key, text string
		switch k {
		case 0:
			key, text = "ratio", ratios[i%len(ratios)]
		case 1:
			key, text = "style_layers", layers[i%len(layers)]
		case 2:
			key, text = "lr", fmt.Sprint(0.5+float64(i%7))
		case 3:
			key, text = "steps", fmt.Sprint(steps)
		default:
			key, text = "init", "content"
		}
		var num any
		if f, ok := paramNum(text).(float64); ok {
			num = f
		}
		return []any{int64(i + 1), key, text, num}
	})
	if err != nil {
		return err
	}
	err = copyRows("tags", []string{"run", "tag"}, nRuns/10, func(j int) []any { return []any{int64(j*10 + 1), "fig3"} })
	if err != nil {
		return err
	}
	keys := []string{"style", "total"}
	err = copyRows("metric_summary", []string{"run", "key", "last", "last_step", "min", "min_step", "max", "count"}, nRuns*len(keys), func(j int) []any {
		i, k := j/len(keys), j%len(keys)
		kk := map[string]int{"total": 0, "style": 1}[keys[k]]
		return []any{int64(i + 1), keys[k], value(i, kk, steps-1), int32(steps - 1), value(i, kk, steps-1), int32(steps - 1), value(i, kk, 0), int32(steps)}
	})
	if err != nil {
		return err
	}
	// The history: 2 x steps rows per run, in key order (the primary key's).
	for _, q := range []string{"ALTER TABLE metrics DISABLE TRIGGER metrics_summarise",
		"ALTER TABLE metrics DROP CONSTRAINT metrics_pkey", "ALTER TABLE metrics DROP CONSTRAINT metrics_run_fkey"} {
		if err := exec(q); err != nil {
			return err
		}
	}
	per := len(keys) * steps
	err = copyRows("metrics", []string{"run", "key", "step", "wall", "value"}, nRuns*per, func(j int) []any {
		i, r := j/per, j%per
		k, n := r/steps, r%steps
		kk := map[string]int{"total": 0, "style": 1}[keys[k]]
		v := value(i, kk, n)
		if math.IsNaN(v) {
			return []any{int64(i + 1), keys[k], int32(n), float64(n) * 0.05, nil}
		}
		return []any{int64(i + 1), keys[k], int32(n), float64(n) * 0.05, v}
	})
	if err != nil {
		return err
	}
	for _, q := range []string{"ALTER TABLE metrics ADD PRIMARY KEY (run, key, step)",
		"ALTER TABLE metrics ADD CONSTRAINT metrics_run_fkey FOREIGN KEY (run) REFERENCES runs(id) ON DELETE CASCADE",
		"ALTER TABLE metrics ENABLE TRIGGER metrics_summarise", "VACUUM ANALYZE"} {
		if err := exec(q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}
