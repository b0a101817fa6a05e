package display

import (
	"context"
	"github.com/stylelab/stylelab/compare"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
	"github.com/stylelab/stylelab/ui"
)

// TestWebLinks: runs, results and comparisons link to the web page while
// `stylelab ui` serves their store (its address file names a live process),
// and not otherwise.
func TestWebLinks(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	t.Setenv("STYLELAB_DB", db)
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	var ids []int64
	for i := 0; i < 2; i++ {
		r, err := st.StartRun(ctx, store.RunSpec{Experiment: "links", Params: []store.Param{{Key: "ratio", Value: []string{"1e-3", "1e-2"}[i]}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.LogStep(1, 0.1, map[string]float64{"total": 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.SaveArtifact(store.KindFinal, "final.png", 1, []byte("not a png")); err != nil {
			t.Fatal(err)
		}
		if err := r.Finish(store.StatusFinished, ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID())
	}
	rec, err := st.Get(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	cmp, err := compare.Runs(ctx, st, ids...)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := st.Runs(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	html := func(v any) string {
		b, ok := Render(v)
		if !ok {
			t.Fatalf("%T does not render", v)
		}
		s, _ := b.Data["text/html"].(string)
		return s
	}
	values := map[string]any{"record": rec, "result": &transfer.Result{RunID: ids[1]}, "comparison": cmp, "summaries": runs}
	for name, v := range values {
		if strings.Contains(html(v), "stylelab-link") {
			t.Errorf("%s links to a web page before one runs", name)
		}
	}
	unpublish, err := ui.Publish(db, "http://127.0.0.1:8799/")
	if err != nil {
		t.Fatal(err)
	}
	defer unpublish()
	want := map[string]string{
		"record":     `href="http://127.0.0.1:8799/runs/1"`,
		"result":     `href="http://127.0.0.1:8799/runs/2"`,
		"comparison": `href="http://127.0.0.1:8799/compare?ids=1,2"`,
		"summaries":  `href="http://127.0.0.1:8799/compare?ids=2,1"`,
	}
	for name, v := range values {
		if h := html(v); !strings.Contains(h, want[name]) {
			t.Errorf("%s: no link %s in\n%s", name, want[name], h)
		}
	}
	// display.Transfer's finished bar links to the run in the lab's store.
	bar := progress{runID: ids[1], status: "finished", link: runLink(st.Path(), ids[1])}.Bundle()
	if h, _ := bar.Data["text/html"].(string); !strings.Contains(h, want["result"]) {
		t.Errorf("finished progress bar has no link: %s", h)
	}
	if got := recordDB(rec); got != db {
		t.Errorf("recordDB = %q; want %q", got, db)
	}
	if err := unpublish(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html(rec), "stylelab-link") {
		t.Error("a record links to a web page that stopped")
	}
}
