package display

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
)

// TestLiveFeedback: opening the lab shows a live status from the start;
// a transfer previews its image by time (previews not kept in the store),
// and the preview gives way to the result when the run finishes.
func TestLiveFeedback(t *testing.T) {
	r := &recorder{}
	ctx := WithPublisher(context.Background(), r)
	lab, err := OpenLab(ctx, testenv.WeightsDir(t), filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	first, last := r.shown[0].Data["text/plain"].(string), r.shown[len(r.shown)-1].Data["text/plain"].(string)
	if !strings.HasPrefix(first, "loading VGG-19") || !strings.HasPrefix(last, "VGG-19 loaded in") || r.ids[0] != r.ids[len(r.ids)-1] {
		t.Errorf("OpenLab showed %q first and %q last", first, last)
	}

	r = &recorder{}
	ctx = WithPublisher(context.Background(), r)
	cfg := transfer.Defaults()
	cfg.ContentPath = testenv.Path(t, "images", "tubingen.jpg")
	cfg.Styles = []transfer.Style{{Path: testenv.Path(t, "images", "starry_night.jpg")}}
	cfg.Size, cfg.Iterations, cfg.SnapshotEvery = 40, 8, 1000 // no snapshot by iteration
	res, err := TransferWith(ctx, lab, cfg, Options{PreviewEvery: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	previews := map[string]int{}
	var previewID string
	for i, b := range r.shown {
		if _, ok := b.Data["image/png"]; ok {
			previews[r.ids[i]]++
			previewID = r.ids[i]
		}
	}
	if len(previews) != 1 || previews[previewID] < res.Iterations-1 {
		t.Errorf("previews %v for %d iterations, want one output updated about every iteration", previews, res.Iterations)
	}
	for i := len(r.shown) - 1; i >= 0; i-- {
		if r.ids[i] == previewID {
			if _, ok := r.shown[i].Data["image/png"]; ok {
				t.Error("the preview still shows an image after the run finished: the final image would show twice")
			}
			break
		}
	}
	rec, err := lab.Store.Get(ctx, res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range rec.Artifacts {
		if a.Kind == store.KindSnapshot {
			t.Errorf("preview kept in the store as %s", a.Name)
		}
	}
}

// TestTransferReuse: with Options.Reuse a run already finished is shown as
// such and returned, not run again; without it, it runs again.
func TestTransferReuse(t *testing.T) {
	lab, err := OpenLab(context.Background(), testenv.WeightsDir(t), filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	cfg := transfer.Defaults()
	cfg.ContentPath = testenv.Path(t, "images", "tubingen.jpg")
	cfg.Styles = []transfer.Style{{Path: testenv.Path(t, "images", "starry_night.jpg")}}
	cfg.Size, cfg.Iterations = 40, 4
	first, err := TransferWith(context.Background(), lab, cfg, Options{Reuse: true})
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	again, err := TransferWith(WithPublisher(context.Background(), r), lab, cfg, Options{Reuse: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.RunID != first.RunID || again.Iterations != first.Iterations {
		t.Errorf("reused run %d (%d iterations), want run %d (%d)", again.RunID, again.Iterations, first.RunID, first.Iterations)
	}
	if len(r.shown) != 1 || !strings.Contains(r.shown[0].Data["text/plain"].(string), "reused from the store, not run again") {
		t.Errorf("a reused run showed %d outputs, want one bar saying it was reused: %v", len(r.shown), r.shown)
	}
	rerun, err := TransferWith(context.Background(), lab, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rerun.RunID == first.RunID {
		t.Error("without Reuse the run was not run again")
	}
}
