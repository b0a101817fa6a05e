package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestSaveArtifact(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		r := mustStart(t, s, RunSpec{Experiment: "e"})
		tests := []struct {
			kind, name string
			step       int
			wantRel    string
		}{
			{KindSnapshot, "out.png", 100, "1/snapshot/step-000100-out.png"},
			{KindSnapshot, "out.png", 200, "1/snapshot/step-000200-out.png"},
			{KindPlot, "loss.svg", 200, "1/plot/loss.svg"},
			{KindFinal, "out.png", 300, "1/final/out.png"},
		}
		for _, tc := range tests {
			data := []byte(tc.kind + tc.name + strings.Repeat("x", tc.step))
			p, err := r.SaveArtifact(tc.kind, tc.name, tc.step, data)
			if err != nil {
				t.Fatalf("SaveArtifact(%s, %s): %v", tc.kind, tc.name, err)
			}
			want := filepath.Join(s.ArtifactDir(), filepath.FromSlash(tc.wantRel))
			if be.name == "postgres" { // a shared store names files by content
				sum := sha256.Sum256(data)
				want = filepath.Join(s.ArtifactDir(), "sha256", hex.EncodeToString(sum[:1]), hex.EncodeToString(sum[:])+filepath.Ext(tc.name))
			}
			if p != want {
				t.Errorf("path = %s, want %s", p, want)
			}
			if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, data) {
				t.Errorf("file %s holds %d bytes, %v", p, len(got), err)
			}
		}
		// Saving again replaces the file and the row, it does not add one.
		p, err := r.SaveArtifact(KindPlot, "loss.svg", 250, []byte("v2"))
		if err != nil {
			t.Fatal(err)
		}
		rec := mustGet(t, s, r.ID())
		if len(rec.Artifacts) != 4 {
			t.Fatalf("artifacts = %+v", rec.Artifacts)
		}
		for _, a := range rec.Artifacts {
			if a.Path == p && (a.Step != 250 || a.Size != 2) {
				t.Errorf("replaced plot = %+v", a)
			}
			if fi, err := os.Stat(a.Path); err != nil || fi.Size() != a.Size || len(a.SHA256) != 64 {
				t.Errorf("artifact %+v: file %v %v", a, fi, err)
			}
		}
		bad := []struct{ kind, name, want string }{
			{"video", "a.mp4", `artifact kind "video"; use final, snapshot, plot or source`},
			{KindFinal, "../escape.png", "plain file name"},
			{KindFinal, "..", "plain file name"},
			{KindFinal, `a\b.png`, "plain file name"},
			{KindFinal, "", "artifact name is empty"},
			{KindFinal, ".tmp-x", "plain file name"},
		}
		for _, b := range bad {
			if _, err := r.SaveArtifact(b.kind, b.name, 0, []byte("x")); err == nil || !strings.Contains(err.Error(), b.want) {
				t.Errorf("SaveArtifact(%q, %q) = %v, want %q", b.kind, b.name, err, b.want)
			}
		}
		if _, err := r.SaveArtifact(KindSnapshot, "a.png", -1, nil); err == nil || !strings.Contains(err.Error(), "step -1 is negative") {
			t.Errorf("negative step: %v", err)
		}
		if _, err := os.Stat(filepath.Join(s.ArtifactDir(), "escape.png")); err == nil {
			t.Error("a bad name escaped the run directory")
		}
	})
}

