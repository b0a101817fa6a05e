package display

import (
	"fmt"
	"html"
	"image"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stylelab/stylelab/compare"
	"github.com/stylelab/stylelab/experiments"
	"github.com/stylelab/stylelab/plots"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
)

// renderStylelab renders Stylelab's own types.
func renderStylelab(v any) (Bundle, bool) {
	switch v := v.(type) {
	case *compare.Comparison:
		return comparisonBundle(v), true
	case *transfer.Result:
		return resultBundle(v), true
	case transfer.Result:
		return resultBundle(&v), true
	case *transfer.Plan:
		return paramsBundle(planParams(v)), true
	case transfer.Config:
		return paramsBundle(configParams(v)), true
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

// paramsTable lays parameters out as a table: a header and a row each.
func paramsTable(params []store.Param) (header []string, rows [][]string) {
	rows = make([][]string, len(params))
	for i, p := range params {
		rows[i] = []string{p.Key, p.Value}
	}
	return []string{"parameter", "value"}, rows
}

func paramsBundle(params []store.Param) Bundle {
	return htmlBundle(plots.TableHTML(paramsTable(params)), plots.Table(paramsTable(params)))
}

// planParams are a plan's recorded settings.
func planParams(p *transfer.Plan) []store.Param {
	if p == nil {
		return nil
	}
	var out []store.Param
	for _, q := range p.Params() {
		out = append(out, store.Param{Key: q.Key, Value: q.Value})
	}
	return out
}

// configParams are a config's settings as written, before Resolve.
func configParams(c transfer.Config) []store.Param {
	var out []store.Param
	for _, s := range transfer.Settings() {
		if v, err := c.Get(s.Key); err == nil && v != "" {
			out = append(out, store.Param{Key: s.Key, Value: v})
		}
	}
	return out
}

// resultName is a result's run name, "" when it has none.
func resultName(r *transfer.Result) string {
	if r.Plan == nil {
		return ""
	}
	return r.Plan.Name
}

// resultTitle is one line about a result.
func resultTitle(r *transfer.Result) string {
	name := resultName(r)
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

func resultBundle(r *transfer.Result) Bundle {
	var img image.Image
	if r.Image != nil { // a nil *image.RGBA is not a nil image.Image
		img = r.Image
	}
	var losses func(io.Writer) error
	if len(r.Steps) > 0 {
		if png, err := experiments.LossPlot(r); err == nil {
			losses = pngBytes(png)
		}
	}
	return runBundle("stylelab-result", resultTitle(r), runLink(defaultDB(), r.RunID), img, losses, planParams(r.Plan))
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
	img, err := compare.FinalImage(rec)
	if err != nil {
		img = nil // still running, or failed before the end
	}
	var losses func(io.Writer) error
	if a, ok := rec.LastArtifact(store.KindPlot); ok {
		if data, err := os.ReadFile(a.Path); err == nil {
			losses = pngBytes(data)
		}
	}
	return runBundle("stylelab-run", recordTitle(rec), runLink(recordDB(rec), rec.ID), img, losses, rec.Params)
}

// runBundle shows one run: its title, its final image and loss plot side
// by side (either may be nil), and its parameters.
func runBundle(class, title, link string, img image.Image, losses func(io.Writer) error, params []store.Param) Bundle {
	var b strings.Builder
	fmt.Fprintf(&b, "<div class=%q><h4>%s</h4>\n", class, html.EscapeString(title))
	b.WriteString(link)
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start">`)
	if img != nil {
		b.WriteString(imageTag(img, "final image", 512))
	}
	if losses != nil {
		b.WriteString(imgTag(losses, "losses", 480))
	}
	b.WriteString("</div>\n")
	b.WriteString(plots.TableHTML(paramsTable(params)))
	b.WriteString("</div>")
	return htmlBundle(b.String(), title)
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
	ids := make([]int64, len(runs))
	for i := range runs {
		ids[i] = runs[i].ID
	}
	return htmlBundle(plots.TableHTML(header, rows)+runsLink(defaultDB(), ids), plots.Table(header, rows))
}
