package ui

import (
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/stylelab/stylelab/store"
)

// funcs are the templates' helpers; none of them returns trusted HTML.
func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"static": s.staticURL,
		"num":    formatNum,
		"when":   formatTime,
		"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"short":  func(sha string) string { return clip(sha, 12) },
		"clip":   clip,
	}
}

// formatNum writes a loss as the CLI does: four significant digits.
func formatNum(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// metricText is a run's last value of a metric, or "–" when it has none.
func metricText(m map[string]float64, key string) string {
	v, ok := m[key]
	if !ok {
		return "–"
	}
	return formatNum(v)
}

// formatTime is a local time to the second, "–" for none.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// formatDuration rounds a duration for a table, "–" for none.
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// runDuration is how long a run took, or has been running.
func runDuration(r *store.RunSummary, now time.Time) time.Duration {
	if r.Status == store.StatusRunning {
		return now.Sub(r.Started)
	}
	return r.Duration
}

// planned is the number of iterations a run's parameters plan: iterations
// per scale times the scales ("" when unknown).
func planned(r *store.RunSummary) int {
	v, ok := r.Param("iterations")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0
	}
	if scales, ok := r.Param("scales"); ok && strings.TrimSpace(scales) != "" {
		n *= len(strings.Split(scales, ","))
	}
	return n
}

// clip shortens s to n characters, marking the cut with "…".
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// field names a parameter or metric key in the query language
// (params.ratio, metrics."a b"), quoting keys that need it.
func field(kind, key string) string {
	bare := key != ""
	for i, c := range []byte(key) {
		ident := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !ident && (i == 0 || !(c >= '0' && c <= '9' || c == '/' || c == '-' || c == ':')) {
			bare = false
		}
	}
	if bare {
		return kind + "." + key
	}
	return kind + `."` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(key) + `"`
}

// queryString writes s as a quoted string of the query language.
func queryString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`).Replace(s) + `"`
}
