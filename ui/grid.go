package ui

import (
	"errors"
	"fmt"
	"github.com/stylelab/stylelab/store/query"
	"net/http"
	"sort"

	"github.com/stylelab/stylelab/compare"
	"github.com/stylelab/stylelab/store"
)

// gridView is the grid page: a query's runs laid out by two parameters,
// as `stylelab runs grid` lays them out.
type gridView struct {
	Query, Rows, Cols string
	Keys              []string // the parameters the runs have, for the pickers
	Error             string
	Total             int
	RowKey, ColKey    string
	ColLabels         []string
	Lines             []gridLine
}

type gridLine struct {
	Label string
	Cells []gridCell
}

// gridCell shows the latest run there with an image, and names the others.
type gridCell struct {
	Shown  *gridRun
	Others []gridRun
}

type gridRun struct {
	ID     int64
	Name   string
	Status string
	Image  string // URL; "" when the run has no image
	Thumb  string
}

func (s *Server) handleGrid(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := &gridView{Query: q.Get("q"), Rows: q.Get("rows"), Cols: q.Get("cols")}
	title := "Grid"
	status, err := s.gridView(r, v)
	if err != nil {
		s.fail(w, r, status, err)
		return
	}
	if v.Rows != "" || v.Cols != "" {
		title = fmt.Sprintf("Grid: %s by %s", orDash(v.Rows), orDash(v.Cols))
	}
	s.render(w, r, status, "grid", page{Title: title, Nav: "grid", Script: "grid.js", Data: v})
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// gridView fills v; a mistake in the query or an unknown parameter is
// shown on the page, with status 200.
func (s *Server) gridView(r *http.Request, v *gridView) (int, error) {
	ctx := r.Context()
	count, err := s.st.RunsPage(ctx, v.Query, "", 0, 1)
	var qe *query.Error
	if errors.As(err, &qe) {
		v.Error = err.Error()
		return http.StatusOK, nil
	}
	if err != nil {
		return storeError(err), err
	}
	v.Total = count.Total
	if v.Total == 0 {
		v.Error = fmt.Sprintf("no run matches %q", v.Query)
		return http.StatusOK, nil
	}
	if v.Total > maxGrid {
		v.Error = fmt.Sprintf("the query selects %d runs; a grid shows at most %d: narrow it, e.g. experiment = \"NAME\"", v.Total, maxGrid)
		return http.StatusOK, nil
	}
	c, err := compare.Query(ctx, s.st, v.Query)
	if err != nil {
		return storeError(err), err
	}
	keys := map[string]bool{"name": true}
	for i := range c.Runs {
		for _, p := range c.Runs[i].Params {
			keys[p.Key] = true
		}
	}
	for k := range keys {
		v.Keys = append(v.Keys, k)
	}
	for _, k := range []string{v.Rows, v.Cols} {
		if k != "" && !keys[k] {
			keys[k] = true
			v.Keys = append(v.Keys, k) // kept in the picker, named in the error
		}
	}
	sort.Strings(v.Keys)
	if v.Rows == "" && v.Cols == "" {
		// Start with the parameters that differ, as a sweep's axes would.
		diff := varyingKeys(summaries(c.Runs))
		if len(diff) > 0 {
			v.Rows = diff[0]
		}
		if len(diff) > 1 {
			v.Cols = diff[1]
		}
	}
	l, err := c.Layout(v.Rows, v.Cols)
	if err != nil {
		v.Error = err.Error()
		return http.StatusOK, nil
	}
	v.RowKey, v.ColKey, v.ColLabels = l.RowKey, l.ColKey, l.Cols
	for ri, label := range l.Rows {
		line := gridLine{Label: label}
		for _, runs := range l.Cells[ri] {
			var cell gridCell
			for _, i := range runs {
				rec := &c.Runs[i]
				gr := gridRun{ID: rec.ID, Name: rec.Name, Status: rec.Status}
				if a, ok := lastFinal(rec); ok {
					gr.Image, gr.Thumb = imageURL(a), thumbURL(a)
				}
				// The latest run with an image is shown, as in runs grid.
				if cell.Shown == nil || gr.Image != "" || cell.Shown.Image == "" {
					if cell.Shown != nil {
						cell.Others = append(cell.Others, *cell.Shown)
					}
					cell.Shown = &gr
				} else {
					cell.Others = append(cell.Others, gr)
				}
			}
			line.Cells = append(line.Cells, cell)
		}
		v.Lines = append(v.Lines, line)
	}
	return http.StatusOK, nil
}

// lastFinal is a run's last final image (runs grid shows no snapshots).
func lastFinal(rec *store.RunRecord) (store.Artifact, bool) {
	for i := len(rec.Artifacts) - 1; i >= 0; i-- {
		if rec.Artifacts[i].Kind == store.KindFinal {
			return rec.Artifacts[i], true
		}
	}
	return store.Artifact{}, false
}

// summaries are the records' summaries.
func summaries(recs []store.RunRecord) []store.RunSummary {
	out := make([]store.RunSummary, len(recs))
	for i := range recs {
		out[i] = recs[i].RunSummary
	}
	return out
}
