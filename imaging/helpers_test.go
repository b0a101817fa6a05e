package imaging

import (
	"image"
	"os"
	"path/filepath"
	"testing"
)

// sharedImage returns the path of a file in the shared image set, found
// at $STYLELAB_SHARED/images or ../../shared/images.
func sharedImage(tb testing.TB, name string) string {
	tb.Helper()
	dir := os.Getenv("STYLELAB_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared")
	}
	p := filepath.Join(dir, "images", name)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("shared test image missing: %v (set STYLELAB_SHARED to the shared data directory)", err)
	}
	return p
}

// mustLoad loads a shared image or fails the test.
func mustLoad(tb testing.TB, name string) image.Image {
	tb.Helper()
	img, err := Load(sharedImage(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

// sharedSet lists the shared images with their documented sizes.
var sharedSet = []struct {
	name string
	w, h int
}{
	{"tubingen.jpg", 1024, 768},
	{"starry_night.jpg", 1024, 640},
	{"shipwreck.jpg", 960, 662},
	{"the_scream.jpg", 1200, 1528},
	{"composition_vii.jpg", 1071, 712},
}

// eachShared runs f on every shared image as a subtest, with its
// documented size.
func eachShared(t *testing.T, f func(t *testing.T, img image.Image, w, h int)) {
	for _, tc := range sharedSet {
		t.Run(tc.name, func(t *testing.T) { f(t, mustLoad(t, tc.name), tc.w, tc.h) })
	}
}

// meanRGB returns the mean R, G, B (0..255) of img, composited over white.
func meanRGB(img image.Image) [3]float64 {
	m := toRGBA(img)
	var s [3]float64
	for i := 0; i < len(m.Pix); i += 4 {
		for c := range 3 {
			s[c] += float64(m.Pix[i+c])
		}
	}
	n := float64(len(m.Pix) / 4)
	return [3]float64{s[0] / n, s[1] / n, s[2] / n}
}
