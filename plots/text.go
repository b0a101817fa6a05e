package plots

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"

	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// minTextPx is the smallest font size (pixels) text is shrunk to.
const minTextPx = 9

// fonts holds the parsed Liberation Sans faces used for raster text.
type fonts struct{ regular, bold *opentype.Font }

// loadFonts parses the embedded Liberation Sans regular and bold fonts.
func loadFonts() (fonts, error) {
	reg, err := opentype.Parse(liberationsansregular.TTF)
	if err != nil {
		return fonts{}, fmt.Errorf("plots: parsing Liberation Sans: %w", err)
	}
	bold, err := opentype.Parse(liberationsansbold.TTF)
	if err != nil {
		return fonts{}, fmt.Errorf("plots: parsing Liberation Sans Bold: %w", err)
	}
	return fonts{regular: reg, bold: bold}, nil
}

// newFace makes a hinted face of f whose em is px pixels.
func newFace(f *opentype.Font, px float64) (font.Face, error) {
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("plots: making a %gpx font face: %w", px, err)
	}
	return face, nil
}

// textBlock is a set of texts laid out in lines with one face.
type textBlock struct {
	face  font.Face
	lines [][]string // lines[i] holds the wrapped lines of text i
}

// lineHeight is the distance between baselines, in pixels.
func (b textBlock) lineHeight() int {
	if b.face == nil {
		return 0
	}
	return b.face.Metrics().Height.Ceil()
}

// maxLines is the most lines any of the block's texts uses.
func (b textBlock) maxLines() int {
	n := 0
	for _, l := range b.lines {
		n = max(n, len(l))
	}
	return n
}

// height is the pixel height of the tallest text in the block.
func (b textBlock) height() int { return b.maxLines() * b.lineHeight() }

// fitTexts lays out texts[i] within widths[i] pixels and maxLines lines,
// at the largest size from px down to minTextPx at which all fit
// unbroken; failing that, at minTextPx with words split and the overflow
// cut with an ellipsis. All texts share one size, so headers match.
func fitTexts(f *opentype.Font, texts []string, widths []int, maxLines int, px float64) (textBlock, error) {
	for size := px; ; size-- {
		size = math.Max(size, minTextPx)
		face, err := newFace(f, size)
		if err != nil {
			return textBlock{}, err
		}
		last := size <= minTextPx
		b := textBlock{face: face, lines: make([][]string, len(texts))}
		fits := true
		for i, t := range texts {
			lines, ok := wrapText(face, clip(t), widths[i], last)
			if !last && (!ok || len(lines) > maxLines) {
				fits = false
				break
			}
			if len(lines) > maxLines {
				lines = truncateLines(face, lines, widths[i], maxLines)
			}
			b.lines[i] = lines
		}
		if fits || last {
			return b, nil
		}
	}
}

// clip cuts t to maxTextRunes runes (more never fits a header or label,
// and would make wrapping slow).
func clip(t string) string {
	const maxTextRunes = 400
	if r := []rune(t); len(r) > maxTextRunes {
		return string(r[:maxTextRunes]) + "…"
	}
	return t
}

// wrapText breaks t into lines no wider than width. A word wider than
// width is broken when split is set; otherwise wrapText reports false.
func wrapText(face font.Face, t string, width int, split bool) ([]string, bool) {
	var lines []string
	for _, para := range strings.Split(t, "\n") {
		cur := ""
		for _, w := range strings.Fields(para) {
			try := strings.TrimSpace(cur + " " + w)
			if textWidth(face, try) <= width {
				cur = try
				continue
			}
			if cur != "" {
				lines = append(lines, cur)
			}
			cur = w
			if textWidth(face, w) > width {
				if !split {
					return nil, false
				}
				parts := splitWord(face, w, width)
				lines = append(lines, parts[:len(parts)-1]...)
				cur = parts[len(parts)-1]
			}
		}
		if cur != "" {
			lines = append(lines, cur)
		}
	}
	return lines, true
}

// splitWord breaks w into pieces no wider than width (at least one rune each).
func splitWord(face font.Face, w string, width int) []string {
	var parts []string
	cur := ""
	for _, r := range w {
		if cur != "" && textWidth(face, cur+string(r)) > width {
			parts = append(parts, cur)
			cur = ""
		}
		cur += string(r)
	}
	return append(parts, cur)
}

// truncateLines keeps n lines and ends the last with an ellipsis that fits.
func truncateLines(face font.Face, lines []string, width, n int) []string {
	out := append([]string(nil), lines[:n]...)
	r := []rune(out[n-1])
	for len(r) > 0 && textWidth(face, string(r)+"…") > width {
		r = r[:len(r)-1]
	}
	out[n-1] = string(r) + "…"
	return out
}

// naturalWidth is the width of the widest unwrapped line of texts at px.
func naturalWidth(f *opentype.Font, texts []string, px float64) (int, error) {
	face, err := newFace(f, px)
	if err != nil {
		return 0, err
	}
	w := 0
	for _, t := range texts {
		for _, line := range strings.Split(t, "\n") {
			w = max(w, textWidth(face, strings.TrimSpace(line)))
		}
	}
	return w, nil
}

// repeat returns n copies of w.
func repeat(n, w int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = w
	}
	return out
}

// textWidth is the advance width of s in pixels.
func textWidth(face font.Face, s string) int {
	return font.MeasureString(face, s).Ceil()
}

// drawLines draws lines inside r, each aligned horizontally by xAlign
// (-1 left, 0 centre, 1 right) and the block aligned vertically by yAlign
// (-1 top, 0 centre, 1 bottom).
func drawLines(dst *image.RGBA, face font.Face, lines []string, r image.Rectangle, xAlign, yAlign int) {
	if face == nil || len(lines) == 0 {
		return
	}
	lh := face.Metrics().Height.Ceil()
	top := r.Min.Y + (1+yAlign)*(r.Dy()-lh*len(lines))/2
	d := font.Drawer{Dst: dst, Src: image.NewUniform(color.RGBA{R: 20, G: 20, B: 20, A: 255}), Face: face}
	for i, l := range lines {
		x := r.Min.X + (1+xAlign)*(r.Dx()-textWidth(face, l))/2
		y := top + i*lh + face.Metrics().Ascent.Ceil()
		d.Dot = fixed.P(x, y)
		d.DrawString(l)
	}
}
