package ui

import (
	"context"
	"fmt"
	"image/color"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stylelab/stylelab/store"
)

// benchStore fills a store with runs × steps through the store's API: each
// run is StartRun, one LogSteps of its whole history (one transaction),
// a final image and Finish. The parameters are those of a real run, with
// ratio, style layers and seed varying as in a sweep. The store is made in
// a temp dir, or, when $STYLELAB_BENCH_DIR is set, there, once, for later
// runs of the benchmark to reuse (building 10,000 runs takes minutes).
func benchStore(b *testing.B, runs, steps int) *store.Store {
	b.Helper()
	start := time.Now()
	dir := os.Getenv("STYLELAB_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("runs-%dx%d-v%d.db", runs, steps, store.SchemaVersion))
	built := path + ".complete"
	if _, err := os.Stat(built); err != nil {
		for _, p := range []string{path, path + "-wal", path + "-shm", path + "-artifacts", path + "-thumbs"} {
			if err := os.RemoveAll(p); err != nil {
				b.Fatal(err)
			}
		}
	}
	st, err := store.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := st.Close(); err != nil {
			b.Error(err)
		}
	})
	if _, err := os.Stat(built); err == nil {
		b.Logf("reusing %s", path)
		return st
	}
	ctx := context.Background()
	ratios := []string{"1e-5", "1e-4", "1e-3", "1e-2"}
	layers := []string{"conv1_1", "conv1_1,conv2_1", "conv1_1,conv2_1,conv3_1", "conv1_1,conv2_1,conv3_1,conv4_1", "conv1_1,conv2_1,conv3_1,conv4_1,conv5_1"}
	final := pngBytes(b, solid(48, 32, color.RGBA{10, 20, 30, 255}))
	// Workers overlap the artifact files' fsyncs; the store serialises
	// the database writes.
	next := make(chan int)
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		go func() {
			history := make([]store.StepMetrics, steps)
			var err error
			for i := range next {
				if err == nil {
					err = benchRun(ctx, st, i, history, ratios, layers, final)
				}
			}
			errs <- err
		}()
	}
	for i := 0; i < runs; i++ {
		next <- i
	}
	close(next)
	for w := 0; w < 8; w++ {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("built %d runs × %d steps × 4 metrics in %v", runs, steps, time.Since(start).Round(time.Second))
	if err := os.WriteFile(built, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return st
}

// benchRun logs run i of the bench store.
func benchRun(ctx context.Context, st *store.Store, i int, history []store.StepMetrics, ratios, layers []string, final []byte) error {
	steps := len(history)
	spec := store.RunSpec{Experiment: fmt.Sprintf("sweep-%d", i/500), Seed: int64(i % 7),
		Version: "bench", Commit: "0123456789abcdef", WeightsSHA256: "d24ccb9849a68bb8621e0562897dc9a7a38190fbb135e45df908a2959853b49c",
		Inputs: []store.Input{{Role: "content", Path: "tubingen.jpg", SHA256: "86a3"}, {Role: "style", Path: "composition_vii.jpg", SHA256: "61f5"}}}
	for _, p := range [][2]string{{"ratio", ratios[i%len(ratios)]}, {"style_layers", layers[i/len(ratios)%len(layers)]},
		{"seed", strconv.Itoa(i % 7)}, {"alpha", "1"}, {"content_layers", "conv4_2"}, {"init", "noise"}, {"iterations", strconv.Itoa(steps)},
		{"lbfgs_history", "20"}, {"line_search", "wolfe"}, {"optimizer", "lbfgs"}, {"pooling", "avg"}, {"scaling", "paper"},
		{"size", "256"}, {"style_scale", "1"}, {"tv_weight", "0"}, {"content", "86a346de6dcf83ce"}, {"styles", "61f5e2a1b0c9d8e7"}} {
		spec.Params = append(spec.Params, store.Param{Key: p[0], Value: p[1]})
	}
	r, err := st.StartRun(ctx, spec)
	if err != nil {
		return err
	}
	for s := range history {
		k := float64(s+1) * (1 + float64(i%97)/100)
		history[s] = store.StepMetrics{Step: s + 1, Wall: float64(s) * 0.4, Metrics: map[string]float64{
			"total": 1e9 / k, "content": 1e6 / k, "style": 1e7 / k, "style/conv1_1": 3e6 / k}}
	}
	if err := r.LogSteps(history); err != nil {
		return err
	}
	if _, err := r.SaveArtifact(store.KindFinal, "final.png", steps, final); err != nil {
		return err
	}
	return r.Finish(store.StatusFinished, "")
}

// BenchmarkRunsPage measures the runs page's handler (server time: the
// store's queries and the template) over 10,000 runs × 500 steps.
func BenchmarkRunsPage(b *testing.B) {
	runs, steps := 10000, 500
	if testing.Short() {
		runs, steps = 1000, 50
	}
	st := benchStore(b, runs, steps)
	srv, err := New(st, Options{Log: log.New(os.Stderr, "", 0)})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, q, sort, dir, page string }{
		{"newest", "", "", "", ""},
		{"by-total", "", "metrics.total", "asc", ""},
		{"last-page", "", "started", "desc", strconv.Itoa(runs / 100)},
		{"query-sorted", `params.ratio <= 1e-3 and status = "FINISHED" and metrics.style < 1e6`, "params.style_layers", "asc", "3"},
	} {
		v := url.Values{"q": {c.q}, "sort": {c.sort}, "dir": {c.dir}, "page": {c.page}}
		target := "http://127.0.0.1:8787/?" + v.Encode()
		b.Run(c.name, func(b *testing.B) {
			cpu := cpuTime(b)
			for i := 0; i < b.N; i++ {
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
				if w.Code != http.StatusOK || len(rowIDs(w.Body.String())) != 100 {
					b.Fatalf("GET %s: %d with %d rows", target, w.Code, len(rowIDs(w.Body.String())))
				}
			}
			// Wall time suffers when other work shares the machine; the
			// process's CPU time per page is the server's own cost.
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/page")
			b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/1e3/float64(b.N), "cpu-ms/page")
		})
	}
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
