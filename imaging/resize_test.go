package imaging

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"testing"
)

func TestFitSize(t *testing.T) {
	tests := []struct {
		name          string
		b             image.Rectangle
		longest, w, h int
	}{
		{"tubingen", image.Rect(0, 0, 1024, 768), 512, 512, 384},
		{"scream portrait", image.Rect(0, 0, 1200, 1528), 512, 402, 512},
		{"shipwreck rounds down", image.Rect(0, 0, 960, 662), 512, 512, 353},
		{"composition", image.Rect(0, 0, 1071, 712), 512, 512, 340},
		{"rounds up", image.Rect(0, 0, 3, 2), 4, 4, 3},
		{"upscale", image.Rect(0, 0, 100, 50), 1000, 1000, 500},
		{"offset origin", image.Rect(10, 20, 110, 70), 50, 50, 25},
		{"square", image.Rect(0, 0, 7, 7), 3, 3, 3},
		{"sliver keeps 1", image.Rect(0, 0, 10000, 1), 100, 100, 1},
		{"empty", image.Rectangle{}, 512, 0, 0},
		{"zero longest", image.Rect(0, 0, 10, 10), 0, 0, 0},
		{"negative longest", image.Rect(0, 0, 10, 10), -5, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if w, h := FitSize(tc.b, tc.longest); w != tc.w || h != tc.h {
				t.Errorf("FitSize(%v, %d) = %dx%d, want %dx%d", tc.b, tc.longest, w, h, tc.w, tc.h)
			}
		})
	}
}

func TestFitLongestKeepsMeanColour(t *testing.T) {
	for _, tc := range sharedSet {
		t.Run(tc.name, func(t *testing.T) {
			img := mustLoad(t, tc.name)
			for _, longest := range []int{512, 64, 1600} {
				out := FitLongest(img, longest)
				w, h := FitSize(img.Bounds(), longest)
				if out.Rect != image.Rect(0, 0, w, h) || max(w, h) != longest {
					t.Fatalf("FitLongest(%d) bounds %v, want 0,0-%dx%d", longest, out.Rect, w, h)
				}
				in, got := meanRGB(img), meanRGB(out)
				for c := range 3 {
					if d := math.Abs(in[c] - got[c]); d > 1.0 {
						t.Errorf("longest %d: channel %d mean %.2f, original %.2f (|diff| %.2f > 1)", longest, c, got[c], in[c], d)
					}
				}
			}
		})
	}
}

func TestResizeDownscaleIsAntialiased(t *testing.T) {
	// A 1-pixel black/white checkerboard shrunk 8x must become flat grey,
	// not an aliased pattern.
	src := image.NewGray(image.Rect(0, 0, 256, 256))
	for y := range 256 {
		for x := range 256 {
			if (x+y)%2 == 0 {
				src.SetGray(x, y, color.Gray{255})
			}
		}
	}
	out := Resize(src, 32, 32)
	for i := 0; i < len(out.Pix); i += 4 {
		if v := out.Pix[i]; v < 120 || v > 135 {
			t.Fatalf("pixel %d = %d, want about 128 (antialiased grey)", i/4, v)
		}
	}
}

func TestResizeDeterministicAndEdges(t *testing.T) {
	img := mustLoad(t, "tubingen.jpg")
	a, b := Resize(img, 300, 200), Resize(img, 300, 200)
	if len(a.Pix) != 300*200*4 || !bytes.Equal(a.Pix, b.Pix) {
		t.Error("two identical Resize calls gave different pixels")
	}
	same := Resize(img, 1024, 768)
	if !bytes.Equal(same.Pix, toRGBA(img).Pix) {
		t.Error("same-size Resize is not an exact copy")
	}
	sub := toRGBA(img).SubImage(image.Rect(100, 100, 300, 200))
	if got := Resize(sub, 100, 50); !bytes.Equal(got.Pix, Resize(toRGBA(sub), 100, 50).Pix) || got.Rect != image.Rect(0, 0, 100, 50) {
		t.Error("Resize of an offset sub-image differs from resizing its copy")
	}
	for _, tc := range []struct {
		name string
		img  image.Image
		w, h int
	}{
		{"nil", nil, 10, 10},
		{"zero width", img, 0, 10},
		{"negative height", img, 10, -1},
		{"empty source", image.NewRGBA(image.Rectangle{}), 10, 10},
		{"infinite source", image.NewUniform(color.White), 10, 10},
		{"oversized target", img, 1 << 20, 1 << 20},
	} {
		if got := Resize(tc.img, tc.w, tc.h); !got.Rect.Empty() {
			t.Errorf("%s: Resize gave %v, want an empty image", tc.name, got.Rect)
		}
	}
	if got := FitLongest(nil, 10); !got.Rect.Empty() {
		t.Errorf("FitLongest(nil) gave %v, want empty", got.Rect)
	}
}
