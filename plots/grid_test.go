package plots

import (
	"image"
	"image/color"
	"strings"
	"testing"
	"time"
)

var (
	red   = color.RGBA{R: 220, G: 30, B: 30, A: 255}
	green = color.RGBA{R: 30, G: 180, B: 60, A: 255}
	blue  = color.RGBA{R: 40, G: 60, B: 210, A: 255}
	white = color.RGBA{R: 255, G: 255, B: 255, A: 255}
	grey  = color.RGBA{R: 0xD8, G: 0xD8, B: 0xD8, A: 255}
)

// mustGrid draws a grid and returns it with its layout, or fails the test.
func mustGrid(t *testing.T, title string, rows, cols []string, cells [][]Cell, cellSize int) (*image.RGBA, gridLayout) {
	t.Helper()
	img, err := Grid(title, rows, cols, cells, cellSize)
	if err != nil {
		t.Fatal(err)
	}
	l, err := layoutGrid(title, rows, cols, cells, cellSize)
	if err != nil {
		t.Fatal(err)
	}
	return img, l
}

func TestGridPlacesSolidCells(t *testing.T) {
	const cs = 64
	cells := [][]Cell{
		{{Image: solid(10, 10, red)}, {Image: solid(200, 100, green)}, {}},
		{{Image: solid(30, 60, blue)}, {}, {Image: solid(3, 3, red)}},
	}
	img, l := mustGrid(t, "", nil, nil, cells, cs)
	if b := img.Bounds(); b.Dx() != l.w || b.Dy() != l.h || b.Dx() < 3*cs || b.Dy() < 2*cs {
		t.Fatalf("grid is %v, want %dx%d and room for 3x2 cells of %d", b, l.w, l.h, cs)
	}
	tests := []struct {
		r, c       int
		want       color.RGBA
		runW, runH int // extent of want through the cell centre; 0 skips
	}{
		{0, 0, red, cs, cs},       // square, upscaled to fill
		{0, 1, green, cs, cs / 2}, // 2:1, letterboxed top and bottom
		{0, 2, grey, cs, cs},      // missing cell
		{1, 0, blue, cs / 2, cs},  // 1:2, pillarboxed left and right
		{1, 1, grey, cs, cs},
		{1, 2, red, cs, cs},
	}
	for _, tt := range tests {
		box := l.cellRects[tt.r][tt.c]
		ctr := image.Pt((box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2)
		if !near(img.At(ctr.X, ctr.Y), tt.want, 8) {
			t.Errorf("cell (%d,%d) centre is %v, want %v", tt.r, tt.c, img.At(ctr.X, ctr.Y), tt.want)
		}
		x0 := box.Min.X + (cs-tt.runW)/2
		if from, to := run(img, ctr.Y, tt.want); abs(from-x0) > 1 || abs(to-(x0+tt.runW)) > 1 {
			t.Errorf("cell (%d,%d): colour run [%d,%d) on row %d, want [%d,%d)", tt.r, tt.c, from, to, ctr.Y, x0, x0+tt.runW)
		}
		if tt.runH < cs && !near(img.At(ctr.X, box.Min.Y+2), white, 0) {
			t.Errorf("cell (%d,%d): top margin is %v, want white letterbox", tt.r, tt.c, img.At(ctr.X, box.Min.Y+2))
		}
		if tt.runW < cs && !near(img.At(box.Min.X+2, ctr.Y), white, 0) {
			t.Errorf("cell (%d,%d): left margin is %v, want white pillarbox", tt.r, tt.c, img.At(box.Min.X+2, ctr.Y))
		}
	}
	if l.cellRects[0][1].Min.X <= l.cellRects[0][0].Max.X || l.cellRects[1][0].Min.Y <= l.cellRects[0][0].Max.Y {
		t.Errorf("cells overlap or are out of order: %v", l.cellRects)
	}
	checkGoldenImage(t, "grid_solid", img)
}

func TestGridText(t *testing.T) {
	const cs = 96
	cells := [][]Cell{
		{{Image: solid(8, 8, white), Label: "step 50"}, {Image: solid(8, 8, white)}},
		{{Image: solid(8, 8, white)}, {Image: solid(8, 8, white), Label: "1e-3"}},
	}
	rows, cols := []string{"", "conv4_2"}, []string{"conv1_1", ""}
	img, l := mustGrid(t, "Style weight sweep", rows, cols, cells, cs)
	checkGoldenImage(t, "grid_text", img)
	if l.title.face.Metrics().Height.Ceil() < 16 || l.cols.face.Metrics().Height.Ceil() < 13 {
		t.Errorf("text too small to read: title line %dpx, header line %dpx", l.title.lineHeight(), l.cols.lineHeight())
	}
	// The column header sits above its column, the row header left of its row.
	if c := l.colRects[0]; c.Max.Y > l.cellRects[0][0].Min.Y || c.Min.X != l.cellRects[0][0].Min.X {
		t.Errorf("column header %v not above cell %v", c, l.cellRects[0][0])
	}
	if r := l.rowRects[1]; r.Max.X > l.cellRects[1][0].Min.X || r.Min.Y != l.cellRects[1][0].Min.Y {
		t.Errorf("row header %v not left of cell %v", r, l.cellRects[1][0])
	}
}

func TestGridLongHeaders(t *testing.T) {
	long := "content weight 1e-3 with style layers conv1_1 conv2_1 conv3_1 conv4_1 conv5_1"
	tests := []struct {
		name string
		cs   int
		text string
	}{
		{"wraps", 128, long},
		{"one huge word", 64, strings.Repeat("conv5_1", 12)},
		{"tiny cells", 16, long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cells := [][]Cell{{{Image: solid(4, 4, red), Label: tt.text}, {Label: tt.text}}}
			rows, cols := []string{tt.text}, []string{tt.text, "b"}
			img, l := mustGrid(t, tt.text, rows, cols, cells, tt.cs)
			if l.cols.maxLines() > 2 || l.labels.maxLines() > 2 || l.rows.maxLines() > 4 || l.title.maxLines() > 3 {
				t.Errorf("too many lines: cols %d labels %d rows %d title %d", l.cols.maxLines(), l.labels.maxLines(), l.rows.maxLines(), l.title.maxLines())
			}
			for _, line := range l.cols.lines[0] {
				if w := textWidth(l.cols.face, line); w > tt.cs {
					t.Errorf("header line %q is %dpx, wider than the %dpx column", line, w, tt.cs)
				}
			}
			checkGoldenImage(t, "grid_long_"+strings.ReplaceAll(tt.name, " ", "_"), img)
		})
	}
}

