package plots

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/plot/plotter"
)

// Series is one loss curve: Values[i] was recorded at iteration Steps[i].
type Series struct {
	Label  string
	Steps  []int
	Values []float64
}

// seriesPoints validates s and returns its drawable points sorted by
// step. Non-finite values are always dropped; non-positive ones too when
// logY is set. The second result counts the dropped points.
func seriesPoints(i int, s Series, logY bool) (plotter.XYs, int, error) {
	name := seriesName(i, s)
	if len(s.Steps) != len(s.Values) {
		return nil, 0, fmt.Errorf("plots: series %s has %d steps but %d values; give one step per value",
			name, len(s.Steps), len(s.Values))
	}
	if len(s.Steps) == 0 {
		return nil, 0, fmt.Errorf("plots: series %s has no points; record at least one (step, value) pair", name)
	}
	pts := make(plotter.XYs, 0, len(s.Values))
	for j, v := range s.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) || (logY && v <= 0) {
			continue
		}
		pts = append(pts, plotter.XY{X: float64(s.Steps[j]), Y: v})
	}
	sort.SliceStable(pts, func(a, b int) bool { return pts[a].X < pts[b].X })
	return pts, len(s.Values) - len(pts), nil
}

// seriesName names series i in error messages.
func seriesName(i int, s Series) string {
	if s.Label == "" {
		return fmt.Sprintf("#%d", i)
	}
	return fmt.Sprintf("#%d (%q)", i, s.Label)
}

// legendLabel is the legend text for series i.
func legendLabel(i int, s Series) string {
	if s.Label == "" {
		return fmt.Sprintf("series %d", i+1)
	}
	return s.Label
}
