package experiments

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/internal/testmodel"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
	"github.com/stylelab/stylelab/vgg"
)

func sharedModel(t testing.TB) *vgg.Model { return testmodel.Model(t) }

func paperConfig(t testing.TB, size, iterations int) transfer.Config {
	cfg := transfer.Defaults()
	cfg.ContentPath = testenv.Path(t, "images", "tubingen.jpg")
	cfg.Styles = []transfer.Style{{Path: testenv.Path(t, "images", "starry_night.jpg")}}
	cfg.Size, cfg.Iterations = size, iterations
	return cfg
}

type Hooks = transfer.Hooks
type Step = transfer.Step

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
	if len(rec.Tags) != 1 || rec.Tags[0] != UnverifiedWeights {
		t.Errorf("tags %v: weights read without their checksums must be tagged %s", rec.Tags, UnverifiedWeights)
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
	if kinds[store.KindFinal] != 1 || kinds[store.KindSnapshot] != 3 || kinds[store.KindPlot] != 1 {
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

// TestConcurrentSweeps runs the same sweep twice at once, from two labs
// (networks and store connections of their own) on one store: every point
// runs exactly once, the other sweep leaving it (elsewhere, or finished).
func TestConcurrentSweeps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.db")
	var labs [2]*Lab
	for i := range labs {
		s, err := store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		m := sharedModel(t)
		if i > 0 { // a vgg.Model is not safe for concurrent use: one each
			if m, err = vgg.New(m.Weights()); err != nil {
				t.Fatal(err)
			}
		}
		labs[i] = &Lab{Model: m, Store: s}
	}
	base := paperConfig(t, 32, 2)
	base.Experiment = "twice"
	axes := []Axis{{Param: "ratio", Values: []string{"1e-4", "1e-3", "1e-2", "1e-1"}}}
	var results [2][]SweepPoint
	errs := make(chan error, 2)
	for i, lab := range labs {
		go func() {
			var err error
			results[i], err = lab.Sweep(context.Background(), base, axes, Hooks{}, nil)
			errs <- err
		}()
	}
	for range labs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	runs, err := labs[0].Store.Runs(context.Background(), `experiment = "twice"`)
	if err != nil {
		t.Fatal(err)
	}
	status := map[int64]store.Status{}
	for _, r := range runs {
		status[r.ID] = r.Status
	}
	if len(runs) != len(axes[0].Values) {
		t.Errorf("the store holds %d runs of the 4-point sweep; want each point once", len(runs))
	}
	ran := 0
	for i, pt := range results[0] {
		other := results[1][i]
		if pt.RunID != other.RunID || status[pt.RunID] != store.StatusFinished {
			t.Errorf("point %s: run %d in one sweep, %d in the other (%s); want one FINISHED run", pt.Name(), pt.RunID, other.RunID, status[pt.RunID])
		}
		for _, p := range []SweepPoint{pt, other} {
			if !p.Skipped && !p.Elsewhere {
				ran++
			}
		}
		t.Logf("%s: run %d; skipped %v/%v, elsewhere %v/%v", pt.Name(), pt.RunID, pt.Skipped, other.Skipped, pt.Elsewhere, other.Elsewhere)
	}
	if ran != len(axes[0].Values) {
		t.Errorf("the two sweeps ran %d points between them; want each of the %d once", ran, len(axes[0].Values))
	}
}

// TestIdentityIsWhatChangesTheResult: a point is found finished whatever
// the images' paths, whether they come from files or memory, and however
// often it reports or snapshots; a different setting is a different point.
func TestIdentityIsWhatChangesTheResult(t *testing.T) {
	lab := testLab(t)
	ctx := context.Background()
	base := paperConfig(t, 40, 2)
	base.Experiment = "identity"
	res, err := lab.Run(ctx, base, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(base.ContentPath)
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), "elsewhere.jpg")
	if err := os.WriteFile(copyPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	inMemory, err := imaging.Load(base.ContentPath)
	if err != nil {
		t.Fatal(err)
	}
	weights := lab.Model.Weights().SHA256
	tests := []struct {
		name   string
		change func(c *transfer.Config)
		same   bool
	}{
		{"content under another path", func(c *transfer.Config) { c.ContentPath = copyPath }, true},
		{"content in memory", func(c *transfer.Config) { c.ContentPath, c.ContentImage = "", inMemory }, true},
		{"other report and snapshot cadence", func(c *transfer.Config) { c.ReportEvery, c.SnapshotEvery = 5, 1 }, true},
		{"another name", func(c *transfer.Config) { c.Name = "renamed" }, true},
		{"ratio as alpha and beta", func(c *transfer.Config) { c.Ratio, c.Beta = 0, 1000 }, true},
		{"another ratio", func(c *transfer.Config) { c.Ratio = 1e-2 }, false},
		{"another seed", func(c *transfer.Config) { c.Seed = 9 }, false},
		{"another style", func(c *transfer.Config) { c.Styles[0].Path = testenv.Path(t, "images", "the_scream.jpg") }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			cfg.Styles = append([]transfer.Style(nil), base.Styles...)
			tc.change(&cfg)
			p, err := cfg.Resolve()
			if err != nil {
				t.Fatal(err)
			}
			id, found, err := lab.Store.FindIdentity(ctx, "identity", p.Identity(weights))
			if err != nil {
				t.Fatal(err)
			}
			if found != tc.same || (found && id != res.RunID) {
				t.Errorf("found run %d: %v, want %v (run %d)", id, found, tc.same, res.RunID)
			}
		})
	}
}