func TestDeleteAndGC(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		ctx := context.Background()
		keep := mustStart(t, s, RunSpec{Experiment: "e", Tags: []string{"keep"}})
		gone := mustStart(t, s, RunSpec{Experiment: "e"})
		live := mustStart(t, s, RunSpec{Experiment: "e"})
		keepFile := mustSave(t, keep, KindFinal, "k.png", 1, []byte("k"))
		goneFile := mustSave(t, gone, KindFinal, "g.png", 1, []byte("g"))
		liveFile := mustSave(t, live, KindFinal, "l.png", 1, []byte("l"))
		mustLog(t, gone, 0, 0, map[string]float64{"total": 1})
		if err := s.Note(ctx, gone.ID(), "bye"); err != nil {
			t.Fatal(err)
		}
		mustFinish(t, keep, StatusFinished, "")
		mustFinish(t, gone, StatusFinished, "")

		if err := s.Delete(ctx, live.ID()); err == nil || !strings.Contains(err.Error(), "is RUNNING") {
			t.Errorf("Delete(RUNNING) = %v", err)
		}
		hourAgo := time.Now().Add(-time.Hour)
		if err := os.Chtimes(goneFile, hourAgo, hourAgo); err != nil { // a shared store spares young files
			t.Fatal(err)
		}
		if err := s.Delete(ctx, gone.ID()); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(goneFile); !os.IsNotExist(err) {
			t.Errorf("deleted run's file remains: %v", err)
		}
		if _, err := s.Get(ctx, gone.ID()); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted run: Get error %v, want ErrNotFound", err)
		}
		for _, table := range []string{"metrics", "metric_summary", "notes", "artifacts", "params", "tags", "inputs"} {
			var n int
			scan(t, s, "SELECT count(*) FROM "+table+" WHERE run = ?", []any{gone.ID()}, &n)
			if n != 0 {
				t.Errorf("%s keeps %d rows of the deleted run", table, n)
			}
		}

		// Orphans: a crash between file and row, a leftover temp file, the
		// directory of a run deleted by plain SQL. Live runs and foreign
		// names are left alone.
		orphans := []string{
			filepath.Join(s.ArtifactDir(), "1", KindFinal, "crash.png"),
			filepath.Join(s.ArtifactDir(), "1", KindSnapshot, ".tmp-123"),
			filepath.Join(s.ArtifactDir(), "77", KindPlot, "old.svg"),
		}
		liveOrphan := filepath.Join(s.ArtifactDir(), "3", KindFinal, ".tmp-456")
		foreign := filepath.Join(s.ArtifactDir(), "README.txt")
		young := filepath.Join(s.ArtifactDir(), "1", KindPlot, "being-saved.svg")
		if be.name == "postgres" {
			// A shared store's own files are named by content: one no row
			// uses, one being saved, and a crash's temporary file.
			content := filepath.Join(s.ArtifactDir(), "sha256", "ab")
			orphans = append(orphans, filepath.Join(content, strings.Repeat("ab", 32)+".png"), filepath.Join(content, ".tmp-789"))
			young = filepath.Join(content, strings.Repeat("ab", 31)+"cd.png")
		}
		for _, p := range append(orphans, liveOrphan, foreign, young) {
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte("o"), 0o644); err != nil {
				t.Fatal(err)
			}
			if p != young {
				os.Chtimes(p, hourAgo, hourAgo)
			}
		}
		removed, err := s.GC(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(removed)
		sort.Strings(orphans)
		if strings.Join(removed, "\n") != strings.Join(orphans, "\n") {
			t.Errorf("GC removed\n%v\nwant\n%v", removed, orphans)
		}
		for _, p := range []string{keepFile, liveFile, liveOrphan, foreign, young} {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("GC removed %s: %v", p, err)
			}
		}
		if _, err := os.Stat(filepath.Join(s.ArtifactDir(), "77")); !os.IsNotExist(err) {
			t.Errorf("empty orphan directory left: %v", err)
		}
		if again, err := s.GC(ctx); err != nil || len(again) != 0 {
			t.Errorf("second GC removed %v, %v", again, err)
		}
	})
}

// TestSharedStoreFiles: in a shared (PostgreSQL) store two runs with the
// same image share one content-named file, which outlives the deletion of
// one of them and goes with the last.
func TestSharedStoreFiles(t *testing.T) {
	be := newBackend(t, "postgres")
	s := be.open(t)
	ctx := context.Background()
	a := mustStart(t, s, RunSpec{Experiment: "e"})
	b := mustStart(t, s, RunSpec{Experiment: "e"})
	pa := mustSave(t, a, KindFinal, "final.png", 3, []byte("same pixels"))
	pb := mustSave(t, b, KindSnapshot, "s.png", 1, []byte("same pixels"))
	if pa != pb {
		t.Fatalf("identical images are two files: %s and %s", pa, pb)
	}
	mustFinish(t, a, StatusFinished, "")
	mustFinish(t, b, StatusFinished, "")
	hourAgo := time.Now().Add(-time.Hour)
	if err := os.Chtimes(pa, hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, a.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pa); err != nil {
		t.Fatalf("deleting run a removed the file run b still uses: %v", err)
	}
	if rec := mustGet(t, s, b.ID()); len(rec.Artifacts) != 1 || rec.Artifacts[0].Path != pb || rec.Artifacts[0].Name != "s.png" {
		t.Errorf("run b's artifacts = %+v", rec.Artifacts)
	}
	if err := s.Delete(ctx, b.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pa); !os.IsNotExist(err) {
		t.Errorf("the file outlived both runs: %v", err)
	}
}
