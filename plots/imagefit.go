package plots

import (
	"fmt"
	"image"
	"image/color"
	"math"

	xdraw "golang.org/x/image/draw"
)

// maxCanvasPixels bounds a grid or strip (400 MB of RGBA) so a bad
// argument fails cleanly instead of exhausting memory.
const maxCanvasPixels = 100_000_000

// minImagePx is the smallest cell size or strip height accepted.
const minImagePx = 16

// maxImagePx is the largest cell size or strip height accepted.
const maxImagePx = 4096

// checkSize rejects an image box size outside [minImagePx, maxImagePx].
func checkSize(what string, n int) error {
	if n < minImagePx || n > maxImagePx {
		return fmt.Errorf("plots: %s %d is out of range; use %d..%d pixels (e.g. 256)", what, n, minImagePx, maxImagePx)
	}
	return nil
}

// newCanvas returns a white w x h image, or an error if it is too large.
func newCanvas(w, h int) (*image.RGBA, error) {
	if int64(w)*int64(h) > maxCanvasPixels {
		return nil, fmt.Errorf("plots: output would be %dx%d pixels (limit %d); use a smaller size or fewer images", w, h, maxCanvasPixels)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, xdraw.Src)
	return img, nil
}

// fitRect is the largest rectangle with src's aspect ratio centred in box.
func fitRect(src, box image.Rectangle) image.Rectangle {
	s := math.Min(float64(box.Dx())/float64(src.Dx()), float64(box.Dy())/float64(src.Dy()))
	w := max(1, int(math.Round(float64(src.Dx())*s)))
	h := max(1, int(math.Round(float64(src.Dy())*s)))
	x := box.Min.X + (box.Dx()-w)/2
	y := box.Min.Y + (box.Dy()-h)/2
	return image.Rect(x, y, x+w, y+h)
}

// drawScaled scales all of src (Catmull-Rom) onto r of dst, over white.
func drawScaled(dst *image.RGBA, r image.Rectangle, src image.Image) {
	xdraw.CatmullRom.Scale(dst, r, src, src.Bounds(), xdraw.Over, nil)
}

// fillRect paints r with c.
func fillRect(dst *image.RGBA, r image.Rectangle, c color.Color) {
	xdraw.Draw(dst, r, image.NewUniform(c), image.Point{}, xdraw.Src)
}
