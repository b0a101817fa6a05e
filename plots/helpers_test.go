package plots

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// sharedDir is the shared data directory: $STYLELAB_SHARED, else ../shared
// relative to the repository root.
func sharedDir() string {
	if d := os.Getenv("STYLELAB_SHARED"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared")
}

// loadPainting decodes one of the shared images, failing the test if it is missing.
func loadPainting(t *testing.T, name string) image.Image {
	t.Helper()
	path := filepath.Join(sharedDir(), "images", name)
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("shared image missing (set STYLELAB_SHARED to the shared dir): %v", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return img
}

// solid is a w x h image of one colour.
func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

// near reports whether c is within tol of want in every channel.
func near(c color.Color, want color.RGBA, tol int) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, w uint8) bool { x := int(a>>8) - int(w); return x <= tol && x >= -tol }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

// run is the extent [from, to) of the pixels on row y matching c, or -1s.
func run(img image.Image, y int, c color.RGBA) (from, to int) {
	from, to = -1, -1
	b := img.Bounds()
	for x := b.Min.X; x < b.Max.X; x++ {
		if near(img.At(x, y), c, 8) {
			if from < 0 {
				from = x
			}
			to = x + 1
		}
	}
	return from, to
}

// blockMeans averages img over r in an n x n grid of blocks (RGB, 0..255).
func blockMeans(img image.Image, r image.Rectangle, n int) [][3]float64 {
	out := make([][3]float64, n*n)
	for by := range n {
		for bx := range n {
			x0, x1 := r.Min.X+bx*r.Dx()/n, r.Min.X+(bx+1)*r.Dx()/n
			y0, y1 := r.Min.Y+by*r.Dy()/n, r.Min.Y+(by+1)*r.Dy()/n
			var s [3]float64
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					cr, cg, cb, _ := img.At(x, y).RGBA()
					s[0], s[1], s[2] = s[0]+float64(cr>>8), s[1]+float64(cg>>8), s[2]+float64(cb>>8)
				}
			}
			cnt := float64((x1 - x0) * (y1 - y0))
			out[by*n+bx] = [3]float64{s[0] / cnt, s[1] / cnt, s[2] / cnt}
		}
	}
	return out
}

// meanAbsDiff is the mean absolute channel difference of two block-mean sets.
func meanAbsDiff(a, b [][3]float64) float64 {
	s := 0.0
	for i := range a {
		for c := range 3 {
			d := a[i][c] - b[i][c]
			if d < 0 {
				d = -d
			}
			s += d
		}
	}
	return s / float64(3*len(a))
}

// colorKey and dashKey make line styles comparable.
func colorKey(c color.Color) string {
	r, g, b, a := c.RGBA()
	return fmt.Sprint(r, g, b, a)
}

func dashKey(d []vg.Length) string { return fmt.Sprint(d) }

// mustSVG renders p as a 6x4 inch SVG.
func mustSVG(t *testing.T, p *plot.Plot) []byte {
	t.Helper()
	var svg bytes.Buffer
	if err := PlotSVGTo(&svg, p, 6, 4); err != nil {
		t.Fatal(err)
	}
	return svg.Bytes()
}

func abs(x int) int { return max(x, -x) }

// toRGBA converts c to 8-bit RGBA.
func toRGBA(c color.Color) color.RGBA { return color.RGBAModel.Convert(c).(color.RGBA) }
