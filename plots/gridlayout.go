package plots

import "image"

// gridLayout holds where every part of a Grid goes and its laid-out text.
type gridLayout struct {
	w, h                  int
	title, cols, rows     textBlock
	labels                textBlock // text index i*ncols+j for cell (i, j)
	titleRect             image.Rectangle
	colRects, rowRects    []image.Rectangle // nil when there are no headers
	cellRects, labelRects [][]image.Rectangle
}

// imageRect is where an image with bounds b goes in cell (i, j): fitted
// and centred, but sitting on the cell's bottom edge when the grid has
// labels, so each label hugs its image.
func (l gridLayout) imageRect(i, j int, b image.Rectangle) image.Rectangle {
	box := l.cellRects[i][j]
	r := fitRect(b, box)
	if l.labels.maxLines() > 0 {
		r = r.Add(image.Pt(0, box.Max.Y-r.Max.Y))
	}
	return r
}

// layoutGrid sizes the text and places the title, headers, cells and
// labels. Each column is as wide as its widest fitted image and each row
// as tall as its tallest, so labels sit right under landscape images.
func layoutGrid(title string, rows, cols []string, cells [][]Cell, cellSize int) (gridLayout, error) {
	f, err := loadFonts()
	if err != nil {
		return gridLayout{}, err
	}
	nr, nc := len(cells), len(cells[0])
	colW, rowH := trackSizes(cells, cellSize)
	pad := max(4, cellSize/24)
	headPx := clampPx(float64(cellSize)*0.08, 13, 30)
	var l gridLayout

	labels, labelW := make([]string, 0, nr*nc), make([]int, 0, nr*nc)
	for _, row := range cells {
		for j, c := range row {
			labels, labelW = append(labels, c.Label), append(labelW, colW[j])
		}
	}
	if l.labels, err = fitTexts(f.regular, labels, labelW, 2, clampPx(float64(cellSize)*0.07, 12, 24)); err != nil {
		return l, err
	}
	if l.cols, err = fitTexts(f.regular, padTexts(cols, nc), colW, 2, headPx); err != nil {
		return l, err
	}
	rowTexts := padTexts(rows, nr)
	rowW, err := naturalWidth(f.regular, rowTexts, headPx)
	if err != nil {
		return l, err
	}
	rowW = min(rowW, max(cellSize*3/4, 96))
	if l.rows, err = fitTexts(f.regular, rowTexts, repeat(nr, max(rowW, 1)), 4, headPx); err != nil {
		return l, err
	}

	rowBand := band(rowW, l.rows.maxLines(), pad)
	colBand := band(l.cols.height(), l.cols.maxLines(), pad)
	labelBand := band(l.labels.height(), l.labels.maxLines(), pad/2)
	l.w = 2*pad + rowBand + sum(colW) + (nc-1)*pad
	if l.title, err = fitTexts(f.bold, []string{title}, []int{l.w - 2*pad}, 3, clampPx(float64(cellSize)*0.1, 16, 40)); err != nil {
		return l, err
	}
	titleBand := band(l.title.height(), l.title.maxLines(), pad)
	l.h = 2*pad + titleBand + colBand + sum(rowH) + nr*labelBand + (nr-1)*pad
	l.titleRect = image.Rect(pad, pad, l.w-pad, pad+l.title.height())

	top := pad + titleBand + colBand
	l.cellRects = make([][]image.Rectangle, nr)
	l.labelRects = make([][]image.Rectangle, nr)
	y := top
	for i := range nr {
		if rowBand > 0 {
			l.rowRects = append(l.rowRects, image.Rect(pad, y, pad+rowW, y+rowH[i]))
		}
		x := pad + rowBand
		for j := range nc {
			l.cellRects[i] = append(l.cellRects[i], image.Rect(x, y, x+colW[j], y+rowH[i]))
			ly := y + rowH[i] + pad/2
			l.labelRects[i] = append(l.labelRects[i], image.Rect(x, ly, x+colW[j], ly+l.labels.height()))
			if i == 0 && colBand > 0 {
				l.colRects = append(l.colRects, image.Rect(x, top-colBand, x+colW[j], top-pad))
			}
			x += colW[j] + pad
		}
		y += rowH[i] + labelBand + pad
	}
	return l, nil
}

// trackSizes returns each column's width and each row's height: the
// largest fitted image in it (cellSize when it has none), but at least
// cellSize/2 wide and cellSize/4 tall.
func trackSizes(cells [][]Cell, cellSize int) (colW, rowH []int) {
	colW, rowH = make([]int, len(cells[0])), make([]int, len(cells))
	box := image.Rect(0, 0, cellSize, cellSize)
	for i, row := range cells {
		for j, c := range row {
			if c.Image != nil {
				f := fitRect(c.Image.Bounds(), box)
				colW[j], rowH[i] = max(colW[j], f.Dx()), max(rowH[i], f.Dy())
			}
		}
	}
	for j, w := range colW {
		if w == 0 {
			w = cellSize
		}
		colW[j] = max(w, cellSize/2)
	}
	for i, h := range rowH {
		if h == 0 {
			h = cellSize
		}
		rowH[i] = max(h, cellSize/4)
	}
	return colW, rowH
}

// band is size plus a gap, or 0 when there is no text (lines == 0).
func band(size, lines, gap int) int {
	if lines == 0 {
		return 0
	}
	return size + gap
}

// padTexts returns texts, or n empty strings when texts is empty.
func padTexts(texts []string, n int) []string {
	if len(texts) == 0 {
		return make([]string, n)
	}
	return texts
}

// clampPx limits a font size to [lo, hi] pixels.
func clampPx(px, lo, hi float64) float64 { return min(max(px, lo), hi) }

// sum adds up xs.
func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}
