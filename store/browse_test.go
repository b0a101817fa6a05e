package store

import (
	"context"
	"errors"
	"github.com/stylelab/stylelab/store/query"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func pageIDs(p *RunPage) []int64 {
	ids := make([]int64, len(p.Runs))
	for i, r := range p.Runs {
		ids[i] = r.ID
	}
	return ids
}

func TestRunsPage(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		loadFixture(t, s)
		ctx := context.Background()
		for _, c := range []struct {
			name, query, order string
			offset, limit      int
			want               []int64
			total              int
		}{
			{"first page", "", "", 0, 2, []int64{6, 5}, 6},
			{"last page", "", "", 4, 10, []int64{2, 1}, 6},
			{"past the end", "", "", 9, 10, []int64{}, 6},
			{"no limit", "", "", 0, 0, []int64{6, 5, 4, 3, 2, 1}, 6},
			{"filter", `experiment = "sweep"`, "", 0, 10, []int64{3, 2, 1}, 3},
			{"order by a metric", `experiment = "sweep"`, "metrics.total", 0, 10, []int64{2, 1, 3}, 3},
			{"order replaces the query's", `experiment = "sweep" order by id`, "metrics.total desc", 0, 2, []int64{3, 1}, 3},
			{"quoted param; ties newest first, text after numbers, missing last", "", `params."ratio"`, 0, 10, []int64{2, 4, 1, 3, 6, 5}, 6},
			{"query limit selects, order sorts", "limit 3", "id", 0, 10, []int64{4, 5, 6}, 3},
			{"tag", `tag = "fig3"`, "name desc", 1, 1, []int64{1}, 2},
		} {
			t.Run(c.name, func(t *testing.T) {
				p, err := s.RunsPage(ctx, c.query, c.order, c.offset, c.limit)
				if err != nil {
					t.Fatal(err)
				}
				if got := pageIDs(p); !reflect.DeepEqual(got, c.want) || p.Total != c.total {
					t.Errorf("ids %v of %d; want %v of %d", got, p.Total, c.want, c.total)
				}
			})
		}
		// Pages carry what Runs lists: params, tags, last metrics.
		p, err := s.RunsPage(ctx, `name = "a"`, "", 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		runs, err := s.Runs(ctx, `name = "a"`)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Runs) != 1 || len(runs) != 1 || !reflect.DeepEqual(p.Runs[0], runs[0]) {
			t.Errorf("page run %+v\nRuns gives %+v", p.Runs, runs)
		}
		if len(p.Runs) == 1 && (p.Runs[0].Last["total"] != 1e5 || len(p.Runs[0].Params) != 3 || p.Runs[0].Tags[0] != "fig3") {
			t.Errorf("page run lacks details: %+v", p.Runs[0])
		}
	})
}

func TestRunsPageErrors(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		loadFixture(t, s)
		ctx := context.Background()
		for _, c := range []struct{ query, order, want string }{
			{"status = FINISHED", "", `quote text values`},
			{"", "nosuch", `unknown field "nosuch"`},
			{"", "tag", "cannot order by tag"},
			{"", "id limit 3", "limit"},
		} {
			_, err := s.RunsPage(ctx, c.query, c.order, 0, 10)
			var qe *query.Error
			if !errors.As(err, &qe) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "^") {
				t.Errorf("RunsPage(%q, %q): %v; want a query error with %q and a caret", c.query, c.order, err, c.want)
			}
		}
		if _, err := s.RunsPage(ctx, "", "", -1, 10); err == nil {
			t.Error("a negative offset was accepted")
		}
	})
}

func TestSummaries(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		loadFixture(t, s)
		got, err := s.Summaries(context.Background(), []int64{3, 99, 1, 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != 3 || got[1].ID != 1 {
			t.Fatalf("Summaries(3, 99, 1, 3) = %+v; want runs 3 and 1", got)
		}
		if got[0].Status != StatusFailed || got[0].Message != "out of memory" || got[1].Last["style"] != 5e3 {
			t.Errorf("summaries lack fields: %+v", got)
		}
		if none, err := s.Summaries(context.Background(), nil); err != nil || len(none) != 0 {
			t.Errorf("Summaries(nil) = %v, %v", none, err)
		}
	})
}

