package display

import (
	"context"
	"errors"
	"image"
	"image/color"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"

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

func TestResultAndComparison(t *testing.T) {
	b, _ := Render(testResult("one", 7, 1))
	html := b.Data["text/html"].(string)
	for _, want := range []string{"run 7, one: 3 iterations", "data:image/png;base64,", "<table>", "alpha"} {
		if !strings.Contains(html, want) {
			t.Errorf("result HTML lacks %q", want)
		}
	}
	if strings.Count(html, "<img") != 2 {
		t.Errorf("result HTML has %d images, want the final image and the loss plot", strings.Count(html, "<img"))
	}
	c := Compare(testResult("one", 7, 1), testResult("two", 8, 2))
	if len(c.Diff) != 1 || c.Diff[0].Key != "seed" {
		t.Errorf("differing params %+v, want seed alone", c.Diff)
	}
	b, _ = Render(c)
	html = b.Data["text/html"].(string)
	if strings.Count(html, "<img") != 3 || !strings.Contains(html, "run 8 two") {
		t.Errorf("comparison HTML: %d images", strings.Count(html, "<img"))
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
