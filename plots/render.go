package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// PNGDPI is the resolution PlotPNG and SavePlot use for PNG output, so a
// 6x4 inch plot is 864x576 pixels.
const PNGDPI = 144

// maxInches bounds plot sizes so a typo cannot allocate gigabytes.
const maxInches = 100

// PlotPNG renders p as a PNG image of wInches x hInches at PNGDPI.
func PlotPNG(p *plot.Plot, wInches, hInches float64) ([]byte, error) {
	if err := checkPlotArgs(p, wInches, hInches); err != nil {
		return nil, err
	}
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(wInches)*vg.Inch, vg.Length(hInches)*vg.Inch), vgimg.UseDPI(PNGDPI))
	if err := drawPlot(p, draw.New(c)); err != nil {
		return nil, err
	}
	return EncodePNG(c.Image())
}

// PlotSVG renders p as an SVG document of wInches x hInches.
func PlotSVG(p *plot.Plot, wInches, hInches float64) ([]byte, error) {
	if err := checkPlotArgs(p, wInches, hInches); err != nil {
		return nil, err
	}
	c := vgsvg.New(vg.Length(wInches)*vg.Inch, vg.Length(hInches)*vg.Inch)
	if err := drawPlot(p, draw.New(c)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plots: writing SVG: %w", err)
	}
	return buf.Bytes(), nil
}

// SavePlot writes p to path as PNG or SVG, chosen by the extension.
func SavePlot(p *plot.Plot, path string, widthInches, heightInches float64) error {
	var render func(*plot.Plot, float64, float64) ([]byte, error)
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png":
		render = PlotPNG
	case ".svg":
		render = PlotSVG
	default:
		return fmt.Errorf("plots: cannot save %q: extension %q is not supported; use .png or .svg", path, ext)
	}
	data, err := render(p, widthInches, heightInches)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("plots: saving plot (does the directory exist?): %w", err)
	}
	return nil
}

// EncodePNG encodes img as PNG bytes.
func EncodePNG(img image.Image) ([]byte, error) {
	if img == nil {
		return nil, errors.New("plots: EncodePNG got a nil image; pass the image to encode")
	}
	if b := img.Bounds(); b.Empty() {
		return nil, fmt.Errorf("plots: EncodePNG got an empty image (bounds %v); pass an image with pixels", b)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("plots: encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// checkPlotArgs rejects a nil plot and unusable sizes.
func checkPlotArgs(p *plot.Plot, w, h float64) error {
	if p == nil {
		return errors.New("plots: got a nil plot; build one with LossCurves or plot.New")
	}
	for _, v := range []float64{w, h} {
		if !(v > 0) || v > maxInches || math.IsInf(v, 0) {
			return fmt.Errorf("plots: plot size %gx%g inches is invalid; use sizes in (0, %d], e.g. 6x4", w, h, maxInches)
		}
	}
	return nil
}

// drawPlot draws p onto c, turning a gonum panic (for example a plot the
// caller set to a log scale with non-positive data) into an error.
func drawPlot(p *plot.Plot, c draw.Canvas) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plots: drawing the plot failed: %v; check its axes and data (a log axis needs positive values)", r)
		}
	}()
	p.Draw(c)
	return nil
}
