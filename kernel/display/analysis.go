package display

import (
	"fmt"
	"html"
	"image"
	"strings"

	"github.com/stylelab/stylelab/analysis"
	"github.com/stylelab/stylelab/plots"
	"github.com/stylelab/stylelab/transfer"
)

// Shares shows each layer's share of a quantity over a run's steps (see
// analysis.LossShares and GradientShares) as stacked bands.
func Shares(s *analysis.Shares) Bundle {
	if s == nil || len(s.Steps) == 0 {
		return Text("no shares to show")
	}
	series := make([]plots.Series, len(s.Layers))
	for l, layer := range s.Layers {
		series[l] = plots.Series{Label: layer, Steps: s.Steps, Values: s.Values[l]}
	}
	p, err := plots.StackedArea("each layer's share of the "+s.Of, "share", series)
	if err != nil {
		return Text(err.Error())
	}
	png, err := plots.PlotPNG(p, 6, 3.5)
	if err != nil {
		return Text(err.Error())
	}
	b := PNG(png)
	b.Data["text/plain"] = s.String()
	return b
}

// LayerMaps shows where each layer acts on img (see
// transfer.LayerGradients): the image, then one heat map per layer of its
// gradient's magnitude, each on its own scale (dark 0, light its 99th
// percentile), labelled with the layer, its loss E_l and its share of the
// sum of the layers' gradient norms.
func LayerMaps(img image.Image, maps []transfer.LayerMap, cellSize int) Bundle {
	if len(maps) == 0 {
		return Text("no layer maps to show")
	}
	var total float64
	for _, m := range maps {
		total += m.Norm
	}
	cells := []plots.Cell{{Image: img, Label: "image"}}
	var plain strings.Builder
	for _, m := range maps {
		heat, err := plots.HeatMap(m.Values, m.W, m.H, 0)
		if err != nil {
			return Text(err.Error())
		}
		share := 0.0
		if total > 0 {
			share = m.Norm / total
		}
		label := fmt.Sprintf("%s: E %.3g, %.0f%% of |grad|", m.Layer, m.Loss, 100*share)
		cells = append(cells, plots.Cell{Image: heat, Label: label})
		fmt.Fprintf(&plain, "%s  E_l %.4g  |grad| %.4g  share %.3f\n", m.Layer, m.Loss, m.Norm, share)
	}
	grid, err := plots.Grid("", nil, nil, [][]plots.Cell{cells}, cellSize)
	if err != nil {
		return Text(err.Error())
	}
	b := imageBundle(grid)
	b.Data["text/plain"] = strings.TrimRight(plain.String(), "\n")
	return b
}

// Distances shows style distances (see analysis.StyleDistances) as one
// matrix per layer, each coloured from 0 (dark) to the largest distance of
// all layers (light).
func Distances(d *analysis.Distances) Bundle {
	if d == nil || len(d.Layers) == 0 {
		return Text("no distances to show")
	}
	var top float64
	for _, m := range d.Values {
		for _, row := range m {
			for _, v := range row {
				top = max(top, v)
			}
		}
	}
	var b strings.Builder
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:8px">`)
	for l, layer := range d.Layers {
		p, err := plots.Matrix(fmt.Sprintf("%s (%d px)", layer, d.Size), d.Names, d.Values[l], top)
		if err != nil {
			return Text(err.Error())
		}
		png, err := plots.PlotPNG(p, 4, 4)
		if err != nil {
			return Text(err.Error())
		}
		b.WriteString(imgTag(pngBytes(png), "style distances at "+html.EscapeString(layer), 320))
	}
	b.WriteString("</div>")
	return htmlBundle(b.String(), d.String())
}
