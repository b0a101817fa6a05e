package plots

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// stepTicker puts about six labelled ticks on an iteration axis at
// round multiples (1, 2 or 5 times a power of ten, at least 1) with four
// minor ticks between, labelled as plain integers.
type stepTicker struct{}

// Ticks implements plot.Ticker.
func (stepTicker) Ticks(min, max float64) []plot.Tick {
	if !(max > min) || math.IsInf(min, 0) || math.IsInf(max, 0) {
		return nil
	}
	step := niceStep((max - min) / 6)
	minor := step / 5
	if step < 5 {
		minor = step
	}
	var ticks []plot.Tick
	start := math.Ceil(min/minor) * minor
	for k := 0; k < 100; k++ { // bounded even where v+minor == v in float64
		v := start + float64(k)*minor
		if v > max+minor*1e-9 {
			break
		}
		t := plot.Tick{Value: v}
		if k := v / step; math.Abs(k-math.Round(k)) < 1e-9 {
			t.Label = strconv.FormatFloat(v, 'f', -1, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// niceStep is the smallest of 1, 2, 5 times a power of ten (>= 1) that is >= raw.
func niceStep(raw float64) float64 {
	if raw <= 1 {
		return 1
	}
	mag := math.Pow10(int(math.Floor(math.Log10(raw))))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}
