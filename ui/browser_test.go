package ui

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/stylelab/stylelab/experiments"
	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
)

// chromium finds Debian's chromium (scripts/install-deps.sh installs it).
func chromium(t *testing.T) string {
	for _, name := range []string{os.Getenv("STYLELAB_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium for the browser tests: run scripts/install-deps.sh (apt-get install chromium), or set STYLELAB_CHROMIUM")
	return ""
}

// artifactsDir is where screenshots go: $STYLELAB_TEST_ARTIFACTS/ui, else a temp dir.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("STYLELAB_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, "ui")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is a headless chromium tab that records every JavaScript error,
// console error, failed load and dialog it sees.
type browser struct {
	ctx    context.Context
	shots  string
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T, ctx context.Context) *browser {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1280, 900), chromedp.Flag("lang", "en-GB"))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	b := &browser{ctx: tctx, shots: artifactsDir(t)}
	if err := chromedp.Do(tctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	console := chromedp.Console(tctx)
	dialogs := chromedp.Events(tctx, cdppage.JavascriptDialogOpening)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.record(m.String() + " " + m.URL)
			}
		}
	}()
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.record("dialog: " + ev.Message)
			chromedp.Call(tctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return b
}

func (b *browser) record(msg string) {
	b.mu.Lock()
	b.errors = append(b.errors, msg)
	b.mu.Unlock()
}

// do runs steps, failing the test on an error or a JavaScript error.
//
// Each step that fails on a node or context of a document the page has just
// replaced (a form sent on change, a navigation the browser reports late
// on a loaded machine) is tried again on the new document: the failure
// came before the step acted, so trying again does not act twice.
func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	for _, step := range steps {
		if _, err := retryStale(ctx, func() (chromedp.Void, error) { return chromedp.Run(ctx, step) }); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	b.checkErrors(t, what)
}

// get runs an action that returns a value, tried again as do's steps are.
func get[T any](t *testing.T, b *browser, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := retryStale(ctx, func() (T, error) { return chromedp.Run(ctx, a) })
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	b.checkErrors(t, what)
	return v
}

// staleErrors are the DevTools errors of a node or JavaScript context that
// belonged to a document the page has replaced.
var staleErrors = []string{"No node with given id found", "Could not find node with given id", "Node is detached from document",
	"Cannot find context with specified id", "Execution context was destroyed", "Inspected target navigated or closed"}

