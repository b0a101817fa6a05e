package plots

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// Strip lays images side by side, each scaled to height pixels tall
// (aspect kept, Catmull-Rom), with labels[i] (e.g. "step 50") centred
// under image i. labels may be nil for none, else one per image.
func Strip(images []image.Image, labels []string, height int) (*image.RGBA, error) {
	if err := checkStrip(images, labels, height); err != nil {
		return nil, err
	}
	l, err := layoutStrip(images, labels, height)
	if err != nil {
		return nil, err
	}
	img, err := newCanvas(l.w, l.h)
	if err != nil {
		return nil, err
	}
	for i, src := range images {
		drawScaled(img, fitRect(src.Bounds(), l.imageRects[i]), src)
		drawLines(img, l.labels.face, l.labels.lines[i], l.labelRects[i], 0, -1)
	}
	return img, nil
}

// checkStrip validates Strip's arguments.
func checkStrip(images []image.Image, labels []string, height int) error {
	if err := checkSize("Strip height", height); err != nil {
		return err
	}
	if len(images) == 0 {
		return errors.New("plots: Strip got no images; pass at least one")
	}
	if len(labels) != 0 && len(labels) != len(images) {
		return fmt.Errorf("plots: Strip got %d labels for %d images; pass one label per image, or nil for none", len(labels), len(images))
	}
	for i, img := range images {
		if img == nil {
			return fmt.Errorf("plots: Strip image %d is nil; pass a decoded image (drop the entry if there is none)", i)
		}
		if img.Bounds().Empty() {
			return fmt.Errorf("plots: Strip image %d is empty (bounds %v); pass an image with pixels", i, img.Bounds())
		}
	}
	return nil
}

// stripLayout holds where a Strip's images and labels go.
type stripLayout struct {
	w, h                   int
	labels                 textBlock
	imageRects, labelRects []image.Rectangle
}

// layoutStrip gives each image a slot as wide as the image scaled to
// height, widened (up to 2*height) when its label needs more room.
func layoutStrip(images []image.Image, labels []string, height int) (stripLayout, error) {
	f, err := loadFonts()
	if err != nil {
		return stripLayout{}, err
	}
	pad := max(4, height/24)
	px := clampPx(float64(height)*0.08, 12, 24)
	texts := padTexts(labels, len(images))
	slots := make([]int, len(images))
	for i, img := range images {
		b := img.Bounds()
		if slots[i] = int(math.Round(float64(b.Dx()) * float64(height) / float64(b.Dy()))); slots[i] > maxImagePx {
			return stripLayout{}, fmt.Errorf("plots: Strip image %d is %dx%d, %d px wide at height %d; crop it or use a smaller height",
				i, b.Dx(), b.Dy(), slots[i], height)
		}
		lw, err := naturalWidth(f.regular, texts[i:i+1], px)
		if err != nil {
			return stripLayout{}, err
		}
		slots[i] = max(slots[i], 1, min(lw, 2*height))
	}
	l := stripLayout{}
	if l.labels, err = fitTexts(f.regular, texts, slots, 2, px); err != nil {
		return l, err
	}
	labelBand := band(l.labels.height(), l.labels.maxLines(), pad/2)
	l.h = 2*pad + height + labelBand
	x := pad
	for _, sw := range slots {
		l.imageRects = append(l.imageRects, image.Rect(x, pad, x+sw, pad+height))
		l.labelRects = append(l.labelRects, image.Rect(x, pad+height+pad/2, x+sw, pad+height+pad/2+l.labels.height()))
		x += sw + pad
	}
	l.w = x
	return l, nil
}
