package plots

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// StackedArea draws the series stacked on each other as filled bands (x =
// iteration), the first at the bottom: shares of a whole over a run, such
// as each layer's share of the style loss. Every series needs the same
// steps; values must be finite and >= 0.
func StackedArea(title, yLabel string, series []Series) (*plot.Plot, error) {
	if len(series) == 0 {
		return nil, errors.New("plots: StackedArea got no series; pass one Series per band")
	}
	steps := series[0].Steps
	for i, s := range series {
		if len(s.Steps) != len(s.Values) {
			return nil, fmt.Errorf("plots: series %s has %d steps but %d values; give one step per value", seriesName(i, s), len(s.Steps), len(s.Values))
		}
		if !slices.Equal(s.Steps, steps) {
			return nil, fmt.Errorf("plots: series %s has other steps than series #0; StackedArea needs the same steps in every band", seriesName(i, s))
		}
		for _, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return nil, fmt.Errorf("plots: series %s has the value %v; StackedArea needs finite values >= 0", seriesName(i, s), v)
			}
		}
	}
	if len(steps) == 0 {
		return nil, errors.New("plots: StackedArea got series without points; record at least one (step, value) pair")
	}
	order := make([]int, len(steps)) // points in step order
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return steps[a] - steps[b] })
	p := plot.New()
	styleAxes(p, title, yLabel)
	p.Legend.Top = false
	p.Legend.Left = false
	below := make([]float64, len(steps))
	for i, s := range series {
		ring := make(plotter.XYs, 0, 2*len(steps)+2)
		for _, k := range order {
			ring = append(ring, plotter.XY{X: float64(steps[k]), Y: below[k] + s.Values[k]})
		}
		if len(steps) == 1 { // a lone step draws as a thin band
			ring = append(ring, plotter.XY{X: ring[0].X + 1, Y: ring[0].Y})
		}
		for j := len(order) - 1; j >= 0; j-- {
			k := order[j]
			if len(steps) == 1 {
				ring = append(ring, plotter.XY{X: float64(steps[k]) + 1, Y: below[k]})
			}
			ring = append(ring, plotter.XY{X: float64(steps[k]), Y: below[k]})
		}
		band, err := plotter.NewPolygon(ring)
		if err != nil {
			return nil, fmt.Errorf("plots: series %s: %w", seriesName(i, s), err)
		}
		band.Color = seriesStyle(i).Color
		band.LineStyle = draw.LineStyle{Color: color.White, Width: vg.Points(0.5)}
		p.Add(band)
		p.Legend.Add(legendLabel(i, s), band)
		for k := range below {
			below[k] += s.Values[k]
		}
	}
	p.Y.Min = 0
	p.Y.Max = slices.Max(below)
	p.X.Min, p.X.Max = float64(slices.Min(steps)), float64(slices.Max(steps))
	if len(steps) == 1 {
		p.X.Max++
	}
	return p, nil
}

// inferno are stops of a perceptually ordered dark-to-light colour map.
var inferno = []color.RGBA{
	{0x00, 0x00, 0x04, 0xff}, {0x42, 0x0a, 0x68, 0xff}, {0x93, 0x26, 0x67, 0xff},
	{0xdd, 0x51, 0x3a, 0xff}, {0xfc, 0xa5, 0x0a, 0xff}, {0xfc, 0xff, 0xa4, 0xff},
}

