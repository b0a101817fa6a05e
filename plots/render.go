package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/stylelab/stylelab/internal/atomicfile"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// PNGDPI is the resolution PlotPNGTo and SavePlot use for PNG output, so a
// 6x4 inch plot is 864x576 pixels.
const PNGDPI = 144

// maxInches bounds plot sizes so a typo cannot allocate gigabytes.
const maxInches = 100

// PlotPNGTo writes p to w as a PNG image of wInches x hInches at PNGDPI.
// A bad plot or size is reported before anything is written.
func PlotPNGTo(w io.Writer, p *plot.Plot, wInches, hInches float64) error {
	if err := renderPNG(w, p, wInches, hInches); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	return nil
}

// PlotPNG is PlotPNGTo into a byte slice.
func PlotPNG(p *plot.Plot, wInches, hInches float64) ([]byte, error) {
	var buf bytes.Buffer
	if err := PlotPNGTo(&buf, p, wInches, hInches); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PlotSVGTo writes p to w as an SVG document of wInches x hInches. A bad
// plot or size is reported before anything is written.
func PlotSVGTo(w io.Writer, p *plot.Plot, wInches, hInches float64) error {
	if err := renderSVG(w, p, wInches, hInches); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	return nil
}

// SavePlot writes p to path as PNG or SVG, chosen by the extension,
// atomically (see imaging.WritePNG).
func SavePlot(p *plot.Plot, path string, widthInches, heightInches float64) error {
	var render func(io.Writer, *plot.Plot, float64, float64) error
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png":
		render = renderPNG
	case ".svg":
		render = renderSVG
	default:
		return fmt.Errorf("plots: cannot save %q: extension %q is not supported; use .png or .svg", path, ext)
	}
	err := atomicfile.Write(path, 0o666, func(w io.Writer) error { return render(w, p, widthInches, heightInches) })
	if err != nil {
		return fmt.Errorf("plots: saving %s: %w", path, err)
	}
	return nil
}

func renderPNG(w io.Writer, p *plot.Plot, wInches, hInches float64) error {
	if err := checkPlotArgs(p, wInches, hInches); err != nil {
		return err
	}
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(wInches)*vg.Inch, vg.Length(hInches)*vg.Inch), vgimg.UseDPI(PNGDPI))
	if err := drawPlot(p, draw.New(c)); err != nil {
		return err
	}
	if err := png.Encode(w, c.Image()); err != nil {
		return fmt.Errorf("writing PNG: %w", err)
	}
	return nil
}

func renderSVG(w io.Writer, p *plot.Plot, wInches, hInches float64) error {
	if err := checkPlotArgs(p, wInches, hInches); err != nil {
		return err
	}
	c := vgsvg.New(vg.Length(wInches)*vg.Inch, vg.Length(hInches)*vg.Inch)
	if err := drawPlot(p, draw.New(c)); err != nil {
		return err
	}
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("writing SVG: %w", err)
	}
	return nil
}

// checkPlotArgs rejects a nil plot and unusable sizes.
func checkPlotArgs(p *plot.Plot, w, h float64) error {
	if p == nil {
		return errors.New("got a nil plot; build one with LossCurves or plot.New")
	}
	for _, v := range []float64{w, h} {
		if !(v > 0) || v > maxInches || math.IsInf(v, 0) {
			return fmt.Errorf("plot size %gx%g inches is invalid; use sizes in (0, %d], e.g. 6x4", w, h, maxInches)
		}
	}
	return nil
}

// drawPlot draws p onto c, turning a gonum panic (for example a plot the
// caller set to a log scale with non-positive data) into an error.
func drawPlot(p *plot.Plot, c draw.Canvas) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("drawing the plot failed: %v; check its axes and data (a log axis needs positive values)", r)
		}
	}()
	p.Draw(c)
	return nil
}
