package experiments

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stylelab/stylelab/store"
)

func testLab(t *testing.T) *Lab {
	s, err := store.Open(filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &Lab{Model: sharedModel(t), Store: s}
}

// TestLabLogsRuns: a finished and an interrupted run are both in the store
// with their parameters, every step, and their images.
func TestLabLogsRuns(t *testing.T) {
	lab := testLab(t)
	ctx := context.Background()
	cfg := paperConfig(t, 64, 6)
	cfg.Experiment, cfg.SnapshotEvery = "lab-test", 2
	res, err := lab.Run(ctx, cfg, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := lab.Store.Get(ctx, res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != store.StatusFinished || rec.LastStep != 6 {
		t.Errorf("status %s, last step %d; want FINISHED at 6", rec.Status, rec.LastStep)
	}
	if v, _ := rec.Param("ratio"); v != "0.001" {
		t.Errorf("ratio param %q, want 0.001", v)
	}
	if rec.Last["total"] != res.Last().Losses.Total || rec.Last["style/conv5_1"] != res.Last().Layers["style/conv5_1"] {
		t.Errorf("logged last metrics %v differ from the result's %+v", rec.Last, res.Last().Losses)
	}
	kinds := map[string]int{}
	for _, a := range rec.Artifacts {
		kinds[a.Kind]++
	}
	if kinds["final"] != 1 || kinds["snapshot"] != 3 || kinds["plot"] != 1 {
		t.Errorf("artifacts %v, want 1 final, 3 snapshots, 1 plot", kinds)
	}

	cctx, cancel := context.WithCancel(ctx)
	cfg.Iterations = 100
	res, err = lab.Run(cctx, cfg, Hooks{Step: func(s Step) {
		if s.Iteration == 4 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	rec, err = lab.Store.Get(ctx, res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != store.StatusInterrupted || rec.LastStep != 4 {
		t.Errorf("status %s at step %d, want INTERRUPTED at 4", rec.Status, rec.LastStep)
	}
}

// TestSweepResumes runs a 2x2 sweep, then the same sweep again: every point
// is found finished and skipped.
func TestSweepResumes(t *testing.T) {
	lab := testLab(t)
	ctx := context.Background()
	base := paperConfig(t, 48, 2)
	base.Experiment = "sweep-test"
	axes := []Axis{{Param: "style_layers", Values: []string{"conv1_1", "conv1_1,conv2_1"}}, {Param: "ratio", Values: []string{"1e-4", "1e-2"}}}
	first, err := lab.Sweep(ctx, base, axes, Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 4 {
		t.Fatalf("%d points, want 4", len(first))
	}
	for _, p := range first {
		if p.Skipped {
			t.Errorf("point %v skipped on the first pass", p.Settings)
		}
	}
	runs, err := lab.Store.Runs(ctx, `experiment = "sweep-test" and params.style_layers = "conv1_1,conv2_1" and params.ratio < 1e-3`)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].ID != first[2].RunID {
		t.Errorf("query found %d runs, want run %d", len(runs), first[2].RunID)
	}
	second, err := lab.Sweep(ctx, base, axes, Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range second {
		if !p.Skipped || p.RunID != first[i].RunID {
			t.Errorf("second pass point %v: skipped %v run %d, want skipped run %d", p.Settings, p.Skipped, p.RunID, first[i].RunID)
		}
	}
	if _, err := lab.Sweep(ctx, base, []Axis{{Param: "colour_depth", Values: []string{"8"}}}, Hooks{}, nil); err == nil {
		t.Error("unknown axis accepted")
	}
}
