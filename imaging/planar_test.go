package imaging

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"
)

func TestPlanarRoundTripShared(t *testing.T) {
	eachShared(t, func(t *testing.T, img image.Image, w, h int) {
		p := ToPlanar(img)
		if err := p.Validate(); err != nil || p.W != w || p.H != h {
			t.Fatalf("ToPlanar: %dx%d, %v", p.W, p.H, err)
		}
		// Channel-major layout: check one pixel against At.
		x, y := w/3, h/2
		r, g, b, _ := img.At(x, y).RGBA()
		n, i := w*h, y*w+x
		for c, want := range []uint32{r >> 8, g >> 8, b >> 8} {
			if got := p.Pix[c*n+i]; got != float32(want)/255 {
				t.Errorf("Pix[%d*W*H + %d] = %v, want %d/255", c, i, got, want)
			}
		}
		if !bytes.Equal(p.Image().Pix, toRGBA(img).Pix) {
			t.Error("ToPlanar then Image is not exact for an 8-bit image")
		}
	})
}

func TestPlanarEveryByteRoundTrips(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 256, 1))
	for x := range 256 {
		img.Set(x, 0, color.RGBA{uint8(x), uint8(255 - x), uint8(x * 7), 255})
	}
	if got := ToPlanar(img).Image(); !bytes.Equal(got.Pix, img.Pix) {
		t.Error("byte values 0..255 do not survive the planar round trip")
	}
}

func TestPlanarImageClampsAndRounds(t *testing.T) {
	vals := []float32{-0.5, 0, 0.5 / 255, 0.49 / 255, 1.0 / 3, 0.999, 1, 7, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	want := []uint8{0, 0, 1, 0, 85, 255, 255, 255, 0, 255, 0}
	n := len(vals)
	p := &Planar{W: n, H: 1, Pix: make([]float32, 3*n)}
	copy(p.Pix[n:], vals) // green plane only
	got := p.Image()
	for i, w := range want {
		if g := got.Pix[4*i+1]; g != w || got.Pix[4*i] != 0 || got.Pix[4*i+3] != 255 {
			t.Errorf("value %v -> G %d (R %d, A %d), want G %d, R 0, A 255", vals[i], g, got.Pix[4*i], got.Pix[4*i+3], w)
		}
	}
}

func TestPlanarAlphaOverWhite(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	img.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 0})     // transparent -> white
	img.SetNRGBA(1, 0, color.NRGBA{255, 0, 0, 128}) // half red over white
	p := ToPlanar(img)
	want := [][3]float32{{1, 1, 1}, {1, 127.0 / 255, 127.0 / 255}}
	for i, w := range want {
		for c := range 3 {
			if got := p.Pix[c*2+i]; math.Abs(float64(got-w[c])) > 1.0/255 {
				t.Errorf("pixel %d channel %d = %v, want %v", i, c, got, w[c])
			}
		}
	}
}

func TestPlanarCloneAndValidate(t *testing.T) {
	p := ToPlanar(Resize(mustLoad(t, "starry_night.jpg"), 40, 25))
	q := p.Clone()
	q.Pix[0] = 0.123
	if p.Pix[0] == 0.123 || q.W != p.W || q.H != p.H || len(q.Pix) != len(p.Pix) {
		t.Error("Clone shares Pix or loses the size")
	}
	var nilP *Planar
	if nilP.Clone() != nil {
		t.Error("nil Clone is not nil")
	}
	tests := []struct {
		name string
		p    *Planar
		want string
	}{
		{"nil", nil, "nil"},
		{"negative", &Planar{W: -1, H: 2}, "negative size"},
		{"short Pix", &Planar{W: 2, H: 2, Pix: make([]float32, 11)}, "needs 3*W*H = 12 values but has 11"},
		{"overflow", &Planar{W: math.MaxInt / 2, H: 5}, "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "imaging: ") {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
			if img := tc.p.Image(); !img.Rect.Empty() {
				t.Errorf("Image() of an invalid Planar is %v, want empty", img.Rect)
			}
		})
	}
	for _, img := range []image.Image{nil, image.NewUniform(color.White), image.NewGray(image.Rectangle{})} {
		if e := ToPlanar(img); e.W != 0 || e.H != 0 || len(e.Pix) != 0 || e.Validate() != nil {
			t.Errorf("ToPlanar(%T) = %dx%d, want a valid empty Planar", img, e.W, e.H)
		}
	}
}
