package display

import (
	"bytes"
	"fmt"
	"html"
	"image"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stylelab/stylelab/experiments"
	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/plots"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
)

// renderStylelab renders Stylelab's own types.
func renderStylelab(v any) (Bundle, bool) {
	switch v := v.(type) {
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
func resultTitle(r *transfer.Result) string {
	name := ""
	if r.Plan != nil {
		name = r.Plan.Name
	}
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
	var b strings.Builder
	b.WriteString(`<div class="stylelab-result">`)
	fmt.Fprintf(&b, "<h4>%s</h4>\n", html.EscapeString(resultTitle(r)))
	b.WriteString(runLink(defaultDB(), r.RunID))
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start">`)
	if r.Image != nil {
		b.WriteString(imageTag(r.Image, "final image", 512))
	}
	if len(r.Steps) > 0 {
		var buf bytes.Buffer
		if err := experiments.WriteLossPlot(&buf, r); err == nil {
			png := buf.Bytes()
			b.WriteString(imgTag(png, "losses", 480))
		}
	}
	b.WriteString("</div>\n")
	b.WriteString(paramsTable(planParams(r.Plan)))
	b.WriteString("</div>")
	return htmlBundle(b.String(), resultTitle(r))
}

// artifact finds a run's artifact of kind (the last one).
func artifact(rec *store.RunRecord, kind string) (store.Artifact, bool) {
	var found store.Artifact
	ok := false
	for _, a := range rec.Artifacts {
		if a.Kind == kind {
			found, ok = a, true
		}
	}
	return found, ok
}

// artifactImage loads a run's image artifact of kind.
func artifactImage(rec *store.RunRecord, kind string) image.Image {
	a, ok := artifact(rec, kind)
	if !ok {
		return nil
	}
	img, err := imaging.Load(a.Path)
	if err != nil {
		return nil
	}
	return img
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
	b.WriteString(runLink(recordDB(rec), rec.ID))
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start">`)
	if img := artifactImage(rec, store.KindFinal); img != nil {
		b.WriteString(imageTag(img, "final image", 512))
	}
	if a, ok := artifact(rec, store.KindPlot); ok {
		if data, err := os.ReadFile(a.Path); err == nil {
			b.WriteString(imgTag(data, "losses", 480))
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
	ids := make([]int64, len(runs))
	for i := range runs {
		ids[i] = runs[i].ID
	}
	return htmlBundle(plots.TableHTML(header, rows)+runsLink(defaultDB(), ids), plots.Table(header, rows))
}
