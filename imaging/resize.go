package imaging

import (
	"image"
	"math"

	"golang.org/x/image/draw"
)

// Resize scales img to width×height with the Catmull-Rom kernel of
// golang.org/x/image/draw. When shrinking, the kernel is widened by the
// scale factor so every source pixel contributes (an antialiased,
// area-weighted average); when enlarging it interpolates. The result is
// deterministic and starts at (0, 0). A same-size request is a plain
// copy. A nil, empty or oversized img (over 64 megapixels), or a
// non-positive or oversized target, gives an empty image.
func Resize(img image.Image, width, height int) *image.RGBA {
	if !usable(img) || width <= 0 || height <= 0 || !sizeOK(image.Rect(0, 0, width, height)) {
		return image.NewRGBA(image.Rectangle{})
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	if b.Dx() == width && b.Dy() == height {
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
		return dst
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// FitSize returns the size that gives b's longest side the length
// longest while keeping the aspect ratio; the other side is rounded to
// the nearest integer and is at least 1. An empty b or a non-positive
// longest gives (0, 0).
func FitSize(b image.Rectangle, longest int) (w, h int) {
	dx, dy := b.Dx(), b.Dy()
	if dx <= 0 || dy <= 0 || longest <= 0 {
		return 0, 0
	}
	short := func(s, l int) int {
		return max(1, int(math.Round(float64(s)*float64(longest)/float64(l))))
	}
	if dx >= dy {
		return longest, short(dy, dx)
	}
	return short(dx, dy), longest
}

// FitLongest resizes img so that its longest side is longest pixels,
// keeping the aspect ratio (see FitSize and Resize).
func FitLongest(img image.Image, longest int) *image.RGBA {
	if img == nil {
		return image.NewRGBA(image.Rectangle{})
	}
	w, h := FitSize(img.Bounds(), longest)
	return Resize(img, w, h)
}

// toRGBA returns an opaque copy of img at origin (0, 0), with any
// transparency composited over white.
func toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	if o, ok := img.(interface{ Opaque() bool }); !ok || !o.Opaque() {
		draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	}
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
	return dst
}

// sizeOK reports whether b is non-empty and within the maxPixels limit
// (image.Uniform, for instance, has practically infinite bounds).
func sizeOK(b image.Rectangle) bool {
	dx, dy := b.Dx(), b.Dy()
	return !b.Empty() && dx > 0 && dy > 0 && dx <= maxPixels && dy <= maxPixels &&
		int64(dx)*int64(dy) <= maxPixels
}

// usable reports whether img is non-nil with a size sizeOK accepts.
func usable(img image.Image) bool {
	return img != nil && sizeOK(img.Bounds())
}
