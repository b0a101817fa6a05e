package plots

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// maxDecadeLabels caps how many decade labels a log axis shows.
const maxDecadeLabels = 8

// logTicker wraps plot.LogTicks with readable labels: "1e6" style (or
// plain numbers when every label lies in 0.001..10000), at most
// maxDecadeLabels labelled decades, and labelled 2s and 5s (or every
// mantissa) when the axis spans less than two decades.
type logTicker struct{}

// Ticks implements plot.Ticker.
func (logTicker) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max >= min) || math.IsInf(max, 0) {
		return nil
	}
	// LogTicks starts at 10^int(log10(start)); nudging start down keeps
	// int() from rounding up past the decade at or below min.
	start := 0.99 * math.Pow10(floorLog10(min))
	var ticks []plot.Tick
	for _, t := range (plot.LogTicks{Prec: -1}).Ticks(start, max) {
		dup := len(ticks) > 0 && ticks[len(ticks)-1].Value == t.Value // LogTicks repeats each decade as a minor tick
		if !dup && t.Value >= min*(1-1e-9) && t.Value <= max*(1+1e-9) {
			ticks = append(ticks, t)
		}
	}
	decades := 0
	for _, t := range ticks {
		if mantissa(t.Value) == 1 {
			decades++
		}
	}
	step := (decades + maxDecadeLabels - 1) / maxDecadeLabels
	span := math.Log10(max / min)
	labelled := func(v float64) bool {
		switch m := mantissa(v); {
		case m == 1:
			return step <= 1 || floorLog10(v)%step == 0
		case decades >= 2:
			return false
		case span >= 0.6:
			return m == 2 || m == 5
		default:
			return true
		}
	}
	plain := true
	for _, t := range ticks {
		if labelled(t.Value) && (t.Value < 1e-3*(1-1e-9) || t.Value > 1e4*(1+1e-9)) {
			plain = false
		}
	}
	for i := range ticks {
		ticks[i].Label = ""
		if labelled(ticks[i].Value) {
			ticks[i].Label = logLabel(ticks[i].Value, plain)
		}
	}
	return ticks
}

// logLabel formats v = m·10^e as "m e" style ("2e-3") or plainly ("0.002").
func logLabel(v float64, plain bool) string {
	e, m := floorLog10(v), mantissa(v)
	if plain {
		return strconv.FormatFloat(float64(m)*math.Pow10(e), 'f', -1, 64)
	}
	return strconv.Itoa(m) + "e" + strconv.Itoa(e)
}

// floorLog10 is floor(log10(v)), robust to rounding at exact powers of ten.
func floorLog10(v float64) int {
	return int(math.Floor(math.Log10(v) + 1e-9))
}

// mantissa is the leading digit of v rounded, in 1..10.
func mantissa(v float64) int {
	return int(math.Round(v / math.Pow10(floorLog10(v))))
}

// decadeRange widens [lo, hi] to whole decades when it spans at least
// one, or pads it by 10% either way when it is narrower.
func decadeRange(lo, hi float64) (float64, float64) {
	if math.Log10(hi/lo) < 1 {
		return lo / 1.1, hi * 1.1
	}
	return math.Pow10(floorLog10(lo)), math.Pow10(int(math.Ceil(math.Log10(hi) - 1e-9)))
}