func TestGridPaintings(t *testing.T) {
	const cs = 96
	names := []string{"starry_night.jpg", "the_scream.jpg", "composition_vii.jpg"}
	var row []Cell
	var srcs []image.Image
	for _, n := range names {
		img := loadPainting(t, n)
		srcs = append(srcs, img)
		row = append(row, Cell{Image: img, Label: n})
	}
	img, l := mustGrid(t, "paintings", []string{"style"}, names, [][]Cell{row}, cs)
	for i, src := range srcs {
		fit := l.imageRect(0, i, src.Bounds())
		got := blockMeans(img, fit.Inset(1), 4)
		for j, other := range srcs {
			d := meanAbsDiff(got, blockMeans(other, other.Bounds(), 4))
			if j == i && d > 8 {
				t.Errorf("cell %d (%s) differs from its painting by %.1f levels per block", i, names[i], d)
			}
			if j != i && d < 15 {
				t.Errorf("cell %d (%s) looks like %s (diff %.1f)", i, names[i], names[j], d)
			}
		}
	}
	// With labels, the landscape Starry Night sits on its cell's bottom edge, under white.
	if fit, box := l.imageRect(0, 0, srcs[0].Bounds()), l.cellRects[0][0]; fit.Max.Y != box.Max.Y || fit.Dy() >= cs-10 ||
		!near(img.At(fit.Min.X+fit.Dx()/2, box.Min.Y+1), white, 0) || near(img.At(fit.Min.X+fit.Dx()/2, box.Max.Y-2), white, 30) {
		t.Errorf("landscape painting placed at %v in cell %v, want it on the bottom edge", fit, box)
	}
	// The Scream is portrait: its column shrinks to the painting's width.
	if box := l.cellRects[0][1]; box.Dy() != cs || box.Dx() >= cs-10 || near(img.At(box.Min.X+1, box.Min.Y+cs/2), white, 30) {
		t.Errorf("portrait painting's cell is %v, want %d tall, narrower, and filled to its edge", box, cs)
	}
}

