package plots

import (
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// LossCurves draws the series as overlaid lines (x = iteration) with
// distinct colours and dash patterns and a legend. With logY the Y axis
// is logarithmic (plot.LogScale), spans whole decades and labels them
// "1e2".."1e9". NaN/Inf values, and on a log axis non-positive ones, are
// skipped and counted in the legend; it is an error if nothing is left.
func LossCurves(title, yLabel string, series []Series, logY bool) (*plot.Plot, error) {
	if len(series) == 0 {
		return nil, errors.New("plots: LossCurves got no series; pass at least one Series with Steps and Values")
	}
	p := plot.New()
	styleAxes(p, title, yLabel)
	p.Add(&plotter.Grid{
		Vertical:   draw.LineStyle{Color: color.Gray{Y: 225}, Width: vg.Points(0.5)},
		Horizontal: draw.LineStyle{Color: color.Gray{Y: 225}, Width: vg.Points(0.5)},
	})

	ymin, ymax := math.Inf(1), math.Inf(-1)
	drawn := 0
	for i, s := range series {
		pts, dropped, err := seriesPoints(i, s, logY)
		if err != nil {
			return nil, err
		}
		label := legendLabel(i, s)
		if len(pts) == 0 {
			p.Legend.Add(label + " (nothing to draw)")
			continue
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("plots: series %s: %w", seriesName(i, s), err)
		}
		line.LineStyle = seriesStyle(i)
		p.Add(line)
		thumbs := []plot.Thumbnailer{line}
		if len(pts) == 1 { // a lone point draws no line: mark it
			dot, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, fmt.Errorf("plots: series %s: %w", seriesName(i, s), err)
			}
			dot.GlyphStyle = draw.GlyphStyle{Color: line.Color, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
			p.Add(dot)
			thumbs = append(thumbs, dot)
		}
		switch {
		case dropped == 1:
			label += " (1 point skipped)"
		case dropped > 1:
			label = fmt.Sprintf("%s (%d points skipped)", label, dropped)
		}
		p.Legend.Add(label, thumbs...)
		for _, pt := range pts {
			ymin, ymax = math.Min(ymin, pt.Y), math.Max(ymax, pt.Y)
		}
		drawn++
	}
	if drawn == 0 {
		if logY {
			return nil, errors.New("plots: no series has a positive finite value to draw on a log-scale Y axis; use logY=false or check the losses")
		}
		return nil, errors.New("plots: no series has a finite value to draw; check the losses for NaN/Inf")
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicker{}
		p.Y.Min, p.Y.Max = decadeRange(ymin, ymax)
	}
	return p, nil
}

// styleAxes sets titles, labels and sans-serif fonts sized for reading.
func styleAxes(p *plot.Plot, title, yLabel string) {
	p.Title.Text = title
	p.Title.TextStyle.Font.Variant = "Sans"
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = "iteration"
	p.X.Tick.Marker = stepTicker{}
	p.Y.Label.Text = yLabel
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font.Variant = "Sans"
		ax.Label.TextStyle.Font.Size = vg.Points(12)
		ax.Tick.Label.Font.Variant = "Sans"
		ax.Tick.Label.Font.Size = vg.Points(10)
	}
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Variant = "Sans"
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Legend.ThumbnailWidth = vg.Points(28)
	p.Legend.Padding = vg.Points(2)
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(-16), vg.Points(-6)
}

// seriesStyle gives series i a colour (colour-blind-safe Okabe-Ito set)
// and a dash pattern; the two cycles have coprime lengths, so the first
// 28 series all differ.
func seriesStyle(i int) draw.LineStyle {
	colors := [...]color.RGBA{
		{0x00, 0x72, 0xB2, 0xFF}, // blue
		{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
		{0x00, 0x9E, 0x73, 0xFF}, // green
		{0xCC, 0x79, 0xA7, 0xFF}, // purple
		{0xE6, 0x9F, 0x00, 0xFF}, // orange
		{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
		{0x00, 0x00, 0x00, 0xFF}, // black
	}
	dashes := [...][]vg.Length{
		nil,
		{vg.Points(6), vg.Points(3)},
		{vg.Points(1.5), vg.Points(2.5)},
		{vg.Points(7), vg.Points(2.5), vg.Points(1.5), vg.Points(2.5)},
	}
	return draw.LineStyle{
		Color:  colors[i%len(colors)],
		Width:  vg.Points(1.6),
		Dashes: dashes[i%len(dashes)],
	}
}
