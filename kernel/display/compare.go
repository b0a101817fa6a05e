package display

import (
	"context"
	"errors"
	"fmt"
	"html"
	"image"
	"strings"

	"github.com/stylelab/stylelab/plots"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
)

// Comparison is two or more runs side by side: their images, the
// parameters that differ, and their total losses on one chart. It renders
// as HTML.
type Comparison struct {
	Names  []string
	Images []image.Image
	Diff   []store.ParamDiff
	Losses []plots.Series // total loss of each run

	ids []int64 // the runs' ids in the store, where they have them
	db  string  // the store, for a link to the web page
}

// Compare compares results of runs made in the notebook.
func Compare(results ...*transfer.Result) *Comparison {
	c := &Comparison{}
	sums := make([]store.RunSummary, 0, len(results))
	for i, r := range results {
		if r == nil {
			continue
		}
		name := ""
		if r.Plan != nil {
			name = r.Plan.Name
		}
		if r.RunID != 0 {
			name = fmt.Sprintf("run %d %s", r.RunID, name)
		}
		if strings.TrimSpace(name) == "" {
			name = fmt.Sprintf("result %d", i+1)
		}
		c.Names = append(c.Names, name)
		c.ids = append(c.ids, r.RunID)
		c.Images = append(c.Images, r.Image)
		sums = append(sums, store.RunSummary{Params: planParams(r.Plan)})
		s := plots.Series{Label: name}
		for _, st := range r.Steps {
			s.Steps = append(s.Steps, st.Iteration)
			s.Values = append(s.Values, st.Total)
		}
		c.Losses = append(c.Losses, s)
	}
	c.Diff = store.DiffParams(sums)
	c.db = defaultDB()
	return c
}

// CompareRuns compares runs logged in a store, by id.
func CompareRuns(ctx context.Context, st *store.Store, ids ...int64) (*Comparison, error) {
	if st == nil {
		return nil, errors.New("display: CompareRuns needs a store (lab.Store)")
	}
	c := &Comparison{ids: ids, db: st.Path()}
	recs := make([]store.RunRecord, 0, len(ids))
	for _, id := range ids {
		rec, err := st.Get(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("display: run %d: %w", id, err)
		}
		recs = append(recs, *rec)
		name := fmt.Sprintf("run %d %s", rec.ID, rec.Name)
		c.Names = append(c.Names, name)
		c.Images = append(c.Images, artifactImage(rec, store.KindFinal))
		steps, values := rec.Series("total")
		c.Losses = append(c.Losses, plots.Series{Label: name, Steps: steps, Values: values})
	}
	c.Diff = store.DiffRecordParams(recs)
	return c, nil
}

// Bundle renders the comparison.
func (c *Comparison) Bundle() Bundle {
	var b, plain strings.Builder
	b.WriteString(`<div class="stylelab-compare"><div style="display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start">`)
	width := 256
	if len(c.Names) <= 2 {
		width = 384
	}
	for i, name := range c.Names {
		fmt.Fprintf(&b, `<figure style="margin:0">%s<figcaption style="text-align:center">%s</figcaption></figure>`,
			imageTag(c.Images[i], name, width), html.EscapeString(name))
	}
	b.WriteString("</div>\n")
	b.WriteString(runsLink(c.db, c.ids))
	fmt.Fprintf(&plain, "comparison of %s\n", strings.Join(c.Names, ", "))
	if len(c.Diff) > 0 {
		header := append([]string{"parameter"}, c.Names...)
		rows := make([][]string, len(c.Diff))
		for i, d := range c.Diff {
			rows[i] = append([]string{d.Key}, d.Values...)
		}
		b.WriteString(plots.TableHTML(header, rows))
		plain.WriteString(plots.Table(header, rows))
	} else {
		b.WriteString("<p>Same parameters.</p>")
	}
	var series []plots.Series
	for _, s := range c.Losses {
		if len(s.Steps) > 0 {
			series = append(series, s)
		}
	}
	if len(series) > 0 {
		if p, err := plots.LossCurves("total loss", "loss", series, true); err == nil {
			if png, err := plots.PlotPNG(p, 6, 4); err == nil {
				b.WriteString(imgTag(png, "total losses", 560))
			}
		}
	}
	b.WriteString("</div>")
	return htmlBundle(b.String(), plain.String())
}
