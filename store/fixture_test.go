package store

import (
	"math"
	"testing"
)

// fixtureRun is one run of the query fixture.
type fixtureRun struct {
	spec    RunSpec
	steps   []map[string]float64 // metrics per step, step = index
	status  Status               // RUNNING leaves the run live
	message string
}

// queryFixture is six runs, ids 1..6 named a..f, covering params (numeric,
// textual, quoted keys), metrics (last, min, NaN, '/' in keys), tags and
// every status.
func queryFixture() []fixtureRun {
	nan := math.NaN()
	return []fixtureRun{
		{spec: RunSpec{Name: "a", Experiment: "sweep", Seed: 7, Tags: []string{"fig3"},
			Params: []Param{{"ratio", "1e-3"}, {"style_layers", "conv1_1,conv2_1"}, {"lr", "1"}}},
			steps: []map[string]float64{
				{"total": 3e5, "style": 4e3, "style/conv1_1": 0.9},
				{"total": 1e5, "style": 5e3, "style/conv1_1": 0.4}},
			status: StatusFinished},
		{spec: RunSpec{Name: "b", Experiment: "sweep", Tags: []string{"fig3", "best"},
			Params: []Param{{"ratio", "1e-4"}, {"style_layers", "conv1_1,conv2_1"}, {"lr", "2"}}},
			steps: []map[string]float64{
				{"total": 9e4, "style": 3e3},
				{"total": 5e4, "style": 2e3}},
			status: StatusFinished},
		{spec: RunSpec{Name: "c", Experiment: "sweep",
			Params: []Param{{"ratio", "1e-2"}, {"style_layers", "conv1_1,conv2_1"}, {"lr", "2"}}},
			steps:  []map[string]float64{{"total": 3e5, "style": 2e4}},
			status: StatusFailed, message: "out of memory"},
		{spec: RunSpec{Name: "d", Experiment: "ablation",
			Params: []Param{{"ratio", "0.001"}, {"style_layers", "conv1_1,conv2_1,conv3_1"}, {"my key", "x y"}, {"a.b", "dot"}}},
			steps: []map[string]float64{
				{"total": 2e5, "style": 1e3},
				{"total": 2.5e5, "style": 9e3}},
			status: StatusFinished},
		{spec: RunSpec{Name: "e", Experiment: "ablation"}, status: StatusRunning},
		{spec: RunSpec{Name: "f", Experiment: "ablation", Params: []Param{{"ratio", "abc"}}},
			steps: []map[string]float64{
				{"total": 7e5},
				{"total": nan}},
			status: StatusInterrupted, message: "stopped"},
	}
}

// loadFixture writes the fixture runs into s, in order (ids 1..6).
func loadFixture(t testing.TB, s *Store) {
	t.Helper()
	for _, f := range queryFixture() {
		r := mustStart(t, s, f.spec)
		for i, m := range f.steps {
			mustLog(t, r, i, float64(i), m)
		}
		if f.status != StatusRunning {
			mustFinish(t, r, f.status, f.message)
		}
	}
}
