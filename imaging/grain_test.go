package imaging

import (
	"image"
	"image/color"
	"math"
	"testing"
)

func TestGrainRatio(t *testing.T) {
	starry := FitLongest(mustLoad(t, "starry_night.jpg"), 256)
	tubingen := mustLoad(t, "tubingen.jpg")
	b := starry.Bounds()
	flat := image.NewRGBA(b)
	for i := range flat.Pix {
		flat.Pix[i] = 128
	}
	blurred := Resize(Resize(starry, b.Dx()/4, b.Dy()/4), b.Dx(), b.Dy())
	stripes := image.NewRGBA(image.Rect(0, 0, 4, 4)) // columns alternate 0 and 255
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			v := uint8(255 * (x % 2))
			stripes.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	tests := []struct {
		name     string
		out      image.Image
		style    image.Image
		min, max float64
	}{
		{"the painting against itself", starry, starry, 1, 1},
		{"the painting against itself at four times the size", starry, mustLoad(t, "starry_night.jpg"), 0.9, 1.1},
		{"a flat image", flat, starry, 0, 0},
		{"the painting blurred", blurred, starry, 0.1, 0.6},
		{"white noise", Noise(b.Dx(), b.Dy(), 0).Image(), starry, 3, 20},
		{"the photo as a painting's stand-in", tubingen, mustLoad(t, "the_scream.jpg"), 0.2, 5},
		{"against a flat style", starry, flat, 0, 0},
		{"a 1×1 output", image.NewRGBA(image.Rect(0, 0, 1, 1)), starry, 0, 0},
		// 12 horizontal neighbours differ by 255 in 3 channels, 12 vertical ones by 0: 255/2 per channel.
		{"stripes against themselves", stripes, stripes, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := GrainRatio(tc.out, tc.style)
			if math.IsNaN(got) || got < tc.min-1e-9 || got > tc.max+1e-9 {
				t.Errorf("GrainRatio = %.4f, want %.2f..%.2f", got, tc.min, tc.max)
			}
		})
	}
	if g := Grain(stripes); math.Abs(g-127.5) > 1e-9 {
		t.Errorf("Grain(stripes) = %v, want 127.5", g)
	}
}