// heatColour maps t in [0,1] onto the colour map.
func heatColour(t float64) color.RGBA {
	t = math.Max(0, math.Min(1, t))
	x := t * float64(len(inferno)-1)
	i := min(int(x), len(inferno)-2)
	f := x - float64(i)
	a, b := inferno[i], inferno[i+1]
	mix := func(u, v uint8) uint8 { return uint8(math.Round(float64(u)*(1-f) + float64(v)*f)) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// HeatMap colours a w x h field of values >= 0 (row by row), dark for 0
// and light for top and above, so that fields of very different
// magnitudes (each layer's gradient, say) show where each is strong.
// top <= 0 means the field's 99th percentile, so that a few extreme
// values do not darken the rest.
func HeatMap(values []float32, w, h int, top float64) (*image.RGBA, error) {
	if w < 1 || h < 1 || len(values) != w*h {
		return nil, fmt.Errorf("plots: HeatMap got %d values for %dx%d; give one value per pixel, row by row", len(values), w, h)
	}
	if top <= 0 {
		top = Percentile(values, 0.99)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, v := range values {
		t := 0.0
		if top > 0 && !math.IsNaN(float64(v)) {
			t = float64(v) / top
		}
		c := heatColour(t)
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = c.R, c.G, c.B, c.A
	}
	return img, nil
}

// Percentile is the value below which a share q (0..1) of values lie.
func Percentile(values []float32, q float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := slices.Clone(values)
	slices.Sort(s)
	i := int(math.Round(q * float64(len(s)-1)))
	return float64(s[max(0, min(i, len(s)-1))])
}

// heatPalette is the colour map as a gonum palette.
type heatPalette struct{}

func (heatPalette) Colors() []color.Color {
	out := make([]color.Color, 64)
	for i := range out {
		out[i] = heatColour(float64(i) / 63)
	}
	return out
}

// matrixGrid is a square matrix as gonum's GridXYZ, row 0 at the top.
type matrixGrid [][]float64

func (m matrixGrid) Dims() (c, r int)   { return len(m), len(m) }
func (m matrixGrid) Z(c, r int) float64 { return m[len(m)-1-r][c] }
func (m matrixGrid) X(c int) float64    { return float64(c) }
func (m matrixGrid) Y(r int) float64    { return float64(r) }

// Matrix draws a square matrix of values (a distance between each pair
// of names, say) as coloured cells with their values written in, row i
// at the top for names[i]; colours run from 0 (dark) to top (light), and
// top <= 0 means the largest value.
func Matrix(title string, names []string, values [][]float64, top float64) (*plot.Plot, error) {
	n := len(names)
	if n == 0 || len(values) != n {
		return nil, fmt.Errorf("plots: Matrix got %d names and %d rows; give one name per row", n, len(values))
	}
	for i, row := range values {
		if len(row) != n {
			return nil, fmt.Errorf("plots: Matrix row %d has %d values; the matrix must be %dx%d", i, len(row), n, n)
		}
		for _, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("plots: Matrix row %d holds %v; give finite values", i, v)
			}
		}
	}
	if top <= 0 {
		for _, row := range values {
			top = math.Max(top, slices.Max(row))
		}
	}
	if top <= 0 {
		top = 1
	}
	p := plot.New()
	styleAxes(p, title, "")
	p.X.Label.Text = ""
	heat := plotter.NewHeatMap(matrixGrid(values), heatPalette{})
	heat.Min, heat.Max = 0, top
	p.Add(heat)
	var xys plotter.XYs
	var labels []string
	var styles []text.Style
	for i, row := range values {
		for j, v := range row {
			xys = append(xys, plotter.XY{X: float64(j), Y: float64(n - 1 - i)})
			labels = append(labels, strconv.FormatFloat(v, 'f', 2, 64))
			st := text.Style{Color: color.White, XAlign: draw.XCenter, YAlign: draw.YCenter, Handler: p.Title.TextStyle.Handler}
			st.Font.Variant, st.Font.Size = "Sans", vg.Points(9)
			if v/top > 0.6 {
				st.Color = color.Black
			}
			styles = append(styles, st)
		}
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	l.TextStyle = styles
	p.Add(l)
	xt, yt := make([]plot.Tick, n), make([]plot.Tick, n)
	for i, name := range names {
		xt[i] = plot.Tick{Value: float64(i), Label: name}
		yt[i] = plot.Tick{Value: float64(n - 1 - i), Label: name}
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5, -0.5, float64(n)-0.5
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	return p, nil
}
