package imaging

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// KeepColours implements colour preservation by luminance transfer
// (Gatys et al. 2016, "Preserving colour in neural artistic style
// transfer"): the result has the luminance Y of stylised and the
// chrominance Cb, Cr of content (full-range BT.601 YCbCr). Both images
// must have the same size. Results outside the RGB gamut are clamped.
func KeepColours(stylised, content image.Image) (*image.RGBA, error) {
	if stylised == nil || content == nil {
		return nil, errors.New("imaging: KeepColours: stylised and content images must both be non-nil")
	}
	sb, cb := stylised.Bounds(), content.Bounds()
	if !sizeOK(sb) || !sizeOK(cb) {
		return nil, fmt.Errorf("imaging: KeepColours: empty or oversized image (stylised %dx%d, content %dx%d; limit %d megapixels)",
			sb.Dx(), sb.Dy(), cb.Dx(), cb.Dy(), maxPixels>>20)
	}
	if sb.Dx() != cb.Dx() || sb.Dy() != cb.Dy() {
		return nil, fmt.Errorf("imaging: KeepColours: stylised image is %dx%d but content is %dx%d: resize the content first, e.g. Resize(content, %d, %d)",
			sb.Dx(), sb.Dy(), cb.Dx(), cb.Dy(), sb.Dx(), sb.Dy())
	}
	s, c := toRGBA(stylised), toRGBA(content)
	out := image.NewRGBA(s.Rect)
	for i := 0; i < len(out.Pix); i += 4 {
		y, _, _ := toYCbCr(s.Pix[i], s.Pix[i+1], s.Pix[i+2])
		_, u, v := toYCbCr(c.Pix[i], c.Pix[i+1], c.Pix[i+2])
		r, g, b := fromYCbCr(y, u, v)
		out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = r, g, b, 255
	}
	return out, nil
}

// Luminance returns img's luminance Y as a grey image (Y in R, G and B),
// the input of luminance-only style transfer. A nil or empty img gives
// an empty image, as does one over 64 megapixels.
func Luminance(img image.Image) *image.RGBA {
	if !usable(img) {
		return image.NewRGBA(image.Rectangle{})
	}
	return greyImage(img.Bounds(), lumaPlane(toRGBA(img)), 1, 0)
}

// MatchLuminance returns the style's luminance as a grey image, mapped
// linearly so that its mean and standard deviation equal those of the
// content's luminance: L' = σc/σs (Ls − μs) + μc (Gatys et al. 2016).
// A flat style maps to the content's mean. The result has the style's
// size; a nil, empty or oversized input gives an empty image.
func MatchLuminance(style, content image.Image) *image.RGBA {
	if !usable(style) || !usable(content) {
		return image.NewRGBA(image.Rectangle{})
	}
	ls := lumaPlane(toRGBA(style))
	ms, ss := meanStd(ls)
	mc, sc := meanStd(lumaPlane(toRGBA(content)))
	scale := 0.0
	if ss > 0 {
		scale = sc / ss
	}
	return greyImage(style.Bounds(), ls, scale, mc-scale*ms)
}

// toYCbCr converts 8-bit RGB to full-range BT.601 Y in [0, 255] and
// Cb, Cr centred on 0.
func toYCbCr(r, g, b uint8) (y, cb, cr float64) {
	R, G, B := float64(r), float64(g), float64(b)
	y = 0.299*R + 0.587*G + 0.114*B
	cb = -0.168736*R - 0.331264*G + 0.5*B
	cr = 0.5*R - 0.418688*G - 0.081312*B
	return y, cb, cr
}

// fromYCbCr inverts toYCbCr, rounding and clamping to bytes.
func fromYCbCr(y, cb, cr float64) (r, g, b uint8) {
	return clampByte(y + 1.402*cr), clampByte(y - 0.344136*cb - 0.714136*cr), clampByte(y + 1.772*cb)
}

// clampByte rounds v to the nearest byte, clamping to [0, 255].
func clampByte(v float64) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(math.Floor(v + 0.5))
}

// lumaPlane returns the Y value of every pixel of an opaque RGBA image.
func lumaPlane(m *image.RGBA) []float64 {
	ys := make([]float64, len(m.Pix)/4)
	for i := range ys {
		ys[i], _, _ = toYCbCr(m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2])
	}
	return ys
}

// meanStd returns the mean and population standard deviation of xs.
func meanStd(xs []float64) (mean, std float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)))
}

// greyImage builds a grey image of size b from a*y+c for each value y.
func greyImage(b image.Rectangle, ys []float64, a, c float64) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for i, y := range ys {
		v := clampByte(a*y + c)
		out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2], out.Pix[4*i+3] = v, v, v, 255
	}
	return out
}
