package imaging

import "image"

// Grain is the mean absolute difference between horizontally and vertically
// neighbouring pixels, over the R, G and B channels, in 8-bit values: 0 for a
// flat image, larger the more pixel-level noise or fine texture it holds. It
// is 0 for an image smaller than 2×2.
func Grain(img image.Image) float64 {
	b := img.Bounds()
	if b.Dx() < 2 || b.Dy() < 2 {
		return 0
	}
	px := make([][3]float64, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			px[(y-b.Min.Y)*b.Dx()+x-b.Min.X] = [3]float64{float64(r >> 8), float64(g >> 8), float64(bl >> 8)}
		}
	}
	var sum float64
	var n int
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			p := px[y*b.Dx()+x]
			if x+1 < b.Dx() {
				sum += absDiff3(p, px[y*b.Dx()+x+1])
				n += 3
			}
			if y+1 < b.Dy() {
				sum += absDiff3(p, px[(y+1)*b.Dx()+x])
				n += 3
			}
		}
	}
	return sum / float64(n)
}

// GrainRatio is Grain(out) over the Grain of the style image resized so that
// its longest side is the output's (the size a transfer with style scale 1
// matches it at): about 1 when the output is as fine-grained as the painting,
// well above 1 when it carries noise the painting does not. It is 0 when
// either image is smaller than 2×2 or the style image is flat.
func GrainRatio(out, style image.Image) float64 {
	ob, sb := out.Bounds(), style.Bounds()
	longest := max(ob.Dx(), ob.Dy())
	if max(sb.Dx(), sb.Dy()) != longest && longest >= 2 {
		style = FitLongest(style, longest)
	}
	s := Grain(style)
	if s == 0 {
		return 0
	}
	return Grain(out) / s
}

func absDiff3(a, b [3]float64) float64 {
	var d float64
	for c := range a {
		if a[c] > b[c] {
			d += a[c] - b[c]
		} else {
			d += b[c] - a[c]
		}
	}
	return d
}
