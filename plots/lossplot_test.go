package plots

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// decades returns n steps 0..n-1 and values falling geometrically from hi to lo.
func decades(n int, hi, lo float64) ([]int, []float64) {
	steps, vals := make([]int, n), make([]float64, n)
	for i := range n {
		steps[i] = i
		vals[i] = hi * math.Pow(lo/hi, float64(i)/float64(n-1))
	}
	return steps, vals
}

// svgTexts checks svg is well-formed XML and returns the content of its <text> elements.
func svgTexts(t *testing.T, svg []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var texts []string
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			inText = el.Name.Local == "text"
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				texts = append(texts, string(el))
			}
		}
	}
	return texts
}

func TestLossCurvesLogScaleSVG(t *testing.T) {
	s1, v1 := decades(200, 1e9, 1e2)
	s2, v2 := decades(200, 3e8, 5e2)
	s3, v3 := decades(200, 1e7, 1e3)
	series := []Series{
		{Label: "content", Steps: s1, Values: v1},
		{Label: "style <x&y>", Steps: s2, Values: v2},
		{Label: "", Steps: s3, Values: v3},
	}
	p, err := LossCurves("Loss", "loss", series, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Y.Scale.(plot.LogScale); !ok {
		t.Errorf("Y scale is %T, want plot.LogScale", p.Y.Scale)
	}
	if p.Y.Min != 1e2 || p.Y.Max != 1e9 {
		t.Errorf("Y range = [%g, %g], want whole decades [1e2, 1e9]", p.Y.Min, p.Y.Max)
	}
	texts := svgTexts(t, mustSVG(t, p))
	for _, want := range []string{"1e2", "1e3", "1e4", "1e5", "1e6", "1e7", "1e8", "1e9",
		"content", "style <x&y>", "series 3", "Loss", "loss", "iteration"} {
		if !slices.Contains(texts, want) {
			t.Errorf("SVG text elements lack %q; have %q", want, texts)
		}
	}
}

// TestLossCurvesGolden draws a log-scale loss plot, with several series and
// skipped points, and compares it with its golden image.
func TestLossCurvesGolden(t *testing.T) {
	s1, v1 := decades(200, 1e9, 1e2)
	s2, v2 := decades(150, 3e8, 5e2)
	logPlot, err := LossCurves("Loss", "loss", []Series{
		{Label: "content", Steps: s1, Values: v1},
		{Label: "style <x&y>", Steps: s2, Values: v2},
		{Label: "bad", Steps: []int{0, 10, 20}, Values: []float64{0, 1e4, math.NaN()}},
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	checkGoldenPlot(t, "losscurves_log", logPlot, 6, 4)
}

func TestLossCurvesSkipsNonPositiveOnLogScale(t *testing.T) {
	p, err := LossCurves("", "loss", []Series{
		{Label: "a", Steps: []int{0, 1, 2, 3}, Values: []float64{0, -1, 50, 5}},
		{Label: "b", Steps: []int{0, 1}, Values: []float64{0, math.NaN()}},
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	if p.Y.Min <= 0 || p.Y.Min > 5 || p.Y.Max < 50 {
		t.Errorf("Y range = [%g, %g], want positive and covering 5..50", p.Y.Min, p.Y.Max)
	}
	texts := svgTexts(t, mustSVG(t, p))
	for _, want := range []string{"a (2 points skipped)", "b (nothing to draw)"} {
		if !slices.Contains(texts, want) {
			t.Errorf("legend lacks %q; have %q", want, texts)
		}
	}
}

func TestLossCurvesLinear(t *testing.T) {
	p, err := LossCurves("t", "loss", []Series{
		{Label: "a", Steps: []int{10, 0, 5}, Values: []float64{1, -2, math.Inf(1)}},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Y.Scale.(plot.LinearScale); !ok {
		t.Errorf("Y scale is %T, want plot.LinearScale", p.Y.Scale)
	}
	if p.Y.Min != -2 || p.Y.Max != 1 || p.X.Min != 0 || p.X.Max != 10 {
		t.Errorf("range x[%g,%g] y[%g,%g], want x[0,10] y[-2,1] (Inf dropped)", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
	if texts := svgTexts(t, mustSVG(t, p)); !slices.Contains(texts, "a (1 point skipped)") {
		t.Errorf("legend lacks the skipped-point note; have %q", texts)
	}
}

func TestLossCurvesErrors(t *testing.T) {
	tests := []struct {
		name   string
		series []Series
		logY   bool
		want   string
	}{
		{"no series", nil, false, "no series"},
		{"length mismatch", []Series{{Label: "x", Steps: []int{1, 2}, Values: []float64{1}}}, false, "2 steps but 1 values"},
		{"empty series", []Series{{Label: "x"}}, true, "no points"},
		{"nothing positive", []Series{{Steps: []int{1, 2}, Values: []float64{0, -3}}}, true, "positive"},
		{"nothing finite", []Series{{Steps: []int{1}, Values: []float64{math.NaN()}}}, false, "finite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := LossCurves("t", "y", tt.series, tt.logY)
			if err == nil || p != nil {
				t.Fatalf("got plot %v, err %v; want an error", p, err)
			}
			if !strings.HasPrefix(err.Error(), "plots: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks prefix or %q", err, tt.want)
			}
		})
	}
}

func TestSeriesStylesDistinct(t *testing.T) {
	seen := map[string]int{}
	for i := range 28 {
		s := seriesStyle(i)
		key := strings.Join([]string{colorKey(s.Color), dashKey(s.Dashes)}, "|")
		if j, ok := seen[key]; ok {
			t.Errorf("series %d and %d share style %s", j, i, key)
		}
		seen[key] = i
	}
}

func TestLossCurvesMarksLonePoint(t *testing.T) {
	p, err := LossCurves("", "loss", []Series{
		{Label: "a", Steps: []int{0, 30}, Values: []float64{3, 1}},
		{Label: "lone", Steps: []int{5}, Values: []float64{2}},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	const wIn, hIn = 4.0, 3.0
	checkGoldenPlot(t, "losscurves_linear", p, wIn, hIn)
	c := vgimg.NewWith(vgimg.UseWH(wIn*vg.Inch, hIn*vg.Inch), vgimg.UseDPI(PNGDPI))
	dc := draw.New(c)
	p.Draw(dc)
	da := p.DataCanvas(dc)
	trX, trY := p.Transforms(&da)
	x := int(trX(5).Points() / 72 * PNGDPI)
	y := int(hIn*PNGDPI - trY(2).Points()/72*PNGDPI)
	want := toRGBA(seriesStyle(1).Color)
	if got := c.Image().At(x, y); !near(got, want, 20) {
		t.Errorf("pixel at the lone point (%d,%d) is %v, want the series colour %v", x, y, got, want)
	}
}
