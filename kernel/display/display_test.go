package display

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"

	"github.com/stylelab/stylelab/compare"
	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
)

// recorder is a Publisher that keeps what it was sent.
type recorder struct {
	shown   []Bundle
	ids     []string
	updates int
	clears  int
}

func (r *recorder) Display(b Bundle, id string, update bool) error {
	r.shown = append(r.shown, b)
	r.ids = append(r.ids, id)
	if update {
		r.updates++
	}
	return nil
}

func (r *recorder) Clear(bool) error { r.clears++; return nil }

func TestRender(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 5, 3))
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	for _, c := range []struct {
		v     any
		mime  string
		plain string
	}{
		{img, "image/png", "*image.RGBA 5×3"},
		{image.Rect(0, 0, 2, 3), "text/plain", "(0,0)-(2,3)"},
		{image.NewUniform(color.Black), "text/plain", "*image.Uniform"},
		{HTML("<b>x</b>"), "text/html", "HTML"},
		{Markdown("*x*"), "text/markdown", "*x*"},
		{PNG([]byte{1, 2}), "image/png", "PNG image"},
		{Text("plain"), "text/plain", "plain"},
		{"s", "text/plain", `"s"`},
		{42, "text/plain", "42"},
		{errors.New("bad"), "text/plain", "bad"},
		{plot.New(), "image/png", `plot ""`},
		{transfer.Defaults(), "text/html", "parameter"},
		{[]store.RunSummary{{ID: 3, Name: "a", Status: store.StatusFinished}}, "text/html", "FINISHED"},
	} {
		b, ok := Render(c.v)
		if !ok || b.Data[c.mime] == nil {
			t.Errorf("%T: no %s in %v", c.v, c.mime, keys(b.Data))
			continue
		}
		if plain, _ := b.Data["text/plain"].(string); !strings.Contains(plain, c.plain) {
			t.Errorf("%T: text/plain %q lacks %q", c.v, plain, c.plain)
		}
	}
	var nilImage *image.RGBA
	for _, v := range []any{nil, nilImage} {
		if _, ok := Render(v); ok {
			t.Errorf("%#v renders", v)
		}
	}
	if len(Format(strings.Repeat("x", 3*maxText))) > maxText+10 {
		t.Error("Format does not cut long text")
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func testResult(name string, runID int64, seed int64) *transfer.Result {
	cfg := transfer.Defaults()
	cfg.Name, cfg.Seed = name, seed
	r := &transfer.Result{Plan: testPlan(cfg), Image: image.NewRGBA(image.Rect(0, 0, 8, 8)), RunID: runID,
		Iterations: 3, Elapsed: 2 * time.Second}
	for i := 1; i <= 3; i++ {
		r.Steps = append(r.Steps, transfer.Step{Iteration: i, Planned: 3, Losses: transfer.Losses{Total: 100 / float64(i), Content: 10, Style: 90 / float64(i)}})
	}
	return r
}

// mustRender renders v, failing the test unless it shows as HTML; it
// returns the HTML and the plain text.
func mustRender(t *testing.T, v any) (htmlText, plain string) {
	t.Helper()
	b, ok := Render(v)
	if !ok {
		t.Fatalf("%T does not render", v)
	}
	htmlText, isHTML := b.Data["text/html"].(string)
	plain, isText := b.Data["text/plain"].(string)
	if !isHTML || !isText {
		t.Fatalf("%T renders as %v, want HTML and text", v, keys(b.Data))
	}
	return htmlText, plain
}

func TestResult(t *testing.T) {
	html, plain := mustRender(t, testResult("one", 7, 1))
	for _, want := range []string{"run 7, one: 3 iterations", "data:image/png;base64,", "<table>", "alpha"} {
		if !strings.Contains(html, want) {
			t.Errorf("result HTML lacks %q", want)
		}
	}
	if strings.Count(html, "<img") != 2 {
		t.Errorf("result HTML has %d images, want the final image and the loss plot", strings.Count(html, "<img"))
	}
	if !strings.HasPrefix(plain, "run 7, one: 3 iterations in 2s, loss 33.33") {
		t.Errorf("result text %q", plain)
	}
}

// TestCompareResults compares results made in a notebook, one of them
// without a run id, a name or an image.
func TestCompareResults(t *testing.T) {
	anon := testResult("", 0, 3)
	anon.Image = nil
	c := Compare(testResult("one", 7, 1), nil, testResult("two", 8, 2), anon)
	if len(c.Runs) != 3 || len(c.Images) != 3 || c.Images[2] != nil {
		t.Fatalf("%d runs, %d images (third %v); want 3 runs, the third without an image", len(c.Runs), len(c.Images), c.Images[2])
	}
	if d := c.Diff(); len(d) != 1 || d[0].Key != "seed" || !reflect.DeepEqual(d[0].Values, []string{"1", "2", "3"}) {
		t.Errorf("differing params %+v, want seed alone", d)
	}
	if got := []string{c.Name(0), c.Name(1), c.Name(2)}; !reflect.DeepEqual(got, []string{"run 7 one", "run 8 two", "result 3"}) {
		t.Errorf("names %q", got)
	}
	if r := c.Runs[1]; r.Last["total"] != 100.0/3 || r.Min["style"] != 30 || r.LastStep != 3 || len(r.Metrics) != 9 {
		t.Errorf("second run: last %v, min %v, last step %d, %d points", r.Last, r.Min, r.LastStep, len(r.Metrics))
	}
	html, plain := mustRender(t, c)
	// Two images, a note for the missing one, the loss chart.
	if n := strings.Count(html, "<img"); n != 3 || !strings.Contains(html, "(compare: result 3 has no image)") {
		t.Errorf("comparison HTML has %d images; want 3, and a note that result 3 has none", n)
	}
	for _, want := range []string{"run 7 one", "run 8 two", "result 3", ">seed</th>", `alt="total losses"`} {
		if !strings.Contains(html, want) {
			t.Errorf("comparison HTML lacks %q", want)
		}
	}
	if !strings.HasPrefix(plain, "comparison of run 7 one, run 8 two, result 3\n") || !strings.Contains(plain, "seed") {
		t.Errorf("comparison text %q", plain)
	}
}

// TestCompareStoredRuns renders a comparison of runs read from a store:
// the final images are the runs' artifacts.
func TestCompareStoredRuns(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	red := image.NewRGBA(image.Rect(0, 0, 6, 4))
	for i := 0; i < len(red.Pix); i += 4 {
		red.Pix[i], red.Pix[i+3] = 255, 255
	}
	for _, ratio := range []string{"1e-3", "1e-2"} {
		r, err := s.StartRun(ctx, store.RunSpec{Name: "ratio " + ratio, Experiment: "cmp", Params: []store.Param{{Key: "ratio", Value: ratio}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.LogStep(1, 0.5, map[string]float64{"total": 10}); err != nil {
			t.Fatal(err)
		}
		if ratio == "1e-3" {
			data, err := imaging.EncodePNG(red, nil)
			if err != nil {
				t.Fatal(err)
			}
			for kind, name := range map[string]string{store.KindFinal: "final.png", store.KindPlot: "losses.png"} {
				if _, err := r.SaveArtifact(kind, name, 1, data); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := r.Finish(store.StatusFinished, ""); err != nil {
			t.Fatal(err)
		}
	}
	c, err := compare.Runs(ctx, s, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := mustRender(t, c)
	if n := strings.Count(html, "<img"); n != 2 || !strings.Contains(html, "(compare: run 2 has no final image)") {
		t.Errorf("comparison HTML has %d images; want run 1's image, the chart and a note for run 2", n)
	}
	for _, want := range []string{"run 1 ratio 1e-3", "run 2 ratio 1e-2", ">ratio</th>", "FINISHED"} {
		if !strings.Contains(html, want) {
			t.Errorf("comparison HTML lacks %q", want)
		}
	}
	// A run alone: its final image and loss plot, when it has them.
	for i, want := range []int{2, 0} {
		html, plain := mustRender(t, c.Runs[i])
		title := fmt.Sprintf("run %d ratio %s (cmp) FINISHED", i+1, []string{"1e-3", "1e-2"}[i])
		if n := strings.Count(html, "<img"); n != want || !strings.HasPrefix(plain, title) || !strings.Contains(html, ">ratio</td>") {
			t.Errorf("run %d: %d images, text %q; want %d images and the title %q", i+1, n, plain, want, title)
		}
	}
	if _, err := compare.Runs(ctx, nil, 1); err == nil {
		t.Error("compare.Runs without a store did not fail")
	}
}

func TestPublishing(t *testing.T) {
	if err := Show(context.Background(), 1); err != nil {
		t.Errorf("Show outside a kernel: %v", err)
	}
	r := &recorder{}
	ctx := WithPublisher(context.Background(), r)
	if err := Show(ctx, 1, nil, "x"); err != nil || len(r.shown) != 2 {
		t.Fatalf("Show: %v, %d shown", err, len(r.shown))
	}
	h, err := New(ctx, progress{status: "starting"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Update(progress{step: transfer.Step{Iteration: 5, Planned: 10}, status: "running"}); err != nil {
		t.Fatal(err)
	}
	if r.updates != 1 || r.ids[3] != h.ID() || h.ID() == "" {
		t.Errorf("update: %d updates, ids %v", r.updates, r.ids)
	}
	if plain := r.shown[3].Data["text/plain"].(string); !strings.Contains(plain, "5/10") || !strings.Contains(plain, "ETA") {
		t.Errorf("progress text %q", plain)
	}
	if err := Clear(ctx, true); err != nil || r.clears != 1 {
		t.Errorf("Clear: %v", err)
	}
	if _, err := Transfer(ctx, nil, transfer.Defaults()); err == nil {
		t.Error("Transfer without a lab did not fail")
	}
}

// testPlan resolves cfg with small in-memory images.
func testPlan(cfg transfer.Config) *transfer.Plan {
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	cfg.ContentImage = img
	cfg.Styles = []transfer.Style{{Image: img}}
	cfg.Size = 32
	p, err := cfg.Resolve()
	if err != nil {
		panic(err)
	}
	return p
}
