package display

import (
	"fmt"
	"html"
	"image"
	"strings"

	"github.com/stylelab/stylelab/compare"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
)

// Compare compares results of runs made in the notebook: shown, their
// images side by side, the parameters that differ with the last losses,
// and the total losses on one chart. Runs logged in a store compare the
// same way with compare.Runs or compare.Query.
func Compare(results ...*transfer.Result) *compare.Comparison {
	c := &compare.Comparison{}
	for _, r := range results {
		if r == nil {
			continue
		}
		c.Runs = append(c.Runs, resultRecord(r))
		var img image.Image
		if r.Image != nil { // a nil *image.RGBA is not a nil image.Image
			img = r.Image
		}
		c.Images = append(c.Images, img)
	}
	return c
}

// resultRecord is a result as the store would record it: its parameters,
// and the total, content and style loss of every step.
func resultRecord(r *transfer.Result) store.RunRecord {
	rec := store.RunRecord{RunSummary: store.RunSummary{ID: r.RunID, Name: resultName(r), Params: planParams(r.Plan),
		Last: map[string]float64{}, Min: map[string]float64{}, LastStep: -1}}
	for _, st := range r.Steps {
		for _, m := range []struct {
			key string
			v   float64
		}{{"total", st.Total}, {"content", st.Content}, {"style", st.Style}} {
			rec.Metrics = append(rec.Metrics, store.MetricPoint{Step: st.Iteration, Wall: st.Elapsed.Seconds(), Key: m.key, Value: m.v})
			if low, ok := rec.Min[m.key]; !ok || m.v < low {
				rec.Min[m.key] = m.v
			}
			rec.Last[m.key] = m.v
		}
		rec.LastStep = st.Iteration
	}
	return rec
}

// comparisonBundle shows a comparison: the images with their names, the
// table of differing parameters and last losses, the total loss curves.
func comparisonBundle(c *compare.Comparison) Bundle {
	var b strings.Builder
	b.WriteString(`<div class="stylelab-compare"><div style="display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start">`)
	width := 256
	if len(c.Runs) <= 2 {
		width = 384
	}
	names := make([]string, len(c.Runs))
	for i := range c.Runs {
		names[i] = c.Name(i)
		img, err := c.Image(i)
		tag := imageTag(img, names[i], width)
		if err != nil {
			tag = `<div style="color:#888">(` + html.EscapeString(err.Error()) + `)</div>`
		}
		fmt.Fprintf(&b, `<figure style="margin:0">%s<figcaption style="text-align:center">%s</figcaption></figure>`,
			tag, html.EscapeString(names[i]))
	}
	b.WriteString("</div>\n")
	ids := make([]int64, 0, len(c.Runs))
	for i := range c.Runs {
		if c.Runs[i].ID != 0 {
			ids = append(ids, c.Runs[i].ID)
		}
	}
	db := defaultDB()
	if len(c.Runs) > 0 {
		db = recordDB(&c.Runs[0])
	}
	b.WriteString(runsLink(db, ids))
	b.WriteString(c.HTML())
	if p, err := c.Curves("total loss", []string{"total"}, true); err == nil {
		b.WriteString(imgTag(plotPNG(p, 6, 4), "total losses", 560))
	}
	b.WriteString("</div>")
	return htmlBundle(b.String(), fmt.Sprintf("comparison of %s\n%s", strings.Join(names, ", "), c.Text()))
}
