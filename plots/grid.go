package plots

import (
	"errors"
	"fmt"
	"image"
	"image/color"
)

// Cell is one image of a Grid with an optional label drawn under it.
// A nil Image leaves the cell as an empty grey box.
type Cell struct {
	Image image.Image
	Label string
}

// Grid lays out cells as a labelled image grid: an optional title on
// top, column headers above the columns, row headers at the left, and
// each image scaled (aspect kept, Catmull-Rom) to fit a cellSize x
// cellSize box with its label right under it. Rows and columns shrink to
// their largest image. rows and cols may be nil for no headers; otherwise
// they need one entry per row / column of cells. Long text is wrapped,
// then shrunk, then cut with "…".
func Grid(title string, rows, cols []string, cells [][]Cell, cellSize int) (*image.RGBA, error) {
	if err := checkGrid(rows, cols, cells, cellSize); err != nil {
		return nil, err
	}
	l, err := layoutGrid(title, rows, cols, cells, cellSize)
	if err != nil {
		return nil, err
	}
	img, err := newCanvas(l.w, l.h)
	if err != nil {
		return nil, err
	}
	drawLines(img, l.title.face, l.title.lines[0], l.titleRect, 0, -1)
	for c, r := range l.colRects {
		drawLines(img, l.cols.face, l.cols.lines[c], r, 0, 1)
	}
	for i, r := range l.rowRects {
		drawLines(img, l.rows.face, l.rows.lines[i], r, 1, 0)
	}
	for i, row := range cells {
		for j, cell := range row {
			box := l.cellRects[i][j]
			if cell.Image == nil {
				fillRect(img, box, color.Gray{Y: 0xD8})
			} else {
				drawScaled(img, l.imageRect(i, j, cell.Image.Bounds()), cell.Image)
			}
			drawLines(img, l.labels.face, l.labels.lines[i*len(row)+j], l.labelRects[i][j], 0, -1)
		}
	}
	return img, nil
}

// checkGrid validates Grid's arguments.
func checkGrid(rows, cols []string, cells [][]Cell, cellSize int) error {
	if err := checkSize("Grid cellSize", cellSize); err != nil {
		return err
	}
	if len(cells) == 0 || len(cells[0]) == 0 {
		return errors.New("plots: Grid got no cells; pass at least one row with one Cell")
	}
	for i, row := range cells {
		if len(row) != len(cells[0]) {
			return fmt.Errorf("plots: Grid is ragged: row %d has %d cells but row 0 has %d; give every row the same count (Cell{} leaves a gap)",
				i, len(row), len(cells[0]))
		}
		for j, c := range row {
			if c.Image != nil && c.Image.Bounds().Empty() {
				return fmt.Errorf("plots: Grid cell (%d,%d) has an empty image (bounds %v); pass a real image or nil for a gap",
					i, j, c.Image.Bounds())
			}
		}
	}
	if len(rows) != 0 && len(rows) != len(cells) {
		return fmt.Errorf("plots: Grid got %d row headers for %d rows of cells; pass one per row, or nil for none", len(rows), len(cells))
	}
	if len(cols) != 0 && len(cols) != len(cells[0]) {
		return fmt.Errorf("plots: Grid got %d column headers for %d columns of cells; pass one per column, or nil for none", len(cols), len(cells[0]))
	}
	return nil
}