func TestArtifactsByID(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		ctx := context.Background()
		a := mustStart(t, s, RunSpec{Experiment: "art"})
		b := mustStart(t, s, RunSpec{Experiment: "art"})
		c := mustStart(t, s, RunSpec{Experiment: "art"})
		save := func(r *Run, kind, name string, step int) string {
			t.Helper()
			p, err := r.SaveArtifact(kind, name, step, []byte(kind+name))
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		save(a, KindSnapshot, "s.png", 2)
		save(a, KindSnapshot, "s.png", 1)
		final := save(a, KindFinal, "final.png", 3)
		save(a, KindPlot, "losses.png", 3)
		save(b, KindSnapshot, "s.png", 1)
		snap2 := save(b, KindSnapshot, "s.png", 2)

		latest, err := s.LatestImages(ctx, []int64{a.ID(), b.ID(), c.ID()})
		if err != nil {
			t.Fatal(err)
		}
		if len(latest) != 2 || latest[a.ID()].Path != final || latest[b.ID()].Path != snap2 || latest[b.ID()].Step != 2 {
			t.Fatalf("LatestImages = %+v; want a's final and b's step-2 snapshot", latest)
		}
		got, err := s.Artifact(ctx, latest[a.ID()].ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Run != a.ID() || got.Kind != KindFinal || got.Path != final || got.Size != int64(len("finalfinal.png")) || got.SHA256 == "" {
			t.Errorf("Artifact = %+v", got)
		}
		if rel, err := filepath.Rel(s.ArtifactDir(), got.Path); err != nil || strings.HasPrefix(rel, "..") {
			t.Errorf("artifact path %s is outside %s", got.Path, s.ArtifactDir())
		}
		if _, err := s.Artifact(ctx, 999); !errors.Is(err, ErrNoArtifact) {
			t.Errorf("Artifact(999): %v; want ErrNoArtifact", err)
		}
		list, err := s.Artifacts(ctx, a.ID())
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, x := range list {
			kinds = append(kinds, x.Kind)
			if x.Run != a.ID() {
				t.Errorf("artifact %+v: run %d; want %d", x, x.Run, a.ID())
			}
		}
		if want := []string{KindFinal, KindPlot, KindSnapshot, KindSnapshot}; !reflect.DeepEqual(kinds, want) || list[2].Step != 1 {
			t.Errorf("Artifacts kinds %v; want %v, snapshots by step", kinds, want)
		}
		rec, err := s.Get(ctx, a.ID())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rec.Artifacts, list) {
			t.Errorf("Get's artifacts %+v\ndiffer from Artifacts' %+v", rec.Artifacts, list)
		}
		for _, r := range []*Run{a, b, c} {
			mustFinish(t, r, StatusFinished, "")
		}
	})
}

func TestMetricsAfter(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		r := mustStart(t, s, RunSpec{Experiment: "m"})
		for i := 0; i < 4; i++ {
			mustLog(t, r, i, float64(i), map[string]float64{"total": float64(10 - i), "style": math.NaN()})
		}
		mustFinish(t, r, StatusFinished, "")
		got, err := s.MetricsAfter(context.Background(), r.ID(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 4 || got[0].Step != 2 || got[0].Key != "style" || !math.IsNaN(got[0].Value) ||
			got[1].Key != "total" || got[1].Value != 8 || got[3].Step != 3 || got[3].Wall != 3 {
			t.Errorf("MetricsAfter(1) = %+v; want steps 2 and 3, style then total", got)
		}
	})
}

func TestLogSteps(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		ctx := context.Background()
		r := mustStart(t, s, RunSpec{Experiment: "batch"})
		var steps []StepMetrics
		for i := 0; i < 5; i++ {
			steps = append(steps, StepMetrics{Step: i, Wall: float64(i) / 2, Metrics: map[string]float64{"total": float64(100 - i), "style": float64(i)}})
		}
		steps[4].Metrics["tv"] = 1 // a different number of metrics
		if err := r.LogSteps(steps); err != nil {
			t.Fatal(err)
		}
		// All or none: a step logged twice fails the batch and keeps nothing of it.
		err := r.LogSteps([]StepMetrics{{Step: 5, Metrics: map[string]float64{"total": 1}}, {Step: 4, Metrics: map[string]float64{"total": 1}}})
		if err == nil || !strings.Contains(err.Error(), "step 4: already logged") {
			t.Errorf("duplicate step: %v; want it named", err)
		}
		if err := r.LogSteps([]StepMetrics{{Step: 6, Metrics: map[string]float64{}}}); err == nil || !strings.Contains(err.Error(), "no metrics") {
			t.Errorf("empty metrics: %v", err)
		}
		mustFinish(t, r, StatusFinished, "")
		if err := r.LogSteps(steps[:1]); err == nil || !strings.Contains(err.Error(), "finished") {
			t.Errorf("after Finish: %v", err)
		}
		rec, err := s.Get(ctx, r.ID())
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Metrics) != 11 || rec.LastStep != 4 || rec.Last["total"] != 96 || rec.Min["style"] != 0 || rec.Last["tv"] != 1 {
			t.Errorf("after LogSteps: %d points, last step %d, last %v, min %v", len(rec.Metrics), rec.LastStep, rec.Last, rec.Min)
		}
		if _, err := os.Stat(s.Path()); be.name == "sqlite" && err != nil {
			t.Fatal(err)
		}
	})
}
