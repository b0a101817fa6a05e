package store

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLogAndReadBack(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		ctx := context.Background()
		spec := RunSpec{
			Name: "starry", Experiment: "fig3", Seed: 42, Version: "0.1.0", Commit: "abc123",
			WeightsSHA256: "deadbeef",
			Inputs:        []Input{{"content", "in/tubingen.jpg", "c0"}, {"style", "in/starry.jpg", "s0"}},
			Params:        []Param{{"style_layers", "conv1_1,conv2_1"}, {"ratio", "1e-3"}, {"optimizer", "lbfgs"}},
			Tags:          []string{"paper", "fig3"},
		}
		r := mustStart(t, s, spec)
		var want []MetricPoint
		for step := 0; step < 20; step++ {
			m := eightMetrics(step)
			if step == 7 {
				m["tv"] = math.NaN() // a diverged value is kept, not dropped
			}
			if step == 9 {
				m["style"] = math.Inf(1)
			}
			mustLog(t, r, step, float64(step)*0.5, m)
			for k, v := range m {
				want = append(want, MetricPoint{Step: step, Wall: float64(step) * 0.5, Key: k, Value: v})
			}
		}
		if err := s.Note(ctx, r.ID(), "looks good"); err != nil {
			t.Fatal(err)
		}
		mustFinish(t, r, StatusFinished, "")

		rec, err := s.Get(ctx, r.ID())
		if err != nil {
			t.Fatal(err)
		}
		if rec.Name != "starry" || rec.Experiment != "fig3" || rec.Status != StatusFinished || rec.Seed != 42 ||
			rec.Version != "0.1.0" || rec.Commit != "abc123" || rec.WeightsSHA256 != "deadbeef" || rec.PID == 0 || rec.Host == "" {
			t.Errorf("run fields wrong: %+v", rec.RunSummary)
		}
		if rec.Ended.Before(rec.Started) || rec.Duration <= 0 || time.Since(rec.Started) > time.Minute {
			t.Errorf("times wrong: started %v ended %v duration %v", rec.Started, rec.Ended, rec.Duration)
		}
		wantParams := []Param{{"optimizer", "lbfgs"}, {"ratio", "1e-3"}, {"style_layers", "conv1_1,conv2_1"}}
		if !reflect.DeepEqual(rec.Params, wantParams) {
			t.Errorf("params = %v, want %v", rec.Params, wantParams)
		}
		if !reflect.DeepEqual(rec.Tags, []string{"fig3", "paper"}) {
			t.Errorf("tags = %v", rec.Tags)
		}
		if !reflect.DeepEqual(rec.Inputs, spec.Inputs) {
			t.Errorf("inputs = %v, want %v", rec.Inputs, spec.Inputs)
		}
		if len(rec.Notes) != 1 || rec.Notes[0].Text != "looks good" {
			t.Errorf("notes = %v", rec.Notes)
		}
		sortPoints(want)
		if !pointsEqual(rec.Metrics, want) {
			t.Errorf("metric history differs: got %d points, want %d", len(rec.Metrics), len(want))
		}
		if rec.LastStep != 19 || rec.Last["total"] != 1e6/20 || rec.Min["total"] != 1e6/20 || rec.Min["tv"] != 10.0/20 {
			t.Errorf("summary wrong: last step %d, last %v, min %v", rec.LastStep, rec.Last, rec.Min)
		}
		steps, vals := rec.Series("tv")
		if len(steps) != 20 || steps[7] != 7 || !math.IsNaN(vals[7]) || vals[0] != 10 {
			t.Errorf("Series(tv) = %v %v", steps, vals)
		}
		if keys := rec.MetricKeys(); len(keys) != 8 || keys[0] != "content" {
			t.Errorf("MetricKeys = %v", keys)
		}
	})
}

// sortPoints orders points as Get does: by step, then key.
func sortPoints(p []MetricPoint) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && (p[j].Step < p[j-1].Step || p[j].Step == p[j-1].Step && p[j].Key < p[j-1].Key); j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

// pointsEqual compares histories, NaN equal to NaN.
func pointsEqual(a, b []MetricPoint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Step != y.Step || x.Wall != y.Wall || x.Key != y.Key || !(x.Value == y.Value || math.IsNaN(x.Value) && math.IsNaN(y.Value)) {
			return false
		}
	}
	return true
}

