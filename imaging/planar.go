package imaging

import (
	"fmt"
	"image"
	"math"
)

// Planar is an RGB image as three float32 planes, channel-major:
// Pix[c*W*H + y*W + x] for c = 0 (R), 1 (G), 2 (B), with values in
// [0, 1] (v = byte/255). This is the layout the engine consumes.
type Planar struct {
	W, H int
	Pix  []float32
}

// ToPlanar converts img to planar RGB in [0, 1]. Pixels are first
// reduced to opaque 8-bit RGB (transparency over white), so an 8-bit
// image survives ToPlanar followed by Image exactly. A nil, empty or
// oversized (over 64 megapixels) img gives an empty Planar.
func ToPlanar(img image.Image) *Planar {
	if !usable(img) {
		return &Planar{}
	}
	rgba := toRGBA(img)
	w, h := rgba.Rect.Dx(), rgba.Rect.Dy()
	n := w * h
	p := &Planar{W: w, H: h, Pix: make([]float32, 3*n)}
	r, g, b := p.Pix[:n], p.Pix[n:2*n], p.Pix[2*n:]
	for i := range n {
		s := rgba.Pix[4*i : 4*i+3 : 4*i+3]
		r[i] = float32(s[0]) / 255
		g[i] = float32(s[1]) / 255
		b[i] = float32(s[2]) / 255
	}
	return p
}

// Validate reports whether p is usable: non-nil, non-negative size and
// exactly 3*W*H values.
func (p *Planar) Validate() error {
	switch {
	case p == nil:
		return fmt.Errorf("imaging: planar image is nil: build one with ToPlanar or Noise")
	case p.W < 0 || p.H < 0:
		return fmt.Errorf("imaging: planar image has negative size %dx%d", p.W, p.H)
	case p.W > 0 && p.H > math.MaxInt/3/p.W:
		return fmt.Errorf("imaging: planar image size %dx%d is too large", p.W, p.H)
	case len(p.Pix) != 3*p.W*p.H:
		return fmt.Errorf("imaging: planar image %dx%d needs 3*W*H = %d values but has %d: set W, H and Pix together (ToPlanar does)",
			p.W, p.H, 3*p.W*p.H, len(p.Pix))
	}
	return nil
}

// Image converts p to an opaque 8-bit image: each value is clamped to
// [0, 1] (NaN counts as 0) and rounded to the nearest of 0..255. An
// invalid p (see Validate) gives an empty image.
func (p *Planar) Image() *image.RGBA {
	if p.Validate() != nil {
		return image.NewRGBA(image.Rectangle{})
	}
	img := image.NewRGBA(image.Rect(0, 0, p.W, p.H))
	n := p.W * p.H
	r, g, b := p.Pix[:n], p.Pix[n:2*n], p.Pix[2*n:]
	for i := range n {
		d := img.Pix[4*i : 4*i+4 : 4*i+4]
		d[0], d[1], d[2], d[3] = to8(r[i]), to8(g[i]), to8(b[i]), 255
	}
	return img
}

// Clone returns a deep copy of p (nil for nil).
func (p *Planar) Clone() *Planar {
	if p == nil {
		return nil
	}
	return &Planar{W: p.W, H: p.H, Pix: append([]float32(nil), p.Pix...)}
}

// to8 maps a value in [0, 1] to the nearest byte, clamping outside values.
func to8(v float32) uint8 {
	if !(v > 0) { // also NaN
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(v*255 + 0.5)
}
