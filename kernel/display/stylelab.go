package display

import (
	"fmt"
	"html"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stylelab/stylelab/compare"
	"github.com/stylelab/stylelab/experiments"
	"github.com/stylelab/stylelab/plots"
	"github.com/stylelab/stylelab/store"
)

// renderStylelab renders Stylelab's own types.
func renderStylelab(v any) (Bundle, bool) {
	switch v := v.(type) {
	case *compare.Comparison:
		return comparisonBundle(v), true
	case *experiments.Result:
		return resultBundle(v), true
	case experiments.Result:
		return resultBundle(&v), true
	case experiments.Config:
		return paramsBundle(v.Params()), true
	case *store.RunRecord:
		return recordBundle(v), true
	case store.RunRecord:
		return recordBundle(&v), true
	case []store.RunSummary:
		return summariesBundle(v), true
	case store.RunSummary:
		return summariesBundle([]store.RunSummary{v}), true
	case *store.RunSummary:
		return summariesBundle([]store.RunSummary{*v}), true
	}
	return Bundle{}, false
}

func paramsTable(params []store.Param) string {
	rows := make([][]string, len(params))
	for i, p := range params {
		rows[i] = []string{p.Key, p.Value}
	}
	return plots.TableHTML([]string{"parameter", "value"}, rows)
}

func paramsBundle(params []store.Param) Bundle {
	rows := make([][]string, len(params))
	for i, p := range params {
		rows[i] = []string{p.Key, p.Value}
	}
	return htmlBundle(paramsTable(params), plots.Table([]string{"parameter", "value"}, rows))
}

// resultTitle is one line about a result.
func resultTitle(r *experiments.Result) string {
	name := r.Config.Name
	if name == "" {
		name = "transfer"
	}
	s := fmt.Sprintf("%s: %d iterations in %s", name, r.Iterations, r.Elapsed.Round(time.Millisecond))
	if r.RunID != 0 {
		s = fmt.Sprintf("run %d, %s", r.RunID, s)
	}
	if last := r.Last(); len(r.Steps) > 0 {
		s += fmt.Sprintf(", loss %.4g", last.Total)
	}
	return s
}

func resultBundle(r *experiments.Result) Bundle {
	var b strings.Builder
	b.WriteString(`<div class="stylelab-result">`)
	fmt.Fprintf(&b, "<h4>%s</h4>\n", html.EscapeString(resultTitle(r)))
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start">`)
	if r.Image != nil {
		b.WriteString(imageTag(r.Image, "final image", 512))
	}
	if len(r.Steps) > 0 {
		if png, err := experiments.LossPlot(r); err == nil {
			b.WriteString(imgTag(pngBytes(png), "losses", 480))
		}
	}
	b.WriteString("</div>\n")
	b.WriteString(paramsTable(r.Config.Params()))
	b.WriteString("</div>")
	return htmlBundle(b.String(), resultTitle(r))
}

func recordTitle(rec *store.RunRecord) string {
	s := fmt.Sprintf("run %d %s (%s) %s", rec.ID, rec.Name, rec.Experiment, rec.Status)
	if rec.Duration > 0 {
		s += " in " + rec.Duration.Round(time.Millisecond).String()
	}
	if v, ok := rec.Last["total"]; ok {
		s += fmt.Sprintf(", loss %.4g", v)
	}
	if rec.Message != "" {
		s += ": " + rec.Message
	}
	return s
}

func recordBundle(rec *store.RunRecord) Bundle {
	var b strings.Builder
	b.WriteString(`<div class="stylelab-run">`)
	fmt.Fprintf(&b, "<h4>%s</h4>\n", html.EscapeString(recordTitle(rec)))
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start">`)
	if img, err := compare.FinalImage(rec); err == nil {
		b.WriteString(imageTag(img, "final image", 512))
	}
	if a, ok := rec.LastArtifact(store.KindPlot); ok {
		if data, err := os.ReadFile(a.Path); err == nil {
			b.WriteString(imgTag(pngBytes(data), "losses", 480))
		}
	}
	b.WriteString("</div>\n")
	b.WriteString(paramsTable(rec.Params))
	b.WriteString("</div>")
	return htmlBundle(b.String(), recordTitle(rec))
}

func summariesBundle(runs []store.RunSummary) Bundle {
	header := []string{"id", "name", "experiment", "status", "started", "duration", "loss", "tags"}
	rows := make([][]string, len(runs))
	for i, r := range runs {
		loss := ""
		if v, ok := r.Last["total"]; ok {
			loss = strconv.FormatFloat(v, 'g', 4, 64)
		}
		rows[i] = []string{strconv.FormatInt(r.ID, 10), r.Name, r.Experiment, string(r.Status),
			r.Started.Local().Format("2006-01-02 15:04:05"), r.Duration.Round(time.Millisecond).String(),
			loss, strings.Join(r.Tags, ",")}
	}
	return htmlBundle(plots.TableHTML(header, rows), plots.Table(header, rows))
}
