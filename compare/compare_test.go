package compare

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/store"
)

// logRun records a finished run with the given params, a solid-colour final
// image and a falling loss.
func logRun(t *testing.T, s *store.Store, c color.RGBA, params ...string) int64 {
	var ps []store.Param
	for i := 0; i < len(params); i += 2 {
		ps = append(ps, store.Param{Key: params[i], Value: params[i+1]})
	}
	r, err := s.StartRun(context.Background(), store.RunSpec{Experiment: "cmp", Params: ps})
	if err != nil {
		t.Fatal(err)
	}
	for step := 1; step <= 3; step++ {
		if err := r.LogStep(step, float64(step), map[string]float64{"total": 100 / float64(step), "style": 10 / float64(step)}); err != nil {
			t.Fatal(err)
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	data, err := imaging.EncodePNG(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.SaveArtifact("final", "final.png", 3, data); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(store.StatusFinished, ""); err != nil {
		t.Fatal(err)
	}
	return r.ID()
}

func TestGridCurvesTable(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	red, green := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}
	blue, yellow := color.RGBA{0, 0, 255, 255}, color.RGBA{255, 255, 0, 255}
	logRun(t, s, red, "layers", "a", "ratio", "0.01", "seed", "1")
	logRun(t, s, green, "layers", "a", "ratio", "0.001", "seed", "1")
	logRun(t, s, blue, "layers", "b", "ratio", "0.01", "seed", "1")
	logRun(t, s, yellow, "layers", "b", "ratio", "0.001", "seed", "1")
	ctx := context.Background()
	c, err := Query(ctx, s, `experiment = "cmp"`)
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
	if _, err := c.Curves("", []string{"total", "style"}, true); err != nil {
		t.Error(err)
	}
	if _, err := c.Curves("", []string{"style/conv9_9"}, true); err == nil || !strings.Contains(err.Error(), "total") {
		t.Errorf("unknown metric: %v", err)
	}
	header, rows := c.Table()
	if strings.Join(header, " ") != "run name status layers ratio total content style steps" || len(rows) != 4 {
		t.Errorf("table header %v with %d rows; want only the differing params layers and ratio", header, len(rows))
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
