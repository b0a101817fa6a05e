package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// eightMetrics is a typical step: totals plus per-layer style losses.
func eightMetrics(step int) map[string]float64 {
	f := float64(step + 1)
	return map[string]float64{
		"total": 1e6 / f, "content": 1e3 / f, "style": 1e5 / f, "tv": 10 / f,
		"style/conv1_1": 2e4 / f, "style/conv2_1": 3e4 / f, "style/conv3_1": 2.5e4 / f, "content/conv4_2": 1e3 / f,
	}
}

// BenchmarkLogStep measures one LogStep of 8 metrics on a real file.
func BenchmarkLogStep(b *testing.B) {
	s := openTemp(b)
	r := mustStart(b, s, RunSpec{Experiment: "bench"})
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := r.LogStep(i, time.Since(start).Seconds(), eightMetrics(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	mustFinish(b, r, StatusFinished, "")
}

// buildBenchStore fills a store with runs x steps x 8 metrics: runs go
// through StartRun/Finish, the metric history is generated inside SQLite
// (through the same summary trigger LogStep uses) to keep set-up short.
func buildBenchStore(b *testing.B, runs, steps int) *Store {
	b.Helper()
	s := openTemp(b)
	ctx := context.Background()
	ratios := []string{"1e-4", "5e-4", "1e-3", "5e-3", "1e-2"}
	layers := []string{"conv1_1,conv2_1", "conv1_1,conv2_1,conv3_1", "conv1_1,conv2_1,conv3_1,conv4_1,conv5_1"}
	for i := 0; i < runs; i++ {
		spec := RunSpec{
			Experiment: fmt.Sprintf("sweep-%d", i%4),
			Seed:       int64(i),
			Params: []Param{
				{"ratio", ratios[i%len(ratios)]}, {"style_layers", layers[i%len(layers)]},
				{"lr", fmt.Sprint(0.5 + float64(i%7))}, {"steps", fmt.Sprint(steps)}, {"init", "content"},
			},
		}
		if i%10 == 0 {
			spec.Tags = []string{"fig3"}
		}
		r := mustStart(b, s, spec)
		mustFinish(b, r, StatusFinished, "")
	}
	_, err := s.db.ExecContext(ctx, `WITH RECURSIVE st(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM st WHERE n < ?),
		k(key, w) AS (VALUES ('total', 1.0), ('content', 0.01), ('style', 0.1), ('tv', 1e-5),
			('style/conv1_1', 0.02), ('style/conv2_1', 0.03), ('style/conv3_1', 0.025), ('content/conv4_2', 0.001))
		INSERT INTO metrics (run, key, step, wall, value)
		SELECT r.id, k.key, st.n, st.n * 0.05, k.w * 1e6 * (1 + r.id % 97) / (st.n + 1)
		FROM runs r, k, st ORDER BY r.id, k.key, st.n`, steps-1)
	if err != nil {
		b.Fatalf("generate metrics: %v", err)
	}
	return s
}

// BenchmarkQuery runs filters over 1,000 runs x 500 steps x 8 metrics.
func BenchmarkQuery(b *testing.B) {
	start := time.Now()
	s := buildBenchStore(b, 1000, 500)
	var n int
	scan(b, s, "SELECT count(*) FROM metrics", nil, &n)
	b.Logf("built %d metric rows in %v", n, time.Since(start))
	queries := map[string]string{
		"example": `params.ratio <= 1e-3 and params.style_layers = "conv1_1,conv2_1" and metrics.style < 1e4 order by metrics.style`,
		"all":     ``,
		"tag-min": `tag = "fig3" and metrics.style/conv1_1.min < 100 order by metrics.total desc limit 20`,
		"or-not":  `(experiment = "sweep-1" or experiment like "sweep-3") and not params.lr > 3 order by params.ratio`,
	}
	for name, q := range queries {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runs, err := s.Runs(context.Background(), q)
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					b.ReportMetric(float64(len(runs)), "runs")
				}
			}
		})
	}
}
