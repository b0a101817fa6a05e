package plots

import (
	"image"
	"strings"
	"testing"
)

func TestStripLayout(t *testing.T) {
	const h = 64
	images := []image.Image{solid(200, 100, red), solid(10, 10, green), solid(50, 100, blue)}
	labels := []string{"step 0", "step 50", ""}
	img, err := Strip(images, labels, h)
	if err != nil {
		t.Fatal(err)
	}
	l, err := layoutStrip(images, labels, h)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != l.w || b.Dy() != l.h || b.Dy() <= h {
		t.Fatalf("strip is %v, want %dx%d, taller than %d", b, l.w, l.h, h)
	}
	y := l.imageRects[0].Min.Y + h/2
	tests := []struct {
		i    int // image index; its colour is looked for on the middle row
		runW int // expected width of that colour run
	}{
		{0, 2 * h},
		{1, h},
		{2, h / 2},
	}
	prevTo := 0
	for _, tt := range tests {
		c := images[tt.i].At(0, 0)
		from, to := run(img, y, toRGBA(c))
		if to-from < tt.runW-1 || to-from > tt.runW+1 || from < prevTo {
			t.Errorf("image %d: run [%d,%d), want %d px wide after %d", tt.i, from, to, tt.runW, prevTo)
		}
		prevTo = to
		if r := l.labelRects[tt.i]; r.Min.Y < l.imageRects[tt.i].Max.Y {
			t.Errorf("label %d at %v overlaps its image %v", tt.i, r, l.imageRects[tt.i])
		}
	}
	checkGoldenImage(t, "strip_layout", img)
}

func TestStripNoLabelsAndNarrowImage(t *testing.T) {
	const h = 32
	img, err := Strip([]image.Image{solid(5, 100, red)}, nil, h)
	if err != nil {
		t.Fatal(err)
	}
	pad := max(4, h/24)
	if b := img.Bounds(); b.Dy() != h+2*pad || b.Dx() != 2*pad+2 {
		t.Errorf("unlabelled strip of a 5x100 image at height %d is %v, want %dx%d", h, b, 2*pad+2, h+2*pad)
	}
	// A long label widens a narrow image's slot (up to 2*height) instead of being unreadable.
	l, err := layoutStrip([]image.Image{solid(5, 100, red)}, []string{"iteration 1000"}, 64)
	if err != nil {
		t.Fatal(err)
	}
	if w := l.imageRects[0].Dx(); w <= 10 || w > 128 {
		t.Errorf("slot width %d, want widened for the label but at most 128", w)
	}
}

func TestStripErrors(t *testing.T) {
	one := []image.Image{solid(4, 4, red)}
	tests := []struct {
		name   string
		images []image.Image
		labels []string
		h      int
		want   string
	}{
		{"no images", nil, nil, 64, "no images"},
		{"nil image", []image.Image{solid(4, 4, red), nil}, nil, 64, "image 1 is nil"},
		{"empty image", []image.Image{image.NewRGBA(image.Rect(0, 0, 0, 0))}, nil, 64, "empty"},
		{"label count", one, []string{"a", "b"}, 64, "2 labels for 1 images"},
		{"height too small", one, nil, 8, "height 8"},
		{"too wide", []image.Image{solid(10000, 1, red)}, nil, 64, "crop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Strip(tt.images, tt.labels, tt.h)
			if err == nil || img != nil {
				t.Fatalf("got image %v, err %v; want an error", img != nil, err)
			}
			if !strings.HasPrefix(err.Error(), "plots: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks prefix or %q", err, tt.want)
			}
		})
	}
}
