package plots

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"strings"
	"testing"
)

func TestStackedArea(t *testing.T) {
	steps := []int{1, 2, 3, 4}
	bands := []Series{
		{Label: "conv1_1", Steps: steps, Values: []float64{0.7, 0.5, 0.3, 0.2}},
		{Label: "conv5_1", Steps: steps, Values: []float64{0.3, 0.5, 0.7, 0.8}},
	}
	p, err := StackedArea("shares", "share", bands)
	if err != nil {
		t.Fatal(err)
	}
	if p.Y.Min != 0 || math.Abs(p.Y.Max-1) > 1e-12 || p.X.Min != 1 || p.X.Max != 4 {
		t.Errorf("axes x %g..%g y %g..%g, want 1..4 and 0..1", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
	png, err := PlotPNG(p, 6, 4)
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, png)
	// both bands' colours are drawn
	for i, want := range []int{0, 1} {
		r, g, b, _ := seriesStyle(want).Color.RGBA()
		if countColour(img, uint8(r>>8), uint8(g>>8), uint8(b>>8)) < 1000 {
			t.Errorf("band %d barely drawn", i)
		}
	}
	for _, tc := range []struct {
		series []Series
		want   string
	}{
		{nil, "no series"},
		{[]Series{{Steps: []int{1}, Values: []float64{1}}, {Steps: []int{2}, Values: []float64{1}}}, "same steps"},
		{[]Series{{Steps: []int{1}, Values: []float64{-1}}}, "finite values >= 0"},
		{[]Series{{Steps: []int{1, 2}, Values: []float64{1}}}, "one step per value"},
	} {
		if _, err := StackedArea("", "", tc.series); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

func TestHeatMap(t *testing.T) {
	values := make([]float32, 100*4)
	for i := range values {
		values[i] = float32(i % 10) // 0 .. 9, ten times along each row
	}
	values[5] = 1000 // an outlier saturates but does not darken the rest
	img, err := HeatMap(values, 100, 4, 0)
	if err != nil {
		t.Fatal(err)
	}
	lum := func(x, y int) int {
		c := img.RGBAAt(x, y)
		return int(c.R) + int(c.G) + int(c.B)
	}
	if lum(0, 1) > 10 || !(lum(2, 1) < lum(6, 1)) || lum(9, 1) < 600 {
		t.Errorf("luminance along a row %d %d %d, want 0, rising, light", lum(0, 1), lum(2, 1), lum(9, 1))
	}
	if _, err := HeatMap(values, 3, 3, 0); err == nil || !strings.Contains(err.Error(), "one value per pixel") {
		t.Errorf("wrong size: %v", err)
	}
}

func TestMatrix(t *testing.T) {
	names := []string{"a", "b", "c"}
	d := [][]float64{{0, 0.4, 1.2}, {0.4, 0, 0.9}, {1.2, 0.9, 0}}
	p, err := Matrix("distances", names, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	png, err := PlotPNG(p, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, png)
	top := heatColour(1)
	if countColour(img, top.R, top.G, top.B) < 500 {
		t.Error("the largest distance's cells are not drawn in the lightest colour")
	}
	if _, err := Matrix("", names, d[:2], 0); err == nil {
		t.Error("a ragged matrix was accepted")
	}
	if _, err := Matrix("", names, [][]float64{{0, 1, 2}, {1, 0, math.NaN()}, {2, 1, 0}}, 0); err == nil {
		t.Error("NaN was accepted")
	}
}

func countColour(img image.Image, r, g, b uint8) int {
	n := 0
	bb := img.Bounds()
	for y := bb.Min.Y; y < bb.Max.Y; y++ {
		for x := bb.Min.X; x < bb.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if uint8(cr>>8) == r && uint8(cg>>8) == g && uint8(cb>>8) == b {
				n++
			}
		}
	}
	return n
}

func decodePNG(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}
