package experiments

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/store"
)

// TestFinishedRebuildsTheRun: a finished run is found again by its settings
// and rebuilt as the Result it returned (image, steps' losses, stops); a
// changed setting or an interrupted run is not reused.
func TestFinishedRebuildsTheRun(t *testing.T) {
	lab := testLab(t)
	ctx := context.Background()
	cfg := paperConfig(t, 48, 3)
	cfg.Experiment, cfg.Scales = "reuse-test", []int{32, 48}
	if got, err := lab.Finished(ctx, cfg); err != nil || got != nil {
		t.Fatalf("Finished on an empty store: %v, %v; want nil, nil", got, err)
	}
	ran, err := lab.Run(ctx, cfg, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Name = "another name" // not part of what the run computes
	got, err := lab.Finished(ctx, cfg)
	if err != nil || got == nil {
		t.Fatalf("Finished after the run: %v, %v", got, err)
	}
	if got.RunID != ran.RunID || got.Iterations != ran.Iterations || got.Evaluations != ran.Evaluations ||
		!reflect.DeepEqual(got.Stops, ran.Stops) || got.Elapsed <= 0 {
		t.Errorf("rebuilt run %d: %d iterations, %d evaluations, stops %v, %s; ran run %d: %d, %d, %v",
			got.RunID, got.Iterations, got.Evaluations, got.Stops, got.Elapsed, ran.RunID, ran.Iterations, ran.Evaluations, ran.Stops)
	}
	if got.Image.Rect != ran.Image.Rect || !bytes.Equal(got.Image.Pix, ran.Image.Pix) {
		t.Error("the rebuilt image differs from the run's")
	}
	if len(got.Steps) != len(ran.Steps) {
		t.Fatalf("%d steps rebuilt, the run made %d", len(got.Steps), len(ran.Steps))
	}
	for i, s := range ran.Steps {
		g := got.Steps[i]
		if g.Iteration != s.Iteration || g.Planned != s.Planned || g.Evaluations != s.Evaluations || g.Total != s.Total ||
			g.Content != s.Content || g.Style != s.Style || !reflect.DeepEqual(g.Layers, s.Layers) {
			t.Errorf("step %d rebuilt as %+v; the run's was %+v", i, g, s)
		}
	}

	cfg.Ratio = 1e-2
	if got, err := lab.Finished(ctx, cfg); err != nil || got != nil {
		t.Errorf("another ratio reused run %v (err %v)", got, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	if _, err := lab.Run(cctx, cfg, Hooks{Step: func(Step) { cancel() }}); err == nil {
		t.Fatal("cancelled run finished")
	}
	if got, err := lab.Finished(ctx, cfg); err != nil || got != nil {
		t.Errorf("an interrupted run was reused: %v (err %v)", got, err)
	}
}

// TestFinishedRefusesAChangedImage: a final image changed on disk after the
// run stored it is not passed off as the run's result.
func TestFinishedRefusesAChangedImage(t *testing.T) {
	lab := testLab(t)
	ctx := context.Background()
	cfg := paperConfig(t, 32, 1)
	cfg.Experiment = "reuse-test"
	ran, err := lab.Run(ctx, cfg, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := lab.Store.Get(ctx, ran.RunID)
	if err != nil {
		t.Fatal(err)
	}
	final, _ := rec.LastArtifact(store.KindFinal)
	if err := os.WriteFile(final.Path, []byte("not the image"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := lab.Finished(ctx, cfg); err == nil || !strings.Contains(err.Error(), "was changed after the run stored it") {
		t.Errorf("Finished on a changed image: %v, %v; want an error saying so", got, err)
	}
}