func TestGridCompactTracks(t *testing.T) {
	const cs = 80
	cells := [][]Cell{
		{{Image: solid(200, 100, red), Label: "wide"}, {}},
		{{Image: solid(10, 40, blue)}, {Image: solid(9, 9, green)}},
	}
	img, l := mustGrid(t, "", nil, nil, cells, cs)
	tests := []struct {
		r, c, w, h int
		want       color.RGBA
		filled     bool // the colour reaches the cell's corners
	}{
		{0, 0, cs, cs / 2, red, true},  // landscape row shrinks to the image height
		{0, 1, cs, cs / 2, grey, true}, // missing cell fills the row and column
		{1, 0, cs, cs, blue, false},    // portrait image in a wide column
		{1, 1, cs, cs, green, true},
	}
	for _, tt := range tests {
		box := l.cellRects[tt.r][tt.c]
		if box.Dx() != tt.w || box.Dy() != tt.h {
			t.Errorf("cell (%d,%d) is %dx%d, want %dx%d", tt.r, tt.c, box.Dx(), box.Dy(), tt.w, tt.h)
		}
		for _, p := range []image.Point{box.Min, box.Max.Sub(image.Pt(1, 1))} {
			if near(img.At(p.X, p.Y), tt.want, 8) != tt.filled {
				t.Errorf("cell (%d,%d) corner %v is %v; want %v there: %v", tt.r, tt.c, p, img.At(p.X, p.Y), tt.want, tt.filled)
			}
		}
	}
	if lbl := l.labelRects[0][0]; lbl.Min.Y-l.cellRects[0][0].Max.Y > cs/10 {
		t.Errorf("label %v is not right under the landscape image %v", lbl, l.cellRects[0][0])
	}
	checkGoldenImage(t, "grid_compact", img)
}

func TestGridErrors(t *testing.T) {
	ok := [][]Cell{{{Image: solid(4, 4, red)}, {}}}
	tests := []struct {
		name       string
		rows, cols []string
		cells      [][]Cell
		cs         int
		want       string
	}{
		{"cell too small", nil, nil, ok, 15, "cellSize 15"},
		{"cell too large", nil, nil, ok, 100000, "cellSize 100000"},
		{"no cells", nil, nil, nil, 64, "no cells"},
		{"empty row", nil, nil, [][]Cell{{}}, 64, "no cells"},
		{"ragged", nil, nil, [][]Cell{{{}, {}}, {{}}}, 64, "ragged"},
		{"row header count", []string{"a", "b"}, nil, ok, 64, "2 row headers for 1 rows"},
		{"column header count", nil, []string{"a"}, ok, 64, "1 column headers for 2 columns"},
		{"empty image", nil, nil, [][]Cell{{{Image: image.NewRGBA(image.Rect(0, 0, 5, 0))}}}, 64, "empty image"},
		{"too many pixels", nil, nil, [][]Cell{make([]Cell, 200)}, 4096, "pixels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Grid("t", tt.rows, tt.cols, tt.cells, tt.cs)
			if err == nil || img != nil {
				t.Fatalf("got image %v, err %v; want an error", img != nil, err)
			}
			if !strings.HasPrefix(err.Error(), "plots: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks prefix or %q", err, tt.want)
			}
		})
	}
}

func TestGridSubImageAndOtherTypes(t *testing.T) {
	// Left half red, right half blue; the cell shows only the sub-image.
	two := solid(40, 20, red)
	for y := range 20 {
		for x := 20; x < 40; x++ {
			two.Set(x, y, blue)
		}
	}
	gray := image.NewGray(image.Rect(0, 0, 10, 10))
	for i := range gray.Pix {
		gray.Pix[i] = 128
	}
	cells := [][]Cell{{{Image: two.SubImage(image.Rect(20, 0, 40, 20))}, {Image: gray}}}
	img, l := mustGrid(t, "", nil, nil, cells, 32)
	tests := []struct {
		c    int
		want color.RGBA
	}{{0, blue}, {1, color.RGBA{R: 128, G: 128, B: 128, A: 255}}}
	for _, tt := range tests {
		box := l.cellRects[0][tt.c]
		for _, p := range []image.Point{box.Min, box.Max.Sub(image.Pt(1, 1)), box.Min.Add(box.Max).Div(2)} {
			if got := img.At(p.X, p.Y); !near(got, tt.want, 2) {
				t.Errorf("cell %d at %v is %v, want %v", tt.c, p, got, tt.want)
			}
		}
	}
}

func TestGridHugeLabelIsFast(t *testing.T) {
	huge := strings.Repeat("x", 100000)
	start := time.Now()
	img, err := Grid(huge, []string{huge}, []string{huge}, [][]Cell{{{Image: solid(4, 4, red), Label: huge}}}, 64)
	if err != nil || img == nil {
		t.Fatalf("Grid with 100k-rune texts: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Grid with 100k-rune texts took %v", d)
	}
}