// TestBadAxesAreRefused: unknown, repeated and contradicting axes are
// refused before anything runs.
func TestBadAxesAreRefused(t *testing.T) {
	base := paperConfig(t, 40, 2)
	tests := []struct {
		name string
		axes []Axis
		want string
	}{
		{"unknown", []Axis{{Param: "colour_depth", Values: []string{"8"}}}, `unknown setting "colour_depth"`},
		{"repeated", []Axis{{Param: "ratio", Values: []string{"1e-3"}}, {Param: "ratio", Values: []string{"1e-2"}}}, "given twice"},
		{"repeated value", []Axis{{Param: "seed", Values: []string{"1", "1"}}}, "lists \"1\" twice"},
		{"conflicting", []Axis{{Param: "ratio", Values: []string{"1e-3"}}, {Param: "beta", Values: []string{"10"}}}, "set the same thing"},
		{"bad value", []Axis{{Param: "style_layers", Values: []string{"conv1_1", "conv9_9"}}}, `"conv9_9"`},
		{"no values", []Axis{{Param: "seed"}}, "no values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Points(base, tc.axes)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %s", err, tc.want)
			}
		})
	}
}

// TestLabRecordsTerms: a run with a custom term records the term (params
// terms, with its source's hash), its value each step (term/NAME and
// terms), and its source as a source artifact.
func TestLabRecordsTerms(t *testing.T) {
	lab := testLab(t)
	ctx := context.Background()
	cfg := paperConfig(t, 48, 3)
	cfg.Experiment = "terms-test"
	gram := transfer.GramTerm("conv2_1", 500)
	cfg.Terms = []transfer.Term{gram}
	res, err := lab.Run(ctx, cfg, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := lab.Store.Get(ctx, res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := rec.Param("terms"); v != "gram_conv2_1:conv2_1:500:"+gram.SourceSHA256()[:16] {
		t.Errorf("terms param %q", v)
	}
	last := res.Last()
	if rec.Last["term/gram_conv2_1"] != last.Layers["term/gram_conv2_1"] || rec.Last["terms"] != last.Terms || !(last.Terms > 0) {
		t.Errorf("logged %v, result's terms %g and layers %v", rec.Last, last.Terms, last.Layers)
	}
	var found bool
	for _, a := range rec.Artifacts {
		if a.Kind == store.KindSource && a.Name == "term-gram_conv2_1.go.txt" {
			data, err := os.ReadFile(a.Path)
			if err != nil {
				t.Fatal(err)
			}
			found = string(data) == gram.Source
		}
	}
	if !found {
		t.Errorf("no source artifact holding %q in %+v", gram.Source, rec.Artifacts)
	}
}
