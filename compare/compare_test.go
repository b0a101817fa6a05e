package compare

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/store"
)

var (
	red    = color.RGBA{255, 0, 0, 255}
	green  = color.RGBA{0, 255, 0, 255}
	blue   = color.RGBA{0, 0, 255, 255}
	yellow = color.RGBA{255, 255, 0, 255}
)

// openStore opens a fresh store, closed (and checked) at cleanup.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// solid is a 40x30 image of one colour.
func solid(c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return img
}

// saveImage saves img as an artifact of r.
func saveImage(t *testing.T, r *store.Run, kind, name string, step int, img image.Image) string {
	t.Helper()
	data, err := imaging.EncodePNG(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	path, err := r.SaveArtifact(kind, name, step, data)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// startRun starts a run of experiment "cmp" or fails the test.
func startRun(t *testing.T, s *store.Store, spec store.RunSpec) *store.Run {
	t.Helper()
	spec.Experiment = "cmp"
	r, err := s.StartRun(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// finish finishes a run or fails the test.
func finish(t *testing.T, r *store.Run, st store.Status) {
	t.Helper()
	if err := r.Finish(st, ""); err != nil {
		t.Fatal(err)
	}
}

// logRun records a finished run with the given params, a solid-colour final
// image and a falling loss.
func logRun(t *testing.T, s *store.Store, c color.RGBA, params ...string) int64 {
	t.Helper()
	var ps []store.Param
	for i := 0; i < len(params); i += 2 {
		ps = append(ps, store.Param{Key: params[i], Value: params[i+1]})
	}
	r := startRun(t, s, store.RunSpec{Params: ps})
	for step := 1; step <= 3; step++ {
		if err := r.LogStep(step, float64(step), map[string]float64{"total": 100 / float64(step), "style": 10 / float64(step)}); err != nil {
			t.Fatal(err)
		}
	}
	saveImage(t, r, store.KindFinal, "final.png", 3, solid(c))
	finish(t, r, store.StatusFinished)
	return r.ID()
}

func TestGridCurvesTable(t *testing.T) {
	s := openStore(t)
	logRun(t, s, red, "layers", "a", "ratio", "0.01", "seed", "1")
	logRun(t, s, green, "layers", "a", "ratio", "0.001", "seed", "1")
	logRun(t, s, blue, "layers", "b", "ratio", "0.01", "seed", "1")
	logRun(t, s, yellow, "layers", "b", "ratio", "0.001", "seed", "1")
	c, err := Query(context.Background(), s, `experiment = "cmp"`)
	if err != nil {
		t.Fatal(err)
	}
	grid, err := c.Grid("", "layers", "ratio", 64)
	if err != nil {
		t.Fatal(err)
	}
	// Rows a, b; columns 0.001, 0.01 (numeric order). Find each colour's cell.
	want := map[color.RGBA][2]int{green: {0, 0}, red: {0, 1}, yellow: {1, 0}, blue: {1, 1}}
	b := grid.Bounds()
	for col, cell := range want {
		x, y, found := locate(grid, col)
		if !found {
			t.Fatalf("colour %v not in the grid", col)
		}
		row, column := 0, 0
		if y > b.Dy()/2 {
			row = 1
		}
		if x > b.Dx()/2+b.Dx()/8 {
			column = 1
		}
		if [2]int{row, column} != cell {
			t.Errorf("colour %v at (%d,%d) is in cell %v, want %v", col, x, y, [2]int{row, column}, cell)
		}
	}
	if _, err := c.Grid("", "layers", "colour", 64); err == nil || !strings.Contains(err.Error(), `"colour"`) || !strings.Contains(err.Error(), "ratio") {
		t.Errorf("unknown axis: %v", err)
	}
	p, err := c.Curves("losses", []string{"total", "style"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title.Text != "losses" || p.Y.Label.Text != "loss" || p.Y.Min != 1 || p.Y.Max != 100 {
		t.Errorf("curves: title %q, y label %q, y range [%g, %g]; want losses, loss, [1, 100]", p.Title.Text, p.Y.Label.Text, p.Y.Min, p.Y.Max)
	}
	if got, want := c.labels(), []string{"run 1 layers=a ratio=0.01", "run 2 layers=a ratio=0.001", "run 3 layers=b ratio=0.01", "run 4 layers=b ratio=0.001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("curve labels %q, want %q", got, want)
	}
	if _, err := c.Curves("", []string{"style/conv9_9"}, true); err == nil || !strings.Contains(err.Error(), "total") {
		t.Errorf("unknown metric: %v", err)
	}
	header, rows := c.Table()
	if strings.Join(header, " ") != "run name status layers ratio total content style steps" || len(rows) != 4 {
		t.Fatalf("table header %v with %d rows; want only the differing params layers and ratio", header, len(rows))
	}
	if got := strings.Join(rows[1], " "); got != "2 cmp-2 FINISHED a 0.001 33.33  3.333 3" {
		t.Errorf("table row 2 is %q", got)
	}
}

// TestQueryOrder checks that Query keeps a query's order and otherwise
// lists runs oldest first, and that its mistakes are reported.
func TestQueryOrder(t *testing.T) {
	s := openStore(t)
	for _, ratio := range []string{"0.1", "0.3", "0.2"} {
		logRun(t, s, red, "ratio", ratio)
	}
	ctx := context.Background()
	tests := []struct {
		query string
		want  []int64
	}{
		{`experiment = "cmp"`, []int64{1, 2, 3}},
		{`experiment = "cmp" order by params.ratio desc`, []int64{2, 3, 1}},
		{`order by id desc limit 2`, []int64{3, 2}},
	}
	for _, tc := range tests {
		c, err := Query(ctx, s, tc.query)
		if err != nil {
			t.Fatalf("Query(%q): %v", tc.query, err)
		}
		var got []int64
		for _, r := range c.Runs {
			got = append(got, r.ID)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Query(%q) = runs %v, want %v", tc.query, got, tc.want)
		}
	}
	bad := []struct{ query, want string }{
		{`ratio = 1`, "compare: store: query: unknown field \"ratio\""},
		{`experiment = "none"`, `compare: no run matches "experiment = \"none\""`},
	}
	for _, tc := range bad {
		if _, err := Query(ctx, s, tc.query); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Query(%q) error %v, want one starting %q", tc.query, err, tc.want)
		}
	}
	if _, err := Runs(ctx, s); err == nil || !strings.Contains(err.Error(), "no runs given") {
		t.Errorf("Runs without ids: %v", err)
	}
	if _, err := Runs(ctx, s, 9); err == nil || !strings.Contains(err.Error(), "run 9") {
		t.Errorf("Runs of a missing run: %v", err)
	}
	for name, err := range map[string]error{"Runs": second(Runs(ctx, nil, 1)), "Query": second(Query(ctx, nil, ""))} {
		if err == nil || !strings.Contains(err.Error(), "no store given") {
			t.Errorf("%s without a store: %v", name, err)
		}
	}
}

func second(_ *Comparison, err error) error { return err }

// TestImages checks where a comparison's images come from: the last final
// artifact, or an image already in memory; and the errors when neither.
func TestImages(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	run := startRun(t, s, store.RunSpec{Name: "two finals"})
	saveImage(t, run, store.KindFinal, "a.png", 10, solid(red))
	saveImage(t, run, store.KindFinal, "b.png", 20, solid(green))
	saveImage(t, run, store.KindSnapshot, "s.png", 30, solid(blue))
	finish(t, run, store.StatusFinished)
	finish(t, startRun(t, s, store.RunSpec{}), store.StatusFailed)
	broken := logRun(t, s, red)
	c, err := Runs(ctx, s, 1, 2, broken)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := c.Runs[2].LastArtifact(store.KindFinal)
	if !ok {
		t.Fatal("run 3 has no final artifact")
	}
	if err := os.WriteFile(a.Path, []byte("not a PNG"), 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := c.Image(0)
	if err != nil || img.At(0, 0) != color.Color(green) {
		t.Errorf("run 1's image: %v at (0,0), error %v; want the step-20 final, green", colourAt(img), err)
	}
	if _, err := c.Image(1); err == nil || !strings.Contains(err.Error(), "run 2 has no final image") {
		t.Errorf("run 2's image: error %v", err)
	}
	if _, err := FinalImage(&c.Runs[2]); err == nil || !strings.HasPrefix(err.Error(), "compare: run 3: ") {
		t.Errorf("run 3's unreadable image: error %v", err)
	}
	c.Images = []image.Image{nil, solid(yellow)}
	if img, err := c.Image(1); err != nil || img.At(0, 0) != color.Color(yellow) {
		t.Errorf("image in memory: %v, %v; want yellow", colourAt(img), err)
	}
	if img, err := c.Image(0); err != nil || img.At(0, 0) != color.Color(green) {
		t.Errorf("run 1 with a nil image in memory: %v, %v; want its artifact, green", colourAt(img), err)
	}
	grid, err := c.Grid("", "", "name", 32)
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range []color.RGBA{green, yellow} {
		if _, _, found := locate(grid, col); !found {
			t.Errorf("grid lacks %v", col)
		}
	}
}

func colourAt(img image.Image) any {
	if img == nil {
		return nil
	}
	return img.At(0, 0)
}

// TestNames checks the captions and labels of runs in and out of a store.
func TestNames(t *testing.T) {
	c := &Comparison{Runs: []store.RunRecord{
		{RunSummary: store.RunSummary{ID: 3, Name: "low"}},
		{RunSummary: store.RunSummary{ID: 4}},
		{RunSummary: store.RunSummary{Name: "draft"}},
		{RunSummary: store.RunSummary{Name: " "}},
	}}
	var names, short []string
	for i := range c.Runs {
		names, short = append(names, c.Name(i)), append(short, c.short(i))
	}
	if want := []string{"run 3 low", "run 4", "draft", "result 4"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	if want := []string{"run 3", "run 4", "draft", "result 4"}; !reflect.DeepEqual(short, want) {
		t.Errorf("short names %q, want %q", short, want)
	}
	if _, err := c.Image(2); err == nil || err.Error() != "compare: draft has no image" {
		t.Errorf("image of a run outside the store: %v", err)
	}
	_, rows := c.Table()
	if rows[2][0] != "" || rows[0][0] != "3" {
		t.Errorf("run column %q, %q; want 3 and empty for a run outside the store", rows[0][0], rows[2][0])
	}
}

// TestStrip lays a run's snapshots and final image out in step order.
func TestStrip(t *testing.T) {
	s := openStore(t)
	r := startRun(t, s, store.RunSpec{})
	saveImage(t, r, store.KindSnapshot, "s.png", 20, solid(green))
	saveImage(t, r, store.KindFinal, "final.png", 30, solid(blue))
	saveImage(t, r, store.KindSnapshot, "s.png", 10, solid(red))
	finish(t, r, store.StatusFinished)
	c, err := Runs(context.Background(), s, r.ID())
	if err != nil {
		t.Fatal(err)
	}
	strip, err := Strip(&c.Runs[0], 48)
	if err != nil {
		t.Fatal(err)
	}
	prev := -1
	for _, col := range []color.RGBA{red, green, blue} {
		x, _, found := locate(strip, col)
		if !found || x <= prev {
			t.Errorf("%v at x=%d (found %v), want right of %d", col, x, found, prev)
		}
		prev = x
	}
	empty := &store.RunRecord{RunSummary: store.RunSummary{ID: 8}}
	if _, err := Strip(empty, 48); err == nil || !strings.Contains(err.Error(), "run 8 has no snapshots") {
		t.Errorf("strip of a run without snapshots: %v", err)
	}
}

func locate(img *image.RGBA, c color.RGBA) (x, y int, ok bool) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.RGBAAt(x, y) == c {
				return x, y, true
			}
		}
	}
	return 0, 0, false
}

// TestLayout: rows and columns in numeric order, runs sharing a cell kept
// in order, runs lacking a key in the "" row, and a single row or column.
func TestLayout(t *testing.T) {
	rec := func(id int64, params ...string) store.RunRecord {
		r := store.RunRecord{RunSummary: store.RunSummary{ID: id, Name: fmt.Sprintf("run-%d", id)}}
		for i := 0; i < len(params); i += 2 {
			r.Params = append(r.Params, store.Param{Key: params[i], Value: params[i+1]})
		}
		return r
	}
	c := &Comparison{Runs: []store.RunRecord{
		rec(1, "layers", "a", "ratio", "1e-2"),
		rec(2, "layers", "a", "ratio", "1e-3"),
		rec(3, "layers", "b", "ratio", "1e-2"),
		rec(4, "layers", "a", "ratio", "0.001"), // the same number as run 2's
		rec(5, "ratio", "1e-4"),
	}}
	for _, tc := range []struct {
		rows, cols   string
		wantR, wantC []string
		wantCells    [][][]int
	}{
		{"layers", "ratio", []string{"a", "b", ""}, []string{"1e-4", "1e-3", "0.001", "1e-2"},
			[][][]int{{nil, {1}, {3}, {0}}, {nil, nil, nil, {2}}, {{4}, nil, nil, nil}}},
		{"", "layers", []string{""}, []string{"a", "b", ""}, [][][]int{{{0, 1, 3}, {2}, {4}}}},
		{"name", "", []string{"run-1", "run-2", "run-3", "run-4", "run-5"}, []string{""},
			[][][]int{{{0}}, {{1}}, {{2}}, {{3}}, {{4}}}},
	} {
		l, err := c.Layout(tc.rows, tc.cols)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(l.Rows, tc.wantR) || !reflect.DeepEqual(l.Cols, tc.wantC) || !reflect.DeepEqual(l.Cells, tc.wantCells) {
			t.Errorf("Layout(%q, %q) = rows %q cols %q cells %v;\nwant rows %q cols %q cells %v",
				tc.rows, tc.cols, l.Rows, l.Cols, l.Cells, tc.wantR, tc.wantC, tc.wantCells)
		}
	}
	if _, err := c.Layout("seed", ""); err == nil || !strings.Contains(err.Error(), `"seed"`) || !strings.Contains(err.Error(), "layers") {
		t.Errorf("unknown key: %v; want it named with the keys there are", err)
	}
}