func TestStartRunRejects(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		tests := []struct {
			name string
			spec RunSpec
			want string
		}{
			{"no experiment", RunSpec{}, "RunSpec.Experiment is empty"},
			{"duplicate param", RunSpec{Experiment: "e", Params: []Param{{"a", "1"}, {"a", "2"}}}, `param "a" is given twice`},
			{"empty param key", RunSpec{Experiment: "e", Params: []Param{{"", "1"}}}, "param key is empty"},
			{"control char", RunSpec{Experiment: "e\x00"}, "control character"},
			{"tag with space", RunSpec{Experiment: "e", Tags: []string{"fig 3"}}, `use one word such as "fig-3"`},
			{"input without path", RunSpec{Experiment: "e", Inputs: []Input{{Role: "style"}}}, `input "style" has no path`},
			{"long name", RunSpec{Experiment: "e", Name: strings.Repeat("x", 300)}, "keep it under 200"},
			{"NUL in a value", RunSpec{Experiment: "e", Params: []Param{{"a", "x\x00"}}}, "holds a NUL character"},
			{"path not UTF-8", RunSpec{Experiment: "e", Inputs: []Input{{"style", "caf\xe9.jpg", ""}}}, "is not valid UTF-8"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.StartRun(context.Background(), tc.spec)
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "store: ") {
					t.Fatalf("StartRun error = %v, want one containing %q", err, tc.want)
				}
			})
		}
		if runs, err := s.Runs(context.Background(), ""); err != nil || len(runs) != 0 {
			t.Errorf("rejected specs left %d runs (%v)", len(runs), err)
		}
	})
}

func TestLogStepRejects(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		r := mustStart(t, s, RunSpec{Experiment: "e"})
		mustLog(t, r, 0, 0, map[string]float64{"total": 1})
		tests := []struct {
			name    string
			step    int
			wall    float64
			metrics map[string]float64
			want    string
		}{
			{"negative step", -1, 0, map[string]float64{"total": 1}, "negative"},
			{"NaN wall", 1, math.NaN(), map[string]float64{"total": 1}, "not a finite number"},
			{"no metrics", 1, 0, nil, "no metrics"},
			{"empty key", 1, 0, map[string]float64{"": 1}, "metric key is empty"},
			{"step twice", 0, 0, map[string]float64{"total": 2}, "already logged"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				err := r.LogStep(tc.step, tc.wall, tc.metrics)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("LogStep error = %v, want one containing %q", err, tc.want)
				}
			})
		}
		mustFinish(t, r, StatusFinished, "")
		if err := r.LogStep(5, 0, map[string]float64{"total": 1}); err == nil || !strings.Contains(err.Error(), "finished") {
			t.Errorf("LogStep after Finish = %v", err)
		}
		if err := r.Finish(StatusFailed, "x"); err == nil || !strings.Contains(err.Error(), "already finished") {
			t.Errorf("second Finish = %v", err)
		}
		rec := mustGet(t, s, r.ID())
		if len(rec.Metrics) != 1 || rec.Metrics[0].Value != 1 {
			t.Errorf("rejected steps changed the history: %v", rec.Metrics)
		}
		r2 := mustStart(t, s, RunSpec{Experiment: "e"})
		if err := r2.Finish(StatusRunning, ""); err == nil || !strings.Contains(err.Error(), "use FINISHED, FAILED or INTERRUPTED") {
			t.Errorf("Finish(RUNNING) = %v", err)
		}
		mustFinish(t, r2, StatusFailed, "cuda: out of memory \x00\xff")
		if sum, err := s.Summary(context.Background(), r2.ID()); err != nil || sum.Status != StatusFailed || sum.Message != "cuda: out of memory \uFFFD" {
			t.Errorf("failed run = %+v, %v", sum, err)
		}
		if err := s.Note(context.Background(), r2.ID(), "a\x00b"); err == nil || !strings.Contains(err.Error(), "NUL") {
			t.Errorf("note with NUL: %v", err)
		}
	})
}

func TestCloseInterruptsLiveRuns(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		loc := be.location(t)
		s, err := OpenWith(context.Background(), loc, be.options(loc))
		if err != nil {
			t.Fatal(err)
		}
		r := mustStart(t, s, RunSpec{Experiment: "e"})
		mustLog(t, r, 0, 0, map[string]float64{"total": 1})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := r.LogStep(1, 0, map[string]float64{"total": 1}); err == nil || !strings.Contains(err.Error(), "the run is finished") {
			t.Errorf("LogStep after Close: %v", err)
		}
		s = be.openAt(t, loc)
		sum, err := s.Summary(context.Background(), r.ID())
		if err != nil {
			t.Fatal(err)
		}
		if sum.Status != StatusInterrupted || !strings.Contains(sum.Message, "store closed") || sum.LastStep != 0 {
			t.Errorf("after Close: %+v", sum)
		}
	})
}