// retryStale calls f until it succeeds, fails otherwise, or has failed on
// a replaced document 20 times.
func retryStale[T any](ctx context.Context, f func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		v, err := f()
		if err == nil || attempt == 20 || ctx.Err() != nil || !slices.ContainsFunc(staleErrors, func(e string) bool { return strings.Contains(err.Error(), e) }) {
			return v, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// text is the text of the first element that matches a CSS selector.
func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	return get(t, b, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// eval evaluates a JavaScript expression.
func eval[T any](t *testing.T, b *browser, js string) T {
	t.Helper()
	return get(t, b, js, chromedp.Evaluate[T](js))
}

func (b *browser) checkErrors(t *testing.T, what string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("%s: JavaScript error: %s", what, e)
	}
	b.errors = nil
}

// shot saves a screenshot of the window as name.png.
func (b *browser) shot(t *testing.T, name string) {
	t.Helper()
	png := get(t, b, "screenshot "+name, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitJS polls until the JavaScript expression is true. A navigation on
// the way (a form sent, a link followed) is waited out, not an error.
func (b *browser) waitJS(t *testing.T, what, js string) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			b.checkErrors(t, what)
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not true after 45s: %s (last error: %v)", what, js, last)
}

// css is a CSS selector.
func css(format string, args ...any) chromedp.CSS { return chromedp.CSS(fmt.Sprintf(format, args...)) }

// browserLab runs tiny transfers into a fresh store: the paper's settings
// at 48 px for 3 iterations, a snapshot each iteration.
type browserLab struct {
	lab *experiments.Lab
	cfg transfer.Config
}

func newBrowserLab(t *testing.T) *browserLab {
	t.Setenv("STYLELAB_CACHE", t.TempDir()) // converted weights stay out of the user's cache
	lab, err := experiments.OpenLab(testenv.WeightsDir(t), filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	cfg := transfer.Defaults()
	cfg.ContentPath = testenv.Path(t, "images", "tubingen.jpg")
	cfg.Styles = []transfer.Style{{Path: testenv.Path(t, "images", "composition_vii.jpg")}}
	cfg.Size, cfg.Iterations, cfg.SnapshotEvery, cfg.Experiment = 48, 3, 1, "browser"
	return &browserLab{lab: lab, cfg: cfg}
}

// transfer runs one tiny transfer with the given ratio and style layers.
func (l *browserLab) transfer(t *testing.T, name string, ratio float64, layers []string, hooks transfer.Hooks) int64 {
	cfg := l.cfg
	cfg.Name, cfg.Ratio, cfg.StyleLayers = name, ratio, transfer.EqualWeights(layers...)
	res, err := l.lab.Run(context.Background(), cfg, hooks)
	if err != nil {
		t.Error(err)
		return 0
	}
	return res.RunID
}

// gated starts a transfer in the background that stops after its first
// iteration until release is called; it returns once the run is logged
// RUNNING with that iteration, and done reports its id when it ends.
func (l *browserLab) gated(t *testing.T, name string) (id int64, release func(), done <-chan int64) {
	first, gate, finished := make(chan struct{}), make(chan struct{}), make(chan int64, 1)
	var once sync.Once
	hooks := transfer.Hooks{Step: func(s transfer.Step) {
		once.Do(func() {
			close(first)
			<-gate
		})
	}}
	go func() { finished <- l.transfer(t, name, 1e-3, []string{"conv1_1", "conv2_1"}, hooks) }()
	select {
	case <-first:
	case <-time.After(2 * time.Minute):
		t.Fatal("the gated transfer did not start")
	}
	p, err := l.lab.Store.RunsPage(context.Background(), fmt.Sprintf(`status = "RUNNING" and name = %s`, queryString(name)), "", 0, 1)
	if err != nil || len(p.Runs) != 1 {
		t.Fatalf("the gated run is not RUNNING in the store: %v", err)
	}
	var releaseOnce sync.Once
	return p.Runs[0].ID, func() { releaseOnce.Do(func() { close(gate) }) }, finished
}

// TestBrowser drives the web page in headless chromium over a store of
// real (tiny) transfers: the runs table filtered, sorted and updated live,
// a run's page (image, snapshots, curves, a note), a comparison and a grid.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test runs transfers and chromium; it runs without -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l := newBrowserLab(t)
	start := time.Now()
	var ids []int64
	for _, layers := range [][]string{{"conv1_1"}, {"conv1_1", "conv2_1"}} {
		for _, ratio := range []float64{1e-3, 1e-2} {
			ids = append(ids, l.transfer(t, fmt.Sprintf("r%g %s", ratio, strings.Join(layers, "+")), ratio, layers, transfer.Hooks{}))
		}
	}
	xss := l.transfer(t, xssName, 1e-3, []string{"conv1_1"}, transfer.Hooks{})
	t.Logf("5 transfers in %v", time.Since(start).Round(time.Millisecond))
	if t.Failed() {
		t.FailNow()
	}
	srv, err := New(l.lab.Store, Options{Poll: 100 * time.Millisecond, Log: log.New(os.Stderr, "ui: ", 0)})
	if err != nil {
		t.Fatal(err)
	}
	base := newLoopbackServer(t, srv)
	b := newBrowser(t, ctx)

	t.Run("runs", func(t *testing.T) {
		b.do(t, "open the runs page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(css("#runs tbody tr")))
		rows := eval[int](t, b, `document.querySelectorAll("#runs tbody tr").length`)
		name := b.text(t, fmt.Sprintf("#run-%d td.name a", xss))
		if rows != 5 || name != xssName {
			t.Errorf("%d rows; run %d named %q; want 5 rows and the name as text", rows, xss, name)
		}
		b.waitJS(t, "thumbnails", `[...document.querySelectorAll("#runs td.thumb img")].every(i => i.complete && i.naturalWidth > 0)`)
		b.shot(t, "runs")
	})

	t.Run("filter and sort", func(t *testing.T) {
		b.do(t, "filter", chromedp.SetValue(css("#q"), `params.style_layers = "conv1_1,conv2_1" and status = "FINISHED"`),
			chromedp.Submit(css("#q")))
		b.waitJS(t, "filtered", `document.querySelectorAll("#runs tbody tr").length === 2 && location.search.includes("q=")`)
		if count := b.text(t, "#count"); count != "Runs 1–2 of 2" {
			t.Errorf("count %q", count)
		}
		b.do(t, "sort by total", chromedp.Click(css(`th a[data-field="metrics.total"]`)), chromedp.WaitVisible(css(`th[aria-sort="ascending"]`)))
		totals := eval[[]string](t, b, `[...document.querySelectorAll('#runs td[data-loss="total"]')].map(td => td.textContent)`)
		if len(totals) != 2 || !sort.SliceIsSorted(totals, func(i, j int) bool { return parse(totals[i]) < parse(totals[j]) }) {
			t.Errorf("totals %v; want 2, ascending", totals)
		}
		if q := get(t, b, "query box", chromedp.Value(css("#q"))); !strings.Contains(q, "conv1_1,conv2_1") {
			t.Errorf("query box holds %q after sorting", q)
		}
		b.do(t, "a bad query", chromedp.SetValue(css("#q"), `status = FINISHED`), chromedp.Submit(css("#q")), chromedp.WaitVisible(css("#query-error")))
		if msg := b.text(t, "#query-error"); !strings.Contains(msg, "quote text values") || !strings.Contains(msg, "           ^") {
			t.Errorf("query error %q", msg)
		}
		b.shot(t, "query-error")
	})

	t.Run("run page", func(t *testing.T) {
		id := ids[1]
		b.do(t, "open a run from the table", chromedp.Navigate(base+"/"), chromedp.WaitVisible(css("#runs")),
			chromedp.Click(css("#run-%d td.name a", id)), chromedp.WaitVisible(css("#main-image")))
		b.waitJS(t, "the final image", `document.getElementById("main-image").naturalWidth === 48`)
		title, label := b.text(t, "#image-title"), b.text(t, "#snapshot-label")
		paths := eval[int](t, b, `document.querySelectorAll("#chart path.line").length`)
		if title != "Final image" || label != "step 3 (final)" || paths != 3 {
			t.Errorf("title %q, slider %q, %d curves; want the final image at step 3 and 3 curves", title, label, paths)
		}
		b.do(t, "to the first snapshot", chromedp.SetValue(css("#snapshot"), "0"))
		if label := b.text(t, "#snapshot-label"); label != "step 1" {
			t.Errorf("slider at 0 shows %q; want step 1", label)
		}
		before := b.text(t, "#main-viewer .zoom")
		b.do(t, "zoom in", chromedp.Click(css(`#main-viewer button[title="zoom in"]`)))
		if after := b.text(t, "#main-viewer .zoom"); parse(strings.TrimSuffix(after, "%")) <= parse(strings.TrimSuffix(before, "%")) {
			t.Errorf("zoom %s after zooming in from %s", after, before)
		}
		eval[bool](t, b, `(() => { const r = document.querySelector("#chart rect").getBoundingClientRect();
			return document.querySelector("#chart rect").dispatchEvent(new MouseEvent("mousemove", {clientX: r.right - 2, clientY: r.top + 10, bubbles: true})); })()`)
		if tip := b.text(t, "#chart .tip"); !strings.Contains(tip, "step 3") || !strings.Contains(tip, "total: ") {
			t.Errorf("tooltip %q", tip)
		}
		b.shot(t, "run")
		note := `<b>too much texture</b> & "quotes"`
		b.do(t, "add a note", chromedp.SetValue(css("#note-text"), note), chromedp.Click(css("#note-submit")),
			chromedp.WaitVisible(css("#notes li p")))
		if shown := b.text(t, "#notes li:last-child p"); shown != note {
			t.Errorf("note shows %q; want %q", shown, note)
		}
		rec, err := l.lab.Store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Notes) != 1 || rec.Notes[0].Text != note {
			t.Errorf("stored notes %+v", rec.Notes)
		}
	})

	t.Run("compare", func(t *testing.T) {
		b.do(t, "tick two runs", chromedp.Navigate(base+"/"), chromedp.WaitVisible(css("#runs")),
			chromedp.Click(css(`#run-%d input[name="id"]`, ids[0])), chromedp.Click(css(`#run-%d input[name="id"]`, ids[1])),
			chromedp.Click(css("#compare-button")), chromedp.WaitVisible(css("#side")))
		b.waitJS(t, "both images", `[...document.querySelectorAll("#side img")].filter(i => i.naturalWidth > 0).length === 2`)
		differs := eval[[]string](t, b, `[...document.querySelectorAll("#params tr.differs th")].map(th => th.textContent)`)
		if strings.Join(differs, ",") != "beta,ratio" {
			t.Errorf("differing params %v; want beta, ratio", differs)
		}
		if charts := eval[int](t, b, `document.querySelectorAll("#charts svg").length`); charts < 3 {
			t.Errorf("%d charts; want total, content, style and layers", charts)
		}
		b.do(t, "zoom one image", chromedp.Click(css(`#side figure:first-child button[title="zoom in"]`)))
		transforms := eval[[]string](t, b, `[...document.querySelectorAll("#side img")].map(i => i.style.transform)`)
		if len(transforms) != 2 || transforms[0] != transforms[1] || transforms[0] == "" {
			t.Errorf("transforms %q; want the same zoom on both", transforms)
		}
		b.shot(t, "compare")
		b.do(t, "difference", chromedp.Click(css(`input[name="mode"][value="diff"]`)), chromedp.WaitVisible(css("#single-viewer canvas")))
		if label := b.text(t, "#single-label"); !strings.Contains(label, "mean difference") {
			t.Errorf("difference label %q", label)
		}
		b.shot(t, "compare-difference")
		b.do(t, "flicker", chromedp.Click(css(`input[name="mode"][value="flicker"]`)), chromedp.WaitVisible(css("#single-viewer img")))
		b.waitJS(t, "flicker shows the first run", fmt.Sprintf(`document.getElementById("single-label").textContent.includes("run %d ")`, ids[0]))
		b.waitJS(t, "then the second", fmt.Sprintf(`document.getElementById("single-label").textContent.includes("run %d ")`, ids[1]))
	})

	t.Run("grid", func(t *testing.T) {
		b.do(t, "open the grid", chromedp.Navigate(base+"/grid"), chromedp.WaitVisible(css("#grid-form")),
			chromedp.SetValue(css("#q"), `experiment = "browser" and name like "r%"`), chromedp.Submit(css("#q")))
		b.waitJS(t, "a grid of the query", `location.search.includes("q=") && !!document.getElementById("grid")`)
		// SetValue fires input and change, as a person's pick does; the page sends the form.
		b.do(t, "rows by style layers", chromedp.SetValue(css("#rows"), "style_layers"))
		b.waitJS(t, "the grid by style layers", `location.search.includes("rows=style_layers") && !!document.getElementById("grid")`)
		b.do(t, "columns by ratio", chromedp.SetValue(css("#cols"), "ratio"))
		b.waitJS(t, "the grid by ratio", `location.search.includes("cols=ratio") && !!document.getElementById("grid")`)
		b.waitJS(t, "cell images", `document.querySelectorAll("#grid img").length === 4 && [...document.querySelectorAll("#grid img")].every(i => i.complete && i.naturalWidth > 0)`)
		cols := eval[[]string](t, b, `[...document.querySelectorAll("#grid thead th[scope=col]")].map(th => th.textContent)`)
		rows := eval[[]string](t, b, `[...document.querySelectorAll("#grid tbody th")].map(th => th.textContent)`)
		links := eval[[]string](t, b, `[...document.querySelectorAll("#grid a.cell")].map(a => a.getAttribute("href"))`)
		want := []string{fmt.Sprintf("/runs/%d", ids[0]), fmt.Sprintf("/runs/%d", ids[1]), fmt.Sprintf("/runs/%d", ids[2]), fmt.Sprintf("/runs/%d", ids[3])}
		if strings.Join(cols, " ") != "0.001 0.01" || strings.Join(rows, " ") != "conv1_1 conv1_1,conv2_1" || strings.Join(links, " ") != strings.Join(want, " ") {
			t.Errorf("grid columns %v, rows %v, links %v; want %v", cols, rows, links, want)
		}
		b.shot(t, "grid")
	})

	t.Run("live", func(t *testing.T) {
		id, release, done := l.gated(t, "live")
		defer release()
		b.do(t, "the runs page with a running run", chromedp.Navigate(base+"/"), chromedp.WaitVisible(css(`#run-%d[data-status="RUNNING"]`, id)))
		if step := b.text(t, fmt.Sprintf("#run-%d .step", id)); step != "1/3" {
			t.Errorf("running run at %q; want 1/3", step)
		}
		b.shot(t, "runs-live")
		release()
		b.waitJS(t, "the row finishes live", fmt.Sprintf(`document.querySelector("#run-%d .status").textContent === "FINISHED"`, id))
		if got := <-done; got != id {
			t.Fatalf("the gated run ended as %d", got)
		}
		b.waitJS(t, "with its thumbnail", fmt.Sprintf(`(() => { const i = document.querySelector("#run-%d td.thumb img"); return !!i && i.complete && i.naturalWidth > 0; })()`, id))
		total := b.text(t, fmt.Sprintf(`#run-%d td[data-loss="total"]`, id))
		rec, err := l.lab.Store.Summary(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if want := formatNum(rec.Last["total"]); total != want {
			t.Errorf("live total %q; want the store's %q", total, want)
		}

		// A run's page, opened while it runs, follows it to the end.
		id, release, done = l.gated(t, "live page")
		defer release()
		b.do(t, "a running run's page", chromedp.Navigate(fmt.Sprintf("%s/runs/%d", base, id)), chromedp.WaitVisible(css("#status")))
		if status := b.text(t, "#status"); status != store.StatusRunning {
			t.Errorf("run page status %q", status)
		}
		release()
		b.waitJS(t, "the page finishes live", `document.getElementById("status").textContent === "FINISHED"`)
		<-done
		b.waitJS(t, "with all steps and the final image", `document.getElementById("step").textContent === "3" &&
			document.getElementById("snapshot-label").textContent === "step 3 (final)" &&
			document.getElementById("main-image").naturalWidth === 48`)
		if points := eval[int](t, b, `document.querySelector("#chart path.line").getAttribute("d").split("L").length`); points != 3 {
			t.Errorf("the total curve has %d points; want 3", points)
		}
		b.shot(t, "run-live")
	})
	t.Logf("screenshots in %s", b.shots)
}

func parse(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return -1
	}
	return v
}
