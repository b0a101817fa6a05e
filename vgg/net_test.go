package vgg_test

import (
	"math"
	"testing"

	"github.com/stylelab/stylelab/vgg"
)

// TestFeaturesPooling runs the shared network on a small image: every tap has
// LayerShape's shape, and pool1 is the mean or the maximum of conv1_2's 2x2
// windows as the pooling asks.
func TestFeaturesPooling(t *testing.T) {
	w := sharedWeights(t)
	m, err := vgg.New(w)
	if err != nil {
		t.Fatal(err)
	}
	const h, wd = 22, 18
	rgb := make([]float32, 3*h*wd)
	for i := range rgb {
		rgb[i] = float32(i%251) / 250
	}
	taps := []string{"conv1_2", "pool1", "relu2_1", "pool2"}
	for _, tc := range []struct {
		pooling vgg.Pooling
		reduce  func(a, b, c, d float32) float32
	}{
		{vgg.AvgPool, func(a, b, c, d float32) float32 { return (a + b + c + d) / 4 }},
		{vgg.MaxPool, func(a, b, c, d float32) float32 { return max(a, b, c, d) }},
	} {
		t.Run(tc.pooling.String(), func(t *testing.T) {
			f, err := m.Features(w.Preprocess.Preprocess(rgb), h, wd, taps, tc.pooling)
			if err != nil {
				t.Fatal(err)
			}
			for _, tap := range taps {
				c, lh, lw, err := vgg.LayerShape(tap, h, wd)
				if err != nil {
					t.Fatal(err)
				}
				if got := f[tap]; got.C != c || got.H != lh || got.W != lw || len(got.Data) != c*lh*lw {
					t.Fatalf("%s is %dx%dx%d with %d values, want %dx%dx%d", tap, got.C, got.H, got.W, len(got.Data), c, lh, lw)
				}
			}
			conv, pool := f["conv1_2"], f["pool1"]
			for ch := 0; ch < pool.C; ch++ {
				for y := 0; y < pool.H; y++ {
					for x := 0; x < pool.W; x++ {
						at := func(dy, dx int) float32 { return conv.Data[(ch*conv.H+2*y+dy)*conv.W+2*x+dx] }
						want := tc.reduce(at(0, 0), at(0, 1), at(1, 0), at(1, 1))
						if got := pool.Data[(ch*pool.H+y)*pool.W+x]; math.Abs(float64(got-want)) > 1e-5*math.Max(1, math.Abs(float64(want))) {
							t.Fatalf("pool1[%d][%d][%d] = %g, want %g", ch, y, x, got, want)
						}
					}
				}
			}
		})
	}
}
