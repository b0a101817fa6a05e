package store

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestCopyFrom copies runs between the engines both ways: everything of a
// run arrives, a second copy finds the first, a RUNNING run waits.
func TestCopyFrom(t *testing.T) {
	sqlite, pg := newBackend(t, "sqlite"), newBackend(t, "postgres")
	for _, c := range []struct {
		name     string
		from, to *testBackend
	}{{"sqlite to postgres", sqlite, pg}, {"postgres to sqlite", pg, sqlite}, {"sqlite to sqlite", sqlite, sqlite}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			src := exportFixture(t, c.from) // runs 1-7: run 5 RUNNING, run 7 with an artifact
			snap := mustStart(t, src, RunSpec{Experiment: "sweep", Name: "snapshots"})
			mustLog(t, snap, 0, 0.5, map[string]float64{"total": 3})
			mustSave(t, snap, KindSnapshot, "s.png", 0, []byte("same bytes"))
			mustSave(t, snap, KindSnapshot, "s.png", 1, []byte("same bytes")) // one file in a shared store
			mustFinish(t, snap, StatusFinished, "")
			dst := c.to.open(t)
			// The destination has runs of its own: ids differ after the copy.
			mustFinish(t, mustStart(t, dst, RunSpec{Experiment: "mine"}), StatusFinished, "")

			copied, err := dst.CopyFrom(ctx, src, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(copied) != 8 {
				t.Fatalf("CopyFrom reported %d runs, want 8: %+v", len(copied), copied)
			}
			for _, cp := range copied {
				if cp.From == 5 {
					if !strings.Contains(cp.Skipped, "RUNNING") {
						t.Errorf("the RUNNING run was %+v; want it skipped", cp)
					}
					continue
				}
				if cp.Skipped != "" || cp.To == 0 {
					t.Errorf("run %d not copied: %+v", cp.From, cp)
					continue
				}
				from, to := mustGet(t, src, cp.From), mustGet(t, dst, cp.To)
				if cp.To == 1 { // the destination's own run
					t.Errorf("run %d was copied over the destination's run 1", from.ID)
				}
				if !pointsEqual(from.Metrics, to.Metrics) {
					t.Errorf("run %d: metrics differ after the copy", from.ID)
				}
				if len(from.Artifacts) != len(to.Artifacts) {
					t.Fatalf("run %d: %d artifacts copied of %d", from.ID, len(to.Artifacts), len(from.Artifacts))
				}
				for i, a := range from.Artifacts {
					b := to.Artifacts[i]
					data, err := os.ReadFile(b.Path)
					want, werr := os.ReadFile(a.Path)
					if err != nil || werr != nil || string(data) != string(want) || b.SHA256 != a.SHA256 || b.Name != a.Name ||
						b.Kind != a.Kind || b.Step != a.Step || !b.Created.Equal(a.Created) {
						t.Errorf("run %d artifact %s: %+v (%v) from %+v (%v)", from.ID, a.Name, b, err, a, werr)
					}
				}
				from.Metrics, to.Metrics, from.Artifacts, to.Artifacts = nil, nil, nil, nil
				for i := range from.Notes { // ids are the store's own
					from.Notes[i].ID = to.Notes[i].ID
				}
				from.ID = to.ID
				if !summariesEqual(from.RunSummary, to.RunSummary) || !reflect.DeepEqual(from.Inputs, to.Inputs) || !reflect.DeepEqual(from.Notes, to.Notes) {
					t.Errorf("run %s differs after the copy:\n%+v\n%+v", from.Name, from.RunSummary, to.RunSummary)
				}
			}
			// Copying again copies nothing; the RUNNING run comes once it ends.
			again, err := dst.CopyFrom(ctx, src, "")
			if err != nil {
				t.Fatal(err)
			}
			for i, cp := range again {
				if cp.From != 5 && (cp.Skipped != "already there" || cp.To != copied[i].To) {
					t.Errorf("second copy of run %d: %+v; want it found as run %d", cp.From, cp, copied[i].To)
				}
			}
			all, err := dst.Runs(ctx, "")
			if err != nil || len(all) != 8 {
				t.Errorf("the destination holds %d runs after two copies; want 8 (%v)", len(all), err)
			}
			// A query picks what to copy.
			if _, err := dst.CopyFrom(ctx, src, `name = "nosuch" and`); err == nil {
				t.Error("a bad query was accepted")
			}
		})
	}
}

// TestCopyChecksFiles: an artifact whose file no longer matches its
// recorded sha256 is not copied, and the run with it.
func TestCopyChecksFiles(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		src, dst := be.open(t), newBackend(t, "sqlite").open(t)
		r := mustStart(t, src, RunSpec{Experiment: "e", Name: "tampered"})
		p := mustSave(t, r, KindFinal, "final.png", 1, []byte("original"))
		mustFinish(t, r, StatusFinished, "")
		if err := os.WriteFile(p, []byte("changed"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := dst.CopyFrom(context.Background(), src, ""); err == nil || !strings.Contains(err.Error(), "changed after it was saved") {
			t.Errorf("CopyFrom of a changed file: %v", err)
		}
		if runs, err := dst.Runs(context.Background(), ""); err != nil || len(runs) != 0 {
			t.Errorf("the run was copied without its file: %d runs, %v", len(runs), err)
		}
	})
}