func TestFindFinished(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		ctx := context.Background()
		p := []Param{{"ratio", "1e-3"}, {"layers", "conv1_1"}}
		r1 := mustStart(t, s, RunSpec{Experiment: "sweep", Params: p})
		mustFinish(t, r1, StatusFailed, "boom")
		if _, ok, err := s.FindFinished(ctx, "sweep", p); err != nil || ok {
			t.Fatalf("failed run counted as finished: %v %v", ok, err)
		}
		r2 := mustStart(t, s, RunSpec{Experiment: "sweep", Params: p})
		mustFinish(t, r2, StatusFinished, "")
		tests := []struct {
			name       string
			experiment string
			params     []Param
			want       bool
		}{
			{"same", "sweep", p, true},
			{"reordered, number respelled", "sweep", []Param{{"layers", "conv1_1"}, {"ratio", "0.001"}}, true},
			{"other value", "sweep", []Param{{"ratio", "1e-2"}, {"layers", "conv1_1"}}, false},
			{"extra key", "sweep", append([]Param{{"lr", "1"}}, p...), false},
			{"other experiment", "other", p, false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				id, ok, err := s.FindFinished(ctx, tc.experiment, tc.params)
				if err != nil || ok != tc.want || ok && id != r2.ID() {
					t.Errorf("FindFinished = %d %v %v, want found=%v (run %d)", id, ok, err, tc.want, r2.ID())
				}
			})
		}
		if _, _, err := s.FindFinished(ctx, "sweep", []Param{{"a", "1"}, {"a", "2"}}); err == nil || !strings.Contains(err.Error(), `param "a" is given twice`) {
			t.Errorf("duplicate keys: %v", err)
		}
	})
}

func TestTagsNotesExperiments(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		ctx := context.Background()
		loadFixture(t, s)
		if err := s.Tag(ctx, 4, "best", "fig3", "best"); err != nil {
			t.Fatal(err)
		}
		if err := s.Untag(ctx, 2, "best", "never-there"); err != nil {
			t.Fatal(err)
		}
		runs, err := s.Runs(ctx, `tag = "best"`)
		if got := names(runs); err != nil || !reflect.DeepEqual(got, []string{"d"}) {
			t.Errorf("best = %v, %v", got, err)
		}
		for _, err := range []error{s.Tag(ctx, 99, "x"), s.Note(ctx, 99, "x"), s.Delete(ctx, 99)} {
			if err == nil || !strings.Contains(err.Error(), "run 99: no such run") {
				t.Errorf("missing run: %v", err)
			}
		}
		if err := s.Note(ctx, 1, "  "); err == nil || !strings.Contains(err.Error(), "note on run 1 is empty") {
			t.Errorf("empty note: %v", err)
		}
		if err := s.Tag(ctx, 1); err == nil || !strings.Contains(err.Error(), "no tags given") {
			t.Errorf("Tag without tags: %v", err)
		}
		exps, err := s.Experiments(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(exps) != 2 || exps[0].Name != "ablation" || exps[0].Runs != 3 || exps[0].Running != 1 || exps[0].Interrupted != 1 ||
			exps[1].Name != "sweep" || exps[1].Finished != 2 || exps[1].Failed != 1 || exps[1].LastStarted.IsZero() {
			t.Errorf("experiments = %+v", exps)
		}
	})
}

func TestDiffParams(t *testing.T) {
	mk := func(kv ...string) RunSummary {
		var r RunSummary
		for i := 0; i < len(kv); i += 2 {
			r.Params = append(r.Params, Param{kv[i], kv[i+1]})
		}
		return r
	}
	tests := []struct {
		name string
		runs []RunSummary
		want []string
	}{
		{"none", nil, nil},
		{"one run", []RunSummary{mk("a", "1")}, nil},
		{"same", []RunSummary{mk("a", "1", "b", "x"), mk("b", "x", "a", "1")}, nil},
		{"numbers by value", []RunSummary{mk("ratio", "1e-3"), mk("ratio", "0.001")}, nil},
		{"differ", []RunSummary{mk("a", "1", "b", "x"), mk("a", "2", "b", "x")}, []string{"a"}},
		{"missing key", []RunSummary{mk("a", "1", "c", ""), mk("a", "1")}, []string{"c"}},
		{"three", []RunSummary{mk("a", "1", "b", "x"), mk("a", "1", "b", "y"), mk("a", "3", "b", "x")}, []string{"a", "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := DiffParams(tc.runs)
			var got []string
			for _, p := range d {
				got = append(got, p.Key)
				if len(p.Values) != len(tc.runs) || len(p.Present) != len(tc.runs) {
					t.Errorf("%s: %d values for %d runs", p.Key, len(p.Values), len(tc.runs))
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("DiffParams keys = %v, want %v", got, tc.want)
			}
		})
	}
	d := DiffParams([]RunSummary{mk("a", "1", "c", ""), mk("a", "1")})
	if d[0].Present[0] != true || d[0].Present[1] != false {
		t.Errorf("Present = %v", d[0].Present)
	}
}

func TestDefaultPath(t *testing.T) {
	tests := []struct {
		name, db, xdg, home, want string
	}{
		{"env wins", "/x/my.db", "/xdg", "/home/u", "/x/my.db"},
		{"xdg", "", "/xdg", "/home/u", "/xdg/stylelab/stylelab.db"},
		{"relative xdg ignored", "", "rel", "/home/u", "/home/u/.local/share/stylelab/stylelab.db"},
		{"home", "", "", "/home/u", "/home/u/.local/share/stylelab/stylelab.db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("STYLELAB_DB", tc.db)
			t.Setenv("XDG_DATA_HOME", tc.xdg)
			t.Setenv("HOME", tc.home)
			got, err := DefaultPath()
			if err != nil || got != tc.want {
				t.Errorf("DefaultPath() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
